// Timing helpers for `npm run bench`: every figure is printed next to a floor measured in the same run.
import { performance } from 'node:perf_hooks';

/** Median of `runs` timings (ms) of `fn`, after `warmup` untimed calls. */
export function timeMedian(fn: () => void, runs = 7, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return percentile(times, 50);
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx];
}

export function row(label: string, value: string, target = ''): void {
  console.log(`  ${label.padEnd(58)} ${value.padStart(18)}  ${target}`);
}

export function ratio(measured: number, floor: number): string {
  return `${(measured / floor).toFixed(2)}×`;
}

export function verdict(ok: boolean): string {
  return ok ? 'ok' : 'OVER TARGET';
}

/**
 * Medians of two workloads measured alternately (floor, measured, floor, …) so that GC pressure and machine noise
 * fall on both alike.
 */
export function timePair(floorFn: () => void, measuredFn: () => void, runs = 9, warmup = 2): { floor: number; measured: number } {
  for (let i = 0; i < warmup; i++) {
    floorFn();
    measuredFn();
  }
  const floor: number[] = [];
  const measured: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    floorFn();
    floor.push(performance.now() - t0);
    t0 = performance.now();
    measuredFn();
    measured.push(performance.now() - t0);
  }
  return { floor: percentile(floor, 50), measured: percentile(measured, 50) };
}
