// A minimal mocha-like runner for inside the extension host (mocha is not a dependency): `test(name, fn)` registers,
// `runRegistered()` runs them in order, each bounded, and rejects listing the failures (@vscode/test-electron then
// exits non-zero).
interface RegisteredTest {
  name: string;
  fn: () => Promise<void> | void;
  timeoutMs: number;
}

const tests: RegisteredTest[] = [];

export function test(name: string, fn: () => Promise<void> | void, timeoutMs = 60_000): void {
  tests.push({ name, fn, timeoutMs });
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
  for (const t of tests) {
    const started = Date.now();
    try {
      await bounded(t);
      console.log(`✔ ${t.name} (${Date.now() - started} ms)`);
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.log(`✖ ${t.name} (${Date.now() - started} ms)\n${message}`);
      failures.push(t.name);
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
