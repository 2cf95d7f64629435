// Signature discovery over a tiny in-memory RegistryReader: where things are found, bounds, and completeness.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { bundleToJSON } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { MessageSignatureBundleBuilder } from '@sigstore/sign';
import { ImageTrustError } from '../../server/src/core/errors';
import { COSIGN_SIGNATURE_TYPE, DSSE_MEDIA_TYPE, SIMPLE_SIGNING_MEDIA_TYPE, type CosignLayer } from '../../server/src/core/trust/cosign';
import { discoverSignatures } from '../../server/src/core/trust/discovery';
import { NOTATION_UNVERIFIED_REASON, verifyDigest } from '../../server/src/core/trust/index';
import type { SignerSpec } from '../../server/src/core/trust/signers';
import { MemoryRegistry, sha256 } from '../support/trust-memory-registry';

const NAME = 'registry.example/acme/app';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const keys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicKeyPem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
// Discovery is the subject here; the signatures are not logged, so the key signer opts out of the log (`tlog: false`).
const SIGNERS: SignerSpec[] = [{ type: 'key', name: 'release-key', publicKeyPem, requireTlog: false }];

function imageRegistry() {
  const registry = new MemoryRegistry();
  const image = registry.putArtifact([{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', data: Buffer.from('layer') }], { tag: 'v1' });
  return { registry, digest: image.digest };
}

function cosignSignature(digest: string): CosignLayer {
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': NAME }, image: { 'docker-manifest-digest': digest }, type: COSIGN_SIGNATURE_TYPE }, optional: null }));
  const signature = crypto.sign('sha256', payload, keys.privateKey).toString('base64');
  return { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, payload, annotations: { 'dev.cosignproject.cosign/signature': signature } };
}

function cosignAttestation(digest: string, predicateType: string, predicate: unknown): CosignLayer {
  const statement = { _type: 'https://in-toto.io/Statement/v0.1', subject: [{ name: NAME, digest: { sha256: digest.slice(7) } }], predicateType, predicate };
  const payload = Buffer.from(JSON.stringify(statement));
  const payloadType = 'application/vnd.in-toto+json';
  const sig = crypto.sign('sha256', dsse.preAuthEncoding(payloadType, payload), keys.privateKey).toString('base64');
  const envelope = { payloadType, payload: payload.toString('base64'), signatures: [{ keyid: '', sig }] };
  return { mediaType: DSSE_MEDIA_TYPE, payload: Buffer.from(JSON.stringify(envelope)), annotations: {} };
}

async function bundleOver(data: Buffer): Promise<Buffer> {
  const signer = { sign: async (d: Buffer) => ({ signature: crypto.sign('sha256', d, keys.privateKey), key: { $case: 'publicKey' as const, publicKey: publicKeyPem } }) };
  const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: [] }).create({ data });
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

describe('signature discovery', () => {
  test('nothing anywhere: discovery complete, status unsigned', async () => {
    const { registry, digest } = imageRegistry();
    const found = await discoverSignatures(registry, NAME, digest);
    assert.equal(found.complete, true);
    assert.deepEqual(found.items, []);
    assert.equal((await verifyDigest(registry, NAME, digest, SIGNERS)).status, 'unsigned');
  });

  test('a registry error on the .sig tag (not "not found") makes discovery incomplete → error', async () => {
    const { registry, digest } = imageRegistry();
    registry.failures.set(`${digest.replace(':', '-')}.sig`, new ImageTrustError('REGISTRY_UNREACHABLE', 'connection reset'));
    const found = await discoverSignatures(registry, NAME, digest);
    assert.equal(found.complete, false);
    assert.match(found.errors.join(), /connection reset/);
    const trust = await verifyDigest(registry, NAME, digest, SIGNERS);
    assert.equal(trust.status, 'error', trust.reason);
  });

  test('a failing referrers API makes discovery incomplete, but a verified .sig still verifies', async () => {
    const { registry, digest } = imageRegistry();
    registry.failures.set('referrers', new ImageTrustError('REGISTRY_BAD_RESPONSE', 'HTTP 500'));
    assert.equal((await verifyDigest(registry, NAME, digest, SIGNERS)).status, 'error');
    registry.putCosignSignatures(digest, [cosignSignature(digest)]);
    const trust = await verifyDigest(registry, NAME, digest, SIGNERS);
    assert.equal(trust.status, 'verified', trust.reason);
    assert.match(trust.reason, /HTTP 500/);
  });

  test('cosign .sig and .att tags: signature and attestation, both found in cosign-tag', async () => {
    const { registry, digest } = imageRegistry();
    registry.putCosignSignatures(digest, [cosignSignature(digest)]);
    registry.putCosignSignatures(digest, [cosignAttestation(digest, 'https://spdx.dev/Document', { spdxVersion: 'SPDX-2.3', packages: [{}, {}] })], 'att');
    const trust = await verifyDigest(registry, NAME, digest, SIGNERS, [{ predicateType: 'https://spdx.dev/Document' }]);
    assert.equal(trust.status, 'verified', trust.reason);
    assert.equal(trust.attestations.length, 1);
    assert.equal(trust.attestations[0]?.status, 'verified');
    assert.equal(trust.attestations[0]?.foundIn, 'cosign-tag');
    assert.equal(trust.attestations[0]?.summary?.fields.packageCount, 2);
  });

  test('an attestation signed for another digest does not satisfy a requirement', async () => {
    const { registry, digest } = imageRegistry();
    const other = `sha256:${'cd'.repeat(32)}`;
    registry.putCosignSignatures(digest, [cosignSignature(digest)]);
    registry.putCosignSignatures(digest, [cosignAttestation(other, 'https://slsa.dev/provenance/v1', {})], 'att');
    const trust = await verifyDigest(registry, NAME, digest, SIGNERS, [{ predicateType: 'https://slsa.dev/provenance/v1' }]);
    assert.equal(trust.attestations[0]?.status, 'invalid');
    assert.equal(trust.status, 'invalid', trust.reason);
  });

  for (const [source, foundIn] of [['api', 'referrers-api'], ['tag-schema', 'referrers-tag-schema']] as const) {
    test(`a Sigstore bundle referrer (${source}) is fetched and verified over the image manifest`, async () => {
      const { registry, digest } = imageRegistry();
      registry.referrersSource = source;
      const manifest = (await registry.getManifest(NAME, digest)).body;
      registry.putArtifact([{ mediaType: BUNDLE_TYPE, data: await bundleOver(manifest) }], { artifactType: BUNDLE_TYPE, subject: digest });
      const trust = await verifyDigest(registry, NAME, digest, SIGNERS);
      assert.equal(trust.status, 'verified', trust.reason);
      assert.equal(trust.signatures[0]?.type, 'sigstore-bundle');
      assert.equal(trust.signatures[0]?.foundIn, foundIn);
    });
  }

  test('a Notation signature is named, not verified; an SBOM referrer is not a signature', async () => {
    const { registry, digest } = imageRegistry();
    registry.putArtifact([{ mediaType: 'application/jose+json', data: Buffer.from('{}') }], { artifactType: 'application/vnd.cncf.notary.signature', subject: digest });
    registry.putArtifact([{ mediaType: 'application/spdx+json', data: Buffer.from('{}') }], { artifactType: 'application/spdx+json', subject: digest });
    const found = await discoverSignatures(registry, NAME, digest);
    assert.deepEqual(found.items.map((i) => i.kind).sort(), ['artifact', 'notation']);
    const trust = await verifyDigest(registry, NAME, digest, SIGNERS);
    assert.equal(trust.status, 'untrusted');
    assert.equal(trust.signatures.length, 1);
    assert.equal(trust.signatures[0]?.reason, NOTATION_UNVERIFIED_REASON);
  });

  test('an oversized signature layer is not fetched and leaves discovery incomplete', async () => {
    const { registry, digest } = imageRegistry();
    const big = cosignSignature(digest);
    const payload = Buffer.concat([big.payload, Buffer.alloc(2048, 32)]);
    registry.putCosignSignatures(digest, [{ ...big, payload }]);
    const found = await discoverSignatures(registry, NAME, digest, { maxSignatureBytes: 1024 });
    assert.equal(found.complete, false);
    assert.match(found.errors.join(), /over the 1024-byte limit/);
    assert.ok(!registry.requests.includes(`blob ${sha256(payload)}`));
    assert.equal(found.items.length, 0);
  });

  test('more referrers than the bound: the rest is not read and discovery is incomplete', async () => {
    const { registry, digest } = imageRegistry();
    for (let i = 0; i < 5; i++) registry.putArtifact([{ mediaType: 'application/spdx+json', data: Buffer.from(`{"n":${i}}`) }], { artifactType: 'application/spdx+json', subject: digest });
    const found = await discoverSignatures(registry, NAME, digest, { maxReferrers: 3 });
    assert.equal(found.items.length, 3);
    assert.equal(found.complete, false);
  });
});
