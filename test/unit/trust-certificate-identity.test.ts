// Certificate identities are decoded per their ASN.1 type, never by masking bytes: rfc822Name, dNSName and URI SANs
// are IA5String (7-bit ASCII), Fulcio's username otherName and OIDC issuer are UTF-8. A certificate with a name that
// does not decode matches no identity — in particular not the identity its bytes would spell with the high bit
// cleared (0xC0 → '@'). Certificates are built byte by byte in memory (test/support/signing.ts).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { X509Certificate } from '@sigstore/core';
import { verifyCosignSignature } from '../../server/src/core/trust/cosign';
import { certificateIdentity } from '../../server/src/core/trust/entity';
import { verifyNotationSignature, type NotationSigner } from '../../server/src/core/trust/notation';
import { prepareSigner, prepareTrust, type SignerSpec } from '../../server/src/core/trust/signers';
import { NOTATION_JWS_MEDIA_TYPE, notationJws } from '../support/notation-signing';
import {
  cosignCertificateSignature,
  der,
  derOid,
  derExtension,
  fulcioIssuerV1,
  fulcioIssuerV2,
  makeCertificate,
  OID,
  subjectAltNames,
  type GeneralNameSpec,
} from '../support/signing';

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const ISSUER = 'https://token.actions.githubusercontent.com';

function identityOf(...extensions: Buffer[]) {
  const root = makeCertificate({ commonName: 'Test Root', ca: true });
  const leaf = makeCertificate({ commonName: 'Test Leaf', issuer: root, extensions });
  return certificateIdentity(X509Certificate.parse(leaf.pem));
}

describe('certificateIdentity: SANs decoded per ASN.1 type', () => {
  test('clean URI, e-mail and DNS names are read as written', () => {
    const who = identityOf(subjectAltNames({ email: 'release@acme.example' }, { uri: 'https://github.com/acme/app' }, { dns: 'build.acme.example' }));
    assert.deepEqual(who.sans, ['https://github.com/acme/app', 'release@acme.example', 'build.acme.example']);
    assert.deepEqual(who.malformed, []);
  });

  const BAD_BYTES: [string, string][] = [
    ['0xC0 (would read as "@" with the high bit cleared)', '\xC0'],
    ['0x80', '\x80'],
    ['0xFF', '\xFF'],
    ['NUL', '\x00'],
    ['newline', '\n'],
    ['escape', '\x1B'],
    ['DEL', '\x7F'],
  ];
  const KINDS: [string, (bytes: Buffer) => GeneralNameSpec, string][] = [
    ['URI', (b) => ({ uri: b }), 'https://github.com/acme{}/app'],
    ['e-mail', (b) => ({ email: b }), 'release{}acme.example'],
    ['DNS name', (b) => ({ dns: b }), 'build{}acme.example'],
  ];
  for (const [kind, make, template] of KINDS) {
    for (const [label, byte] of BAD_BYTES) {
      test(`a ${kind} SAN with ${label} is not decoded: no SAN, reported as malformed`, () => {
        const who = identityOf(subjectAltNames(make(latin1(template.replace('{}', byte)))));
        assert.deepEqual(who.sans, []);
        assert.equal(who.malformed.length, 1, JSON.stringify(who.malformed));
        assert.match(who.malformed[0], /not 7-bit printable ASCII/);
        // The report shows the byte escaped, never raw and never masked.
        assert.ok(!who.malformed[0].includes(byte), JSON.stringify(who.malformed[0]));
        assert.ok(!/acme@\/app|release@acme|build@acme/.test(who.malformed[0]), who.malformed[0]);
      });
    }
  }

  test('one malformed SAN next to a clean one: the clean one is listed, the malformed one reported', () => {
    const who = identityOf(subjectAltNames({ uri: 'https://github.com/acme/app' }, { email: latin1('mallory\xC0acme.example') }));
    assert.deepEqual(who.sans, ['https://github.com/acme/app']);
    assert.equal(who.malformed.length, 1);
  });

  test("Fulcio's username otherName (UTF8String) is a SAN; valid UTF-8 only", () => {
    const ok = identityOf(subjectAltNames({ otherName: { oid: OID.fulcioOtherNameUsername, text: 'jürgen' } }));
    assert.deepEqual(ok.sans, ['jürgen']);
    assert.deepEqual(ok.malformed, []);
    for (const bytes of [Buffer.from([0x6a, 0xc3, 0x28]), Buffer.from([0x6a, 0xfc, 0x72]), Buffer.from('ab\u0000cd'), Buffer.from('ab\u0085cd')]) {
      const bad = identityOf(subjectAltNames({ otherName: { oid: OID.fulcioOtherNameUsername, text: bytes } }));
      assert.deepEqual(bad.sans, [], bytes.toString('hex'));
      assert.equal(bad.malformed.length, 1, bytes.toString('hex'));
    }
  });

  test('a username otherName that is not a UTF8String is malformed; an unknown otherName is ignored', () => {
    const ia5 = identityOf(subjectAltNames({ otherName: { oid: OID.fulcioOtherNameUsername, value: der(0x16, Buffer.from('jurgen')) } }));
    assert.deepEqual(ia5.sans, []);
    assert.equal(ia5.malformed.length, 1);
    const unknown = identityOf(subjectAltNames({ otherName: { oid: '1.2.3.4', text: 'jurgen' } }, { uri: 'https://github.com/acme/app' }));
    assert.deepEqual(unknown.sans, ['https://github.com/acme/app']);
    assert.deepEqual(unknown.malformed, []);
  });

  test('a primitive/constructed mismatch (a URI SAN encoded as constructed) is malformed', () => {
    const constructed = derExtension(OID.subjectAltName, der(0x30, der(0xa6, der(0x16, Buffer.from('https://github.com/acme/app')))), true);
    const who = identityOf(constructed);
    assert.deepEqual(who.sans, []);
    assert.equal(who.malformed.length, 1);
  });
});

describe('certificateIdentity: repeated extensions (RFC 5280 4.2: at most one of each)', () => {
  test('two subject alternative name extensions: no SAN is read, reported', () => {
    const who = identityOf(subjectAltNames({ uri: 'https://github.com/mallory/app' }), subjectAltNames({ uri: 'https://github.com/acme/app' }));
    assert.deepEqual(who.sans, []);
    assert.match(who.malformed.join(), /occurs 2 times/);
  });

  test('two v2 issuer extensions: no issuer', () => {
    const who = identityOf(fulcioIssuerV2('https://accounts.example.com'), fulcioIssuerV2(ISSUER));
    assert.equal(who.issuer, undefined);
    assert.match(who.malformed.join(), /occurs 2 times/);
  });
});

describe('certificateIdentity: the Fulcio OIDC issuer extension', () => {
  test('v2 (a DER UTF8String) and v1 (raw bytes) are read', () => {
    assert.equal(identityOf(fulcioIssuerV2(ISSUER)).issuer, ISSUER);
    assert.equal(identityOf(fulcioIssuerV1(ISSUER)).issuer, ISSUER);
    assert.equal(identityOf(fulcioIssuerV2('https://idp.example/ü')).issuer, 'https://idp.example/ü');
  });

  const malformedV2: [string, Buffer][] = [
    ['invalid UTF-8', derExtension(OID.fulcioIssuerV2, der(0x0c, latin1('https://token.actions.githubusercontent.com\xC0')))],
    ['a control character', derExtension(OID.fulcioIssuerV2, der(0x0c, Buffer.from('https://token.actions.githubusercontent.com\n')))],
    ['an IA5String instead of a UTF8String', derExtension(OID.fulcioIssuerV2, der(0x16, Buffer.from(ISSUER)))],
    ['raw bytes instead of DER', derExtension(OID.fulcioIssuerV2, Buffer.from(ISSUER))],
    ['trailing bytes after the UTF8String', derExtension(OID.fulcioIssuerV2, Buffer.concat([der(0x0c, Buffer.from(ISSUER)), der(0x0c, Buffer.from('x'))]))],
  ];
  for (const [label, ext] of malformedV2) {
    test(`v2 with ${label}: no issuer, reported — and v1 is not used instead`, () => {
      const who = identityOf(ext, fulcioIssuerV1(ISSUER));
      assert.equal(who.issuer, undefined);
      assert.equal(who.malformed.length, 1, JSON.stringify(who.malformed));
      assert.match(who.malformed[0], /issuer/);
    });
  }

  test('v1 must be valid UTF-8 without control characters', () => {
    for (const bytes of [latin1('https://accounts.example\xC0com'), Buffer.from('https://accounts.example.com\u0000')]) {
      const who = identityOf(fulcioIssuerV1(bytes));
      assert.equal(who.issuer, undefined, bytes.toString('hex'));
      assert.equal(who.malformed.length, 1);
    }
  });
});

describe('private PKI (certificate signer): a certificate with an undecodable SAN matches no identity', () => {
  const root = makeCertificate({ commonName: 'Acme Signing Root', ca: true });
  const payloadDigest = `sha256:${crypto.createHash('sha256').update('image').digest('hex')}`;
  const signer = (identity: { subject?: string; subjectRegExp?: string }): SignerSpec => ({ type: 'certificate', name: 'Acme PKI', rootsPem: root.pem, ...identity });

  function verifyWith(sans: GeneralNameSpec[], identity: { subject?: string; subjectRegExp?: string }, extensions: Buffer[] = []) {
    const leaf = makeCertificate({ commonName: 'Acme Release', issuer: root, extensions: [subjectAltNames(...sans), ...extensions] });
    const layer = cosignCertificateSignature(leaf, 'registry.example/acme/app', payloadDigest);
    return verifyCosignSignature(layer, payloadDigest, prepareTrust([signer(identity)]), 'cosign-tag');
  }

  test('control: a clean URI SAN verifies against the configured root', () => {
    const result = verifyWith([{ uri: 'https://github.com/acme/app' }], { subject: 'https://github.com/acme/app' });
    assert.equal(result.status, 'verified', result.reason);
    assert.equal(result.signer, 'Acme PKI');
  });

  test('URI https://github.com/acme\\xC0/app is not https://github.com/acme@/app (0xC0 & 0x7F = "@")', () => {
    const result = verifyWith([{ uri: latin1('https://github.com/acme\xC0/app') }], { subject: 'https://github.com/acme@/app' });
    assert.notEqual(result.status, 'verified', result.reason);
    assert.equal(result.status, 'invalid', result.reason);
    assert.match(result.reason, /malformed/);
    assert.ok(!(result.signer ?? '').includes('acme@'), `the claimed signer must not be the masked form: ${result.signer}`);
  });

  test('an e-mail SAN release\\xC0acme.example is not release@acme.example', () => {
    const result = verifyWith([{ email: latin1('release\xC0acme.example') }], { subject: 'release@acme.example' });
    assert.notEqual(result.status, 'verified', result.reason);
  });

  test('a malformed SAN is not compared at all: not even a catch-all subjectRegExp, nor via a clean second SAN', () => {
    const any = verifyWith([{ uri: latin1('https://github.com/acme\x00/app') }], { subjectRegExp: '.*' });
    assert.notEqual(any.status, 'verified', any.reason);
    const mixed = verifyWith([{ uri: 'https://github.com/acme/app' }, { dns: latin1('evil\xAEexample') }], { subject: 'https://github.com/acme/app' });
    assert.notEqual(mixed.status, 'verified', mixed.reason);
  });

  test("a UTF-8 username otherName (Fulcio's username identity) matches exactly", () => {
    const ok = verifyWith([{ otherName: { oid: OID.fulcioOtherNameUsername, text: 'jürgen' } }], { subject: 'jürgen' });
    assert.equal(ok.status, 'verified', ok.reason);
    const latin = verifyWith([{ otherName: { oid: OID.fulcioOtherNameUsername, text: latin1('j\xFCrgen') } }], { subjectRegExp: 'j.rgen' });
    assert.notEqual(latin.status, 'verified', latin.reason);
  });

  test('a byte-order mark is kept, not silently dropped: "\\uFEFFjurgen" is not "jurgen"', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('jurgen')]);
    const who = identityOf(subjectAltNames({ otherName: { oid: OID.fulcioOtherNameUsername, text: withBom } }));
    assert.deepEqual(who.sans, ['\uFEFFjurgen']);
    const result = verifyWith([{ otherName: { oid: OID.fulcioOtherNameUsername, text: withBom } }], { subject: 'jurgen' });
    assert.notEqual(result.status, 'verified', result.reason);
  });

  test('the OID encoder writes multi-byte arcs (57264) as DER does', () => {
    assert.equal(derOid(OID.fulcioIssuerV2).toString('hex'), '060a2b0601040183bf300108');
  });
});

describe('Notation: identities are not matched, and the signer shown is the leaf CN as Node escapes it', () => {
  // Notation signers are trust anchors only: no name of the certificate is compared with the policy. The signer
  // shown is the leaf's CN from node:crypto's X509Certificate (OpenSSL), which escapes control characters and
  // separators, so a CN cannot forge a second line or a second CN.
  const root = makeCertificate({ commonName: 'Acme Notation Root', ca: true });
  const digest = `sha256:${crypto.createHash('sha256').update('notation image').digest('hex')}`;
  const anchors = [prepareSigner({ type: 'notation', certificatePem: root.pem }) as NotationSigner];

  function verifyLeaf(commonName: string) {
    const leaf = makeCertificate({ commonName, issuer: root, serial: 2 });
    const envelope = notationJws({ rootPem: root.pem, leafPem: leaf.pem, leafKey: leaf.keys.privateKey, keyType: 'ec' }, { digest });
    return verifyNotationSignature({ mediaType: NOTATION_JWS_MEDIA_TYPE, bytes: envelope }, digest, anchors, 'referrers-api');
  }

  test('control: a chain to the configured root verifies, signer = leaf CN', () => {
    const result = verifyLeaf('Acme Release');
    assert.equal(result.status, 'verified', result.reason);
    assert.equal(result.signer, 'Acme Release');
  });

  test('a CN with a newline and a fake "CN=" is shown escaped on one line', () => {
    const result = verifyLeaf('Mallory\nCN=Acme Release');
    assert.equal(result.status, 'verified', result.reason);
    assert.ok(!(result.signer ?? '').includes('\n'), JSON.stringify(result.signer));
    assert.notEqual(result.signer, 'Acme Release');
    assert.match(result.signer ?? '', /^Mallory/);
  });
});

