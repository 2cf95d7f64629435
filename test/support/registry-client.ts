// Small helpers shared by the registry-client tests that talk to servers of their own (limits, hostile answers).
import assert from 'node:assert/strict';
import { ImageTrustError } from '../../server/src/core/errors';
import { createRegistryClient, type RegistryOptions } from '../../server/src/core/registry';

/** A client with no credentials and fast retries, for tests. */
export function testClient(extra: RegistryOptions = {}) {
  return createRegistryClient({ credentials: { get: async () => undefined }, retry: { baseDelayMs: 10 }, ...extra });
}

/** For `assert.rejects`: an ImageTrustError with this code (and a message matching `pattern`). */
export function rejectsWith(code: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ImageTrustError, `expected ImageTrustError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}
