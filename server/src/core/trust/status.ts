// Per-digest verification results and their aggregation. Aggregation fails closed: "verified" needs positive proof.

import type { AttestationSummary } from './attestations';

export type SignatureStatus = 'verified' | 'untrusted' | 'invalid' | 'error';
export type SignatureType = 'cosign' | 'cosign-attestation' | 'sigstore-bundle' | 'notation';
export type FoundIn = 'cosign-tag' | 'referrers-api' | 'referrers-tag-schema';

/**
 * - `verified`: a trusted signer signed exactly this digest and every check passed.
 * - `untrusted`: well-formed, but no trusted signer made it (unknown key, other identity, or unverifiable here).
 * - `invalid`: provably wrong: another digest, broken signature, bad transparency log proof, expired certificate.
 * - `error`: could not be checked (too large, unreadable, missing data).
 */
export interface SignatureResult {
  status: SignatureStatus;
  type: SignatureType;
  foundIn: FoundIn;
  /** Name of the policy signer that verified it, or the signer the artifact claims (SAN, key hint). */
  signer?: string;
  /** OIDC issuer of a keyless certificate. */
  issuer?: string;
  logIndex?: number;
  /** Rekor integrated time, seconds since the epoch. */
  integratedTime?: number;
  reason: string;
}

export interface AttestationResult extends SignatureResult {
  predicateType: string;
  /** Recognized predicate, summarized; absent when the statement could not be read. */
  summary?: AttestationSummary;
}

export type DigestTrustStatus = 'verified' | 'unsigned' | 'untrusted' | 'invalid' | 'error';

export interface DigestTrust {
  digest: string;
  status: DigestTrustStatus;
  signatures: SignatureResult[];
  attestations: AttestationResult[];
  reason: string;
}

/** A predicate type the policy requires, verified by a trusted signer (e.g. `https://slsa.dev/provenance/v1`). */
export interface AttestationRequirement {
  predicateType: string;
}

export interface AggregateInput {
  digest: string;
  /** False when some place could not be searched (registry error, too many or too large artifacts). */
  discoveryComplete: boolean;
  discoveryErrors: string[];
  signatures: SignatureResult[];
  attestations: AttestationResult[];
  requirements: readonly AttestationRequirement[];
}

/**
 * Combines per-signature results into one status.
 * `verified` only if at least one signature by a trusted signer over exactly this digest verified and every required
 * attestation verified. `unsigned` only when discovery completed and found no signature at all. Incomplete
 * discovery without a verified signature is `error`: what was not seen might have changed the answer.
 */
export function aggregateTrust(input: AggregateInput): DigestTrust {
  const { digest, signatures, attestations } = input;
  const result = (status: DigestTrustStatus, reason: string): DigestTrust => ({ digest, status, signatures, attestations, reason });
  const incomplete = input.discoveryComplete ? '' : ` Some signature locations could not be searched: ${input.discoveryErrors.join('; ')}`;

  const verified = signatures.filter((s) => s.status === 'verified');
  if (verified.length > 0) {
    const missing = unmetRequirements(input.requirements, attestations);
    if (missing.length === 0) {
      const who = [...new Set(verified.map((s) => s.signer ?? 'trusted signer'))].join(', ');
      return result('verified', `Signed by ${who}.${incomplete}`);
    }
    if (!input.discoveryComplete) {
      return result('error', `Signature verified, but required attestations were not found: ${missing.join(', ')}.${incomplete}`);
    }
    const invalidAtt = attestations.some((a) => missing.includes(a.predicateType) && a.status === 'invalid');
    return result(invalidAtt ? 'invalid' : 'untrusted', `Signature verified, but required attestations are missing or not verified: ${missing.join(', ')}.`);
  }
  if (!input.discoveryComplete) return result('error', `No signature verified.${incomplete}`);
  const first = (status: string) => signatures.find((s) => s.status === status);
  const invalid = first('invalid');
  if (invalid) return result('invalid', `No trusted signature; one is invalid: ${invalid.reason}`);
  const untrusted = first('untrusted');
  if (untrusted) return result('untrusted', `No trusted signature: ${untrusted.reason}`);
  const failed = first('error');
  if (failed) return result('error', `No signature could be verified: ${failed.reason}`);
  const atts = attestations.length > 0 ? ` (${attestations.length} attestation(s) found, no signature)` : '';
  return result('unsigned', `No signatures found${atts}.`);
}

function unmetRequirements(requirements: readonly AttestationRequirement[], attestations: AttestationResult[]): string[] {
  return requirements
    .filter((req) => !attestations.some((a) => a.status === 'verified' && a.predicateType === req.predicateType))
    .map((req) => req.predicateType);
}
