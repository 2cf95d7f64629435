// A minimal mocha-like runner for inside the extension host (mocha is not a dependency): `test(name, fn)` registers,
// `runRegistered()` runs them in order, each bounded, and rejects listing the failures (@vscode/test-electron then
// exits non-zero). A failed `critical` test (activation) stops the run: every later test depends on it, and waiting
// out each one's timeout would only delay the verdict.
interface RegisteredTest {
  name: string;
  fn: () => Promise<void> | void;
  timeoutMs: number;
  critical: boolean;
}

const tests: RegisteredTest[] = [];

export function test(name: string, fn: () => Promise<void> | void, options: { timeoutMs?: number; critical?: boolean } = {}): void {
  tests.push({ name, fn, timeoutMs: options.timeoutMs ?? 60_000, critical: options.critical ?? false });
}

function bounded(t: RegisteredTest): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs / 1000} s`)), t.timeoutMs);
  });
  return Promise.race([Promise.resolve().then(t.fn), timeout]).finally(() => clearTimeout(timer));
}

export async function runRegistered(): Promise<void> {
  const failures: string[] = [];
  let stopped: string | undefined;
  for (const t of tests) {
    if (stopped) {
      console.log(`✖ ${t.name} (not run: "${stopped}" failed)`);
      failures.push(t.name);
      continue;
    }
    const started = Date.now();
    try {
      await bounded(t);
      console.log(`✔ ${t.name} (${Date.now() - started} ms)`);
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.log(`✖ ${t.name} (${Date.now() - started} ms)\n${message}`);
      failures.push(t.name);
      if (t.critical) stopped = t.name;
    }
  }
  console.log(`${tests.length - failures.length}/${tests.length} passed`);
  if (failures.length) throw new Error(`${failures.length} failed: ${failures.join('; ')}`);
}

/** Polls `probe` until it returns a value (not undefined); bounded. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
