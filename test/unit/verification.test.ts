// Trust decisions of core/verification.ts on in-memory values: how each could say "verified" when it is not.
// Regression tests for issue 10's defects 1 (index entries without a platform), 2 (a cached verdict outliving its
// signature) and 3 (two attestation requirements of one predicate type).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { dsse } from '@sigstore/core';
import { classify } from '../../server/src/core/analyze';
import { defaultRule, type PolicyLoadResult, type ResolvedRule, type ResolvedSigner } from '../../server/src/core/policy';
import { DSSE_MEDIA_TYPE, type CosignLayer } from '../../server/src/core/trust/cosign';
import { VerificationCache, verificationKey } from '../../server/src/core/verification-cache';
import { trustedRootDigest, verdictValidUntil, verifyReference } from '../../server/src/core/verification';
import { makeNotationPki, notationJws } from '../support/notation-signing';
import { requireTool } from '../support/requirements';
import { cosignKeySignature, inTotoStatement, newKeyPair, publicKeyPem } from '../support/signing';
import { MemoryRegistry } from '../support/trust-memory-registry';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const PROVENANCE = 'https://slsa.dev/provenance/v1';
const NAME = 'registry.example.com/acme/app';

const keyA = newKeyPair();
const keyB = newKeyPair();
/** Key signers as in a policy with `tlog: false` (the in-memory signatures carry no Rekor entry). */
const signer = (pair: crypto.KeyPairKeyObjectResult, name: string): ResolvedSigner => ({ type: 'key', name, publicKeyPem: publicKeyPem(pair.publicKey), requireTlog: false });
const A = signer(keyA, 'builder-a.pub');
const B = signer(keyB, 'builder-b.pub');

function rule(over: Partial<ResolvedRule>): ResolvedRule {
  return { name: 'prod', match: ['**'], normalizedMatch: ['**'], mode: 'enforce', requireDigest: false, verifyPlatforms: false, signers: [A], attestations: [], range: null, ...over };
}

function policyOf(r: ResolvedRule, hash = 'policy-hash'): PolicyLoadResult {
  return { policy: { version: 1, policyPath: null, trustedRoot: null, rules: [r], defaultRule: defaultRule(), exceptions: [], severity: {} }, broken: false, diagnostics: [], hash };
}

function refTo(digest: string) {
  const text = `${NAME}@${digest}`;
  return classify({ kind: 'kubernetes', range: { start: 0, end: text.length }, text, reference: text, templated: false });
}

let seed = 0;
/** A distinct image manifest (its own config blob), returned with its descriptor. */
function image(reg: MemoryRegistry) {
  return reg.putArtifact([{ mediaType: 'application/vnd.oci.image.layer.v1.tar', data: Buffer.from(`layer ${seed++}`) }]);
}

function sign(reg: MemoryRegistry, digest: string, ...pairs: crypto.KeyPairKeyObjectResult[]) {
  reg.putCosignSignatures(digest, pairs.map((p) => cosignKeySignature(p.privateKey, NAME, digest)));
}

function keyAttestation(pair: crypto.KeyPairKeyObjectResult, digest: string, predicateType: string, builder: string): CosignLayer {
  const payloadType = 'application/vnd.in-toto+json';
  const statement = inTotoStatement(NAME, digest, predicateType, { runDetails: { builder: { id: builder } } });
  const sig = crypto.sign('sha256', dsse.preAuthEncoding(payloadType, statement), pair.privateKey);
  const envelope = { payloadType, payload: statement.toString('base64'), signatures: [{ keyid: '', sig: sig.toString('base64') }] };
  return { mediaType: DSSE_MEDIA_TYPE, payload: Buffer.from(JSON.stringify(envelope)), annotations: {} };
}

const now = new Date();

describe('verifyPlatforms: every entry of an index counts', () => {
  function index(reg: MemoryRegistry, entries: Record<string, unknown>[]) {
    return reg.putManifest({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries });
  }
  const entry = (d: { digest: string; size: number }, extra: Record<string, unknown> = {}) => ({ mediaType: OCI_MANIFEST, digest: d.digest, size: d.size, ...extra });
  const arm64 = { platform: { os: 'linux', architecture: 'arm64' } };

  async function judge(reg: MemoryRegistry, digest: string) {
    const v = await verifyReference(reg, refTo(digest), null, policyOf(rule({ verifyPlatforms: true })), { now });
    assert.ok(v?.trust);
    return v;
  }

  test('a signed arm64 manifest plus an unsigned entry without a platform is not verified', async () => {
    const reg = new MemoryRegistry();
    const signed = image(reg);
    const unsigned = image(reg);
    sign(reg, signed.digest, keyA);
    const idx = index(reg, [entry(signed, arm64), entry(unsigned)]);
    const v = await judge(reg, idx.digest);
    assert.notEqual(v.trust!.status, 'verified', v.trust!.reason);
    assert.match(v.trust!.reason, /no platform/);
    assert.deepEqual(v.findings.map((f) => f.code), ['unsigned']);
  });

  test('an unsigned unknown/unknown entry without the attestation annotation is not skipped', async () => {
    const reg = new MemoryRegistry();
    const signed = image(reg);
    const other = image(reg);
    sign(reg, signed.digest, keyA);
    const idx = index(reg, [entry(signed, arm64), entry(other, { platform: { os: 'unknown', architecture: 'unknown' } })]);
    assert.notEqual((await judge(reg, idx.digest)).trust!.status, 'verified');
  });

  test('the attestation annotation on a runnable platform does not make an entry skippable', async () => {
    const reg = new MemoryRegistry();
    const signed = image(reg);
    const disguised = image(reg);
    sign(reg, signed.digest, keyA);
    const idx = index(reg, [entry(signed, arm64), entry(disguised, { platform: { os: 'linux', architecture: 'amd64' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } })]);
    assert.notEqual((await judge(reg, idx.digest)).trust!.status, 'verified');
  });

  test('a malformed entry fails closed', async () => {
    const reg = new MemoryRegistry();
    const signed = image(reg);
    sign(reg, signed.digest, keyA);
    const idx = index(reg, [entry(signed, arm64), { mediaType: OCI_MANIFEST, digest: 'sha256:nothex', size: 1 }]);
    const v = await judge(reg, idx.digest);
    assert.notEqual(v.trust!.status, 'verified');
    assert.match(v.trust!.reason, /malformed/);
  });

  test('every platform signed, BuildKit attestation manifests skipped: verified', async () => {
    const reg = new MemoryRegistry();
    const amd = image(reg);
    const arm = image(reg);
    const att = image(reg);
    sign(reg, amd.digest, keyA);
    sign(reg, arm.digest, keyA);
    const buildkit = { platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd.digest } };
    const idx = index(reg, [entry(amd, { platform: { os: 'linux', architecture: 'amd64' } }), entry(arm, arm64), entry(att, buildkit)]);
    const v = await judge(reg, idx.digest);
    assert.equal(v.trust!.status, 'verified', v.trust!.reason);
    assert.deepEqual(v.findings, []);
  });

  test('a nested index is followed; its unsigned entry fails the whole', async () => {
    const reg = new MemoryRegistry();
    const signed = image(reg);
    const unsigned = image(reg);
    sign(reg, signed.digest, keyA);
    const inner = index(reg, [entry(unsigned, { platform: { os: 'linux', architecture: 'amd64' } })]);
    const idx = index(reg, [entry(signed, arm64), { mediaType: OCI_INDEX, digest: inner.digest, size: inner.size }]);
    assert.notEqual((await judge(reg, idx.digest)).trust!.status, 'verified');
    sign(reg, unsigned.digest, keyA);
    assert.equal((await judge(reg, idx.digest)).trust!.status, 'verified');
  });
});

describe('attestation requirements are each satisfied on their own', () => {
  const both = [
    { predicateType: PROVENANCE, signers: [A] },
    { predicateType: PROVENANCE, signers: [B] },
  ];

  for (const order of ['A then B', 'B then A']) {
    test(`provenance required from builder A and from builder B (${order}): A's alone does not pass`, async () => {
      const reg = new MemoryRegistry();
      const img = image(reg);
      sign(reg, img.digest, keyA);
      reg.putCosignSignatures(img.digest, [keyAttestation(keyA, img.digest, PROVENANCE, 'builder-a')], 'att');
      const attestations = order === 'A then B' ? both : [...both].reverse();
      const v = await verifyReference(reg, refTo(img.digest), null, policyOf(rule({ attestations })), { now });
      assert.notEqual(v?.trust?.status, 'verified', v?.trust?.reason);
      assert.deepEqual(v?.findings.map((f) => f.code), ['missing-attestation']);
    });

    test(`provenance from both builders (${order}): verified`, async () => {
      const reg = new MemoryRegistry();
      const img = image(reg);
      sign(reg, img.digest, keyA);
      reg.putCosignSignatures(img.digest, [keyAttestation(keyA, img.digest, PROVENANCE, 'builder-a'), keyAttestation(keyB, img.digest, PROVENANCE, 'builder-b')], 'att');
      const attestations = order === 'A then B' ? both : [...both].reverse();
      const v = await verifyReference(reg, refTo(img.digest), null, policyOf(rule({ attestations })), { now });
      assert.equal(v?.trust?.status, 'verified', v?.trust?.reason);
      const verified = v!.trust!.attestations.filter((a) => a.status === 'verified');
      assert.deepEqual(verified.map((a) => a.requirement).sort(), [0, 1]);
    });
  }
});

describe('a cached verdict never outlives what made it true', () => {
  const dir = mkdtempSync(join(tmpdir(), 'image-trust-vcache-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const { skip } = requireTool('openssl');

  test('a Notation signature that expires: verified before, not verified after, even from the same cache file', { skip }, async () => {
    const pki = makeNotationPki('ec', 'expiring');
    const reg = new MemoryRegistry();
    const img = image(reg);
    const t0 = new Date();
    const expiry = new Date(t0.getTime() + 25_000);
    const jws = notationJws(pki, { digest: img.digest, signingTime: t0, header: { crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'], 'io.cncf.notary.expiry': expiry.toISOString() } });
    reg.putArtifact([{ mediaType: 'application/jose+json', data: jws }], { artifactType: 'application/vnd.cncf.notary.signature', subject: img.digest });
    const notation: ResolvedSigner = { type: 'notation', certificatePem: pki.rootPem };
    const policy = policyOf(rule({ signers: [notation] }));
    const file = join(dir, 'verifications.json');

    const first = new VerificationCache({ file });
    const before = await verifyReference(reg, refTo(img.digest), null, policy, { now: t0, cache: first });
    assert.equal(before?.trust?.status, 'verified', before?.trust?.reason);
    assert.equal(before?.trust?.validUntil, expiry.toISOString());
    first.flush();

    // A later run (a new process reading the same cache file), 30 s on.
    const later = new Date(t0.getTime() + 30_000);
    const second = new VerificationCache({ file });
    const after = await verifyReference(reg, refTo(img.digest), null, policy, { now: later, cache: second });
    assert.equal(after?.cacheAgeMs, undefined, 'the expired entry must not be served');
    assert.equal(after?.trust?.status, 'invalid', after?.trust?.reason);
    assert.match(after!.trust!.reason, /expired/);
    assert.deepEqual(after?.findings.map((f) => f.code), ['invalid-signature']);
  });

  test('cache entries: kept until validUntil, dropped at it; non-verified ones re-checked after recheckMs', () => {
    let clock = 1_000_000;
    const cache = new VerificationCache({ clock: () => clock, recheckMs: 1000 });
    const verified = { digest: 'sha256:' + '1'.repeat(64), status: 'verified' as const, signatures: [], attestations: [], reason: 'ok', validUntil: new Date(clock + 5000).toISOString() };
    cache.set('k', verified);
    assert.ok(cache.get('k', clock + 4999));
    assert.equal(cache.get('k', clock + 5000), undefined, 'at validUntil the verdict is gone');
    cache.set('k', verified);
    clock += 5000;
    assert.equal(cache.get('k', 0), undefined, 'the clock decides too, whatever the verification time says');
    cache.set('u', { ...verified, status: 'unsigned', validUntil: undefined });
    clock += 1001;
    assert.equal(cache.get('u'), undefined);
  });

  test('the key holds the tool version and the trusted root: an upgrade or a root rotation re-verifies', () => {
    const base = { name: NAME, digest: 'sha256:' + '2'.repeat(64), policyHash: 'h', rule: 'prod', trustedRootDigest: 'root-1' };
    assert.notEqual(verificationKey(base, '1.0.0'), verificationKey(base, '1.0.1'));
    assert.notEqual(verificationKey(base, '1.0.0'), verificationKey({ ...base, trustedRootDigest: 'root-2' }, '1.0.0'));
    const p1 = policyOf(rule({})).policy!;
    const p2 = { ...p1, trustedRoot: { path: '/x/root.json', json: { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [] } } };
    assert.notEqual(trustedRootDigest(p1), trustedRootDigest(p2));
  });

  test('an old-format cache file is ignored, never misread', async () => {
    const file = join(dir, 'old.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify({ version: 1, entries: [['x', { at: Date.now(), trust: { status: 'verified', digest: 'sha256:' + '3'.repeat(64), signatures: [], attestations: [], reason: '' } }]] }));
    assert.equal(new VerificationCache({ file }).get('x'), undefined);
  });
});

describe('key signers and the transparency log', () => {
  test('a key signature without a Rekor entry is not verified under a default key signer', async () => {
    const reg = new MemoryRegistry();
    const img = image(reg);
    sign(reg, img.digest, keyA);
    const strict: ResolvedSigner = { type: 'key', name: 'builder-a.pub', publicKeyPem: publicKeyPem(keyA.publicKey) };
    const v = await verifyReference(reg, refTo(img.digest), null, policyOf(rule({ signers: [strict] })), { now });
    assert.notEqual(v?.trust?.status, 'verified', v?.trust?.reason);
  });
});

describe('how long a judgement holds in a long-lived editor', () => {
  const base = { digest: 'sha256:' + '4'.repeat(64), findings: [] };
  const exception = (active: boolean, expires: string) => ({ owner: 'team', reason: 'r', expires, daysLeft: 0, active, message: 'm' });

  test('an active exception holds until the end of its last UTC day; the trust verdict\'s own end comes first when earlier', () => {
    const v = { ...base, trust: null, policy: { rule: 'prod', mode: 'enforce' as const, exception: exception(true, '2026-12-01') } };
    assert.equal(verdictValidUntil(v), '2026-12-02T00:00:00.000Z');
    const trust = { digest: base.digest, status: 'verified' as const, signatures: [], attestations: [], reason: '', validUntil: '2026-12-01T10:00:00.000Z' };
    assert.equal(verdictValidUntil({ ...v, trust }), '2026-12-01T10:00:00.000Z');
  });

  test('nothing time-bound: no end; an expired exception adds none', () => {
    assert.equal(verdictValidUntil({ ...base, trust: null, policy: { rule: 'prod', mode: 'enforce', exception: null } }), undefined);
    assert.equal(verdictValidUntil({ ...base, trust: null, policy: { rule: 'prod', mode: 'enforce', exception: exception(false, '2026-01-01') } }), undefined);
  });
});

describe('a cached verdict is never lent to another rule or repository', () => {
  test('two rules with the same name but different signers: a digest verified under one is not verified under the other', async () => {
    const reg = new MemoryRegistry();
    const img = image(reg);
    sign(reg, img.digest, keyA);
    const ruleA = rule({ name: 'prod', match: ['registry.example.com/acme/**'], normalizedMatch: ['registry.example.com/acme/**'], signers: [A] });
    const ruleB = rule({ name: 'prod', match: ['registry.example.com/other/**'], normalizedMatch: ['registry.example.com/other/**'], signers: [B] });
    const policy: PolicyLoadResult = { ...policyOf(ruleA), policy: { ...policyOf(ruleA).policy!, rules: [ruleA, ruleB] } };
    const cache = new VerificationCache();
    const underA = await verifyReference(reg, refTo(img.digest), null, policy, { now, cache });
    assert.equal(underA?.trust?.status, 'verified', underA?.trust?.reason);
    const text = `registry.example.com/other/app@${img.digest}`;
    const other = classify({ kind: 'kubernetes', range: { start: 0, end: text.length }, text, reference: text, templated: false });
    const underB = await verifyReference(reg, other, null, policy, { now, cache });
    assert.equal(underB?.cacheAgeMs, undefined, 'not served from the entry of the other repository');
    assert.notEqual(underB?.trust?.status, 'verified', underB?.trust?.reason);
  });

  test('the same image written with another host spelling is judged under the same rule, and a cached verdict is shared only then', async () => {
    const reg = new MemoryRegistry();
    const img = image(reg);
    sign(reg, img.digest, keyA);
    const strict = rule({ name: 'prod', match: ['registry.example.com/acme/**'], normalizedMatch: ['registry.example.com/acme/**'], signers: [B] });
    const policy: PolicyLoadResult = { ...policyOf(strict), policy: { ...policyOf(strict).policy!, rules: [strict] } };
    const cache = new VerificationCache();
    for (const host of ['REGISTRY.EXAMPLE.COM', 'registry.example.com:443', 'Registry.Example.com']) {
      const text = `${host}/acme/app@${img.digest}`;
      const ref = classify({ kind: 'kubernetes', range: { start: 0, end: text.length }, text, reference: text, templated: false });
      const v = await verifyReference(reg, ref, null, policy, { now, cache });
      assert.equal(v?.policy.rule, 'prod', `${host}: the enforce rule applies`);
      assert.equal(v?.policy.mode, 'enforce');
      assert.notEqual(v?.trust?.status, 'verified', `${host}: signed by A only, the rule trusts B`);
      assert.deepEqual(v?.findings.map((f) => f.code), ['untrusted-signer'], host);
    }
  });
});
