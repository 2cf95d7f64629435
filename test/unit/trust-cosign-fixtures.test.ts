// Real cosign signatures (from containers/image's fixtures, in ../shared/cosign-fixtures) with the outcomes their
// README states. Certificates there expired long ago: they are checked at the Rekor integrated time (Fulcio) as
// cosign does, or at the current time (private PKI without Rekor, whose certificate is valid until 2052).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { X509Certificate } from '@sigstore/core';
import { ANNOTATIONS, isCosignSignatureLayer, verifyCosignSignature, type CosignLayer } from '../../server/src/core/trust/cosign';
import { verifyDigest } from '../../server/src/core/trust/index';
import { prepareTrust, publicGoodTrustedRoot, type SignerSpec } from '../../server/src/core/trust/signers';
import { MemoryRegistry, sha256 } from '../support/trust-memory-registry';

const FIXTURES = path.resolve(process.cwd(), '../shared/cosign-fixtures');
const skip = fs.existsSync(FIXTURES) ? false : `shared data missing: ${FIXTURES}`;

const read = (file: string) => fs.readFileSync(path.join(FIXTURES, file), 'utf8');

/** `signature-N`: a `\0sigstore-json` line, then JSON {mimeType, payload (base64), annotations}. */
function signatureLayer(dir: string, file: string): CosignLayer {
  const text = read(path.join(dir, file));
  const json = JSON.parse(text.slice(text.indexOf('\n') + 1));
  return { mediaType: json.mimeType, payload: Buffer.from(json.payload, 'base64'), annotations: json.annotations };
}

function manifestDigest(dir: string): string {
  return sha256(fs.readFileSync(path.join(FIXTURES, dir, 'manifest.json')));
}

const key = (file: string, extra: Partial<Extract<SignerSpec, { type: 'key' }>> = {}): SignerSpec => ({ type: 'key', name: file, publicKeyPem: read(file), ...extra });
/**
 * A key signer that accepts signatures without a Rekor entry (`tlog: false` in a policy). containers/image's
 * expectations for the key fixtures without a Rekor bundle ("verifies with cosign.pub") are for a policy without a
 * Rekor key, i.e. one that does not ask for the log; cosign itself (`verify --key`) needs --insecure-ignore-tlog.
 */
const unloggedKey = (file: string): SignerSpec => key(file, { requireTlog: false });
const UNLOGGED_REASON = (file: string) => `Signature verified with key ${file}; no transparency-log entry (allowed by policy).`;
const FULCIO_SIGNER: SignerSpec = { type: 'keyless', issuer: 'https://github.com/login/oauth', subject: 'mitr@redhat.com' };
const pkiSigner = (subject: string, withIntermediates = true): SignerSpec => ({
  type: 'certificate',
  name: 'Linuxera PKI',
  rootsPem: read('pki_root_crts.pem'),
  intermediatesPem: withIntermediates ? read('pki_intermediate_crts.pem') : undefined,
  subject,
});

function verify(dir: string, file: string, signers: SignerSpec[], trustedRoot?: unknown, digest = manifestDigest(dir)) {
  return verifyCosignSignature(signatureLayer(dir, file), digest, prepareTrust(signers, { trustedRoot }), 'cosign-tag');
}

describe('cosign fixtures', { skip }, () => {
  test('dir-img-cosign-valid: verifies with cosign.pub (tlog: false), not with cosign2.pub', () => {
    const ok = verify('dir-img-cosign-valid', 'signature-1', [unloggedKey('cosign.pub')]);
    assert.equal(ok.status, 'verified', ok.reason);
    assert.equal(ok.signer, 'cosign.pub');
    assert.equal(ok.reason, UNLOGGED_REASON('cosign.pub'));
    const other = verify('dir-img-cosign-valid', 'signature-1', [unloggedKey('cosign2.pub')]);
    assert.equal(other.status, 'untrusted', other.reason);
  });

  test('key signatures without a Rekor bundle are not verified by a default key signer (cosign verify --key refuses them)', () => {
    for (const [dir, file] of [['dir-img-cosign-valid', 'signature-1'], ['dir-img-cosign-valid-2', 'signature-1'], ['dir-img-cosign-valid-2', 'signature-2'], ['dir-img-cosign-valid-with-tag', 'signature-1']]) {
      assert.equal(signatureLayer(dir, file).annotations[ANNOTATIONS.rekorBundle], undefined, `${dir}/${file} has no Rekor bundle`);
      const result = verify(dir, file, [key('cosign.pub')]);
      assert.equal(result.status, 'untrusted', `${dir}/${file}: ${result.reason}`);
      assert.match(result.reason, /cosign\.pub.*no transparency-log entry.*requires one/);
      assert.equal(result.signer, undefined, 'no signer is named for a signature the policy does not accept');
    }
  });

  test('dir-img-cosign-valid-2: two signatures by cosign.pub', () => {
    for (const file of ['signature-1', 'signature-2']) {
      assert.equal(verify('dir-img-cosign-valid-2', file, [unloggedKey('cosign.pub')]).status, 'verified');
    }
    assert.notDeepEqual(signatureLayer('dir-img-cosign-valid-2', 'signature-1').annotations, signatureLayer('dir-img-cosign-valid-2', 'signature-2').annotations);
  });

  test('dir-img-cosign-valid-with-tag: skopeo-made signature whose identity carries a tag', () => {
    const layer = signatureLayer('dir-img-cosign-valid-with-tag', 'signature-1');
    assert.match(JSON.parse(layer.payload.toString()).critical.identity['docker-reference'], /:tag$/);
    assert.equal(verify('dir-img-cosign-valid-with-tag', 'signature-1', [unloggedKey('cosign.pub')]).status, 'verified');
  });

  test('dir-img-cosign-key-rekor-valid: cosign2.pub, with its Rekor SET verified by the public-good Rekor key', () => {
    // rekor.pub in the fixtures is a dangling symbolic link's text; the SET was made by the public-good Rekor, whose
    // key is in the public-good trusted root (log ID c0d23d6a…). A default key signer requires the entry.
    const result = verify('dir-img-cosign-key-rekor-valid', 'signature-1', [key('cosign2.pub')]);
    assert.equal(result.status, 'verified', result.reason);
    assert.equal(result.reason, 'Signature verified with key cosign2.pub.');
    assert.equal(verify('dir-img-cosign-key-rekor-valid', 'signature-1', [unloggedKey('cosign2.pub')]).status, 'verified');
    const bundle = JSON.parse(signatureLayer('dir-img-cosign-key-rekor-valid', 'signature-1').annotations[ANNOTATIONS.rekorBundle]!);
    assert.equal(result.logIndex, bundle.Payload.logIndex);
    assert.equal(result.integratedTime, bundle.Payload.integratedTime);
    assert.equal(verify('dir-img-cosign-key-rekor-valid', 'signature-1', [key('cosign.pub')]).status, 'untrusted');
  });

  test('a forged SET or an unknown Rekor key makes the signature invalid, with or without tlog: false', () => {
    const layer = signatureLayer('dir-img-cosign-key-rekor-valid', 'signature-1');
    const bundle = JSON.parse(layer.annotations[ANNOTATIONS.rekorBundle]!);
    bundle.Payload.integratedTime += 1;
    const forged = { ...layer, annotations: { ...layer.annotations, [ANNOTATIONS.rekorBundle]: JSON.stringify(bundle) } };
    const noLogs = { ...(publicGoodTrustedRoot() as Record<string, unknown>), tlogs: [] };
    for (const signer of [key('cosign2.pub'), unloggedKey('cosign2.pub')]) {
      const r1 = verifyCosignSignature(forged, manifestDigest('dir-img-cosign-key-rekor-valid'), prepareTrust([signer]), 'cosign-tag');
      assert.equal(r1.status, 'invalid', r1.reason);
      const r2 = verify('dir-img-cosign-key-rekor-valid', 'signature-1', [signer], noLogs);
      assert.equal(r2.status, 'invalid', r2.reason);
    }
  });

  test('a Rekor bundle taken from another signature does not log this one: invalid', () => {
    // The SET of key-rekor-valid attached to a cosign.pub signature: the logged entry is for other content.
    const logged = signatureLayer('dir-img-cosign-key-rekor-valid', 'signature-1');
    const layer = signatureLayer('dir-img-cosign-valid', 'signature-1');
    const grafted = { ...layer, annotations: { ...layer.annotations, [ANNOTATIONS.rekorBundle]: logged.annotations[ANNOTATIONS.rekorBundle]! } };
    for (const signer of [key('cosign.pub'), unloggedKey('cosign.pub')]) {
      const result = verifyCosignSignature(grafted, manifestDigest('dir-img-cosign-valid'), prepareTrust([signer]), 'cosign-tag');
      assert.equal(result.status, 'invalid', result.reason);
    }
  });

  test('dir-img-cosign-fulcio-rekor-valid: keyless, chains to fulcio_v1, email SAN and GitHub issuer, at the Rekor time', () => {
    // The public-good trusted root holds fulcio_v1.crt.pem as a CA root (with the intermediate that issued the leaf).
    const fulcioRoot = X509Certificate.parse(read('fulcio_v1.crt.pem'));
    const root = publicGoodTrustedRoot() as { certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[] };
    const anchors = root.certificateAuthorities.flatMap((ca) => ca.certChain.certificates.map((c) => c.rawBytes));
    assert.ok(anchors.includes(fulcioRoot.root.toDER().toString('base64')));

    const result = verify('dir-img-cosign-fulcio-rekor-valid', 'signature-1', [FULCIO_SIGNER]);
    assert.equal(result.status, 'verified', result.reason);
    assert.equal(result.issuer, 'https://github.com/login/oauth');
    const cert = X509Certificate.parse(signatureLayer('dir-img-cosign-fulcio-rekor-valid', 'signature-1').annotations[ANNOTATIONS.certificate]!);
    assert.ok(cert.notAfter < new Date(), 'the certificate has expired: only the Rekor time makes it valid');
    assert.ok(result.integratedTime! * 1000 >= cert.notBefore.getTime() && result.integratedTime! * 1000 <= cert.notAfter.getTime());
  });

  test('fulcio-rekor with another identity or issuer is untrusted', () => {
    const wrongSubject = verify('dir-img-cosign-fulcio-rekor-valid', 'signature-1', [{ ...FULCIO_SIGNER, subject: 'someone@redhat.com' }]);
    assert.equal(wrongSubject.status, 'untrusted', wrongSubject.reason);
    const wrongIssuer = verify('dir-img-cosign-fulcio-rekor-valid', 'signature-1', [{ ...FULCIO_SIGNER, issuer: 'https://accounts.google.com' }]);
    assert.equal(wrongIssuer.status, 'untrusted', wrongIssuer.reason);
    const regexp = verify('dir-img-cosign-fulcio-rekor-valid', 'signature-1', [{ type: 'keyless', issuer: 'https://github.com/login/oauth', subjectRegExp: '.*@redhat\\.com' }]);
    assert.equal(regexp.status, 'verified', regexp.reason);
  });

  test('dir-img-cosign-pki-valid: chains to the PKI roots through the configured intermediates; email or hostname', () => {
    assert.equal(verify('dir-img-cosign-pki-valid', 'signature-1', [pkiSigner('qiwan@redhat.com')]).status, 'verified');
    assert.equal(verify('dir-img-cosign-pki-valid', 'signature-1', [pkiSigner('myhost.example.com')]).status, 'verified');
    assert.equal(verify('dir-img-cosign-pki-valid', 'signature-1', [pkiSigner('mallory@redhat.com')]).status, 'untrusted');
    // Intermediates in the signature's chain annotation are not trust anchors: they must be configured.
    assert.equal(verify('dir-img-cosign-pki-valid', 'signature-1', [pkiSigner('qiwan@redhat.com', false)]).status, 'untrusted');
    // Not a Fulcio certificate: keyless signers do not accept it.
    assert.notEqual(verify('dir-img-cosign-pki-valid', 'signature-1', [{ type: 'keyless', issuer: 'https://github.com/login/oauth', subjectRegExp: '.*' }]).status, 'verified');
  });

  test('dir-img-cosign-manifest-digest-error and modified-manifest: rejected, the payload names another digest', () => {
    for (const dir of ['dir-img-cosign-manifest-digest-error', 'dir-img-cosign-modified-manifest']) {
      const result = verify(dir, 'signature-1', [key('cosign.pub')]);
      assert.equal(result.status, 'invalid', `${dir}: ${result.reason}`);
      assert.match(result.reason, /another image digest/);
    }
  });

  test('dir-img-cosign-no-manifest: a signature is only valid for the digest it names', () => {
    // Without a manifest there is no digest to check; any digest other than the signed one is rejected.
    const result = verify('dir-img-cosign-no-manifest', 'signature-1', [key('cosign.pub')], undefined, sha256(''));
    assert.equal(result.status, 'invalid');
  });

  test('critical.identity.docker-reference is not checked (as cosign and policy-controller): the digest is what is bound', async () => {
    // The signature names 192.168.64.2:5000/cosign-signed-single-sample; stored with its image under another
    // repository it verifies there. The payload's digest, not the repository, ties a signature to an image.
    const layer = signatureLayer('dir-img-cosign-valid', 'signature-1');
    assert.equal(JSON.parse(layer.payload.toString()).critical.identity['docker-reference'], '192.168.64.2:5000/cosign-signed-single-sample');
    const registry = new MemoryRegistry();
    const digest = registry.putRawManifest(fs.readFileSync(path.join(FIXTURES, 'dir-img-cosign-valid', 'manifest.json')));
    registry.putCosignSignatures(digest, [layer]);
    const copied = await verifyDigest(registry, 'registry.example/elsewhere/other-name', digest, [unloggedKey('cosign.pub')]);
    assert.equal(copied.status, 'verified', copied.reason);
  });

  test('a payload whose critical.type is not the cosign constant is invalid', () => {
    const layer = signatureLayer('dir-img-cosign-valid', 'signature-1');
    const payload = JSON.parse(layer.payload.toString());
    payload.critical.type = 'atomic container signature';
    const result = verifyCosignSignature({ ...layer, payload: Buffer.from(JSON.stringify(payload)) }, manifestDigest('dir-img-cosign-valid'), prepareTrust([unloggedKey('cosign.pub')]), 'cosign-tag');
    assert.equal(result.status, 'invalid');
    assert.match(result.reason, /cosign container image signature/);
  });

  test('a payload changed by one byte no longer verifies', () => {
    const layer = signatureLayer('dir-img-cosign-valid', 'signature-1');
    const payload = Buffer.from(layer.payload.toString().replace('"optional":null', '"optional":{}'));
    const result = verifyCosignSignature({ ...layer, payload }, manifestDigest('dir-img-cosign-valid'), prepareTrust([unloggedKey('cosign.pub')]), 'cosign-tag');
    assert.notEqual(result.status, 'verified');
  });

  test('dir-img-cosign-other-attachment: a text/plain layer is not a signature and is not counted', async () => {
    const layer = signatureLayer('dir-img-cosign-other-attachment', 'signature-1');
    assert.equal(isCosignSignatureLayer(layer), false);
    const registry = new MemoryRegistry();
    const digest = registry.putRawManifest(fs.readFileSync(path.join(FIXTURES, 'dir-img-cosign-other-attachment', 'manifest.json')));
    registry.putCosignSignatures(digest, [layer]);
    const trust = await verifyDigest(registry, 'example.test/img', digest, [key('cosign.pub')]);
    assert.equal(trust.status, 'unsigned', trust.reason);
    assert.equal(trust.signatures.length, 0);
  });

  test('dir-img-cosign-mixed: an unknown key and a valid one — accepted through the valid one (tlog: false)', async () => {
    const dir = 'dir-img-cosign-mixed';
    const unknown = read('unknown-cosign-key.signature');
    assert.equal(signatureLayer(dir, 'signature-1').annotations[ANNOTATIONS.signature], JSON.parse(unknown.slice(unknown.indexOf('\n') + 1)).annotations[ANNOTATIONS.signature]);
    const registry = new MemoryRegistry();
    const digest = registry.putRawManifest(fs.readFileSync(path.join(FIXTURES, dir, 'manifest.json')));
    registry.putCosignSignatures(digest, [signatureLayer(dir, 'signature-1'), signatureLayer(dir, 'signature-2')]);
    const trust = await verifyDigest(registry, 'example.test/img', digest, [unloggedKey('cosign.pub')]);
    assert.equal(trust.status, 'verified', trust.reason);
    assert.deepEqual(trust.signatures.map((s) => s.status).sort(), ['untrusted', 'verified']);
    assert.ok(trust.signatures.every((s) => s.foundIn === 'cosign-tag'));
    const onlyUnknown = await verifyDigest(registry, 'example.test/img', digest, [unloggedKey('cosign2.pub')]);
    assert.equal(onlyUnknown.status, 'untrusted', onlyUnknown.reason);
    // Neither signature is logged: a default key signer accepts none of them.
    const byDefault = await verifyDigest(registry, 'example.test/img', digest, [key('cosign.pub')]);
    assert.equal(byDefault.status, 'untrusted', byDefault.reason);
  });
});
