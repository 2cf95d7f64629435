// core/lock.ts on in-memory values: recording what verification reads and replaying it from the lock gives the same
// verdict; the lock is content-addressed (edited bytes are refused, missing material fails closed, a recorded verdict
// is never read back); the file is canonical and idempotent; the findings cannot be lowered. The round trip against a
// real registry (stopped, under a network guard): test/integration/lock.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classify } from '../../server/src/core/analyze';
import { applySettings, assessReference } from '../../server/src/core/assess';
import { ImageTrustError } from '../../server/src/core/errors';
import {
  buildLock,
  canonicalJson,
  imageKey,
  lockFactFor,
  lockFindings,
  LockReader,
  lockReaderFor,
  lockReference,
  parseLock,
  RecordingReader,
  serializeLock,
  verifyFromLock,
  type LockedObjects,
} from '../../server/src/core/lock';
import { defaultRule, type PolicyLoadResult } from '../../server/src/core/policy';
import { verifyReference } from '../../server/src/core/verification';
import { cosignKeySignature, newKeyPair, publicKeyPem } from '../support/signing';
import { MemoryRegistry, sha256 } from '../support/trust-memory-registry';

const NAME = 'registry.example.com/acme/app';
const now = new Date('2026-03-15T12:00:00Z');
const key = newKeyPair();

function policy(hash = 'policy-hash-1'): PolicyLoadResult {
  const rule = { name: 'prod', match: ['registry.example.com/**'], normalizedMatch: ['registry.example.com/**'], mode: 'enforce' as const, requireDigest: false, verifyPlatforms: false, signers: [{ type: 'key' as const, name: 'release.pub', publicKeyPem: publicKeyPem(key.publicKey), requireTlog: false }], attestations: [], range: null };
  return { policy: { version: 1, policyPath: null, trustedRoot: null, rules: [rule], defaultRule: defaultRule(), exceptions: [], severity: {} }, broken: false, diagnostics: [], hash };
}

function ref(text: string) {
  return classify({ kind: 'kubernetes', range: { start: 0, end: text.length }, text, reference: text, templated: false });
}

/** A registry with one signed and one unsigned image. */
function registry() {
  const reg = new MemoryRegistry();
  const signed = reg.putArtifact([{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', data: Buffer.from('signed') }], { tag: 'v1' }).digest;
  reg.putCosignSignatures(signed, [cosignKeySignature(key.privateKey, NAME, signed)]);
  const unsigned = reg.putArtifact([{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', data: Buffer.from('unsigned') }], { tag: 'v2' }).digest;
  return { reg, signed, unsigned };
}

describe('record, then verify from the lock', () => {
  test('the same verdict as online, for a signed and an unsigned image; no request is made', async () => {
    const { reg, signed, unsigned } = registry();
    const entries = [];
    for (const d of [signed, unsigned]) {
      const r = ref(`${NAME}:1@${d}`);
      const online = await verifyReference(reg, r, null, policy(), { now });
      const { entry } = await lockReference(reg, r, policy(), { now });
      entries.push(entry);
      const lock = buildLock(entries, policy(), now);
      const before = reg.requests.length;
      const offline = await verifyFromLock(lock, r, policy(), { now });
      assert.equal(reg.requests.length, before, 'nothing asked of the registry');
      assert.deepEqual(offline.verification, online);
      assert.deepEqual(offline.fact, { state: 'locked', lockedAt: now.toISOString() });
    }
    assert.deepEqual(entries.map((e) => e.verdict.status), ['verified', 'unsigned']);
    // "Not found" answers are recorded, so the unsigned image is unsigned offline too, not "could not look".
    assert.equal(entries[1].objects.tags[`${unsigned.replace(':', '-')}.sig`], null);
  });

  test('a digest without an entry is verified against nothing: error, never unsigned or verified, and not-in-lock', async () => {
    const { reg, signed, unsigned } = registry();
    const { entry } = await lockReference(reg, ref(`${NAME}:1@${signed}`), policy(), { now });
    const lock = buildLock([entry], policy(), now);
    const r = ref(`${NAME}:2@${unsigned}`);
    const { verification, fact } = await verifyFromLock(lock, r, policy(), { now });
    assert.equal(verification?.trust?.status, 'error');
    assert.match(verification!.trust!.reason, /is not in the trust lock/);
    assert.equal(fact?.state, 'not-in-lock');
    // Even the signed image's material, in the same repository, is not lent to another digest.
    assert.equal((await lockReaderFor(lock, NAME, unsigned).getManifest(NAME, unsigned).catch((e: ImageTrustError) => e.code)), 'NOT_IN_LOCK');
  });

  test('the recorded verdict is never read back: a lock that says "verified" for an unsigned image still gives unsigned', async () => {
    const { reg, unsigned } = registry();
    const r = ref(`${NAME}:2@${unsigned}`);
    const { entry } = await lockReference(reg, r, policy(), { now });
    const forged = buildLock([{ ...entry, verdict: { ...entry.verdict, status: 'verified', reason: 'Signed by release.pub.' } }], policy(), now);
    assert.equal((await verifyFromLock(forged, r, policy(), { now })).verification?.trust?.status, 'unsigned');
  });

  test('bytes that do not hash to their digest are refused; what was answered "not found" stays not found', async () => {
    const digest = sha256('{"a":1}');
    const objects: LockedObjects = { manifests: { [digest]: { text: '{"a":2}' } }, blobs: { [digest]: { text: 'x' } }, tags: { gone: null, here: digest }, referrers: {} };
    const reader = new LockReader(objects);
    await assert.rejects(reader.getManifest(NAME, digest), (e: ImageTrustError) => e.code === 'DIGEST_MISMATCH' && /the lock was edited/.test(e.message));
    await assert.rejects(reader.getManifest(NAME, 'here'), (e: ImageTrustError) => e.code === 'DIGEST_MISMATCH');
    await assert.rejects(reader.getBlob(NAME, digest, 100), (e: ImageTrustError) => e.code === 'DIGEST_MISMATCH');
    await assert.rejects(reader.getManifest(NAME, 'gone'), (e: ImageTrustError) => e.code === 'REGISTRY_NOT_FOUND');
    await assert.rejects(reader.getReferrers(NAME, digest), (e: ImageTrustError) => e.code === 'NOT_IN_LOCK');
    await assert.rejects(reader.resolve(NAME, 'never-asked'), (e: ImageTrustError) => e.code === 'NOT_IN_LOCK');
  });

  test('bytes that are not UTF-8 are kept as base64 and come back exact', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    const inner = new MemoryRegistry();
    const d = inner.putBlob(bytes).digest;
    const rec = new RecordingReader(inner);
    await rec.getBlob(NAME, d, 100);
    assert.deepEqual(rec.objects.blobs[d], { base64: bytes.toString('base64') });
    assert.deepEqual(await new LockReader(rec.objects).getBlob(NAME, d, 100), bytes);
  });
});

describe('the file', () => {
  test('canonical JSON: keys sorted at every level, arrays in order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{\n  "a": {\n    "c": null,\n    "d": [\n      3,\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}');
  });

  test('made twice from the same answers: the same bytes (times kept while nothing changed); a change renews only its entry', async () => {
    const { reg, signed, unsigned } = registry();
    const a = (await lockReference(reg, ref(`${NAME}:1@${signed}`), policy(), { now })).entry;
    const b = (await lockReference(reg, ref(`${NAME}:2@${unsigned}`), policy(), { now })).entry;
    const first = buildLock([a, b], policy(), now);
    const later = new Date(now.getTime() + 3_600_000);
    const a2 = (await lockReference(reg, ref(`${NAME}:1@${signed}`), policy(), { now: later })).entry;
    const b2 = (await lockReference(reg, ref(`${NAME}:2@${unsigned}`), policy(), { now: later })).entry;
    assert.equal(serializeLock(buildLock([a2, b2], policy(), later, parseLock(serializeLock(first)))), serializeLock(first));
    // The unsigned image gets signed: its entry (and the lock's created) change, the other entry keeps its time.
    reg.putCosignSignatures(unsigned, [cosignKeySignature(key.privateKey, NAME, unsigned)]);
    const b3 = (await lockReference(reg, ref(`${NAME}:2@${unsigned}`), policy(), { now: later })).entry;
    const next = buildLock([a2, b3], policy(), later, first);
    assert.equal(next.created, later.toISOString());
    assert.equal(next.images[imageKey(NAME, signed)].lockedAt, now.toISOString());
    assert.equal(next.images[imageKey(NAME, unsigned)].lockedAt, later.toISOString());
  });

  test('parseLock refuses another version, an entry whose key is not its name and digest, and objects without bytes', () => {
    const ok = serializeLock(buildLock([], policy(), now));
    assert.doesNotThrow(() => parseLock(ok));
    const bad = (patch: (j: Record<string, any>) => void) => {
      const j = JSON.parse(ok);
      patch(j);
      return () => parseLock(JSON.stringify(j));
    };
    assert.throws(bad((j) => (j.lockVersion = 2)), /lockVersion is 2/);
    const image = { name: NAME, digest: sha256('x'), lockedAt: 'x', verdict: {}, objects: { manifests: {}, blobs: {}, tags: {}, referrers: {} } };
    assert.throws(bad((j) => (j.images[`${NAME}@${sha256('y')}`] = image)), /must name its own name and digest/);
    assert.throws(bad((j) => (j.images[`${NAME}@${sha256('x')}`] = { ...image, objects: { ...image.objects, blobs: { [sha256('x')]: { bytes: 'x' } } } })), /neither text nor base64/);
    assert.throws(() => parseLock('not json'), /not JSON/);
  });
});

describe('findings', () => {
  test('a lock under another policy: lock-policy-changed; an unpinned reference: not-in-lock; both enforce (no setting or comment lowers them)', async () => {
    const { reg, signed } = registry();
    const pinned = ref(`${NAME}:1@${signed}`);
    const lock = buildLock([(await lockReference(reg, pinned, policy(), { now })).entry], policy(), now);
    const changed = lockFactFor(lock, pinned, policy('policy-hash-2'));
    assert.equal(changed?.state, 'policy-changed');
    const [f] = lockFindings(pinned, changed);
    assert.deepEqual([f.code, f.severity, f.mode], ['lock-policy-changed', 'error', 'enforce']);
    assert.deepEqual(applySettings(f, ['lock-policy-changed'], { severity: { 'lock-policy-changed': 'off' } }), f);
    const unpinned = ref(`${NAME}:1`);
    const fact = lockFactFor(lock, unpinned, policy());
    assert.match(fact?.state === 'not-in-lock' ? fact.reason : '', /is not pinned by digest, and the trust lock vouches only for digests/);
    const findings = assessReference({ ...unpinned, ignored: ['not-in-lock'] }, { lock: fact }, { severity: { 'not-in-lock': 'hint' } });
    assert.deepEqual(findings.map((x) => [x.code, x.severity]), [['unpinned-tag', 'warning'], ['not-in-lock', 'error']]);
    assert.deepEqual(lockFindings(pinned, lockFactFor(lock, pinned, policy())), []);
  });
});
