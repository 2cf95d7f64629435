// Progress of long CLI runs (--resolve, --verify, pin, init --verify) on stderr — only when stderr is a terminal:
// one line rewritten in place ("image-trust: resolving 12/40"), throttled, erased when the run ends. Piped or
// redirected (CI logs, `2> file`), nothing is written, so logs and parsers never see control characters.

export interface Progress {
  /** `what` (e.g. "resolving") reached `done` of `total`. */
  update(what: string, done: number, total: number): void;
  /** Erases the line (call once the work is over, before the report is printed). */
  end(): void;
}

export const NO_PROGRESS: Progress = { update() {}, end() {} };

interface Terminal {
  isTTY?: boolean;
  write(s: string): unknown;
}

/** Progress on `stream` when it is a TTY; otherwise a no-op. `now` is injectable for tests. */
export function progressOn(stream: Terminal, opts: { intervalMs?: number; now?: () => number } = {}): Progress {
  if (!stream.isTTY) return NO_PROGRESS;
  const intervalMs = opts.intervalMs ?? 100;
  const now = opts.now ?? Date.now;
  let last = -Infinity;
  let shown = false;
  return {
    update(what, done, total) {
      const t = now();
      // Always show the first and the last step; in between at most one line per interval.
      if (done < total && t - last < intervalMs) return;
      last = t;
      shown = true;
      stream.write(`\r\x1b[2Kimage-trust: ${what} ${done}/${total}`);
    },
    end() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
