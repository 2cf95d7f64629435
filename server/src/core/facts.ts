// What is known about one reference, as one plain shape: the CLI's `scan --format json` and `tree --format json`
// (a public contract: fields are added, never renamed or removed) and the editor's trust tree all render this.
import type { AdmissionOutcome, AdmissionResult } from './admission/types';
import type { Resolution } from './resolve';
import type { ImageRef } from './types';
import type { ReferenceVerification } from './verification';

export interface SignatureFact {
  status: string;
  signer: string | null;
  issuer: string | null;
  type: string;
  logIndex: number | null;
  integratedTime: number | null;
  foundIn: string;
  reason: string;
  /** ISO time after which this verdict must be re-checked, or null. */
  validUntil: string | null;
}

export interface AttestationFact {
  predicateType: string;
  status: string;
  summary: string | null;
  /** Human title of the predicate (e.g. "SLSA provenance v1"). */
  title: string;
  signer: string | null;
  foundIn: string;
  reason: string;
  /** Index of the policy requirement (`attestations[i]` of the rule) it was checked for, or null. */
  requirement: number | null;
}

export interface PolicyFact {
  rule: string | null;
  mode: string | null;
  exception: { owner: string; reason: string; expires: string; daysLeft: number; active: boolean; message: string } | null;
  error?: string;
}

export interface TrustFact {
  digest: string | null;
  status: string;
  reason: string;
  cached: boolean;
  cacheAgeMs: number | null;
  validUntil?: string | null;
}

/** Registry facts: what the tag points to now, drift, platforms. */
export interface ResolutionFacts {
  resolvedDigest: string | null;
  drift?: boolean | null;
  resolveError?: string;
  platforms?: { os: string; architecture: string; variant: string | null; digest: string }[];
}

/** Trust facts: signatures, attestations, the policy rule and the verdict. */
export interface VerificationFacts {
  signatures: SignatureFact[];
  attestations: AttestationFact[];
  policy: PolicyFact | null;
  trust: TrustFact | null;
}

export function resolutionFacts(ref: ImageRef, r: Resolution | null | undefined): ResolutionFacts {
  const fields: ResolutionFacts = { resolvedDigest: r?.tagDigest ?? null };
  if (ref.status === 'pinned') fields.drift = r && !r.error ? r.drift ?? false : null;
  if (r?.error) fields.resolveError = r.error.message;
  if (r?.platforms.length) fields.platforms = r.platforms.map((p) => ({ os: p.os, architecture: p.architecture, variant: p.variant ?? null, digest: p.digest }));
  return fields;
}

export function verificationFacts(v: ReferenceVerification | null | undefined): VerificationFacts {
  if (!v) return { signatures: [], attestations: [], policy: null, trust: null };
  return {
    signatures: (v.trust?.signatures ?? []).map((s) => ({
      status: s.status,
      signer: s.signer ?? null,
      issuer: s.issuer ?? null,
      type: s.type,
      logIndex: s.logIndex ?? null,
      integratedTime: s.integratedTime ?? null,
      foundIn: s.foundIn,
      reason: s.reason,
      validUntil: s.validUntil ?? null,
    })),
    attestations: (v.trust?.attestations ?? []).map((a) => ({
      predicateType: a.predicateType,
      status: a.status,
      summary: a.summary?.summary ?? null,
      title: a.summary?.title ?? a.predicateType,
      signer: a.signer ?? null,
      foundIn: a.foundIn,
      reason: a.reason,
      requirement: a.requirement ?? null,
    })),
    policy: { rule: v.policy.rule, mode: v.policy.mode, exception: v.policy.exception, ...(v.policy.error ? { error: v.policy.error } : {}) },
    trust: v.trust
      ? { digest: v.trust.digest, status: v.trust.status, reason: v.trust.reason, cached: v.cacheAgeMs !== undefined, cacheAgeMs: v.cacheAgeMs ?? null, validUntil: v.trust.validUntil ?? null }
      : v.digest
        ? null
        : { digest: null, status: 'error', reason: 'digest unknown', cached: false, cacheAgeMs: null },
  };
}

/** One admission result (issue 11): the CLI's JSON `admission[]` entries and the editor's trust tree. */
export interface AdmissionFact {
  engine: string;
  policy: string;
  rule: string | null;
  result: string;
  reason: string | null;
  message: string;
  expected: string | null;
  observed: string | null;
  rewrite: string | null;
  /** The policy file, as `pathOf` shows it (workspace-relative in the CLI). */
  policyFile: string | null;
  /** With `--changed-since`: whether the merge base lacks this result (a new denial). */
  new?: boolean;
}

export function admissionFacts(outcome: AdmissionOutcome | null | undefined, pathOf: (abs: string) => string, isNew?: (r: AdmissionResult) => boolean): AdmissionFact[] {
  return (outcome?.results ?? []).map((r) => ({
    engine: r.engine,
    policy: r.policy,
    rule: r.rule,
    result: r.result,
    reason: r.reason,
    message: r.message,
    expected: r.expected,
    observed: r.observed,
    rewrite: r.rewrite,
    policyFile: r.site.file ? pathOf(r.site.file) : null,
    ...(isNew ? { new: isNew(r) } : {}),
  }));
}
