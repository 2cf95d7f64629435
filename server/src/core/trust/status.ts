// Per-digest verification results and their aggregation. Aggregation fails closed: "verified" needs positive proof.

import type { AttestationSummary } from './attestations';

export type SignatureStatus = 'verified' | 'untrusted' | 'invalid' | 'error';
export type SignatureType = 'cosign' | 'cosign-attestation' | 'sigstore-bundle' | 'notation';
export type FoundIn = 'cosign-tag' | 'referrers-api' | 'referrers-tag-schema';

/**
 * Who made a signature the policy accepted, precisely enough to tell "the same signer" from "another signer"
 * (`image-trust update`): a key by its fingerprint, a keyless certificate by its subject and OIDC issuer, a private
 * PKI certificate by its subject and the configured CA, a Notation certificate by its subject and the anchor reached.
 */
export type SignerIdentity =
  /** `keyId`: hex SHA-256 of the DER SPKI public key. */
  | { kind: 'key'; keyId: string }
  | { kind: 'keyless'; subject: string; issuer: string }
  | { kind: 'certificate'; subject: string; authority: string }
  /** `subject`: the leaf certificate's subject DN; `anchor`: SHA-256 fingerprint of the configured certificate reached. */
  | { kind: 'notation'; subject: string; anchor: string };

/** One string per identity: equal strings, same signer. */
export function identityKey(i: SignerIdentity): string {
  switch (i.kind) {
    case 'key':
      return `key sha256:${i.keyId}`;
    case 'keyless':
      return `keyless ${i.issuer} ${i.subject}`;
    case 'certificate':
      return `certificate ${i.authority} ${i.subject}`;
    case 'notation':
      return `notation ${i.anchor} ${i.subject}`;
  }
}

/** The identity for people: `key sha256:1a2b3c4d5e6f…`, `mitr@redhat.com (https://github.com/login/oauth)`. */
export function describeIdentity(i: SignerIdentity): string {
  switch (i.kind) {
    case 'key':
      return `key sha256:${i.keyId.slice(0, 12)}…`;
    case 'keyless':
      return `${i.subject} (${i.issuer})`;
    case 'certificate':
      return `${i.subject} (certificate from ${i.authority})`;
    case 'notation':
      return `${i.subject.replace(/\n/g, ', ')} (Notation, anchor ${i.anchor.slice(0, 17)}…)`;
  }
}

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
  /** Set on `verified` results only: exactly who signed, as the policy accepted it (see SignerIdentity). */
  identity?: SignerIdentity;
  logIndex?: number;
  /** Rekor integrated time, seconds since the epoch. */
  integratedTime?: number;
  /**
   * ISO time after which this `verified` no longer holds: the earliest of the signature's own expiry and the notAfter
   * of every certificate that was checked against the current time (not against a logged or timestamped time).
   */
  validUntil?: string;
  reason: string;
}

export interface AttestationResult extends SignatureResult {
  predicateType: string;
  /** Index of the policy requirement (in the rule's `attestations` list) this result was checked for. */
  requirement?: number;
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
  /** ISO time after which a `verified` status must be re-checked (earliest `validUntil` of what made it verified). */
  validUntil?: string;
}

/** A predicate type the policy requires, verified by a trusted signer (e.g. `https://slsa.dev/provenance/v1`). */
export interface AttestationRequirement {
  predicateType: string;
  /**
   * Position of the requirement in the policy rule. When set, only attestation results checked for this requirement
   * (with its own signers, `AttestationResult.requirement`) can satisfy it: two requirements of one predicate type
   * (provenance from builder A and from builder B) are each satisfied on their own.
   */
  index?: number;
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
  const result = (status: DigestTrustStatus, reason: string): DigestTrust => {
    const out: DigestTrust = { digest, status, signatures, attestations, reason };
    if (status === 'verified') {
      const until = earliest([...signatures, ...attestations].filter((x) => x.status === 'verified').map((x) => x.validUntil));
      if (until) out.validUntil = until;
    }
    return out;
  };
  const incomplete = input.discoveryComplete ? '' : ` Some signature locations could not be searched: ${input.discoveryErrors.join('; ')}`;

  const verified = signatures.filter((s) => s.status === 'verified');
  if (verified.length > 0) {
    const unmet = unmetRequirements(input.requirements, attestations);
    const missing = unmet.map(requirementName);
    if (missing.length === 0) {
      const who = [...new Set(verified.map((s) => s.signer ?? 'trusted signer'))].join(', ');
      return result('verified', `Signed by ${who}.${incomplete}`);
    }
    if (!input.discoveryComplete) {
      return result('error', `Signature verified, but required attestations were not found: ${missing.join(', ')}.${incomplete}`);
    }
    const invalidAtt = attestations.some((a) => a.status === 'invalid' && unmet.some((req) => req.predicateType === a.predicateType && (req.index === undefined || a.requirement === req.index)));
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

function unmetRequirements(requirements: readonly AttestationRequirement[], attestations: AttestationResult[]): AttestationRequirement[] {
  return requirements.filter((req) => !attestations.some((a) => a.status === 'verified' && a.predicateType === req.predicateType && (req.index === undefined || a.requirement === req.index)));
}

function requirementName(req: AttestationRequirement): string {
  return req.index === undefined ? req.predicateType : `${req.predicateType} (attestations[${req.index}])`;
}

/** The earliest of ISO times (undefined entries ignored); undefined when there is none. */
export function earliest(times: readonly (string | undefined)[]): string | undefined {
  let best: number | undefined;
  for (const t of times) {
    if (t === undefined) continue;
    const ms = Date.parse(t);
    // An unreadable time must not extend validity: treat it as already past.
    const v = Number.isNaN(ms) ? 0 : ms;
    if (best === undefined || v < best) best = v;
  }
  return best === undefined ? undefined : new Date(best).toISOString();
}
