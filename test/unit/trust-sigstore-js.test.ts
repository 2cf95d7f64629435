// New signatures made with @sigstore/sign (own key signers, and keyless through @sigstore/mock's in-process Fulcio
// and Rekor), verified by the trust core: bundles, DSSE attestations, tampering, and every aggregate status.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';
import { bundleToJSON } from '@sigstore/bundle';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler } from '@sigstore/mock';
import { mock } from '@sigstore/mock/dist/mock';
import { DSSEBundleBuilder, FulcioSigner, MessageSignatureBundleBuilder, RekorWitness, type Signer } from '@sigstore/sign';
import { verifySigstoreBundle } from '../../server/src/core/trust/bundle';
import { verifyDiscovered, NOTATION_UNVERIFIED_REASON } from '../../server/src/core/trust/index';
import type { DiscoveryResult } from '../../server/src/core/trust/discovery';
import { prepareTrust, publicKeyId, type SignerSpec } from '../../server/src/core/trust/signers';
import { aggregateTrust, type SignatureResult } from '../../server/src/core/trust/status';
import { makeCertificate, SLSA_V1_PREDICATE, SPDX_PREDICATE } from '../support/signing';

const FULCIO_URL = 'https://fulcio.image-trust.test';
const REKOR_URL = 'https://rekor.image-trust.test';
const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';

const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }));
const digestHex = crypto.createHash('sha256').update(manifest).digest('hex');
const DIGEST = `sha256:${digestHex}`;
const OTHER_DIGEST = `sha256:${'ab'.repeat(32)}`;

function keyPair() {
  return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function pemOf(key: crypto.KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

/** A @sigstore/sign signer over a local key, announcing the key id as hint. */
function localSigner(pair: crypto.KeyPairKeyObjectResult): Signer {
  return {
    sign: async (data) => ({
      signature: crypto.sign('sha256', data, pair.privateKey),
      key: { $case: 'publicKey', publicKey: pemOf(pair.publicKey), hint: publicKeyId(pair.publicKey) },
    }),
  };
}

function statement(subjectDigest: string, predicateType: string, predicate: unknown): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'registry.example/acme/app', digest: { sha256: subjectDigest.replace('sha256:', '') } }],
      predicateType,
      predicate,
    }),
  );
}

const SLSA_V1 = SLSA_V1_PREDICATE;
const SPDX = SPDX_PREDICATE;

async function messageBundle(signer: Signer, data: Buffer, witnesses: RekorWitness[] = []): Promise<Buffer> {
  const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses }).create({ data });
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

async function dsseBundle(signer: Signer, payload: Buffer, witnesses: RekorWitness[] = []): Promise<Buffer> {
  const bundle = await new DSSEBundleBuilder({ signer, witnesses }).create({ data: payload, type: 'application/vnd.in-toto+json' });
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

describe('bundles signed with keys', () => {
  const trusted = keyPair();
  const stranger = keyPair();
  // These tests are about what a key signature binds (content, key); the bundles are not logged, so the signer
  // opts out of the transparency log as `tlog: false` does in a policy.
  const trust = prepareTrust([{ type: 'key', name: 'release-key', publicKeyPem: pemOf(trusted.publicKey), requireTlog: false }]);

  test('a message signature by the trusted key over the manifest verifies', async () => {
    const bundle = await messageBundle(localSigner(trusted), manifest);
    const { kind, result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, trust, 'referrers-api');
    assert.equal(kind, 'signature');
    assert.equal(result.status, 'verified', result.reason);
    assert.equal(result.signer, 'release-key');
    assert.equal(result.reason, 'Signature verified with key release-key; no transparency-log entry (allowed by policy).');
    // The signer's identity for "same signer" comparisons (image-trust update) is the key's fingerprint, not its name.
    assert.deepEqual(result.identity, { kind: 'key', keyId: publicKeyId(trusted.publicKey) });
  });

  test('a message signature by an unknown key is untrusted', async () => {
    const bundle = await messageBundle(localSigner(stranger), manifest);
    const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, trust, 'referrers-api');
    assert.equal(result.status, 'untrusted', result.reason);
    assert.equal(result.identity, undefined, 'only a signature the policy accepted names an identity');
  });

  test('a signature over other bytes than the manifest is invalid', async () => {
    const bundle = await messageBundle(localSigner(trusted), Buffer.from('something else'));
    const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, trust, 'referrers-api');
    assert.equal(result.status, 'invalid', result.reason);
  });

  test('a tampered DSSE payload is invalid', async () => {
    const json = JSON.parse((await dsseBundle(localSigner(trusted), statement(DIGEST, 'https://slsa.dev/provenance/v1', SLSA_V1))).toString());
    const payload = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString());
    payload.predicate.runDetails.builder.id = 'https://evil.example/builder';
    json.dsseEnvelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64');
    const { result } = verifySigstoreBundle(JSON.stringify(json), { digest: DIGEST }, trust, 'referrers-api');
    assert.equal(result.status, 'invalid', result.reason);
  });

  test('a key signer requires a transparency-log entry by default (as cosign verify --key): an unlogged bundle is not verified', async () => {
    const byDefault = prepareTrust([{ type: 'key', name: 'release-key', publicKeyPem: pemOf(trusted.publicKey) }]);
    for (const bundle of [await messageBundle(localSigner(trusted), manifest), await dsseBundle(localSigner(trusted), statement(DIGEST, 'https://slsa.dev/provenance/v1', SLSA_V1))]) {
      const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, byDefault, 'referrers-api');
      assert.equal(result.status, 'untrusted', result.reason);
      assert.match(result.reason, /release-key.*no transparency-log entry.*`tlog: false`/);
    }
  });

  test('an unlogged bundle by an unknown key under a default key signer: untrusted, not blamed on the log', async () => {
    const byDefault = prepareTrust([{ type: 'key', name: 'release-key', publicKeyPem: pemOf(trusted.publicKey) }]);
    const { result } = verifySigstoreBundle(await messageBundle(localSigner(stranger), manifest), { digest: DIGEST, bytes: manifest }, byDefault, 'referrers-api');
    assert.equal(result.status, 'untrusted', result.reason);
    assert.match(result.reason, /Not signed by any trusted key/);
  });

  test('a key requiring Rekor does not stop another (tlog: false) key from verifying an unlogged signature', async () => {
    const both = prepareTrust([
      { type: 'key', name: 'strict-key', publicKeyPem: pemOf(stranger.publicKey), requireTlog: true },
      { type: 'key', name: 'release-key', publicKeyPem: pemOf(trusted.publicKey), requireTlog: false },
    ]);
    const bundle = await messageBundle(localSigner(trusted), manifest);
    const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, both, 'referrers-api');
    assert.equal(result.status, 'verified', result.reason);
    assert.equal(result.signer, 'release-key');
  });

  test('requireTlog rejects a bundle that was never logged', async () => {
    const strict = prepareTrust([{ type: 'key', name: 'release-key', publicKeyPem: pemOf(trusted.publicKey), requireTlog: true }]);
    const bundle = await messageBundle(localSigner(trusted), manifest);
    const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, strict, 'referrers-api');
    assert.notEqual(result.status, 'verified');
  });
});

describe('key-signed bundles logged in a (mock) Rekor', () => {
  const trusted = keyPair();
  let trustedRoot: unknown;
  let tlog: Awaited<ReturnType<typeof initializeTLog>>;

  before(async () => {
    tlog = await initializeTLog(REKOR_URL, keyPair());
    const logKey = { rawBytes: tlog.publicKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2000-01-01T00:00:00Z' } };
    trustedRoot = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{ baseUrl: REKOR_URL, hashAlgorithm: 'SHA2_256', publicKey: logKey, logId: { keyId: crypto.createHash('sha256').update(tlog.publicKey).digest('base64') } }],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    };
  });

  /** A message signature by `trusted` over the manifest, logged in the mock Rekor (one interception per call). */
  async function loggedBundle(): Promise<Buffer> {
    mock(REKOR_URL, rekorHandler(tlog));
    return messageBundle(localSigner(trusted), manifest, [new RekorWitness({ rekorBaseURL: REKOR_URL, retry: 0, entryType: 'intoto' })]);
  }

  const keySigner = (extra: Partial<Extract<SignerSpec, { type: 'key' }>> = {}) =>
    prepareTrust([{ type: 'key', name: 'release-key', publicKeyPem: pemOf(trusted.publicKey), ...extra }], { trustedRoot });

  test('a logged signature verifies under a default key signer, with its log index and time', async () => {
    const { result } = verifySigstoreBundle(await loggedBundle(), { digest: DIGEST, bytes: manifest }, keySigner(), 'referrers-api');
    assert.equal(result.status, 'verified', result.reason);
    assert.equal(result.reason, 'Signature verified with key release-key.');
    assert.equal(typeof result.logIndex, 'number');
  });

  test('with tlog: false a present log entry must still verify: a forged SET is invalid', async () => {
    const json = JSON.parse((await loggedBundle()).toString());
    const entry = json.verificationMaterial.tlogEntries[0];
    entry.integratedTime = String(Number(entry.integratedTime) + 1);
    for (const extra of [{ requireTlog: false }, {}]) {
      const { result } = verifySigstoreBundle(JSON.stringify(json), { digest: DIGEST, bytes: manifest }, keySigner(extra), 'referrers-api');
      assert.equal(result.status, 'invalid', `${JSON.stringify(extra)}: ${result.reason}`);
    }
  });

  test('a log entry from a log the trusted root does not know is invalid, also with tlog: false', async () => {
    const bundle = await loggedBundle();
    const unknownLog = prepareTrust([{ type: 'key', name: 'release-key', publicKeyPem: pemOf(trusted.publicKey), requireTlog: false }], { trustedRoot: { ...(trustedRoot as object), tlogs: [] } });
    const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, unknownLog, 'referrers-api');
    assert.equal(result.status, 'invalid', result.reason);
  });
});

describe('keyless bundles (mock Fulcio + Rekor)', () => {
  let trustedRoot: unknown;
  let ca: Awaited<ReturnType<typeof initializeCA>>;
  let tlog: Awaited<ReturnType<typeof initializeTLog>>;

  before(async () => {
    const caKeys = keyPair();
    const ctlog = await initializeCTLog(caKeys);
    ca = await initializeCA(caKeys, ctlog);
    tlog = await initializeTLog(REKOR_URL, keyPair());
    const start = '2000-01-01T00:00:00Z';
    const logKey = (publicKey: Buffer) => ({ rawBytes: publicKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } });
    trustedRoot = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{ baseUrl: REKOR_URL, hashAlgorithm: 'SHA2_256', publicKey: logKey(tlog.publicKey), logId: { keyId: crypto.createHash('sha256').update(tlog.publicKey).digest('base64') } }],
      certificateAuthorities: [
        { subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: FULCIO_URL, certChain: { certificates: [{ rawBytes: Buffer.from(ca.rootCertificate.buffer).toString('base64') }] }, validFor: { start } },
      ],
      ctlogs: [{ baseUrl: 'https://ctfe.image-trust.test', hashAlgorithm: 'SHA2_256', publicKey: logKey(ctlog.publicKey), logId: { keyId: Buffer.from(ctlog.logID.buffer).toString('base64') } }],
      timestampAuthorities: [],
    };
  });

  /** Signs through the in-process mock services; every call registers exactly one interception per service. */
  async function keyless(claims: Record<string, string>, build: (signer: Signer, witnesses: RekorWitness[]) => Promise<Buffer>): Promise<Buffer> {
    mock(FULCIO_URL, fulcioHandler(ca));
    mock(REKOR_URL, rekorHandler(tlog));
    const jwt = [{ alg: 'none' }, { aud: 'sigstore', ...claims }].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2ln';
    const signer = new FulcioSigner({ identityProvider: { getToken: async () => jwt }, fulcioBaseURL: FULCIO_URL, retry: 0 });
    // The mock log stores the proposed entry as the body; only the intoto kind's proposal has the shape of a real entry.
    return build(signer, [new RekorWitness({ rekorBaseURL: REKOR_URL, retry: 0, entryType: 'intoto' })]);
  }

  const policy = (spec: Partial<Extract<SignerSpec, { type: 'keyless' }>> = {}) =>
    prepareTrust([{ type: 'keyless', issuer: ISSUER, subject: IDENTITY, ...spec }], { trustedRoot });

  test('right identity and issuer: verified, with Rekor log index and time', async () => {
    const bundle = await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => messageBundle(s, manifest, w));
    const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, policy(), 'referrers-api');
    assert.equal(result.status, 'verified', result.reason);
    assert.equal(result.issuer, ISSUER);
    assert.deepEqual(result.identity, { kind: 'keyless', subject: IDENTITY, issuer: ISSUER });
    assert.equal(typeof result.logIndex, 'number');
    assert.ok(result.integratedTime && Math.abs(result.integratedTime - Date.now() / 1000) < 600);
  });

  test('anchored identity regexp: a prefix match is not enough', async () => {
    const bundle = await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => messageBundle(s, manifest, w));
    const loose = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, policy({ subject: undefined, subjectRegExp: 'https://github\\.com/acme/' }), 'referrers-api');
    assert.equal(loose.result.status, 'untrusted', loose.result.reason);
    const full = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, policy({ subject: undefined, subjectRegExp: 'https://github\\.com/acme/.*' }), 'referrers-api');
    assert.equal(full.result.status, 'verified', full.result.reason);
    assert.deepEqual(full.result.identity, { kind: 'keyless', subject: IDENTITY, issuer: ISSUER }, 'the identity is the SAN that matched, not the pattern');
  });

  test('wrong identity: untrusted', async () => {
    const bundle = await keyless({ iss: ISSUER, sub: 'https://github.com/mallory/app/.github/workflows/x.yml@refs/heads/main' }, (s, w) => messageBundle(s, manifest, w));
    const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, policy(), 'referrers-api');
    assert.equal(result.status, 'untrusted', result.reason);
    assert.equal(result.identity, undefined);
  });

  test('wrong issuer: untrusted', async () => {
    const bundle = await keyless({ iss: 'https://accounts.example.com', sub: IDENTITY }, (s, w) => messageBundle(s, manifest, w));
    const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, policy(), 'referrers-api');
    assert.equal(result.status, 'untrusted', result.reason);
  });

  test('a SAN with a byte >= 0x80 never matches the identity its ASCII-masked bytes spell (0xC0 → "@")', async () => {
    // The mock Fulcio writes the subject claim's characters as single bytes: U+00C0 becomes the byte 0xC0.
    const forged = 'https://github.com/acme\u00C0/app/.github/workflows/release.yml@refs/heads/main';
    const masked = 'https://github.com/acme@/app/.github/workflows/release.yml@refs/heads/main';
    const bundle = await keyless({ iss: ISSUER, sub: forged }, (s, w) => messageBundle(s, manifest, w));
    for (const identity of [{ subject: masked }, { subject: forged }, { subject: undefined, subjectRegExp: 'https://github\\.com/acme.*' }]) {
      const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, policy(identity), 'referrers-api');
      assert.notEqual(result.status, 'verified', `${JSON.stringify(identity)}: ${result.reason}`);
      assert.match(result.reason, /malformed/);
      assert.ok(!(result.signer ?? '').includes('acme@'), `claimed signer shown as the masked form: ${result.signer}`);
    }
  });

  test('reasons name the certificate identity and issuer; the first keyless signer that matches is the signer', async () => {
    const bundle = await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => messageBundle(s, manifest, w));
    const verify = (signers: SignerSpec[]) => verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, prepareTrust(signers, { trustedRoot }), 'referrers-api').result;
    const ok = verify([{ type: 'keyless', name: 'other', issuer: ISSUER, subject: 'https://github.com/acme/other' }, { type: 'keyless', name: 'release', issuer: ISSUER, subject: IDENTITY }]);
    assert.deepEqual([ok.status, ok.signer, ok.reason], ['verified', 'release', `Keyless signature by ${IDENTITY} (${ISSUER}) verified.`]);
    // A certificate signer (private PKI) never accepts a Fulcio certificate as keyless.
    const pkiRoot = makeCertificate({ commonName: 'Acme Root', ca: true });
    const other = verify([{ type: 'certificate', name: 'Acme PKI', rootsPem: pkiRoot.pem, subjectRegExp: '.*' }, { type: 'keyless', name: 'other', issuer: ISSUER, subject: 'https://github.com/acme/other' }]);
    assert.deepEqual([other.status, other.signer, other.issuer, other.reason], ['untrusted', IDENTITY, ISSUER, `Signed by ${IDENTITY} (issuer ${ISSUER}), which the policy does not trust.`]);
  });

  test('a keyless signature whose log entry was altered is invalid: verification failed, not "not trusted"', async () => {
    const json = JSON.parse((await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => messageBundle(s, manifest, w))).toString());
    const entry = json.verificationMaterial.tlogEntries[0];
    entry.logIndex = String(Number(entry.logIndex) + 1);
    const { result } = verifySigstoreBundle(JSON.stringify(json), { digest: DIGEST, bytes: manifest }, policy(), 'referrers-api');
    assert.equal(result.status, 'invalid', result.reason);
    assert.equal(result.reason, 'Verification failed: inclusion promise could not be verified');
  });

  test('a certificate from another CA (public-good root) is not trusted', async () => {
    const bundle = await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => messageBundle(s, manifest, w));
    const publicGood = prepareTrust([{ type: 'keyless', issuer: ISSUER, subject: IDENTITY }]);
    const { result } = verifySigstoreBundle(bundle, { digest: DIGEST, bytes: manifest }, publicGood, 'referrers-api');
    assert.notEqual(result.status, 'verified');
  });

  test('SLSA provenance attestation naming the digest: verified and summarized', async () => {
    const bundle = await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => dsseBundle(s, statement(DIGEST, 'https://slsa.dev/provenance/v1', SLSA_V1), w));
    const verification = verifySigstoreBundle(bundle, { digest: DIGEST }, policy(), 'referrers-api');
    assert.equal(verification.kind, 'attestation');
    if (verification.kind !== 'attestation') return;
    const { result } = verification;
    assert.equal(result.status, 'verified', result.reason);
    assert.equal(result.summary?.kind, 'slsa-provenance-v1');
    assert.equal(result.summary?.fields.builderId, 'https://github.com/actions/runner/github-hosted');
    assert.equal(result.summary?.fields.sourceRepository, 'https://github.com/acme/app');
    assert.equal(result.summary?.fields.sourceCommit, 'c0ffee1234567890c0ffee1234567890c0ffee12');
    assert.equal(result.summary?.fields.buildTrigger, 'push');
  });

  test('SPDX attestation: verified, package count', async () => {
    const bundle = await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => dsseBundle(s, statement(DIGEST, 'https://spdx.dev/Document', SPDX), w));
    const verification = verifySigstoreBundle(bundle, { digest: DIGEST }, policy(), 'referrers-api');
    assert.equal(verification.kind, 'attestation');
    if (verification.kind !== 'attestation') return;
    assert.equal(verification.result.status, 'verified', verification.result.reason);
    assert.equal(verification.result.summary?.fields.packageCount, 3);
    assert.match(verification.result.summary?.summary ?? '', /SPDX-2\.3.*3 package/);
    assert.deepEqual(verification.result.summary?.fields.packages?.map((p) => p.name), ['openssl', 'zlib', 'musl']);
  });

  test('an attestation whose subject is another digest is invalid', async () => {
    const bundle = await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => dsseBundle(s, statement(OTHER_DIGEST, 'https://slsa.dev/provenance/v1', SLSA_V1), w));
    const { result } = verifySigstoreBundle(bundle, { digest: DIGEST }, policy(), 'referrers-api');
    assert.equal(result.status, 'invalid', result.reason);
    assert.match(result.reason, /another artifact/);
  });

  test('a tampered keyless message signature is invalid', async () => {
    const bundle = await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => messageBundle(s, manifest, w));
    const tampered = Buffer.concat([manifest, Buffer.from(' ')]);
    const json = JSON.parse(bundle.toString());
    json.messageSignature.messageDigest.digest = crypto.createHash('sha256').update(tampered).digest('base64');
    const digest = `sha256:${crypto.createHash('sha256').update(tampered).digest('hex')}`;
    const { result } = verifySigstoreBundle(JSON.stringify(json), { digest, bytes: tampered }, policy(), 'referrers-api');
    assert.equal(result.status, 'invalid', result.reason);
  });

  test('verifyDiscovered: bundle signature + required provenance → verified; without the attestation → untrusted', async () => {
    const signature = await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => dsseBundle(s, statement(DIGEST, 'https://sigstore.dev/cosign/sign/v1', {}), w));
    const provenance = await keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => dsseBundle(s, statement(DIGEST, 'https://slsa.dev/provenance/v1', SLSA_V1), w));
    const item = (bundle: Buffer) => ({ kind: 'sigstore-bundle' as const, bundle, foundIn: 'referrers-api' as const, manifestDigest: OTHER_DIGEST });
    const requirements = [{ predicateType: 'https://slsa.dev/provenance/v1' }];
    const both: DiscoveryResult = { name: 'r/app', digest: DIGEST, items: [item(signature), item(provenance)], complete: true, errors: [] };
    const ok = verifyDiscovered(both, policy(), requirements);
    assert.equal(ok.status, 'verified', ok.reason);
    assert.equal(ok.signatures.length, 1);
    assert.equal(ok.attestations.length, 1);
    const onlySignature = verifyDiscovered({ ...both, items: [item(signature)] }, policy(), requirements);
    assert.equal(onlySignature.status, 'untrusted', onlySignature.reason);
  });
});

describe('aggregation: every status is reachable, and only proof gives "verified"', () => {
  const sig = (status: SignatureResult['status']): SignatureResult => ({ status, type: 'cosign', foundIn: 'cosign-tag', reason: `${status} signature` });
  const base = { digest: DIGEST, discoveryComplete: true, discoveryErrors: [], attestations: [], requirements: [] };

  test('verified needs a verified signature', () => {
    assert.equal(aggregateTrust({ ...base, signatures: [sig('invalid'), sig('verified')] }).status, 'verified');
  });
  test('unsigned only when discovery completed and found nothing', () => {
    assert.equal(aggregateTrust({ ...base, signatures: [] }).status, 'unsigned');
    assert.equal(aggregateTrust({ ...base, discoveryComplete: false, discoveryErrors: ['HTTP 500'], signatures: [] }).status, 'error');
  });
  test('incomplete discovery without a verified signature is an error, even with untrusted ones', () => {
    const r = aggregateTrust({ ...base, discoveryComplete: false, discoveryErrors: ['timeout'], signatures: [sig('untrusted')] });
    assert.equal(r.status, 'error');
    assert.match(r.reason, /timeout/);
  });
  test('invalid beats untrusted, untrusted beats error', () => {
    assert.equal(aggregateTrust({ ...base, signatures: [sig('untrusted'), sig('invalid')] }).status, 'invalid');
    assert.equal(aggregateTrust({ ...base, signatures: [sig('error'), sig('untrusted')] }).status, 'untrusted');
    assert.equal(aggregateTrust({ ...base, signatures: [sig('error')] }).status, 'error');
  });
  test('a Notation signature alone is reported as present but not verified', () => {
    const discovery: DiscoveryResult = { name: 'r/app', digest: DIGEST, items: [{ kind: 'notation', foundIn: 'referrers-api', manifestDigest: OTHER_DIGEST }], complete: true, errors: [] };
    const r = verifyDiscovered(discovery, prepareTrust([]));
    assert.equal(r.status, 'untrusted');
    assert.equal(r.signatures[0]?.type, 'notation');
    assert.equal(r.signatures[0]?.reason, NOTATION_UNVERIFIED_REASON);
  });
});
