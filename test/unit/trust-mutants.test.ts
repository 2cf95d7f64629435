// Assertions that mutation testing (StrykerJS over server/src/core/trust/**) showed missing: exact statuses,
// reasons, bounds and digest/identity comparisons of the trust decisions, on in-memory values only (keys and
// certificates made with node:crypto, no registry, no network).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { bundleToJSON } from '@sigstore/bundle';
import { X509Certificate as SigstoreCertificate } from '@sigstore/core';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder, type Signer } from '@sigstore/sign';
import { ImageTrustError } from '../../server/src/core/errors';
import { attestationPredicate, parseSigstoreBundle, verifySigstoreBundle } from '../../server/src/core/trust/bundle';
import {
  ANNOTATIONS,
  COSIGN_SIGNATURE_TYPE,
  DSSE_MEDIA_TYPE,
  isCosignAttestationLayer,
  isCosignSignatureLayer,
  SIMPLE_SIGNING_MEDIA_TYPE,
  tlogEntryFromRekorBundle,
  verifyCosignAttestation,
  verifyCosignSignature,
  type CosignLayer,
} from '../../server/src/core/trust/cosign';
import { certificateIdentity, errorText, verifyWithAnyAlgorithm } from '../../server/src/core/trust/entity';
import { verifyNotationSignature } from '../../server/src/core/trust/notation';
import { describeSigner, identityMatches, prepareSigner, prepareTrust, publicKeyId, trustMaterialFromRoot, type SignerSpec } from '../../server/src/core/trust/signers';
import { discoverSignatures } from '../../server/src/core/trust/discovery';
import { isRecord, parseStatement, statementCoversDigest, type InTotoStatement } from '../../server/src/core/trust/statement';
import { aggregateTrust, describeIdentity, earliest, identityKey, type AttestationResult, type SignatureResult } from '../../server/src/core/trust/status';
import { MemoryRegistry } from '../support/trust-memory-registry';
import { cosignKeySignature, der, derExtension, derOid, fulcioIssuerV1, fulcioIssuerV2, makeCertificate, OID, subjectAltNames } from '../support/signing';

const IN_TOTO = 'application/vnd.in-toto+json';
const NAME = 'registry.example/acme/app';
const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }));
const hexOf = (data: Buffer | string, algorithm = 'sha256') => crypto.createHash(algorithm).update(data).digest('hex');
const DIGEST = `sha256:${hexOf(manifest)}`;
const OTHER_DIGEST = `sha256:${'ab'.repeat(32)}`;

const ecKeys = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pemOf = (key: crypto.KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString();

/** Asserts that `fn` throws an ImageTrustError with this code and exactly this message (or one matching it). */
function throwsTrustError(fn: () => unknown, code: string, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ImageTrustError, String(err));
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

// ---- status.ts: aggregation ---------------------------------------------------------------------------------------

describe('aggregateTrust: statuses, reasons and validity', () => {
  const sig = (status: SignatureResult['status'], extra: Partial<SignatureResult> = {}): SignatureResult => ({ status, type: 'cosign', foundIn: 'cosign-tag', reason: `${status} reason`, ...extra });
  const att = (status: AttestationResult['status'], predicateType: string, extra: Partial<AttestationResult> = {}): AttestationResult => ({
    status,
    type: 'cosign-attestation',
    foundIn: 'cosign-tag',
    reason: `${status} attestation`,
    predicateType,
    ...extra,
  });
  const base = { digest: DIGEST, discoveryComplete: true, discoveryErrors: [], signatures: [] as SignatureResult[], attestations: [] as AttestationResult[], requirements: [] };
  const SLSA = 'https://slsa.dev/provenance/v1';
  const SPDX = 'https://spdx.dev/Document';

  test('verified: the signers, deduplicated, in order; a signer without a name is "trusted signer"', () => {
    const r = aggregateTrust({ ...base, signatures: [sig('verified', { signer: 'b' }), sig('invalid', { signer: 'x' }), sig('verified', { signer: 'a' }), sig('verified', { signer: 'b' }), sig('verified')] });
    assert.equal(r.status, 'verified');
    assert.equal(r.reason, 'Signed by b, a, trusted signer.');
    assert.equal(r.digest, DIGEST);
  });

  test('verified with incomplete discovery says which places were not searched', () => {
    const r = aggregateTrust({ ...base, discoveryComplete: false, discoveryErrors: ['a.sig: HTTP 500', 'referrers: timeout'], signatures: [sig('verified', { signer: 'k' })] });
    assert.equal(r.status, 'verified');
    assert.equal(r.reason, 'Signed by k. Some signature locations could not be searched: a.sig: HTTP 500; referrers: timeout');
  });

  test('validUntil: the earliest validUntil of the verified signatures and attestations only', () => {
    const r = aggregateTrust({
      ...base,
      signatures: [
        sig('verified', { validUntil: '2031-01-01T00:00:00.000Z' }),
        sig('invalid', { validUntil: '2029-01-01T00:00:00.000Z' }),
        sig('verified'),
      ],
      attestations: [att('verified', SLSA, { validUntil: '2030-06-01T00:00:00.000Z' }), att('untrusted', SLSA, { validUntil: '2028-01-01T00:00:00.000Z' })],
    });
    assert.equal(r.status, 'verified');
    assert.equal(r.validUntil, '2030-06-01T00:00:00.000Z');
  });

  test('no validUntil key when nothing verified carries one, and never on a status other than verified', () => {
    const verified = aggregateTrust({ ...base, signatures: [sig('verified'), sig('invalid', { validUntil: '2029-01-01T00:00:00.000Z' })] });
    assert.equal(Object.hasOwn(verified, 'validUntil'), false);
    const invalid = aggregateTrust({ ...base, signatures: [sig('invalid', { validUntil: '2029-01-01T00:00:00.000Z' })] });
    assert.equal(invalid.status, 'invalid');
    assert.equal(Object.hasOwn(invalid, 'validUntil'), false);
    const missingAtt = aggregateTrust({ ...base, signatures: [sig('verified', { validUntil: '2029-01-01T00:00:00.000Z' })], requirements: [{ predicateType: SLSA }] });
    assert.equal(missingAtt.status, 'untrusted');
    assert.equal(Object.hasOwn(missingAtt, 'validUntil'), false);
  });

  test('a verified signature with required attestations missing and incomplete discovery → error, naming them', () => {
    const r = aggregateTrust({ ...base, discoveryComplete: false, discoveryErrors: ['x.att: HTTP 502'], signatures: [sig('verified')], requirements: [{ predicateType: SLSA }, { predicateType: SPDX, index: 1 }] });
    assert.equal(r.status, 'error');
    assert.equal(r.reason, `Signature verified, but required attestations were not found: ${SLSA}, ${SPDX} (attestations[1]). Some signature locations could not be searched: x.att: HTTP 502`);
  });

  test('required attestations missing with complete discovery → untrusted, naming each requirement', () => {
    const r = aggregateTrust({ ...base, signatures: [sig('verified')], requirements: [{ predicateType: SLSA }, { predicateType: SPDX, index: 1 }] });
    assert.equal(r.status, 'untrusted');
    assert.equal(r.reason, `Signature verified, but required attestations are missing or not verified: ${SLSA}, ${SPDX} (attestations[1]).`);
  });

  test('an unmet requirement whose attestation is invalid → invalid; other invalid attestations do not count', () => {
    const withReq = (attestations: AttestationResult[], requirements: { predicateType: string; index?: number }[]) => aggregateTrust({ ...base, signatures: [sig('verified')], attestations, requirements });
    assert.equal(withReq([att('invalid', SLSA)], [{ predicateType: SLSA }]).status, 'invalid');
    assert.equal(withReq([att('invalid', SLSA, { requirement: 4 })], [{ predicateType: SLSA }]).status, 'invalid', 'a requirement without index accepts any result of its type');
    assert.equal(withReq([att('invalid', SPDX)], [{ predicateType: SLSA }]).status, 'untrusted', 'another predicate type');
    assert.equal(withReq([att('untrusted', SLSA)], [{ predicateType: SLSA }]).status, 'untrusted', 'not invalid');
    assert.equal(withReq([att('invalid', SLSA, { requirement: 0 })], [{ predicateType: SLSA, index: 1 }]).status, 'untrusted', 'checked for another requirement');
    assert.equal(withReq([att('invalid', SLSA, { requirement: 1 })], [{ predicateType: SLSA, index: 1 }]).status, 'invalid');
    // Two unmet requirements, the invalid attestation belongs to one of them.
    assert.equal(withReq([att('invalid', SPDX)], [{ predicateType: SLSA }, { predicateType: SPDX }]).status, 'invalid');
    // An invalid attestation of a requirement that is met by another (verified) one does not make the result invalid.
    assert.equal(withReq([att('verified', SLSA), att('invalid', SLSA), att('untrusted', SPDX)], [{ predicateType: SLSA }, { predicateType: SPDX }]).status, 'untrusted');
  });

  test('requirements are met only by a verified attestation of that type (and of that requirement when indexed)', () => {
    const withReq = (attestations: AttestationResult[], requirements: { predicateType: string; index?: number }[]) => aggregateTrust({ ...base, signatures: [sig('verified')], attestations, requirements }).status;
    assert.equal(withReq([att('verified', SLSA)], [{ predicateType: SLSA }]), 'verified');
    assert.equal(withReq([att('verified', SLSA, { requirement: 3 })], [{ predicateType: SLSA }]), 'verified');
    assert.equal(withReq([att('verified', SLSA)], [{ predicateType: SPDX }]), 'untrusted');
    assert.equal(withReq([att('verified', SLSA, { requirement: 0 })], [{ predicateType: SLSA, index: 1 }]), 'untrusted');
    assert.equal(withReq([att('verified', SLSA)], [{ predicateType: SLSA, index: 1 }]), 'untrusted', 'a result checked for no requirement does not meet an indexed one');
    assert.equal(withReq([att('verified', SLSA, { requirement: 0 }), att('verified', SLSA, { requirement: 1 })], [{ predicateType: SLSA, index: 0 }, { predicateType: SLSA, index: 1 }]), 'verified');
  });

  test('without a verified signature: the reasons name the deciding signature', () => {
    assert.equal(aggregateTrust({ ...base, signatures: [sig('untrusted', { reason: 'u1' }), sig('invalid', { reason: 'i1' }), sig('invalid', { reason: 'i2' })] }).reason, 'No trusted signature; one is invalid: i1');
    assert.equal(aggregateTrust({ ...base, signatures: [sig('error', { reason: 'e1' }), sig('untrusted', { reason: 'u1' })] }).reason, 'No trusted signature: u1');
    assert.equal(aggregateTrust({ ...base, signatures: [sig('error', { reason: 'e1' })] }).reason, 'No signature could be verified: e1');
    const incomplete = aggregateTrust({ ...base, discoveryComplete: false, discoveryErrors: ['boom'], signatures: [sig('invalid')] });
    assert.deepEqual([incomplete.status, incomplete.reason], ['error', 'No signature verified. Some signature locations could not be searched: boom']);
  });

  test('unsigned: attestations found without a signature are counted in the reason', () => {
    const none = aggregateTrust({ ...base });
    assert.deepEqual([none.status, none.reason], ['unsigned', 'No signatures found.']);
    const two = aggregateTrust({ ...base, attestations: [att('verified', SLSA), att('invalid', SPDX)] });
    assert.deepEqual([two.status, two.reason], ['unsigned', 'No signatures found (2 attestation(s) found, no signature).']);
    assert.deepEqual(two.attestations.map((a) => a.predicateType), [SLSA, SPDX]);
  });
});

describe('earliest', () => {
  test('the earliest time; undefined entries skipped; none → undefined', () => {
    assert.equal(earliest([]), undefined);
    assert.equal(earliest([undefined, undefined]), undefined);
    assert.equal(earliest(['2030-01-01T00:00:00Z']), '2030-01-01T00:00:00.000Z');
    assert.equal(earliest([undefined, '2031-01-01T00:00:00Z', '2030-01-01T00:00:00Z', undefined, '2032-01-01T00:00:00Z']), '2030-01-01T00:00:00.000Z');
    assert.equal(earliest(['2030-01-01T00:00:00Z', '2031-01-01T00:00:00Z']), '2030-01-01T00:00:00.000Z');
  });
  test('an unreadable time counts as already past (the epoch), it never extends validity', () => {
    assert.equal(earliest(['2030-01-01T00:00:00Z', 'not a time']), '1970-01-01T00:00:00.000Z');
  });
});

describe('signer identities', () => {
  test('identityKey: one string per identity, every field included', () => {
    assert.equal(identityKey({ kind: 'key', keyId: 'ab12' }), 'key sha256:ab12');
    assert.equal(identityKey({ kind: 'keyless', subject: 's@x', issuer: 'https://i' }), 'keyless https://i s@x');
    assert.equal(identityKey({ kind: 'certificate', subject: 's', authority: 'Acme PKI' }), 'certificate Acme PKI s');
    assert.equal(identityKey({ kind: 'notation', subject: 'CN=x', anchor: 'AA:BB' }), 'notation AA:BB CN=x');
    assert.notEqual(identityKey({ kind: 'keyless', subject: 's', issuer: 'i1' }), identityKey({ kind: 'keyless', subject: 's', issuer: 'i2' }));
  });
  test('describeIdentity: short forms for people', () => {
    assert.equal(describeIdentity({ kind: 'key', keyId: '0123456789abcdef0123' }), 'key sha256:0123456789ab…');
    assert.equal(describeIdentity({ kind: 'keyless', subject: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' }), 'mitr@redhat.com (https://github.com/login/oauth)');
    assert.equal(describeIdentity({ kind: 'certificate', subject: 'release@acme', authority: 'Acme PKI' }), 'release@acme (certificate from Acme PKI)');
    assert.equal(describeIdentity({ kind: 'notation', subject: 'O=Acme\nCN=Release', anchor: 'AA:BB:CC:DD:EE:FF:00:11:22' }), 'O=Acme, CN=Release (Notation, anchor AA:BB:CC:DD:EE:FF…)');
  });
});

// ---- signers.ts -------------------------------------------------------------------------------------------------

describe('signer specs: what a signer must say, and the names it gets', () => {
  const root = makeCertificate({ commonName: 'Acme Root', ca: true });

  test('a keyless signer without an OIDC issuer is refused (it would accept any issuer)', () => {
    throwsTrustError(() => prepareSigner({ type: 'keyless', name: 'ci', subject: 'https://github.com/acme/app' }), 'POLICY_INVALID', 'Keyless signer ci needs an OIDC issuer (issuer or issuerRegExp).');
    const byRegExp = prepareSigner({ type: 'keyless', issuerRegExp: 'https://token\\.actions\\..*', subject: 'https://github.com/acme/app' });
    assert.equal(byRegExp.type, 'keyless');
    assert.deepEqual(byRegExp.type === 'keyless' && byRegExp.identity, { subject: 'https://github.com/acme/app', subjectRegExp: undefined, issuer: undefined, issuerRegExp: /^(?:https:\/\/token\.actions\..*)$/u });
  });

  test('a certificate identity is required: subject or subjectRegExp', () => {
    throwsTrustError(() => prepareSigner({ type: 'keyless', name: 'ci', issuer: 'https://i' }), 'POLICY_INVALID', 'Signer ci needs a certificate identity (subject or subjectRegExp).');
    throwsTrustError(() => prepareSigner({ type: 'certificate', name: 'Acme PKI', rootsPem: root.pem }), 'POLICY_INVALID', 'Signer Acme PKI needs a certificate identity (subject or subjectRegExp).');
  });

  test('an identity matcher holds exactly what was configured, regular expressions anchored and unicode-aware', () => {
    const exact = prepareSigner({ type: 'keyless', issuer: 'https://i', subject: 'https://github.com/acme/app' });
    assert.deepEqual(exact.type === 'keyless' && exact.identity, { subject: 'https://github.com/acme/app', subjectRegExp: undefined, issuer: 'https://i', issuerRegExp: undefined });
    const unicode = prepareSigner({ type: 'certificate', name: 'Acme PKI', rootsPem: root.pem, subjectRegExp: 'j\\p{L}rgen' });
    assert.ok(unicode.type === 'certificate');
    assert.equal(identityMatches(unicode.identity, ['jürgen'], undefined), true);
    assert.equal(identityMatches(unicode.identity, ['jürgen!'], undefined), false);
    throwsTrustError(() => prepareSigner({ type: 'certificate', name: 'Acme PKI', rootsPem: root.pem, subjectRegExp: '(' }), 'POLICY_INVALID', /^Signer Acme PKI: invalid regular expression \(: /);
  });

  test('default names: keyless from its issuer and subject (or their patterns), notation "Notation certificate"', () => {
    assert.equal(prepareSigner({ type: 'keyless', issuer: 'https://i', subject: 's@x' }).name, 'https://i s@x');
    assert.equal(prepareSigner({ type: 'keyless', issuerRegExp: 'https://.*', subjectRegExp: '.*@x' }).name, '/https://.*/ /.*@x/');
    assert.equal(prepareSigner({ type: 'keyless', name: 'ci', issuer: 'https://i', subject: 's@x' }).name, 'ci');
    assert.equal(prepareSigner({ type: 'notation', certificatePem: root.pem }).name, 'Notation certificate');
    assert.equal(prepareSigner({ type: 'notation', name: 'release CA', certificatePem: root.pem }).name, 'release CA');
    assert.equal(describeSigner({ type: 'key', name: 'release-key', publicKeyPem: '' }), 'release-key');
    assert.equal(describeSigner({ type: 'notation', certificatePem: '' }), 'notation');
    assert.equal(describeSigner({ type: 'notation', name: 'n', certificatePem: '' }), 'n');
  });

  test('a key signer: its key id, tlog required by default', () => {
    const keys = ecKeys();
    const signer = prepareSigner({ type: 'key', name: 'release-key', publicKeyPem: pemOf(keys.publicKey) });
    assert.ok(signer.type === 'key');
    assert.equal(signer.keyId, hexOf(keys.publicKey.export({ format: 'der', type: 'spki' })));
    assert.equal(signer.requireTlog, true);
    const loose = prepareSigner({ type: 'key', name: 'release-key', publicKeyPem: pemOf(keys.publicKey), requireTlog: false });
    assert.equal(loose.type === 'key' && loose.requireTlog, false);
  });

  test('unusable PEM is refused, naming the signer', () => {
    assert.throws(() => prepareSigner({ type: 'key', name: 'release-key', publicKeyPem: 'not a key' }), (err: unknown) => {
      assert.ok(err instanceof ImageTrustError);
      assert.equal(err.code, 'POLICY_INVALID');
      assert.match(err.message, /^Signer release-key: publicKeyPem is not a PEM public key \(.+\)\.$/);
      assert.ok(err.cause instanceof Error);
      return true;
    });
    throwsTrustError(() => prepareSigner({ type: 'certificate', name: 'Acme PKI', rootsPem: 'no certificate here', subject: 's' }), 'POLICY_INVALID', 'Signer Acme PKI: rootsPem holds no certificate.');
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
    throwsTrustError(() => prepareSigner({ type: 'notation', certificatePem: broken }), 'POLICY_INVALID', /^Signer notation: a PEM certificate cannot be parsed \(/);
    throwsTrustError(() => prepareSigner({ type: 'notation', name: 'release CA', certificatePem: broken }), 'POLICY_INVALID', /^Signer release CA: a PEM certificate cannot be parsed \(/);
    for (const spec of [{ type: 'notation', certificatePem: broken }, { type: 'certificate', name: 'Acme PKI', rootsPem: makeCertificate({ commonName: 'R', ca: true }).pem, subjectRegExp: '(' }] as SignerSpec[]) {
      assert.throws(() => prepareSigner(spec), (err: unknown) => err instanceof ImageTrustError && err.cause instanceof Error, 'the parser\'s error is kept as the cause');
    }
  });
});

describe('identityMatches: subject and issuer must both match', () => {
  const matcher = (m: Parameters<typeof identityMatches>[0]) => m;
  test('exact subject, any SAN of the certificate', () => {
    const m = matcher({ subject: 'b@x', issuer: 'https://i' });
    assert.equal(identityMatches(m, ['a@x', 'b@x'], 'https://i'), true);
    assert.equal(identityMatches(m, ['a@x'], 'https://i'), false);
    assert.equal(identityMatches(m, ['b@x'], 'https://other'), false);
    assert.equal(identityMatches(m, ['b@x'], undefined), false);
  });
  test('issuerRegExp: an absent issuer never matches, a non-matching one neither', () => {
    const m = matcher({ subject: 'b@x', issuerRegExp: /^(?:https:\/\/i.*)$/u });
    assert.equal(identityMatches(m, ['b@x'], 'https://issuer'), true);
    assert.equal(identityMatches(m, ['b@x'], 'https://other'), false);
    assert.equal(identityMatches(m, ['b@x'], undefined), false);
  });
  test('a catch-all issuerRegExp still needs an issuer: an absent one is never read as "undefined"', () => {
    assert.equal(identityMatches(matcher({ subject: 'b@x', issuerRegExp: /^(?:.*)$/u }), ['b@x'], undefined), false);
    assert.equal(identityMatches(matcher({ subject: 'b@x', issuerRegExp: /^(?:.*)$/u }), ['b@x'], 'https://any'), true);
  });
  test('no issuer constraint (private PKI): only the subject counts', () => {
    assert.equal(identityMatches(matcher({ subjectRegExp: /^(?:.*@x)$/u }), ['b@x'], 'https://anything'), true);
    assert.equal(identityMatches(matcher({ subjectRegExp: /^(?:.*@x)$/u }), ['b@y'], undefined), false);
  });
});

describe('trusted roots: every key and CA says since when it is valid', () => {
  test('missing validFor.start (or validFor) is listed for each kind of entry', () => {
    const root = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{ baseUrl: 'https://rekor.test', hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: 'AAAA', keyDetails: 'PKIX_ECDSA_P256_SHA_256' }, logId: { keyId: 'AAAA' } }],
      ctlogs: [{ baseUrl: 'https://ct.test', hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: 'AAAA', keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: {} }, logId: { keyId: 'AAAA' } }],
      certificateAuthorities: [{ uri: 'https://ca.test', certChain: { certificates: [] } }],
      timestampAuthorities: [{ uri: 'https://tsa.test', certChain: { certificates: [] }, validFor: { end: '2030-01-01T00:00:00Z' } }],
    };
    throwsTrustError(
      () => trustMaterialFromRoot(root),
      'POLICY_INVALID',
      'The Sigstore trusted root is malformed: no validFor.start for transparency log https://rekor.test, CT log https://ct.test, certificate authority https://ca.test, timestamp authority https://tsa.test.',
    );
    const start = { start: '2000-01-01T00:00:00Z' };
    throwsTrustError(
      () => trustMaterialFromRoot({ ...root, tlogs: [], ctlogs: [{ ...root.ctlogs[0], publicKey: { ...root.ctlogs[0].publicKey, validFor: start } }], certificateAuthorities: [{ ...root.certificateAuthorities[0], validFor: start }] }),
      'POLICY_INVALID',
      'The Sigstore trusted root is malformed: no validFor.start for timestamp authority https://tsa.test.',
    );
  });
  test('entries without any validity (no publicKey, no validFor) are listed too', () => {
    const root = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{ baseUrl: 'https://rekor.test', hashAlgorithm: 'SHA2_256', logId: { keyId: 'AAAA' } }],
      ctlogs: [
        { baseUrl: 'https://ct1.test', hashAlgorithm: 'SHA2_256', logId: { keyId: 'AAAA' } },
        { baseUrl: 'https://ct2.test', hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: 'AAAA', keyDetails: 'PKIX_ECDSA_P256_SHA_256' }, logId: { keyId: 'AAAA' } },
      ],
      certificateAuthorities: [],
      timestampAuthorities: [{ uri: 'https://tsa.test', certChain: { certificates: [] } }],
    };
    throwsTrustError(
      () => trustMaterialFromRoot(root),
      'POLICY_INVALID',
      'The Sigstore trusted root is malformed: no validFor.start for transparency log https://rekor.test, CT log https://ct1.test, CT log https://ct2.test, timestamp authority https://tsa.test.',
    );
  });

  test('a key that cannot be read is refused as unreadable, with its cause', () => {
    const root = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{ baseUrl: 'https://rekor.test', hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: 'AAAA', keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2000-01-01T00:00:00Z' } }, logId: { keyId: 'AAAA' } }],
      ctlogs: [],
      certificateAuthorities: [],
      timestampAuthorities: [],
    };
    assert.throws(() => trustMaterialFromRoot(root), (err: unknown) => {
      assert.ok(err instanceof ImageTrustError);
      assert.equal(err.code, 'POLICY_INVALID');
      assert.match(err.message, /^The Sigstore trusted root cannot be read: ./);
      assert.ok(err.cause instanceof Error);
      return true;
    });
  });
});

// ---- statement.ts -----------------------------------------------------------------------------------------------

describe('in-toto statements', () => {
  const parse = (json: unknown, type = IN_TOTO) => parseStatement(type, Buffer.from(typeof json === 'string' ? json : JSON.stringify(json)));
  const ok = { _type: 'https://in-toto.io/Statement/v1', subject: [], predicateType: 'https://p' };

  test('each malformation has its own message', () => {
    assert.throws(() => parse(ok, 'application/json'), { message: `payload type is application/json, not ${IN_TOTO}` });
    assert.throws(() => parse('{not json'), { message: 'the in-toto statement is not JSON' });
    for (const json of [null, [], 5, { ...ok, _type: 5 }, { ...ok, _type: 'https://in-toto.io/Statement/v2' }, { subject: [], predicateType: 'https://p' }]) {
      assert.throws(() => parse(json), { message: 'the payload is not an in-toto Statement' }, JSON.stringify(json));
    }
    assert.throws(() => parse({ ...ok, predicateType: 5 }), { message: 'the in-toto statement has no predicateType' });
    assert.throws(() => parse({ ...ok, subject: {} }), { message: 'the in-toto statement has no subject list' });
  });

  test('subjects: non-objects dropped, names only when strings, digests only with string values', () => {
    const statement = parse({ ...ok, _type: 'https://in-toto.io/Statement/v0.1', subject: [5, 'x', { name: 'a', digest: { sha256: 'AB', bogus: 5 } }, { name: 7, digest: 'x' }], predicate: { p: 1 } });
    assert.deepEqual(statement, {
      type: 'https://in-toto.io/Statement/v0.1',
      subjects: [{ name: 'a', digest: { sha256: 'AB' } }, { name: undefined, digest: {} }],
      predicateType: 'https://p',
      predicate: { p: 1 },
    });
  });

  test('statementCoversDigest: any subject, same algorithm, hex compared case-insensitively', () => {
    const hex = 'ab'.repeat(32);
    const statement: InTotoStatement = { type: 't', predicateType: 'p', predicate: null, subjects: [{ digest: { sha512: 'ff' } }, { digest: { sha256: hex.toUpperCase() } }] };
    assert.equal(statementCoversDigest(statement, `sha256:${hex}`), true);
    assert.equal(statementCoversDigest(statement, `sha256:${hex.toUpperCase()}`), true);
    assert.equal(statementCoversDigest(statement, `sha256:${'cd'.repeat(32)}`), false);
    assert.equal(statementCoversDigest(statement, `sha384:${hex}`), false);
    assert.equal(statementCoversDigest({ ...statement, subjects: [] }, `sha256:${hex}`), false);
  });

  test('isRecord: objects only', () => {
    assert.equal(isRecord({}), true);
    assert.equal(isRecord(null), false);
    assert.equal(isRecord([]), false);
    assert.equal(isRecord('x'), false);
  });
});

// ---- cosign.ts ----------------------------------------------------------------------------------------------------

/** A canonical Rekor entry body (only kind and apiVersion are read before verification). */
const REKOR_BODY = Buffer.from(JSON.stringify({ kind: 'hashedrekord', apiVersion: '0.0.1', spec: {} })).toString('base64');
const rekorAnnotation = (payload: Record<string, unknown> = {}, set: unknown = Buffer.from('not a signature').toString('base64')) =>
  JSON.stringify({ SignedEntryTimestamp: set, Payload: { body: REKOR_BODY, integratedTime: 1_700_000_000, logIndex: 7, logID: 'ab'.repeat(32), ...payload } });

describe('cosign layers: which layers are signatures and attestations', () => {
  test('a signature layer is simple-signing with a signature annotation', () => {
    assert.equal(isCosignSignatureLayer({ mediaType: SIMPLE_SIGNING_MEDIA_TYPE, annotations: { [ANNOTATIONS.signature]: 'AAAA' } }), true);
    assert.equal(isCosignSignatureLayer({ mediaType: SIMPLE_SIGNING_MEDIA_TYPE, annotations: {} }), false);
    assert.equal(isCosignSignatureLayer({ mediaType: SIMPLE_SIGNING_MEDIA_TYPE }), false);
    assert.equal(isCosignSignatureLayer({ mediaType: DSSE_MEDIA_TYPE, annotations: { [ANNOTATIONS.signature]: 'AAAA' } }), false);
  });
  test('an attestation layer is a DSSE envelope', () => {
    assert.equal(DSSE_MEDIA_TYPE, 'application/vnd.dsse.envelope.v1+json');
    assert.equal(isCosignAttestationLayer({ mediaType: 'application/vnd.dsse.envelope.v1+json' }), true);
    assert.equal(isCosignAttestationLayer({ mediaType: SIMPLE_SIGNING_MEDIA_TYPE }), false);
  });
});

describe('cosign simple-signing signatures: the claim, the annotations', () => {
  const keys = ecKeys();
  const trust = prepareTrust([{ type: 'key', name: 'release-key', publicKeyPem: pemOf(keys.publicKey), requireTlog: false }]);
  const layer = cosignKeySignature(keys.privateKey, NAME, DIGEST);
  const verify = (l: CosignLayer) => verifyCosignSignature(l, DIGEST, trust, 'cosign-tag');
  const invalid = (reason: string) => ({ status: 'invalid', type: 'cosign', foundIn: 'cosign-tag', reason });
  const withPayload = (payload: string) => ({ ...layer, payload: Buffer.from(payload) });
  const withSignature = (signature: string | undefined) => {
    const annotations: Record<string, string> = { ...layer.annotations };
    if (signature === undefined) delete annotations[ANNOTATIONS.signature];
    else annotations[ANNOTATIONS.signature] = signature;
    return { ...layer, annotations };
  };

  test('control: the key signature verifies, with its type, place, signer and identity', () => {
    assert.deepEqual(verify(layer), {
      type: 'cosign',
      foundIn: 'cosign-tag',
      status: 'verified',
      signer: 'release-key',
      identity: { kind: 'key', keyId: publicKeyId(keys.publicKey) },
      reason: 'Signature verified with key release-key; no transparency-log entry (allowed by policy).',
    });
  });

  test('the payload must be JSON with a critical section, the cosign type and exactly this digest', () => {
    assert.deepEqual(verify(withPayload('{not json')), invalid('The signature payload is not JSON.'));
    assert.deepEqual(verify(withPayload('{"optional":{}}')), invalid('The signature payload has no "critical" section.'));
    assert.deepEqual(verify(withPayload('{"critical":5}')), invalid('The signature payload has no "critical" section.'));
    assert.deepEqual(verify(withPayload('[1]')), invalid('The signature payload has no "critical" section.'));
    assert.deepEqual(verify(withPayload(JSON.stringify({ critical: { type: 'other', image: { 'docker-manifest-digest': DIGEST } } }))), invalid(`The payload type is "other", not "${COSIGN_SIGNATURE_TYPE}".`));
    assert.deepEqual(verify(withPayload(JSON.stringify({ critical: { type: COSIGN_SIGNATURE_TYPE, image: { 'docker-manifest-digest': OTHER_DIGEST } } }))), invalid(`The signature is for another image digest (${OTHER_DIGEST}).`));
    assert.deepEqual(verify(withPayload(JSON.stringify({ critical: { type: COSIGN_SIGNATURE_TYPE, image: 'x' } }))), invalid('The signature is for another image digest (undefined).'));
  });

  test('the signature annotation must be base64 (padding and length checked, whitespace ignored)', () => {
    for (const signature of [undefined, '', '  ', '!!!!', 'AAAA!', '!AAAA', 'AAA', 'AAAAA===']) {
      assert.deepEqual(verify(withSignature(signature)), invalid('The signature annotations are malformed: the signature is not base64'), JSON.stringify(signature));
    }
    const wrapped = layer.annotations[ANNOTATIONS.signature].replace(/(.{16})/g, '$1\n ');
    assert.equal(verify(withSignature(wrapped)).status, 'verified');
  });

  test('the certificate annotation must be a certificate', () => {
    const result = verify({ ...layer, annotations: { ...layer.annotations, [ANNOTATIONS.certificate]: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' } });
    assert.equal(result.status, 'invalid');
    assert.match(result.reason, /^The signature cannot be read: /);
  });

  test('the Rekor bundle annotation becomes a log entry: its index and time are reported, a bad SET is invalid', () => {
    const logged = verify({ ...layer, annotations: { ...layer.annotations, [ANNOTATIONS.rekorBundle]: rekorAnnotation() } });
    assert.deepEqual(logged, { type: 'cosign', foundIn: 'cosign-tag', logIndex: 7, integratedTime: 1_700_000_000, status: 'invalid', reason: 'Verification failed: inclusion promise could not be verified' });
    const timeZero = verify({ ...layer, annotations: { ...layer.annotations, [ANNOTATIONS.rekorBundle]: rekorAnnotation({ integratedTime: 0 }) } });
    assert.equal(timeZero.logIndex, 7);
    assert.equal(timeZero.integratedTime, undefined, 'time 0 is no time');
    const unreadable = verify({ ...layer, annotations: { ...layer.annotations, [ANNOTATIONS.rekorBundle]: rekorAnnotation({ logID: 'xyz' }) } });
    assert.deepEqual(unreadable, invalid('The signature annotations are malformed: the Rekor log ID is not hexadecimal'));
  });
});

describe('tlogEntryFromRekorBundle: cosign\'s Rekor bundle annotation', () => {
  test('a complete annotation becomes a v0.1 log entry with an inclusion promise', () => {
    assert.deepEqual(tlogEntryFromRekorBundle(rekorAnnotation({}, 'U0VU')), {
      logIndex: '7',
      logId: { keyId: Buffer.from('ab'.repeat(32), 'hex').toString('base64') },
      kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
      integratedTime: '1700000000',
      inclusionPromise: { signedEntryTimestamp: 'U0VU' },
      canonicalizedBody: REKOR_BODY,
    });
  });

  test('each missing or mistyped part is refused', () => {
    const fails = (annotation: string, message: string) => assert.throws(() => tlogEntryFromRekorBundle(annotation), { message }, annotation);
    const lacks = 'the Rekor bundle lacks SignedEntryTimestamp or Payload';
    fails('[]', lacks);
    fails('5', lacks);
    fails(JSON.stringify({ SignedEntryTimestamp: 'U0VU' }), lacks);
    fails(JSON.stringify({ SignedEntryTimestamp: 'U0VU', Payload: 'x' }), lacks);
    fails(JSON.stringify({ Payload: JSON.parse(rekorAnnotation()).Payload }), lacks);
    fails(JSON.stringify({ SignedEntryTimestamp: 5, Payload: JSON.parse(rekorAnnotation()).Payload }), lacks);
    const incomplete = 'the Rekor bundle payload is incomplete';
    fails(rekorAnnotation({ body: 5 }), incomplete);
    fails(rekorAnnotation({ integratedTime: '1700000000' }), incomplete);
    fails(rekorAnnotation({ logIndex: '7' }), incomplete);
    fails(rekorAnnotation({ logID: 5 }), incomplete);
    fails(rekorAnnotation({ body: 'not base64!' }), 'the Rekor body is not base64');
    const body = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
    for (const value of [[], 5, { apiVersion: '0.0.1' }, { kind: 'hashedrekord' }, { kind: 5, apiVersion: '0.0.1' }]) {
      fails(rekorAnnotation({ body: body(value) }), 'the Rekor body has no kind/apiVersion');
    }
    for (const logID of ['xyz', 'zzab', 'abzz', '']) fails(rekorAnnotation({ logID }), 'the Rekor log ID is not hexadecimal');
  });
});

describe('cosign attestations (DSSE layers)', () => {
  const keys = ecKeys();
  const trust = prepareTrust([{ type: 'key', name: 'release-key', publicKeyPem: pemOf(keys.publicKey), requireTlog: false }]);
  function attestationLayer(payloadType: string, statement: unknown): CosignLayer {
    const payload = Buffer.from(JSON.stringify(statement));
    const sig = crypto.sign('sha256', Buffer.concat([Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `), payload]), keys.privateKey).toString('base64');
    return { mediaType: DSSE_MEDIA_TYPE, payload: Buffer.from(JSON.stringify({ payloadType, payload: payload.toString('base64'), signatures: [{ keyid: '', sig }] })), annotations: {} };
  }
  const statement = (digest: string, predicateType: string) => ({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: NAME, digest: { sha256: digest.slice(7) } }], predicateType, predicate: { buildType: 'x' } });

  test('a verified attestation is an attestation result of type cosign-attestation', () => {
    const v = verifyCosignAttestation(attestationLayer(IN_TOTO, statement(DIGEST, 'https://example.com/predicate')), DIGEST, trust, 'cosign-tag');
    assert.equal(v.kind, 'attestation');
    assert.deepEqual({ ...v.result, summary: undefined }, {
      type: 'cosign-attestation',
      foundIn: 'cosign-tag',
      status: 'verified',
      signer: 'release-key',
      identity: { kind: 'key', keyId: publicKeyId(keys.publicKey) },
      reason: 'Signature verified with key release-key; no transparency-log entry (allowed by policy).',
      predicateType: 'https://example.com/predicate',
      summary: undefined,
    });
  });

  test('an attestation about another digest is invalid, naming the subjects', () => {
    const v = verifyCosignAttestation(attestationLayer(IN_TOTO, statement(OTHER_DIGEST, 'https://example.com/predicate')), DIGEST, trust, 'cosign-tag');
    assert.equal(v.result.status, 'invalid');
    assert.equal(v.result.reason, `The statement is about another artifact (subjects: ${OTHER_DIGEST}), not ${DIGEST}.`);
    const twoSubjects = { ...statement(OTHER_DIGEST, 'p'), subject: [{ digest: { sha256: 'aa', sha512: 'bb' } }, { digest: { sha1: 'cc' } }] };
    assert.equal(verifyCosignAttestation(attestationLayer(IN_TOTO, twoSubjects), DIGEST, trust, 'cosign-tag').result.reason, `The statement is about another artifact (subjects: sha256:aa sha512:bb, sha1:cc), not ${DIGEST}.`);
    const none = { ...statement(OTHER_DIGEST, 'p'), subject: [] };
    assert.equal(verifyCosignAttestation(attestationLayer(IN_TOTO, none), DIGEST, trust, 'cosign-tag').result.reason, `The statement is about another artifact (subjects: none), not ${DIGEST}.`);
  });

  test('the predicate an attestation result was verified with is kept beside it (admission conditions read it)', () => {
    const v = verifyCosignAttestation(attestationLayer(IN_TOTO, statement(DIGEST, 'https://example.com/predicate')), DIGEST, trust, 'cosign-tag');
    assert.ok(v.kind === 'attestation');
    assert.deepEqual(attestationPredicate(v.result), { buildType: 'x' });
    assert.equal(attestationPredicate({ ...v.result }), undefined, 'only for the result object verification made');
  });

  test('an unreadable attestation is an invalid signature result, with why', () => {
    const v = verifyCosignAttestation(attestationLayer('application/json', statement(DIGEST, 'p')), DIGEST, trust, 'referrers-api');
    assert.deepEqual(v, { kind: 'signature', result: { status: 'invalid', type: 'cosign-attestation', foundIn: 'referrers-api', reason: `The attestation cannot be read: payload type is application/json, not ${IN_TOTO}` } });
  });
});

// ---- bundle.ts ----------------------------------------------------------------------------------------------------

/** A @sigstore/sign signer over a local key announcing `hint` as the key hint. */
function hintedSigner(pair: crypto.KeyPairKeyObjectResult, hint: string): Signer {
  return { sign: async (data) => ({ signature: crypto.sign('sha256', data, pair.privateKey), key: { $case: 'publicKey', publicKey: pemOf(pair.publicKey), hint } }) };
}
async function messageBundleJson(pair: crypto.KeyPairKeyObjectResult, data: Buffer, hint = ''): Promise<Record<string, any>> {
  return bundleToJSON(await new MessageSignatureBundleBuilder({ signer: hintedSigner(pair, hint), witnesses: [] }).create({ data })) as Record<string, any>;
}

describe('Sigstore bundles: media types and the artifact they sign', () => {
  const keys = ecKeys();
  const trust = prepareTrust([{ type: 'key', name: 'release-key', publicKeyPem: pemOf(keys.publicKey), requireTlog: false }]);
  const signature = (status: string, reason: string) => ({ kind: 'signature', result: { status, type: 'sigstore-bundle', foundIn: 'referrers-api', reason } });

  test('bundle versions 0.1, 0.2 and 0.3 are read; another version is refused', async () => {
    const json = await messageBundleJson(keys, manifest);
    for (const mediaType of ['application/vnd.dev.sigstore.bundle+json;version=0.1', 'application/vnd.dev.sigstore.bundle+json;version=0.2', 'application/vnd.dev.sigstore.bundle.v0.3+json']) {
      assert.equal(parseSigstoreBundle({ ...json, mediaType }).mediaType, mediaType);
    }
    for (const mediaType of ['application/vnd.dev.sigstore.bundle+json;version=0.10', 'application/vnd.dev.sigstore.bundle+json;version=0.4', 'application/vnd.dev.sigstore.bundle.v0.4+json']) {
      assert.throws(() => parseSigstoreBundle({ ...json, mediaType }), { message: `unsupported bundle media type ${mediaType}` }, mediaType);
    }
    const verification = verifySigstoreBundle(JSON.stringify({ ...json, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.4' }), { digest: DIGEST, bytes: manifest }, trust, 'referrers-api');
    assert.deepEqual(verification, signature('invalid', 'The Sigstore bundle is malformed: unsupported bundle media type application/vnd.dev.sigstore.bundle+json;version=0.4'));
  });

  test('a message signature must name this digest, and be checked over bytes of exactly this digest', async () => {
    const json = JSON.stringify(await messageBundleJson(keys, manifest));
    const ok = verifySigstoreBundle(json, { digest: DIGEST, bytes: manifest }, trust, 'referrers-api');
    assert.equal(ok.result.status, 'verified');
    assert.deepEqual(verifySigstoreBundle(json, { digest: OTHER_DIGEST, bytes: manifest }, trust, 'referrers-api'), signature('invalid', `The bundle signs another artifact (digest ${hexOf(manifest)}).`));
    assert.deepEqual(verifySigstoreBundle(json, { digest: DIGEST }, trust, 'referrers-api'), signature('error', 'A message-signature bundle can only be checked with the artifact bytes, which were not available.'));
    // The bytes at hand are not the artifact the digest names: never verified over them.
    assert.deepEqual(verifySigstoreBundle(json, { digest: DIGEST, bytes: Buffer.from('other bytes') }, trust, 'referrers-api'), signature('error', 'The artifact bytes do not match the expected digest.'));
    // An algorithm that is not a supported digest is never hashed (nor trusted).
    assert.deepEqual(verifySigstoreBundle(json, { digest: `md4x:${hexOf(manifest)}`, bytes: manifest }, trust, 'referrers-api'), signature('error', 'The artifact bytes do not match the expected digest.'));
  });

  for (const algorithm of ['sha384', 'sha512']) {
    test(`a message signature over a ${algorithm} digest is checked with ${algorithm}`, async () => {
      const json = await messageBundleJson(keys, manifest);
      json.messageSignature.messageDigest = { algorithm: algorithm === 'sha384' ? 'SHA2_384' : 'SHA2_512', digest: crypto.createHash(algorithm).update(manifest).digest('base64') };
      const { result } = verifySigstoreBundle(JSON.stringify(json), { digest: `${algorithm}:${hexOf(manifest, algorithm)}`, bytes: manifest }, trust, 'referrers-api');
      assert.equal(result.status, 'verified', result.reason);
    });
  }

  test('a DSSE envelope that does not hold an in-toto statement is invalid', async () => {
    const json = bundleToJSON(await new DSSEBundleBuilder({ signer: hintedSigner(keys, ''), witnesses: [] }).create({ data: Buffer.from('{}'), type: 'application/json' }));
    assert.deepEqual(verifySigstoreBundle(JSON.stringify(json), { digest: DIGEST }, trust, 'referrers-api'), signature('invalid', `The DSSE envelope does not hold an in-toto statement: payload type is application/json, not ${IN_TOTO}`));
  });
});

// ---- entity.ts: key signatures ----------------------------------------------------------------------------------

describe('key signatures: which key, which reason', () => {
  const trusted = ecKeys();
  const second = ecKeys();
  const stranger = ecKeys();
  const key = (name: string, pair: crypto.KeyPairKeyObjectResult, requireTlog?: boolean): SignerSpec => ({ type: 'key', name, publicKeyPem: pemOf(pair.publicKey), ...(requireTlog === undefined ? {} : { requireTlog }) });
  const verify = async (pair: crypto.KeyPairKeyObjectResult, hint: string, signers: SignerSpec[]) =>
    verifySigstoreBundle(JSON.stringify(await messageBundleJson(pair, manifest, hint)), { digest: DIGEST, bytes: manifest }, prepareTrust(signers), 'referrers-api').result;
  const outcome = (r: SignatureResult) => ({ status: r.status, signer: r.signer, reason: r.reason });

  test('a policy without key signers does not judge key signatures', async () => {
    const r = await verify(trusted, '', [{ type: 'keyless', issuer: 'https://i', subject: 's@x' }]);
    assert.deepEqual(outcome(r), { status: 'untrusted', signer: undefined, reason: 'Signed with a public key, but the policy trusts no keys.' });
  });

  test('an unknown key: untrusted, every key signer says why', async () => {
    const r = await verify(stranger, '', [key('strict-key', trusted), key('loose-key', second, false)]);
    assert.deepEqual(outcome(r), { status: 'untrusted', signer: undefined, reason: 'Not signed by any trusted key (unknown key or modified content): strict-key: signature verification failed; loose-key: signature verification failed' });
  });

  test('the second key signer verifies', async () => {
    const r = await verify(second, '', [key('strict-key', trusted), key('loose-key', second, false)]);
    assert.deepEqual(outcome(r), { status: 'verified', signer: 'loose-key', reason: 'Signature verified with key loose-key; no transparency-log entry (allowed by policy).' });
  });

  test('a signature naming a trusted key (by key id or by name) that does not verify with it is invalid', async () => {
    const loose = [key('release-key', trusted, false)];
    const expected = { status: 'invalid', signer: 'release-key', reason: 'Signature does not verify with the key it names: signature verification failed' };
    assert.deepEqual(outcome(await verify(stranger, publicKeyId(trusted.publicKey), loose)), expected);
    assert.deepEqual(outcome(await verify(stranger, 'release-key', loose)), expected);
    assert.deepEqual(outcome(await verify(stranger, 'another-name', loose)).status, 'untrusted');
    // Under a signer that requires a log entry, the same is found before any log check.
    assert.deepEqual(outcome(await verify(stranger, publicKeyId(trusted.publicKey), [key('release-key', trusted)])), { status: 'invalid', signer: 'release-key', reason: 'Signature does not verify with the key it names.' });
  });

  test('an unlogged signature by a key that requires the log: untrusted, saying how to accept it', async () => {
    const r = await verify(trusted, '', [key('release-key', trusted)]);
    assert.deepEqual(outcome(r), {
      status: 'untrusted',
      signer: undefined,
      reason: 'The signature matches key release-key but has no transparency-log entry, and the policy requires one (as cosign verify --key does). ' +
        'Sign with a Rekor upload, or add `tlog: false` to that key signer to accept signatures without a log entry.',
    });
  });
});

/** An RSA-PSS key pair whose SPKI carries PSS parameters (SHA-256, salt 32). (@types/node types saltLength as a string.) */
const restrictedPssKeys = () => crypto.generateKeyPairSync('rsa-pss', { modulusLength: 1024, hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256', saltLength: 32 } as unknown as crypto.RSAPSSKeyPairKeyObjectOptions);

describe('verifyWithAnyAlgorithm: the hashes and paddings cosign keys use', () => {
  const data = Buffer.from('signed bytes');
  const tampered = Buffer.from('signed bytez');

  test('Ed25519', () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
    const sig = crypto.sign(null, data, privateKey);
    assert.equal(verifyWithAnyAlgorithm(publicKey, data, sig), true);
    assert.equal(verifyWithAnyAlgorithm(publicKey, tampered, sig), false);
  });

  test('ECDSA: SHA-256 on every curve, and the curve\'s own hash on P-384 and P-521', () => {
    for (const [curve, own] of [['P-256', 'sha256'], ['P-384', 'sha384'], ['P-521', 'sha512']] as const) {
      const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: curve });
      for (const hash of ['sha256', own]) {
        const sig = crypto.sign(hash, data, privateKey);
        assert.equal(verifyWithAnyAlgorithm(publicKey, data, sig), true, `${curve} ${hash}`);
        assert.equal(verifyWithAnyAlgorithm(publicKey, tampered, sig), false, `${curve} ${hash} tampered`);
      }
      if (curve === 'P-256') assert.equal(verifyWithAnyAlgorithm(publicKey, data, crypto.sign('sha384', data, privateKey)), false, 'P-256 has no other hash');
    }
  });

  test('RSA: PKCS#1 v1.5 and PSS with SHA-256/384/512', () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    for (const hash of ['sha256', 'sha384', 'sha512']) {
      const pkcs1 = crypto.sign(hash, data, privateKey);
      const pss = crypto.sign(hash, data, { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 });
      assert.equal(verifyWithAnyAlgorithm(publicKey, data, pkcs1), true, `${hash} PKCS#1`);
      assert.equal(verifyWithAnyAlgorithm(publicKey, data, pss), true, `${hash} PSS`);
      assert.equal(verifyWithAnyAlgorithm(publicKey, tampered, pkcs1), false, `${hash} PKCS#1 tampered`);
      assert.equal(verifyWithAnyAlgorithm(publicKey, tampered, pss), false, `${hash} PSS tampered`);
    }
  });

  test('RSA-PSS keys (SPKI id-RSASSA-PSS)', () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa-pss', { modulusLength: 1024 });
    for (const hash of ['sha256', 'sha384', 'sha512']) {
      const sig = crypto.sign(hash, data, { key: privateKey, saltLength: 20 });
      assert.equal(verifyWithAnyAlgorithm(publicKey, data, sig), true, hash);
      assert.equal(verifyWithAnyAlgorithm(publicKey, tampered, sig), false, `${hash} tampered`);
    }
  });

  test('RSA-PSS keys with PSS parameters (hash and salt length fixed in the key)', () => {
    const { publicKey, privateKey } = restrictedPssKeys();
    const sig = crypto.sign('sha256', data, { key: privateKey, saltLength: 32 });
    assert.equal(verifyWithAnyAlgorithm(publicKey, data, sig), true);
    assert.equal(verifyWithAnyAlgorithm(publicKey, tampered, sig), false);
  });

  test('a key the crypto library refuses for a hash, or a key type that cannot sign: false, never a throw', () => {
    // An RSA-PSS key restricted to SHA-256: the other hashes make OpenSSL throw, which is "does not verify".
    const restricted = restrictedPssKeys();
    assert.equal(verifyWithAnyAlgorithm(restricted.publicKey, data, Buffer.alloc(128)), false);
    assert.equal(verifyWithAnyAlgorithm(crypto.generateKeyPairSync('x25519').publicKey, data, Buffer.alloc(64)), false);
  });
});

describe('errorText', () => {
  test('messages, with a different cause appended', () => {
    assert.equal(errorText('plain'), 'plain');
    assert.equal(errorText(42), '42');
    assert.equal(errorText(new Error('outer')), 'outer');
    assert.equal(errorText(new Error('outer', { cause: new Error('inner') })), 'outer (inner)');
    assert.equal(errorText(new Error('same', { cause: new Error('same') })), 'same');
    assert.equal(errorText(new Error('outer', { cause: 'not an error' })), 'outer');
  });
});

// ---- entity.ts: certificates (private PKI, and a Fulcio-like CA of a test trusted root) --------------------------

describe('certificate signatures: chain, identity, validity', () => {
  const root = makeCertificate({ commonName: 'Acme Root', ca: true, notAfter: new Date('2040-01-01T00:00:00Z') });
  const sans = subjectAltNames({ uri: 'https://acme.example/release' }, { email: 'release@acme.example' });
  const leaf = makeCertificate({ commonName: 'Acme Release', issuer: root, extensions: [sans], notAfter: new Date('2041-01-01T00:00:00Z') });
  const pki = (identity: { subject?: string; subjectRegExp?: string }, rootsPem = root.pem): SignerSpec => ({ type: 'certificate', name: 'Acme PKI', rootsPem, ...identity });
  const layerOf = (cert: typeof leaf, signedBy = cert.keys.privateKey): CosignLayer => {
    const layer = cosignKeySignature(signedBy, NAME, DIGEST);
    return { ...layer, annotations: { ...layer.annotations, [ANNOTATIONS.certificate]: cert.pem } };
  };
  const verify = (layer: CosignLayer, signers: SignerSpec[], trustedRoot?: unknown) => verifyCosignSignature(layer, DIGEST, prepareTrust(signers, trustedRoot ? { trustedRoot } : {}), 'cosign-tag');
  const NO_TIMESTAMP = 'no transparency log entry or trusted timestamp (keyless signatures need one)';

  test('verified against the configured root: the SAN that matched is the identity; valid until the first notAfter', () => {
    assert.deepEqual(verify(layerOf(leaf), [pki({ subject: 'release@acme.example' })]), {
      type: 'cosign',
      foundIn: 'cosign-tag',
      status: 'verified',
      signer: 'Acme PKI',
      issuer: undefined,
      identity: { kind: 'certificate', subject: 'release@acme.example', authority: 'Acme PKI' },
      reason: 'Certificate signature by https://acme.example/release verified against Acme PKI.',
      validUntil: '2040-01-01T00:00:00.000Z',
    });
    const early = makeCertificate({ commonName: 'Acme Release', issuer: root, extensions: [sans], notAfter: new Date('2039-01-01T00:00:00Z') });
    assert.equal(verify(layerOf(early), [pki({ subjectRegExp: 'https://acme\\.example/.*' })]).validUntil, '2039-01-01T00:00:00.000Z');
  });

  test('another identity: untrusted, the reason lists every check', () => {
    const r = verify(layerOf(leaf), [pki({ subject: 'other@acme.example' })]);
    assert.deepEqual({ status: r.status, signer: r.signer, reason: r.reason }, {
      status: 'untrusted',
      signer: 'https://acme.example/release',
      reason: `Certificate not trusted: ${NO_TIMESTAMP}; Acme PKI: certificate identity https://acme.example/release, release@acme.example is not the one configured`,
    });
  });

  test('another root: untrusted, with the chain error', () => {
    const other = makeCertificate({ commonName: 'Other Root', ca: true });
    const r = verify(layerOf(leaf), [{ type: 'key', name: 'k', publicKeyPem: pemOf(ecKeys().publicKey) }, pki({ subject: 'release@acme.example' }, other.pem)]);
    assert.equal(r.status, 'untrusted');
    assert.equal(r.reason, `Certificate not trusted: ${NO_TIMESTAMP}; Acme PKI: Failed to verify certificate chain (no valid certificate path found)`);
    const none = verify(layerOf(leaf), [{ type: 'key', name: 'k', publicKeyPem: pemOf(ecKeys().publicKey) }]);
    assert.deepEqual([none.status, none.reason], ['untrusted', `Certificate not trusted: ${NO_TIMESTAMP}`]);
  });

  test('a signature its certificate does not verify is invalid before any chain is considered', () => {
    const r = verify(layerOf(leaf, ecKeys().privateKey), [pki({ subject: 'release@acme.example' })]);
    assert.deepEqual({ status: r.status, signer: r.signer, reason: r.reason }, { status: 'invalid', signer: 'https://acme.example/release', reason: 'The signature does not match its certificate (content modified or wrong signature).' });
  });

  test('a certificate of the Fulcio-like CA without SANs or SCT: untrusted for the missing SCT', () => {
    const unnamed = makeCertificate({ commonName: 'Acme Release', issuer: root });
    const fulcioRoot = fulcioLikeRoot(root);
    const r = verify({ ...layerOf(unnamed), annotations: { ...layerOf(unnamed).annotations, [ANNOTATIONS.rekorBundle]: rekorAnnotation({ integratedTime: Math.floor(Date.now() / 1000) }) } }, [{ type: 'keyless', issuer: 'https://i', subject: 's' }], fulcioRoot);
    assert.equal(r.status, 'untrusted');
    assert.equal(r.reason, 'Certificate not trusted: expected 1 SCTs, got 0');
  });

  /** A trusted root whose only CA is `ca` (a Fulcio stand-in); no logs. */
  function fulcioLikeRoot(ca: typeof root) {
    return {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      ctlogs: [],
      certificateAuthorities: [{ subject: { organization: 'Image Trust Tests', commonName: ca.commonName }, uri: 'https://fulcio.test', certChain: { certificates: [{ rawBytes: ca.der.toString('base64') }] }, validFor: { start: '2000-01-01T00:00:00Z' } }],
      timestampAuthorities: [],
    };
  }

  test('keyless classification: a certificate not valid at the logged time is invalid; a missing SCT only untrusted', () => {
    const fulcioRoot = fulcioLikeRoot(root);
    const keyless = [{ type: 'keyless', issuer: 'https://token.example', subject: 'release@acme.example' } as SignerSpec];
    const logged = (integratedTime: number) => ({ ...layerOf(leaf), annotations: { ...layerOf(leaf).annotations, [ANNOTATIONS.rekorBundle]: rekorAnnotation({ integratedTime }) } });
    const before = verify(logged(1_600_000_000), keyless, fulcioRoot);
    assert.deepEqual([before.status, before.reason], ['invalid', 'Certificate not trusted: Failed to verify certificate chain (certificate is not valid or expired at the specified date)']);
    const now = verify(logged(Math.floor(Date.now() / 1000)), keyless, fulcioRoot);
    assert.deepEqual([now.status, now.reason], ['untrusted', 'Certificate not trusted: expected 1 SCTs, got 0']);
    assert.deepEqual([now.logIndex, now.signer, now.issuer], [7, 'https://acme.example/release', undefined]);
  });

  test('keyless classification: a duplicated log entry is provably wrong', async () => {
    const payload = manifest;
    const sig = crypto.sign('sha256', payload, leaf.keys.privateKey).toString('base64');
    const entry = tlogEntryFromRekorBundle(rekorAnnotation({ integratedTime: Math.floor(Date.now() / 1000) }));
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
      verificationMaterial: { x509CertificateChain: { certificates: [{ rawBytes: leaf.der.toString('base64') }] }, tlogEntries: [entry, entry] },
      messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: crypto.createHash('sha256').update(payload).digest('base64') }, signature: sig },
    };
    const { result } = verifySigstoreBundle(JSON.stringify(bundle), { digest: DIGEST, bytes: payload }, prepareTrust([pki({ subject: 'release@acme.example' })], { trustedRoot: fulcioLikeRoot(root) }), 'referrers-api');
    assert.equal(result.status, 'invalid');
    assert.equal(result.reason, 'Verification failed: duplicate timestamp; Acme PKI: duplicate timestamp');
  });
});

describe('certificateIdentity: structure of the SAN extension, and how malformed bytes are shown', () => {
  const root = makeCertificate({ commonName: 'Test Root', ca: true });
  const identityOf = (...extensions: Buffer[]) => certificateIdentity(SigstoreCertificate.parse(makeCertificate({ commonName: 'Test Leaf', issuer: root, extensions }).pem));
  const NOT_A_SEQUENCE = 'the subject alternative name extension is not a DER sequence of names';
  const uri = (text: string) => der(0x86, Buffer.from(text, 'latin1'));

  test('printable ASCII from space to tilde is a name', () => {
    const who = identityOf(subjectAltNames({ uri: 'https://acme.example/~a b' }, { dns: ' ~' }));
    assert.deepEqual(who, { sans: ['https://acme.example/~a b', ' ~'], issuer: undefined, malformed: [] });
  });

  test('a SAN extension that is not one DER SEQUENCE of names reads no name', () => {
    for (const value of [der(0x31, uri('https://a')), Buffer.concat([der(0x30, uri('https://a')), der(0x30, uri('https://b'))]), der(0xa0, uri('https://a'))]) {
      assert.deepEqual(identityOf(derExtension(OID.subjectAltName, value, true)), { sans: [], issuer: undefined, malformed: [NOT_A_SEQUENCE] }, value.toString('hex'));
    }
  });

  test('an empty name, and bytes shown escaped (backslash, quote, non-ASCII), at most 256 of them', () => {
    assert.deepEqual(identityOf(subjectAltNames({ email: '' })).malformed, ['e-mail SAN "" is not 7-bit printable ASCII (IA5String)']);
    assert.deepEqual(identityOf(subjectAltNames({ dns: Buffer.from('a\\b"c\xC0\x05~', 'latin1') })).malformed, ['DNS name SAN "a\\\\b\\x22c\\xC0\\x05~" is not 7-bit printable ASCII (IA5String)']);
    const long = Buffer.concat([Buffer.alloc(300, 0x61), Buffer.from([0x80])]);
    assert.deepEqual(identityOf(subjectAltNames({ uri: long })).malformed, [`URI SAN "${'a'.repeat(256)}…" is not 7-bit printable ASCII (IA5String)`]);
    const exactly256 = Buffer.concat([Buffer.alloc(255, 0x61), Buffer.from([0x80])]);
    assert.deepEqual(identityOf(subjectAltNames({ uri: exactly256 })).malformed, [`URI SAN "${'a'.repeat(255)}\\x80" is not 7-bit printable ASCII (IA5String)`]);
  });

  test('otherName: exactly a type-id and an [0] EXPLICIT UTF8String', () => {
    const username = OID.fulcioOtherNameUsername;
    const utf8 = der(0x0c, Buffer.from('jurgen'));
    const otherName = (...parts: Buffer[]) => derExtension(OID.subjectAltName, der(0x30, der(0xa0, ...parts)), true);
    assert.deepEqual(identityOf(otherName(derOid(username), der(0xa0, utf8))).sans, ['jurgen']);
    assert.deepEqual(identityOf(otherName(derOid(username), der(0xa0, utf8), der(0x05))).malformed, ['an otherName SAN cannot be read (not a type-id and a value)']);
    assert.deepEqual(identityOf(otherName(derOid(username))).malformed, ['an otherName SAN cannot be read (not a type-id and a value)']);
    const notUtf8String = 'the username otherName SAN is not a UTF8String';
    assert.deepEqual(identityOf(otherName(derOid(username), der(0xa1, utf8))).malformed, [notUtf8String], 'wrapper [1]');
    assert.deepEqual(identityOf(otherName(derOid(username), der(0x80, Buffer.from('jurgen')))).malformed, [notUtf8String], 'primitive [0]');
    assert.deepEqual(identityOf(otherName(derOid(username), der(0xa0, utf8, utf8))).malformed, [notUtf8String], 'two values');
    assert.deepEqual(identityOf(otherName(derOid(username), der(0xa0, der(0x0c)))).malformed, ['username otherName SAN "" is not valid UTF-8 text']);
    assert.deepEqual(identityOf(otherName(derOid(username), der(0xa0, der(0x0c, Buffer.from([0x6a, 0xc3]))))).malformed, ['username otherName SAN "j\\xC3" is not valid UTF-8 text']);
  });

  test('issuer: a repeated v2 extension is never replaced by v1; v1 must be UTF-8 text', () => {
    const issuer = 'https://token.actions.githubusercontent.com';
    assert.deepEqual(identityOf(fulcioIssuerV2(issuer), fulcioIssuerV2(issuer), fulcioIssuerV1(issuer)), { sans: [], issuer: undefined, malformed: ['the OIDC issuer (v2) extension occurs 2 times'] });
    assert.deepEqual(identityOf(fulcioIssuerV1(issuer), fulcioIssuerV1(issuer)), { sans: [], issuer: undefined, malformed: ['the OIDC issuer (v1) extension occurs 2 times'] });
    assert.deepEqual(identityOf(fulcioIssuerV1(Buffer.from('https://a\xC0', 'latin1'))), { sans: [], issuer: undefined, malformed: ['the OIDC issuer extension (v1) "https://a\\xC0" is not valid UTF-8 text'] });
    assert.deepEqual(identityOf(fulcioIssuerV1('')).issuer, undefined);
    assert.deepEqual(identityOf(subjectAltNames({ uri: 'https://a' }), subjectAltNames({ uri: 'https://a' })).malformed, ['the subject alternative name extension occurs 2 times']);
  });
});

// ---- notation.ts --------------------------------------------------------------------------------------------------

interface Cert {
  pem: string;
  der: Buffer;
  keys: crypto.KeyPairKeyObjectResult;
  name: Buffer;
}

/**
 * A certificate with exactly the given subject attributes, key, validity and extensions, signed ECDSA-SHA256 by
 * `issuer` (self-signed when absent, which needs an EC key).
 */
function certificate(opts: { subject: [string, string][]; keys?: crypto.KeyPairKeyObjectResult; issuer?: Cert; ca?: boolean; eku?: boolean; notBefore: Date; notAfter: Date }): Cert {
  const keys = opts.keys ?? ecKeys();
  const seq = (...c: Buffer[]) => der(0x30, ...c);
  const time = (d: Date) => der(0x17, Buffer.from(`${d.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`, 'ascii'));
  const name = seq(...opts.subject.map(([oid, value]) => der(0x31, seq(derOid(oid), der(0x0c, Buffer.from(value))))));
  const TRUE = Buffer.from([0x01, 0x01, 0xff]);
  const extensions = opts.ca
    ? [derExtension(OID.basicConstraints, seq(TRUE), true), derExtension(OID.keyUsage, der(0x03, Buffer.from([0x01, 0x06])), true)]
    : [derExtension(OID.keyUsage, der(0x03, Buffer.from([0x07, 0x80])), true), ...(opts.eku === false ? [] : [derExtension(OID.extKeyUsage, seq(derOid(OID.codeSigning)))])];
  const ecdsaSha256 = seq(derOid('1.2.840.10045.4.3.2'));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([0x02]))),
    der(0x02, Buffer.from(crypto.randomBytes(8).map((b, i) => (i === 0 ? b & 0x7f : b)))),
    ecdsaSha256,
    opts.issuer?.name ?? name,
    seq(time(opts.notBefore), time(opts.notAfter)),
    name,
    keys.publicKey.export({ format: 'der', type: 'spki' }),
    der(0xa3, seq(...extensions)),
  );
  const signature = crypto.sign('sha256', tbs, (opts.issuer?.keys ?? keys).privateKey);
  const certDer = seq(tbs, ecdsaSha256, der(0x03, Buffer.from([0x00]), signature));
  return { der: certDer, pem: `-----BEGIN CERTIFICATE-----\n${certDer.toString('base64')}\n-----END CERTIFICATE-----\n`, keys, name };
}

describe('Notation JWS signatures: every check has its status and reason', () => {
  const CN = '2.5.4.3';
  const O = '2.5.4.10';
  const NOTATION_JWS = 'application/jose+json';
  const PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
  const SCHEME = 'io.cncf.notary.signingScheme';
  const HOUR = 3_600_000;
  const t0 = new Date(Math.floor(Date.now() / 1000) * 1000 - 24 * HOUR);
  const root = certificate({ subject: [[O, 'Acme'], [CN, 'Acme Notation Root']], ca: true, notBefore: new Date(t0.getTime() - HOUR), notAfter: new Date(t0.getTime() + 400 * 24 * HOUR) });
  const leaf = certificate({ subject: [[O, 'Acme'], [CN, 'Acme Release']], issuer: root, notBefore: t0, notAfter: new Date(t0.getTime() + 30 * 24 * HOUR) });
  const now = new Date(t0.getTime() + 2 * HOUR);
  const signers = (...certs: Cert[]) => certs.map((c, i) => prepareSigner({ type: 'notation', name: `anchor ${i}`, certificatePem: c.pem })) as Parameters<typeof verifyNotationSignature>[2];
  const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

  interface Jws {
    alg?: string;
    header?: Record<string, unknown>;
    payload?: unknown;
    chain?: Cert[];
    signer?: crypto.KeyObject;
    hash?: string;
  }
  function jws(opts: Jws = {}): Record<string, unknown> {
    const signerCert = opts.chain?.[0] ?? leaf;
    const key = opts.signer ?? signerCert.keys.privateKey;
    const isRsa = key.asymmetricKeyType === 'rsa';
    const alg = opts.alg ?? (isRsa ? 'PS256' : 'ES256');
    const protectedB64 = b64url({ alg, cty: PAYLOAD_TYPE, crit: [SCHEME], [SCHEME]: 'notary.x509', 'io.cncf.notary.signingTime': new Date(t0.getTime() + HOUR).toISOString(), ...opts.header });
    const payloadB64 = b64url(opts.payload ?? { targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, size: 1 } });
    const input = Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii');
    const hash = opts.hash ?? `sha${alg.slice(2)}`;
    const signature = isRsa
      ? crypto.sign(hash, input, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.createHash(hash).digest().length })
      : crypto.sign(hash, input, { key, dsaEncoding: 'ieee-p1363' });
    return { payload: payloadB64, protected: protectedB64, header: { x5c: (opts.chain ?? [leaf, root]).map((c) => c.der.toString('base64')) }, signature: signature.toString('base64url') };
  }
  const verify = (envelope: unknown, anchors = signers(root), at = now, mediaType = NOTATION_JWS) =>
    verifyNotationSignature({ mediaType, bytes: Buffer.from(typeof envelope === 'string' ? envelope : JSON.stringify(envelope)) }, DIGEST, anchors, 'referrers-api', { now: at });
  const fails = (envelope: unknown, status: string, reason: string, anchors = signers(root), at = now) => {
    const r = verify(envelope, anchors, at);
    assert.deepEqual({ status: r.status, reason: r.reason }, { status, reason });
  };
  const validTo = (c: Cert) => new Date(new crypto.X509Certificate(c.pem).validTo).toISOString();

  test('verified: signer is the leaf CN, reason names the anchor, valid until the first notAfter on the path', () => {
    assert.deepEqual(verify(jws()), {
      type: 'notation',
      foundIn: 'referrers-api',
      status: 'verified',
      signer: 'Acme Release',
      identity: { kind: 'notation', subject: 'O=Acme\nCN=Acme Release', anchor: new crypto.X509Certificate(root.pem).fingerprint256 },
      reason: 'Notation signature verified: certificate chain to "O=Acme, CN=Acme Notation Root".',
      validUntil: validTo(leaf),
    });
  });

  test('validUntil: the expiry header when it is earlier; the anchor\'s notAfter when it is', () => {
    const expiry = new Date(t0.getTime() + 5 * 24 * HOUR).toISOString();
    const r = verify(jws({ header: { crit: [SCHEME, 'io.cncf.notary.expiry'], 'io.cncf.notary.expiry': expiry } }));
    assert.deepEqual([r.status, r.validUntil], ['verified', expiry]);
    const shortRoot = certificate({ subject: [[CN, 'Short Root']], ca: true, notBefore: new Date(t0.getTime() - HOUR), notAfter: new Date(t0.getTime() + 10 * 24 * HOUR) });
    const longLeaf = certificate({ subject: [[CN, 'Long Leaf']], issuer: shortRoot, notBefore: t0, notAfter: new Date(t0.getTime() + 300 * 24 * HOUR) });
    assert.equal(verify(jws({ chain: [longLeaf, shortRoot] }), signers(shortRoot)).validUntil, validTo(shortRoot), 'anchor in x5c');
    assert.equal(verify(jws({ chain: [longLeaf] }), signers(shortRoot)).validUntil, validTo(shortRoot), 'anchor issued the leaf, not in x5c');
    assert.equal(verify(jws({ chain: [longLeaf, shortRoot] }), signers(longLeaf)).validUntil, validTo(longLeaf), 'the leaf itself is the anchor: the root is not on the path');
  });

  test('the signer shown: the CN line only; no CN → the anchor\'s name', () => {
    const tricky = certificate({ subject: [[O, 'ACN=Mallory'], [CN, 'Acme Release']], issuer: root, notBefore: t0, notAfter: new Date(t0.getTime() + 30 * 24 * HOUR) });
    assert.equal(verify(jws({ chain: [tricky, root] })).signer, 'Acme Release');
    const noCn = certificate({ subject: [[O, 'Acme']], issuer: root, notBefore: t0, notAfter: new Date(t0.getTime() + 30 * 24 * HOUR) });
    const r = verify(jws({ chain: [noCn, root] }));
    assert.deepEqual([r.status, r.signer], ['verified', 'anchor 0']);
  });

  test('envelope media types', () => {
    const r = verify(jws(), signers(root), now, 'application/octet-stream');
    assert.deepEqual([r.status, r.reason], ['invalid', 'The Notation signature envelope has media type application/octet-stream; expected application/jose+json or application/cose.']);
    assert.equal(verify(jws(), signers(root), now, '').reason, 'The Notation signature envelope has media type (none); expected application/jose+json or application/cose.');
    assert.deepEqual([verify('x', signers(root), now, 'application/cose').status, verify('x', signers(root), now, 'application/cose').reason], ['untrusted', 'Notation COSE signature present, not verified: COSE envelopes are not supported yet']);
  });

  test('the JWS structure', () => {
    const good = jws();
    const malformed = 'The Notation JWS envelope is malformed: payload, protected, header and signature are required.';
    for (const broken of [[1], { ...good, payload: 5 }, { ...good, protected: undefined }, { ...good, signature: null }, { ...good, header: 'x' }, { ...good, header: undefined }]) {
      fails(broken, 'invalid', malformed);
    }
    const r = verify('{not json');
    assert.equal(r.status, 'invalid');
    assert.match(r.reason, /^The Notation JWS envelope is not JSON \(.+\)\.$/);
    const noChain = 'The Notation JWS envelope carries no certificate chain (header.x5c).';
    for (const x5c of [undefined, 'x', [], [5], [leaf.der.toString('base64'), 5]]) fails({ ...good, header: { x5c } }, 'invalid', noChain);
    const unreadable = verify({ ...good, header: { x5c: ['AAAA'] } });
    assert.equal(unreadable.status, 'invalid');
    assert.match(unreadable.reason, /^A certificate of the Notation signature cannot be read \(.+\)\.$/);
    for (const protectedB64 of [b64url([1]), b64url('"x"'), b64url('{no')]) {
      fails({ ...good, protected: protectedB64 }, 'invalid', "The Notation signature's protected header is not a JSON object.");
    }
  });

  test('algorithms: each one with the key it requires', () => {
    const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const p521 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' });
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const leafWith = (keys: crypto.KeyPairKeyObjectResult) => certificate({ subject: [[CN, 'Keyed Leaf']], keys, issuer: root, notBefore: t0, notAfter: new Date(t0.getTime() + 30 * 24 * HOUR) });
    const [l384, l521, lrsa] = [leafWith(p384), leafWith(p521), leafWith(rsa)];
    for (const [alg, cert] of [['ES256', leaf], ['ES384', l384], ['ES512', l521], ['PS256', lrsa], ['PS384', lrsa], ['PS512', lrsa]] as const) {
      const r = verify(jws({ alg, chain: [cert, root] }));
      assert.equal(r.status, 'verified', `${alg}: ${r.reason}`);
    }
    // The key must be the algorithm's: curve and type.
    const mismatch = (alg: string) => `The Notation signature's algorithm ${alg} does not match its certificate's key.`;
    fails(jws({ alg: 'ES256', hash: 'sha256', chain: [l384, root] }), 'invalid', mismatch('ES256'));
    fails(jws({ alg: 'ES384', hash: 'sha384', chain: [leaf, root] }), 'invalid', mismatch('ES384'));
    fails(jws({ alg: 'PS256', hash: 'sha256', chain: [leaf, root], signer: rsa.privateKey }), 'invalid', mismatch('PS256'));
    fails(jws({ alg: 'ES256', chain: [lrsa, root], signer: leaf.keys.privateKey }), 'invalid', mismatch('ES256'));
    const allowed = 'PS256, PS384, PS512, ES256, ES384, ES512';
    fails(jws({ alg: 'HS256', hash: 'sha256' }), 'invalid', `The Notation signature uses algorithm HS256; the Notary Project allows ${allowed}.`);
    fails(jws({ header: { alg: 5 }, hash: 'sha256' }), 'invalid', `The Notation signature uses algorithm 5; the Notary Project allows ${allowed}.`);
    fails(jws({ alg: 'ES256', hash: 'sha384' }), 'invalid', 'The Notation signature does not match its certificate (content modified or wrong signature).');
  });

  test('the payload must name exactly this digest', () => {
    const noDigest = 'The Notation signature payload names no targetArtifact digest.';
    fails(jws({ payload: { other: 1 } }), 'invalid', noDigest);
    fails(jws({ payload: { targetArtifact: { digest: 5 } } }), 'invalid', noDigest);
    fails(jws({ payload: { targetArtifact: 'x' } }), 'invalid', noDigest);
    fails(jws({ payload: [1] }), 'invalid', "The Notation signature's payload is not a JSON object.");
    fails(jws({ payload: { targetArtifact: { digest: OTHER_DIGEST } } }), 'invalid', `The Notation signature is for another artifact (${OTHER_DIGEST}), not ${DIGEST}.`);
  });

  test('the protected header: content type, critical headers, signing time, expiry', () => {
    fails(jws({ header: { cty: 'application/json' } }), 'invalid', `The Notation signature's content type is application/json; expected ${PAYLOAD_TYPE}.`);
    const mustList = `The Notation signature's protected header must list ${SCHEME} as critical.`;
    for (const crit of [undefined, SCHEME, [], [5], [SCHEME, 5], ['io.cncf.notary.expiry']]) fails(jws({ header: { crit } }), 'invalid', mustList);
    fails(jws({ header: { crit: [SCHEME, 'io.cncf.notary.expiry'] } }), 'invalid', 'The Notation signature has critical headers this verifier cannot honour: io.cncf.notary.expiry.');
    fails(jws({ header: { crit: [SCHEME, 'x.a', 'x.b'], 'x.a': 1, 'x.b': 2 } }), 'invalid', 'The Notation signature has critical headers this verifier cannot honour: x.a, x.b.');
    const noTime = 'The Notation signature has no valid io.cncf.notary.signingTime.';
    for (const signingTime of [undefined, 'yesterday', 1_700_000_000_000]) fails(jws({ header: { 'io.cncf.notary.signingTime': signingTime } }), 'invalid', noTime);
    const withExpiry = (expiry: unknown) => jws({ header: { crit: [SCHEME, 'io.cncf.notary.expiry'], 'io.cncf.notary.expiry': expiry } });
    fails(withExpiry('soon'), 'invalid', "The Notation signature's io.cncf.notary.expiry is not a time.");
    fails(withExpiry(now.getTime()), 'invalid', "The Notation signature's io.cncf.notary.expiry is not a time.");
    const past = new Date(now.getTime() - 1000).toISOString();
    fails(withExpiry(past), 'invalid', `The Notation signature expired at ${past}.`);
    const r = verify(withExpiry(now.toISOString()));
    assert.deepEqual([r.status, r.validUntil], ['verified', now.toISOString()], 'an expiry of exactly now has not passed');
  });

  test('the chain: a code-signing leaf, each certificate issued by the next CA, reaching an anchor', () => {
    const caLeaf = certificate({ subject: [[CN, 'CA Leaf']], issuer: root, ca: true, notBefore: t0, notAfter: new Date(t0.getTime() + 30 * 24 * HOUR) });
    fails(jws({ chain: [caLeaf, root], signer: caLeaf.keys.privateKey }), 'invalid', 'The Notation signing certificate "CN=CA Leaf" is a CA certificate.');
    const noEku = certificate({ subject: [[CN, 'No EKU']], issuer: root, eku: false, notBefore: t0, notAfter: new Date(t0.getTime() + 30 * 24 * HOUR) });
    assert.equal(verify(jws({ chain: [noEku, root] })).status, 'verified', 'no extended key usage at all: any use');
    const other = certificate({ subject: [[CN, 'Other Root']], ca: true, notBefore: new Date(t0.getTime() - HOUR), notAfter: new Date(t0.getTime() + 400 * 24 * HOUR) });
    fails(jws({ chain: [leaf, other] }), 'invalid', 'The Notation certificate chain is broken: "O=Acme, CN=Acme Release" is not issued by "CN=Other Root".', signers(other));
    fails(jws({ chain: [leaf] }), 'untrusted', 'The Notation certificate chain of "O=Acme, CN=Acme Release" does not lead to a configured Notation certificate.', signers(other));
    assert.equal(verify(jws({ chain: [leaf] }), signers(other, root)).status, 'verified', 'the second anchor issued the leaf');
    // A certificate that is not a CA issues nothing, even with the right name and key.
    const notCa = certificate({ subject: [[CN, 'Not A CA']], notBefore: new Date(t0.getTime() - HOUR), notAfter: new Date(t0.getTime() + 400 * 24 * HOUR) });
    const issuedByLeaf = certificate({ subject: [[CN, 'Issued By Leaf']], issuer: notCa, notBefore: t0, notAfter: new Date(t0.getTime() + 30 * 24 * HOUR) });
    fails(jws({ chain: [issuedByLeaf] }), 'untrusted', 'The Notation certificate chain of "CN=Issued By Leaf" does not lead to a configured Notation certificate.', signers(notCa));
  });

  test('validity: from notBefore to notAfter inclusive, at the signing time and now', () => {
    const at = (signingTime: Date) => ({ 'io.cncf.notary.signingTime': signingTime.toISOString() });
    assert.equal(verify(jws({ header: at(t0) })).status, 'verified', 'signed at notBefore');
    const leafEnd = new Date(validTo(leaf));
    assert.equal(verify(jws(), signers(root), leafEnd).status, 'verified', 'checked at notAfter');
    const early = new Date(t0.getTime() - 1000);
    fails(jws({ header: at(early) }), 'invalid', `The Notation certificate "O=Acme, CN=Acme Release" is not valid at the signing time ${early.toISOString()} (valid ${new crypto.X509Certificate(leaf.pem).validFrom} to ${new crypto.X509Certificate(leaf.pem).validTo}).`);
    const late = new Date(leafEnd.getTime() + 1000);
    fails(jws(), 'invalid', `The Notation certificate "O=Acme, CN=Acme Release" is not valid at the verification time ${late.toISOString()} (valid ${new crypto.X509Certificate(leaf.pem).validFrom} to ${new crypto.X509Certificate(leaf.pem).validTo}).`, signers(root), late);
  });
});

// ---- discovery.ts -------------------------------------------------------------------------------------------------

describe('discovery: bounds, places, and what counts as found', () => {
  const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
  const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
  const keys = ecKeys();
  function image() {
    const registry = new MemoryRegistry();
    const { digest } = registry.putArtifact([{ mediaType: OCI_LAYER, data: Buffer.from('layer') }], { tag: 'v1' });
    return { registry, digest };
  }
  const sigLayer = (digest: string, n = 0): CosignLayer => {
    const layer = cosignKeySignature(keys.privateKey, `${NAME}:${n}`, digest);
    return layer;
  };
  const cosignTag = (digest: string, suffix: string) => `${digest.replace(':', '-')}.${suffix}`;

  test('layers per signature manifest: exactly the bound is complete; one more is reported and not read', async () => {
    const { registry, digest } = image();
    registry.putCosignSignatures(digest, [sigLayer(digest, 1), sigLayer(digest, 2), sigLayer(digest, 3)]);
    const exact = await discoverSignatures(registry, NAME, digest, { maxLayers: 3 });
    assert.deepEqual([exact.complete, exact.errors, exact.items.length], [true, [], 3]);
    const over = await discoverSignatures(registry, NAME, digest, { maxLayers: 2 });
    assert.deepEqual([over.complete, over.errors, over.items.length], [false, [`${cosignTag(digest, 'sig')}: 3 layers, only the first 2 were read`], 2]);
  });

  test('default bounds: 32 layers per manifest, 8 MiB per attestation layer', async () => {
    const { registry, digest } = image();
    registry.putArtifact(Array.from({ length: 33 }, (_, i) => ({ mediaType: OCI_LAYER, data: Buffer.from(`x${i}`) })), { tag: cosignTag(digest, 'sig') });
    const layers = await discoverSignatures(registry, NAME, digest);
    assert.deepEqual(layers.errors, [`${cosignTag(digest, 'sig')}: 33 layers, only the first 32 were read`]);
    const big = image();
    const payload = Buffer.alloc(8 * 1024 * 1024 + 1, 0x20);
    const att = big.registry.putArtifact([{ mediaType: DSSE_MEDIA_TYPE, data: payload }], { tag: cosignTag(big.digest, 'att') });
    const found = await discoverSignatures(big.registry, NAME, big.digest);
    assert.equal(found.complete, false);
    const layerDigest = `sha256:${hexOf(payload)}`;
    assert.deepEqual(found.errors, [`${cosignTag(big.digest, 'att')}: layer ${layerDigest} is ${payload.length} bytes, over the 8388608-byte limit`]);
    assert.ok(att.digest);
    assert.ok(!big.registry.requests.includes(`blob ${layerDigest}`));
  });

  test('a layer of exactly the size bound is read', async () => {
    const { registry, digest } = image();
    const layer = sigLayer(digest);
    registry.putCosignSignatures(digest, [layer]);
    const found = await discoverSignatures(registry, NAME, digest, { maxSignatureBytes: layer.payload.length });
    assert.deepEqual([found.complete, found.items.length], [true, 1]);
  });

  test('referrers: exactly the bound is complete; over it the error says how many', async () => {
    const { registry, digest } = image();
    for (let i = 0; i < 3; i++) registry.putArtifact([{ mediaType: 'application/spdx+json', data: Buffer.from(`{"n":${i}}`) }], { artifactType: 'application/spdx+json', subject: digest });
    const exact = await discoverSignatures(registry, NAME, digest, { maxReferrers: 3 });
    assert.deepEqual([exact.complete, exact.items.length], [true, 3]);
    const over = await discoverSignatures(registry, NAME, digest, { maxReferrers: 2 });
    assert.deepEqual(over.errors, ['3 referrers, only the first 2 were read']);
  });

  test('a referrers API that answers "not found" is an empty place, not a gap', async () => {
    const { registry, digest } = image();
    registry.failures.set('referrers', new ImageTrustError('REGISTRY_NOT_FOUND', 'no referrers API'));
    const found = await discoverSignatures(registry, NAME, digest);
    assert.deepEqual([found.complete, found.errors], [true, []]);
  });

  test('.sbom layers are artifacts; other non-signature layers of .sig and .att are not', async () => {
    const { registry, digest } = image();
    const sbom = registry.putArtifact([{ mediaType: 'text/spdx+json', data: Buffer.from('{}') }], { tag: cosignTag(digest, 'sbom') });
    registry.putArtifact([{ mediaType: 'text/plain', data: Buffer.from('note') }], { tag: cosignTag(digest, 'sig') });
    registry.putArtifact([{ mediaType: 'text/plain', data: Buffer.from('note 2') }], { tag: cosignTag(digest, 'att') });
    const found = await discoverSignatures(registry, NAME, digest);
    assert.deepEqual(found.items, [{ kind: 'artifact', artifactType: 'text/spdx+json', foundIn: 'cosign-tag', manifestDigest: sbom.digest }]);
  });

  test('malformed layer descriptors are skipped', async () => {
    const { registry, digest } = image();
    const good = registry.putBlob(Buffer.from('{}'));
    const layers = [
      { mediaType: 'text/spdx+json', digest: good.digest, size: good.size },
      { mediaType: 'text/a', digest: good.digest },
      { mediaType: 'text/b', size: 2 },
      { digest: good.digest, size: 2 },
      null,
      'text/c',
    ];
    const sbom = registry.putManifest({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers }, cosignTag(digest, 'sbom'));
    registry.putManifest({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: 'none' }, cosignTag(digest, 'sig'));
    const found = await discoverSignatures(registry, NAME, digest);
    assert.deepEqual(found.items, [{ kind: 'artifact', artifactType: 'text/spdx+json', foundIn: 'cosign-tag', manifestDigest: sbom.digest }]);
    assert.equal(found.complete, true);
  });

  test('cosign signature and attestation manifests attached as referrers are read as cosign manifests', async () => {
    const { registry, digest } = image();
    const sig = registry.putArtifact([{ mediaType: SIMPLE_SIGNING_MEDIA_TYPE, data: sigLayer(digest).payload, annotations: sigLayer(digest).annotations }], { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', subject: digest });
    const att = registry.putArtifact([{ mediaType: DSSE_MEDIA_TYPE, data: Buffer.from('{}') }], { artifactType: 'application/vnd.dev.cosign.artifact.att.v1+json', subject: digest });
    const other = registry.putArtifact([{ mediaType: 'text/plain', data: Buffer.from('x') }], { subject: digest });
    const found = await discoverSignatures(registry, NAME, digest);
    const summary = found.items.map((i) => [i.kind, i.foundIn, i.manifestDigest, i.kind === 'artifact' ? i.artifactType : '']).sort();
    assert.deepEqual(summary, [
      ['artifact', 'referrers-api', other.digest, 'application/vnd.oci.image.manifest.v1+json'],
      ['cosign-attestation', 'referrers-api', att.digest, ''],
      ['cosign-signature', 'referrers-api', sig.digest, ''],
    ].sort());
  });

  test('bundle referrers: the bundle layer by media type, else the only layer; none → incomplete', async () => {
    const { registry, digest } = image();
    const picked = registry.putArtifact([{ mediaType: 'text/plain', data: Buffer.from('readme') }, { mediaType: BUNDLE_V03, data: Buffer.from('{"bundle":1}') }], { artifactType: BUNDLE_V03, subject: digest });
    const single = registry.putArtifact([{ mediaType: 'application/json', data: Buffer.from('{"bundle":2}') }], { artifactType: BUNDLE_V03, subject: digest });
    const none = registry.putArtifact([{ mediaType: 'text/plain', data: Buffer.from('a') }, { mediaType: 'text/plain', data: Buffer.from('b') }], { artifactType: BUNDLE_V03, subject: digest });
    const found = await discoverSignatures(registry, NAME, digest);
    const bundles = found.items.flatMap((i) => (i.kind === 'sigstore-bundle' ? [[i.manifestDigest, i.bundle.toString()]] : [])).sort();
    assert.deepEqual(bundles, [[picked.digest, '{"bundle":1}'], [single.digest, '{"bundle":2}']].sort());
    assert.deepEqual(found.errors, [`bundle ${none.digest}: no bundle layer in the manifest`]);
    assert.equal(found.complete, false);
    assert.ok(found.subjectManifest?.equals((await registry.getManifest(NAME, digest)).body), 'the image manifest is fetched for message signatures');
  });

  test('the image manifest is fetched only when a bundle was found; its failure is reported, not a gap', async () => {
    const { registry, digest } = image();
    registry.putCosignSignatures(digest, [sigLayer(digest)]);
    const found = await discoverSignatures(registry, NAME, digest);
    assert.equal(found.subjectManifest, undefined);
    assert.ok(!registry.requests.includes(`manifest ${digest}`));
    registry.putArtifact([{ mediaType: BUNDLE_V03, data: Buffer.from('{}') }], { artifactType: BUNDLE_V03, subject: digest });
    registry.failures.set(digest, new ImageTrustError('REGISTRY_UNREACHABLE', 'reset'));
    const withBundle = await discoverSignatures(registry, NAME, digest);
    assert.deepEqual([withBundle.complete, withBundle.errors], [true, [`image manifest ${digest}: reset`]]);
  });

  test('unreadable bundle and Notation manifests and blobs: incomplete, saying where', async () => {
    const { registry, digest } = image();
    const bundle = registry.putArtifact([{ mediaType: BUNDLE_V03, data: Buffer.from('{}') }], { artifactType: BUNDLE_V03, subject: digest });
    const notation = registry.putArtifact([{ mediaType: 'application/jose+json', data: Buffer.from('{"n":1}') }], { artifactType: 'application/vnd.cncf.notary.signature', subject: digest });
    const notationBlob = `sha256:${hexOf('{"n":1}')}`;
    registry.failures.set(bundle.digest, new ImageTrustError('REGISTRY_UNREACHABLE', 'reset 1'));
    registry.failures.set(notation.digest, new ImageTrustError('REGISTRY_UNREACHABLE', 'reset 2'));
    const found = await discoverSignatures(registry, NAME, digest);
    assert.deepEqual(found.errors.sort(), [`Notation signature ${notation.digest}: reset 2`, `bundle ${bundle.digest}: reset 1`].sort());
    registry.failures.clear();
    registry.failures.set(notationBlob, new ImageTrustError('REGISTRY_UNREACHABLE', 'reset 3'));
    const blob = await discoverSignatures(registry, NAME, digest);
    assert.deepEqual(blob.errors, [`Notation signature ${notation.digest}: layer ${notationBlob}: reset 3`]);
    assert.deepEqual(blob.items.map((i) => i.kind), ['sigstore-bundle']);
  });

  test('an unreadable bundle blob is a gap, not a found bundle; a Notation manifest without a layer list is reported', async () => {
    const { registry, digest } = image();
    const bundle = registry.putArtifact([{ mediaType: BUNDLE_V03, data: Buffer.from('{"b":1}') }], { artifactType: BUNDLE_V03, subject: digest });
    const blob = `sha256:${hexOf('{"b":1}')}`;
    registry.failures.set(blob, new ImageTrustError('REGISTRY_UNREACHABLE', 'reset'));
    const noLayers = registry.putManifest({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: 'none' });
    const referrers = await registry.getReferrers(NAME, digest);
    const reader = {
      resolve: registry.resolve.bind(registry),
      getManifest: registry.getManifest.bind(registry),
      getBlob: registry.getBlob.bind(registry),
      getReferrers: async () => ({ ...referrers, manifests: [...referrers.manifests, { ...noLayers, artifactType: 'application/vnd.cncf.notary.signature' }] }),
    };
    const found = await discoverSignatures(reader, NAME, digest);
    assert.deepEqual(found.errors, [`${bundle.digest}: layer ${blob}: reset`]);
    assert.deepEqual(found.items, [
      { kind: 'notation', problem: 'The Notation signature manifest holds 0 layers; exactly one signature envelope is expected.', foundIn: 'referrers-api', manifestDigest: noLayers.digest },
    ]);
  });

  test('every request carries the caller\'s abort signal; at most 4 blob fetches at a time per manifest', async () => {
    const { registry, digest } = image();
    const layers = Array.from({ length: 10 }, (_, i) => sigLayer(digest, i));
    const signatureBlobs = new Set(layers.map((l) => `sha256:${hexOf(l.payload)}`));
    registry.putCosignSignatures(digest, layers);
    registry.putArtifact([{ mediaType: BUNDLE_V03, data: Buffer.from('{}') }], { artifactType: BUNDLE_V03, subject: digest });
    registry.putArtifact([{ mediaType: 'application/jose+json', data: Buffer.from('{}') }], { artifactType: 'application/vnd.cncf.notary.signature', subject: digest });
    const signal = new AbortController().signal;
    const seen: string[] = [];
    let inFlight = 0;
    let peak = 0;
    const reader = {
      resolve: registry.resolve.bind(registry),
      getManifest: async (n: string, ref: string, opts?: { signal?: AbortSignal }) => {
        if (opts?.signal !== signal) seen.push(`manifest ${ref}`);
        return registry.getManifest(n, ref);
      },
      getReferrers: async (n: string, d: string, t?: string, opts?: { signal?: AbortSignal }) => {
        if (opts?.signal !== signal) seen.push(`referrers ${d}`);
        return registry.getReferrers(n, d);
      },
      getBlob: async (n: string, d: string, max: number, opts?: { signal?: AbortSignal }) => {
        if (opts?.signal !== signal) seen.push(`blob ${d}`);
        if (!signatureBlobs.has(d)) return registry.getBlob(n, d, max);
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return registry.getBlob(n, d, max);
      },
    };
    const found = await discoverSignatures(reader, NAME, digest, { signal });
    assert.deepEqual(seen, []);
    assert.deepEqual([found.items.length, found.complete], [12, true]);
    assert.ok(found.subjectManifest);
    assert.equal(peak, 4);
  });
});
