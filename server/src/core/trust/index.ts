// Facade: discover and verify the signatures and attestations of one image digest.

import type { RegistryReader } from '../registry/types';
import { verifySigstoreBundle, type BundleVerification } from './bundle';
import { verifyCosignAttestation, verifyCosignSignature } from './cosign';
import { discoverSignatures, type DiscoveredItem, type DiscoveryOptions, type DiscoveryResult } from './discovery';
import type { EntityOptions } from './entity';
import { verifyNotationSignature, type NotationSigner } from './notation';
import { prepareTrust, type PreparedTrust, type SignerSpec, type TrustMaterialSpec } from './signers';
import { aggregateTrust, type AttestationRequirement, type AttestationResult, type DigestTrust, type SignatureResult } from './status';

export type { AttestationRequirement, AttestationResult, DigestTrust, SignatureResult } from './status';
export type { DiscoveryResult, DiscoveryOptions } from './discovery';
export type { SignerSpec, TrustMaterialSpec, PreparedTrust } from './signers';
export { prepareTrust, publicGoodTrustedRoot } from './signers';
export { discoverSignatures } from './discovery';

export const NOTATION_UNVERIFIED_REASON = 'Notation signature present, not verified: no Notation trust store configured';
export { NOTATION_COSE_REASON } from './notation';

export type VerifyOptions = DiscoveryOptions & EntityOptions;

/**
 * Finds and verifies everything signed for `digest` in repository `name` (fully qualified) and aggregates it.
 * Throws ImageTrustError('POLICY_INVALID') when a signer spec or the trusted root is unusable; registry failures
 * never throw: they end up as an `error` status (fail closed).
 */
export async function verifyDigest(
  reader: RegistryReader,
  name: string,
  digest: string,
  signers: readonly SignerSpec[],
  attestationRequirements: readonly AttestationRequirement[] = [],
  trustMaterial: TrustMaterialSpec = {},
  opts: VerifyOptions = {},
): Promise<DigestTrust> {
  const trust = prepareTrust(signers, trustMaterial);
  const discovery = await discoverSignatures(reader, name, digest, opts);
  return verifyDiscovered(discovery, trust, attestationRequirements, opts);
}

/**
 * Verifies already-fetched signature sets: no I/O, synchronous. Verification cost is here, which is what the
 * micro-benchmark measures (`prepareTrust` once, then this per digest).
 */
export function verifyDiscovered(
  discovery: DiscoveryResult,
  trust: PreparedTrust,
  attestationRequirements: readonly AttestationRequirement[] = [],
  opts: EntityOptions = {},
): DigestTrust {
  const signatures: SignatureResult[] = [];
  const attestations: AttestationResult[] = [];
  for (const item of discovery.items) {
    const verification = verifyItem(item, discovery, trust, opts);
    if (!verification) continue;
    if (verification.kind === 'signature') signatures.push(verification.result);
    else attestations.push(verification.result);
  }
  return aggregateTrust({
    digest: discovery.digest,
    discoveryComplete: discovery.complete,
    discoveryErrors: discovery.errors,
    signatures,
    attestations,
    requirements: attestationRequirements,
  });
}

/** Verifies N signature sets with one prepared trust (benchmark entry point). */
export function verifyDiscoveredMany(sets: readonly DiscoveryResult[], trust: PreparedTrust, requirements: readonly AttestationRequirement[] = []): DigestTrust[] {
  return sets.map((set) => verifyDiscovered(set, trust, requirements));
}

function verifyItem(item: DiscoveredItem, discovery: DiscoveryResult, trust: PreparedTrust, opts: EntityOptions): BundleVerification | undefined {
  const { digest } = discovery;
  switch (item.kind) {
    case 'cosign-signature':
      return { kind: 'signature', result: verifyCosignSignature(item.layer, digest, trust, item.foundIn, opts) };
    case 'cosign-attestation':
      return verifyCosignAttestation(item.layer, digest, trust, item.foundIn, opts);
    case 'sigstore-bundle':
      return verifySigstoreBundle(item.bundle, { digest, bytes: discovery.subjectManifest }, trust, item.foundIn, opts);
    case 'notation': {
      const signers = trust.signers.filter((s): s is NotationSigner => s.type === 'notation');
      const { foundIn } = item;
      if (signers.length === 0) return { kind: 'signature', result: { status: 'untrusted', type: 'notation', foundIn, reason: NOTATION_UNVERIFIED_REASON } };
      if (!item.envelope) return { kind: 'signature', result: { status: 'invalid', type: 'notation', foundIn, reason: item.problem ?? 'The Notation signature has no envelope.' } };
      return { kind: 'signature', result: verifyNotationSignature(item.envelope, digest, signers, foundIn, opts) };
    }
    case 'artifact':
      return undefined;
  }
}
