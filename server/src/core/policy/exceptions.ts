// Which exception, if any, covers an image reference at a given time. Expiry is by UTC calendar day: an exception
// with `expires: 2026-01-31` applies through 2026-01-31T23:59:59.999Z and stops applying at 2026-02-01T00:00Z.

import { compilePathGlobs, compileRepositoryGlobs, normalizeRepositoryName } from './globs';
import type { ExceptionInfo, Policy, PolicyDiagnostic, PolicyException } from './types';

const DAY_MS = 86_400_000;

export interface ExceptionQuery {
  /** Repository name, fully qualified or familiar. */
  name: string;
  /** The reference's digest — written, or resolved from its tag if known. Digest exceptions need it. */
  digest: string | null;
  /** Workspace-relative path of the file holding the reference. Scoped exceptions need it. */
  path?: string;
}

/** Whole UTC days from `now` to the expiry date: 0 on the last valid day, negative once expired. */
export function daysUntilExpiry(expires: string, now: Date): number {
  const [y, m, d] = expires.split('-').map(Number);
  const expiry = new Date(0);
  expiry.setUTCFullYear(y, m - 1, d);
  return Math.round(expiry.getTime() / DAY_MS) - Math.floor(now.getTime() / DAY_MS);
}

export function describeException(ex: PolicyException, daysLeft: number): string {
  if (daysLeft < 0) return `exception expired on ${ex.expires} (owner ${ex.owner})`;
  const left = daysLeft === 0 ? 'expires today' : `expires ${ex.expires}, ${daysLeft} day${daysLeft === 1 ? '' : 's'} left`;
  return `exception (owner ${ex.owner}): ${ex.reason} — ${left}`;
}

function withTime(ex: PolicyException, now: Date): ExceptionInfo {
  const daysLeft = daysUntilExpiry(ex.expires, now);
  return { ...ex, daysLeft, message: describeException(ex, daysLeft) };
}

const imageMatchers = new WeakMap<PolicyException, (fullName: string) => boolean>();
const scopeMatchers = new WeakMap<PolicyException, (relPath: string) => boolean>();

function cached<T>(map: WeakMap<PolicyException, T>, ex: PolicyException, make: () => T): T {
  let value = map.get(ex);
  if (value === undefined) {
    value = make();
    map.set(ex, value);
  }
  return value;
}

function covers(ex: PolicyException, ref: ExceptionQuery): boolean {
  if (ex.scope) {
    // Scoped exceptions never apply when we do not know where the reference is.
    if (ref.path === undefined) return false;
    if (!cached(scopeMatchers, ex, () => compilePathGlobs(ex.scope!))(ref.path)) return false;
  }
  const name = normalizeRepositoryName(ref.name);
  const target = ex.target;
  if (target.type === 'digest') return target.name === name && ref.digest?.toLowerCase() === target.digest;
  return cached(imageMatchers, ex, () => compileRepositoryGlobs([target.pattern]))(name);
}

/**
 * The exception covering `ref` at `now`. `active` is the first covering exception still in force; only when there is
 * none, `expired` is the covering exception that expired most recently, so that the user learns why the reference is
 * reported again.
 */
export function findException(policy: Policy, ref: ExceptionQuery, now: Date): { active?: ExceptionInfo; expired?: ExceptionInfo } {
  let expired: ExceptionInfo | undefined;
  for (const ex of policy.exceptions) {
    if (!covers(ex, ref)) continue;
    const info = withTime(ex, now);
    if (info.daysLeft >= 0) return { active: info };
    if (!expired || info.daysLeft > expired.daysLeft) expired = info;
  }
  return expired ? { expired } : {};
}

/** Warnings for the policy file itself: exceptions that have expired at `now` and should be removed or renewed. */
export function expiredExceptionDiagnostics(policy: Policy, now: Date): PolicyDiagnostic[] {
  return policy.exceptions
    .map((ex) => withTime(ex, now))
    .filter((info) => info.daysLeft < 0)
    .map((info) => ({
      message: `${info.message}; renew or remove it`,
      range: info.expiresRange,
      severity: 'warning' as const,
      path: `exceptions[${info.index}].expires`,
    }));
}
