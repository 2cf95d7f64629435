// Child processes for the e2e harness: started in their own process group (code-server forks an extension host,
// which forks our language server), stopped by killing the whole group; every wait bounded.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';

export interface Started {
  child: ChildProcess;
  /** The last ~64 KB of stdout+stderr, for failure messages. */
  output(): string;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the leader exited. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL_BYTES = 64 * 1024;

export function startGroup(cmd: string, args: string[], options: SpawnOptions = {}): Started {
  const child = spawn(cmd, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const collect = (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-TAIL_BYTES);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    child,
    output: () => tail,
    async stop(graceMs = 5_000) {
      signalGroup(child, 'SIGTERM');
      const done = await Promise.race([exited.then(() => true), delay(graceMs).then(() => false)]);
      // Kill the group even when the leader left: forked children (extension host, language server) may linger.
      signalGroup(child, 'SIGKILL');
      if (!done) await Promise.race([exited, delay(2_000)]);
    },
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* the group is already gone */
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A port free on 127.0.0.1 right now (another process may take it before we do: callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes; errors thrown by `probe` count as
 * "not yet". The timeout error names `what` and the last error seen.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message.split('\n')[0]}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${why}`);
    }
    await delay(intervalMs);
  }
}
