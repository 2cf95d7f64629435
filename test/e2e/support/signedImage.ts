// A signed image for the editor tests, stored the way `cosign sign --key` and `cosign attest --key` store it on a
// plain registry (no referrers API, no auth): a simple-signing signature under `sha256-<hex>.sig` and a DSSE
// envelope holding an in-toto SLSA provenance statement under `sha256-<hex>.att`, both signed with one local key.
import crypto from 'node:crypto';
import { dsse } from '@sigstore/core';
import { DSSE_MEDIA_TYPE, type CosignLayer } from '../../../server/src/core/trust/cosign';
import { IN_TOTO_PAYLOAD_TYPE } from '../../../server/src/core/trust/statement';
import { buildImage, pushImage, type TestRegistry } from '../../support/registry';
import { cosignKeySignature, inTotoStatement, pushCosignSignatures, SLSA_PROVENANCE_V1, SLSA_V1_PREDICATE } from '../../support/signing';

/**
 * A cosign attestation layer as `cosign attest --key` writes it without a transparency log: the blob is a DSSE
 * envelope whose signature covers the pre-authentication encoding of the statement (no annotations needed).
 */
export function cosignKeyAttestation(privateKey: crypto.KeyObject, statement: Buffer): CosignLayer {
  const sig = crypto.sign('sha256', dsse.preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, statement), privateKey);
  const envelope = { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: statement.toString('base64'), signatures: [{ keyid: '', sig: sig.toString('base64') }] };
  return { mediaType: DSSE_MEDIA_TYPE, payload: Buffer.from(JSON.stringify(envelope)), annotations: {} };
}

/**
 * Builds an image in `layoutDir`, pushes it as `repoTag`, then signs its digest and attests SLSA provenance for it
 * with `privateKey`. Returns the digest.
 */
export async function pushSignedImage(registry: TestRegistry, repoTag: string, layoutDir: string, privateKey: crypto.KeyObject): Promise<string> {
  const layout = await buildImage(layoutDir, { seed: repoTag });
  const digest = await pushImage(layout, registry, repoTag);
  const repo = repoTag.slice(0, repoTag.lastIndexOf(':'));
  const name = `${registry.host}/${repo}`;
  await pushCosignSignatures(registry, repo, digest, [cosignKeySignature(privateKey, name, digest)], 'sig');
  const provenance = inTotoStatement(name, digest, SLSA_PROVENANCE_V1, SLSA_V1_PREDICATE);
  await pushCosignSignatures(registry, repo, digest, [cosignKeyAttestation(privateKey, provenance)], 'att');
  return digest;
}
