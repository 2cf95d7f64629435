// Retry policy for registry requests: which failures are worth another attempt, how long to wait (exponential
// backoff, or the server's `Retry-After` when it is reasonable), and when to give up at once.

import { ImageTrustError } from '../errors';
import { TransportError, type HttpResponse } from './http';

export interface RetryPolicy {
  /** Total attempts including the first. */
  attempts: number;
  /** First backoff; doubles each time. */
  baseDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the request fails with REGISTRY_RATE_LIMITED. */
  maxRetryAfterMs: number;
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599 && status !== 501);
}

export function isRetryableError(err: unknown): boolean {
  return err instanceof TransportError && err.retryable;
}

/** `Retry-After` as milliseconds from now (delta-seconds or HTTP-date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(at - now, 0);
}

export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return policy.baseDelayMs * 2 ** attempt;
}

/** The wait before retrying `res`, or throws REGISTRY_RATE_LIMITED when the server asks for too long a pause. */
export function delayForResponse(host: string, res: HttpResponse, policy: RetryPolicy, attempt: number): number {
  const retryAfter = parseRetryAfter(res.headers['retry-after']);
  if (retryAfter === undefined) return backoffMs(policy, attempt);
  if (retryAfter > policy.maxRetryAfterMs) {
    const when = new Date(Date.now() + retryAfter).toISOString();
    throw new ImageTrustError(
      'REGISTRY_RATE_LIMITED',
      `${host}: ${res.status === 429 ? 'rate limit reached' : `HTTP ${res.status}`}; the registry asks to retry after ${Math.ceil(retryAfter / 1000)} s (at ${when})`,
    );
  }
  return retryAfter;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
