// Remembers whether any test of a suite failed, so `after()` can keep logs (and skip refreshing screenshots).
export class FailureTracker {
  failed = false;

  /** Wraps a test body: a throw marks the suite as failed, then propagates. */
  track<T>(fn: () => Promise<T>): () => Promise<T> {
    return async () => {
      try {
        return await fn();
      } catch (err) {
        this.failed = true;
        throw err;
      }
    };
  }
}
