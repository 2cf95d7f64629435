// Which rule governs an image: the first rule whose `match` globs cover its fully qualified name, else the default.

import { compileRepositoryGlobs, normalizeRepositoryName } from './globs';
import type { Policy, PolicyMode, ResolvedRule } from './types';

/** The rule for images no rule matches: report unsigned images as warnings, require nothing. */
export function defaultRule(): ResolvedRule {
  return { name: 'default', match: ['**'], normalizedMatch: ['**'], mode: 'audit', requireDigest: false, verifyPlatforms: false, signers: [], attestations: [], range: null };
}

/** The policy in force when the workspace has no `.image-trust.yaml` (never a substitute for a broken one). */
export function defaultPolicy(): Policy {
  return { version: 1, policyPath: null, trustedRoot: null, rules: [], defaultRule: defaultRule(), exceptions: [], severity: {} };
}

// Policies are plain data; compiled matchers are kept beside them, keyed by the rule object.
const matchers = new WeakMap<ResolvedRule, (fullName: string) => boolean>();

function ruleMatches(rule: ResolvedRule, fullName: string): boolean {
  let matcher = matchers.get(rule);
  if (!matcher) {
    matcher = compileRepositoryGlobs(rule.normalizedMatch);
    matchers.set(rule, matcher);
  }
  return matcher(fullName);
}

/**
 * The first rule (in file order) whose patterns match `fullName`; `index` is null when the default rule applies.
 * `fullName` should be fully qualified (`docker.io/library/nginx`); a familiar name is normalized first.
 */
export function matchRule(policy: Policy, fullName: string): { rule: ResolvedRule; index: number | null } {
  const name = normalizeRepositoryName(fullName);
  const index = policy.rules.findIndex((rule) => ruleMatches(rule, name));
  return index === -1 ? { rule: policy.defaultRule, index: null } : { rule: policy.rules[index], index };
}

/** Severity of a finding under a rule's mode; null for `off` (report nothing). */
export function severityForMode(mode: PolicyMode): 'error' | 'warning' | null {
  if (mode === 'enforce') return 'error';
  if (mode === 'audit') return 'warning';
  return null;
}
