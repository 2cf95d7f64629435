// Notation (Notary Project) JWS signatures, found as OCI referrers in an in-memory registry and verified against
// configured Notation certificates. Signing material is made with the openssl CLI.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { discoverSignatures } from '../../server/src/core/trust/discovery';
import { NOTATION_COSE_REASON, NOTATION_UNVERIFIED_REASON, verifyDigest, type DigestTrust } from '../../server/src/core/trust/index';
import type { SignerSpec } from '../../server/src/core/trust/signers';
import { makeNotationPki, NOTATION_COSE_MEDIA_TYPE, NOTATION_JWS_MEDIA_TYPE, notationJws, type NotationPki } from '../support/notation-signing';
import { requireTool } from '../support/requirements';
import { MemoryRegistry, sha256 } from '../support/trust-memory-registry';

const NAME = 'registry.example/acme/app';
const NOTATION_TYPE = 'application/vnd.cncf.notary.signature';
const { skip } = requireTool('openssl');

function imageRegistry() {
  const registry = new MemoryRegistry();
  const image = registry.putArtifact([{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', data: Buffer.from('layer') }], { tag: 'v1' });
  return { registry, digest: image.digest };
}

/** An image with one Notation signature referrer holding `envelope` (or several layers). */
async function verifyEnvelopes(layers: { mediaType: string; data: Buffer }[] | ((digest: string) => Buffer), signers: SignerSpec[], now?: Date): Promise<DigestTrust> {
  const { registry, digest } = imageRegistry();
  const list = typeof layers === 'function' ? [{ mediaType: NOTATION_JWS_MEDIA_TYPE, data: layers(digest) }] : layers;
  registry.putArtifact(list, { artifactType: NOTATION_TYPE, subject: digest });
  return verifyDigest(registry, NAME, digest, signers, [], {}, { now });
}

const trusting = (...pems: string[]): SignerSpec[] => [{ type: 'notation', certificatePem: pems.join('\n') }];

function only(trust: DigestTrust) {
  assert.equal(trust.signatures.length, 1, trust.reason);
  const [s] = trust.signatures;
  assert.equal(s.type, 'notation');
  return s;
}

describe('Notation signatures', { skip }, () => {
  let rsa: NotationPki;
  let ec: NotationPki;
  let other: NotationPki;

  before(() => {
    rsa = makeNotationPki('rsa', 'RSA');
    ec = makeNotationPki('ec', 'EC');
    other = makeNotationPki('ec', 'Other');
  });

  for (const [label, pki] of [['RSA PS256', () => rsa], ['EC P-256 ES256', () => ec]] as const) {
    test(`${label}: a JWS chaining to the configured root verifies; signer is the leaf CN`, async () => {
      const trust = await verifyEnvelopes((digest) => notationJws(pki(), { digest }), trusting(other.rootPem, pki().rootPem));
      assert.equal(trust.status, 'verified', trust.reason);
      const s = only(trust);
      assert.deepEqual([s.status, s.foundIn, s.signer], ['verified', 'referrers-api', `${pki() === rsa ? 'RSA' : 'EC'} Signer`]);
      // Identity for "same signer" comparisons: the leaf's subject and the configured certificate the chain reached.
      assert.deepEqual(s.identity, { kind: 'notation', subject: new X509Certificate(pki().leafPem).subject, anchor: new X509Certificate(pki().rootPem).fingerprint256 });
    });
  }

  test('discovery fetches the envelope layer and records its media type', async () => {
    const { registry, digest } = imageRegistry();
    const jws = notationJws(ec, { digest });
    registry.putArtifact([{ mediaType: NOTATION_JWS_MEDIA_TYPE, data: jws }], { artifactType: NOTATION_TYPE, subject: digest });
    const found = await discoverSignatures(registry, NAME, digest);
    const item = found.items[0];
    assert.equal(item?.kind, 'notation');
    assert.deepEqual(item.kind === 'notation' && item.envelope, { mediaType: NOTATION_JWS_MEDIA_TYPE, bytes: jws });
    assert.ok(registry.requests.includes(`blob ${sha256(jws)}`));
  });

  test('an oversized envelope is not fetched: discovery incomplete → error', async () => {
    const { registry, digest } = imageRegistry();
    const jws = notationJws(ec, { digest });
    registry.putArtifact([{ mediaType: NOTATION_JWS_MEDIA_TYPE, data: jws }], { artifactType: NOTATION_TYPE, subject: digest });
    const found = await discoverSignatures(registry, NAME, digest, { maxSignatureBytes: 100 });
    assert.equal(found.complete, false);
    assert.ok(!registry.requests.includes(`blob ${sha256(jws)}`));
    assert.equal((await verifyDigest(registry, NAME, digest, trusting(ec.rootPem), [], {}, { maxSignatureBytes: 100 })).status, 'error');
  });

  test('trusting the intermediate-free leaf itself also anchors the chain', async () => {
    const trust = await verifyEnvelopes((digest) => notationJws(ec, { digest, chainPem: [ec.leafPem] }), trusting(ec.leafPem));
    assert.equal(trust.status, 'verified', trust.reason);
  });

  test('a chain to another CA → untrusted, naming the claimed signer', async () => {
    const trust = await verifyEnvelopes((digest) => notationJws(ec, { digest }), trusting(other.rootPem));
    assert.equal(trust.status, 'untrusted');
    const s = only(trust);
    assert.equal(s.signer, 'EC Signer');
    assert.match(s.reason, /does not lead to a configured Notation certificate/);
  });

  test('a CA with the same name but another key (name match is not enough) → untrusted; in x5c → invalid', async () => {
    const twin = makeNotationPki('ec', 'EC');
    const trust = await verifyEnvelopes((digest) => notationJws(ec, { digest }), trusting(twin.rootPem));
    assert.equal(trust.status, 'untrusted', trust.reason);
    const forged = await verifyEnvelopes((digest) => notationJws(ec, { digest, chainPem: [ec.leafPem, twin.rootPem] }), trusting(twin.rootPem));
    assert.equal(forged.status, 'invalid', forged.reason);
  });

  test('the payload names another digest → invalid', async () => {
    const trust = await verifyEnvelopes(() => notationJws(ec, { digest: sha256('another image') }), trusting(ec.rootPem));
    assert.equal(trust.status, 'invalid');
    assert.match(only(trust).reason, /for another artifact/);
  });

  for (const [label, pki] of [['RSA', () => rsa], ['EC', () => ec]] as const) {
    test(`${label}: a tampered signature → invalid`, async () => {
      const trust = await verifyEnvelopes((digest) => {
        const jws = JSON.parse(notationJws(pki(), { digest }).toString()) as { signature: string };
        const sig = Buffer.from(jws.signature, 'base64url');
        sig[sig.length - 1] ^= 1;
        return Buffer.from(JSON.stringify({ ...jws, signature: sig.toString('base64url') }));
      }, trusting(pki().rootPem));
      assert.equal(trust.status, 'invalid');
      assert.match(only(trust).reason, /does not match its certificate/);
    });
  }

  test('a truncated or empty signature → invalid, never a crash', async () => {
    for (const pki of [rsa, ec]) {
      for (const signature of ['AAAA', '']) {
        const trust = await verifyEnvelopes((digest) => Buffer.from(JSON.stringify({ ...JSON.parse(notationJws(pki, { digest }).toString()), signature })), trusting(pki.rootPem));
        assert.equal(trust.status, 'invalid', trust.reason);
      }
    }
  });

  test('a payload swapped after signing → invalid', async () => {
    const trust = await verifyEnvelopes((digest) => {
      const jws = JSON.parse(notationJws(ec, { digest: sha256('another image') }).toString()) as Record<string, unknown>;
      const payload = Buffer.from(JSON.stringify({ targetArtifact: { mediaType: 'x', digest, size: 1 } })).toString('base64url');
      return Buffer.from(JSON.stringify({ ...jws, payload }));
    }, trusting(ec.rootPem));
    assert.equal(trust.status, 'invalid');
    assert.match(only(trust).reason, /does not match its certificate/);
  });

  test('an unknown critical header → invalid', async () => {
    const crit = ['io.cncf.notary.signingScheme', 'io.example.mustUnderstand'];
    const trust = await verifyEnvelopes((digest) => notationJws(ec, { digest, header: { crit, 'io.example.mustUnderstand': true } }), trusting(ec.rootPem));
    assert.equal(trust.status, 'invalid');
    assert.match(only(trust).reason, /critical headers .*io\.example\.mustUnderstand/);
  });

  test('signing scheme notary.x509.signingAuthority → untrusted with the reason', async () => {
    const header = { 'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority' };
    const trust = await verifyEnvelopes((digest) => notationJws(ec, { digest, header }), trusting(ec.rootPem));
    assert.equal(trust.status, 'untrusted');
    assert.match(only(trust).reason, /signing scheme notary\.x509\.signingAuthority is not supported: only notary\.x509/);
  });

  test('an expired signature (io.cncf.notary.expiry) → invalid', async () => {
    const header = { crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'], 'io.cncf.notary.expiry': new Date(Date.now() - 60_000).toISOString() };
    const trust = await verifyEnvelopes((digest) => notationJws(ec, { digest, header }), trusting(ec.rootPem));
    assert.equal(trust.status, 'invalid');
    assert.match(only(trust).reason, /expired/);
  });

  test('certificates not valid at the signing time, or no longer valid now → invalid', async () => {
    const early = await verifyEnvelopes((digest) => notationJws(ec, { digest, signingTime: new Date(Date.now() - 7 * 86_400_000) }), trusting(ec.rootPem));
    assert.equal(early.status, 'invalid');
    assert.match(only(early).reason, /not valid at the signing time/);
    const later = await verifyEnvelopes((digest) => notationJws(ec, { digest }), trusting(ec.rootPem), new Date(Date.now() + 30 * 86_400_000));
    assert.equal(later.status, 'invalid');
    assert.match(only(later).reason, /not valid at the verification time/);
  });

  test('x5c that is not a chain (leaf + an unrelated CA) → invalid', async () => {
    const trust = await verifyEnvelopes((digest) => notationJws(ec, { digest, chainPem: [ec.leafPem, other.rootPem] }), trusting(other.rootPem));
    assert.equal(trust.status, 'invalid');
    assert.match(only(trust).reason, /chain is broken/);
  });

  test('a leaf without the code-signing EKU → invalid', async () => {
    const noEku = makeNotationPki('ec', 'NoEKU', { leafExtensions: 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' });
    const trust = await verifyEnvelopes((digest) => notationJws(noEku, { digest }), trusting(noEku.rootPem));
    assert.equal(trust.status, 'invalid');
    assert.match(only(trust).reason, /not for code signing/);
  });

  test('a malformed envelope and a manifest with two layers → invalid', async () => {
    const garbage = await verifyEnvelopes([{ mediaType: NOTATION_JWS_MEDIA_TYPE, data: Buffer.from('{"payload":1}') }], trusting(ec.rootPem));
    assert.equal(garbage.status, 'invalid');
    assert.match(only(garbage).reason, /malformed/);
    const two = await verifyEnvelopes([{ mediaType: NOTATION_JWS_MEDIA_TYPE, data: Buffer.from('{}') }, { mediaType: NOTATION_JWS_MEDIA_TYPE, data: Buffer.from('[]') }], trusting(ec.rootPem));
    assert.equal(two.status, 'invalid');
    assert.match(only(two).reason, /2 layers/);
  });

  test('a COSE envelope → untrusted, COSE not supported', async () => {
    const trust = await verifyEnvelopes([{ mediaType: NOTATION_COSE_MEDIA_TYPE, data: Buffer.from([0xd2, 0x84]) }], trusting(ec.rootPem));
    assert.equal(trust.status, 'untrusted');
    assert.equal(only(trust).reason, NOTATION_COSE_REASON);
  });

  test('no Notation certificate configured → the existing "not verified" reason, even for a valid signature', async () => {
    const trust = await verifyEnvelopes((digest) => notationJws(ec, { digest }), []);
    assert.equal(trust.status, 'untrusted');
    assert.equal(only(trust).reason, NOTATION_UNVERIFIED_REASON);
  });
});
