// The trust policy `.image-trust.yaml`: load and validate it, find the rule and the exception for an image.
//
// Fail closed: `loadPolicy` returns `broken: true` (and `policy: null`) for any error outside a single exception
// entry. Under a broken policy no reference may be reported as verified or exempted; never fall back to
// `defaultPolicy()`, which is only for workspaces without a policy file.

export { loadPolicy, type LoadPolicyOptions } from './load';
export { defaultPolicy, defaultRule, matchRule, severityForMode } from './match';
export { daysUntilExpiry, describeException, expiredExceptionDiagnostics, findException, type ExceptionQuery } from './exceptions';
export { checkRepositoryGlob, normalizeRepositoryName } from './globs';
export type * from './types';
export { POLICY_MODES } from './types';
