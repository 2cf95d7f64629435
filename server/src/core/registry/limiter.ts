// Bounds how many requests run at once against one registry host; the rest wait in FIFO order.

export class HostLimiter {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly perHost: number) {
    if (!(perHost >= 1)) throw new RangeError('concurrency per host must be at least 1');
  }

  async run<T>(host: string, task: () => Promise<T>): Promise<T> {
    await this.acquire(host);
    try {
      return await task();
    } finally {
      this.release(host);
    }
  }

  private acquire(host: string): Promise<void> {
    const n = this.active.get(host) ?? 0;
    if (n < this.perHost) {
      this.active.set(host, n + 1);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const queue = this.waiting.get(host) ?? [];
      queue.push(resolve);
      this.waiting.set(host, queue);
    });
  }

  private release(host: string): void {
    const next = this.waiting.get(host)?.shift();
    if (next) return next(); // the slot passes straight to the next waiter
    const n = (this.active.get(host) ?? 1) - 1;
    if (n === 0) this.active.delete(host);
    else this.active.set(host, n);
    if (this.waiting.get(host)?.length === 0) this.waiting.delete(host);
  }
}
