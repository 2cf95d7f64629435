// core/verification.ts `verifyReference` on in-memory values: which policy findings a reference gets under an
// in-memory policy, with signatures held by a tiny in-memory registry (no network). Fails closed: a broken policy
// verifies nothing, "could not look" is verify-failed (never unsigned), an exception has an owner and an expiry.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { classify } from '../../server/src/core/analyze';
import { ImageTrustError } from '../../server/src/core/errors';
import { defaultRule, type PolicyException, type PolicyLoadResult, type ResolvedRule, type ResolvedSigner } from '../../server/src/core/policy';
import type { Resolution } from '../../server/src/core/resolve';
import { verifyReference } from '../../server/src/core/verification';
import { cosignKeySignature, newKeyPair, publicKeyPem } from '../support/signing';
import { MemoryRegistry } from '../support/trust-memory-registry';

const NAME = 'registry.example.com/acme/app';
const PROVENANCE = 'https://slsa.dev/provenance/v1';
const now = new Date('2026-03-15T12:00:00Z');

const trusted = newKeyPair();
const stranger = newKeyPair();
/** In-memory signatures carry no Rekor entry, so the policy's key signers say `tlog: false`. */
const signerOf = (pair: crypto.KeyPairKeyObjectResult, name: string): ResolvedSigner => ({ type: 'key', name, publicKeyPem: publicKeyPem(pair.publicKey), requireTlog: false });
const TRUSTED = signerOf(trusted, 'release.pub');

function rule(over: Partial<ResolvedRule> = {}): ResolvedRule {
  return { name: 'prod', match: ['registry.example.com/**'], normalizedMatch: ['registry.example.com/**'], mode: 'enforce', requireDigest: false, verifyPlatforms: false, signers: [TRUSTED], attestations: [], range: null, ...over };
}

function policyOf(r: ResolvedRule, exceptions: PolicyException[] = []): PolicyLoadResult {
  return { policy: { version: 1, policyPath: null, trustedRoot: null, rules: [r], defaultRule: defaultRule(), exceptions, severity: {} }, broken: false, diagnostics: [], hash: `hash-${Math.random()}` };
}

function exception(over: Partial<PolicyException>): PolicyException {
  return {
    index: 0,
    image: `${NAME}`,
    target: { type: 'glob', pattern: NAME },
    reason: 'vendor image, signing tracked in OPS-12',
    owner: 'team-platform',
    expires: '2026-12-31',
    scope: null,
    range: { start: 0, end: 1 },
    expiresRange: { start: 0, end: 1 },
    ...over,
  };
}

function refOf(reference: string) {
  return classify({ kind: 'kubernetes', range: { start: 3, end: 3 + reference.length }, text: reference, reference, templated: false });
}

let seed = 0;
/** A registry holding one distinct image; its digest. */
function registryWithImage(): { reg: MemoryRegistry; digest: string } {
  const reg = new MemoryRegistry();
  const d = reg.putArtifact([{ mediaType: 'application/vnd.oci.image.layer.v1.tar', data: Buffer.from(`layer ${seed++}`) }]);
  return { reg, digest: d.digest };
}

function sign(reg: MemoryRegistry, digest: string, pair: crypto.KeyPairKeyObjectResult, signedDigest = digest) {
  reg.putCosignSignatures(digest, [cosignKeySignature(pair.privateKey, NAME, signedDigest)]);
}

const pinned = (digest: string) => refOf(`${NAME}:1.0@${digest}`);
const codes = (v: { findings: { code: string }[] } | null) => v?.findings.map((f) => f.code);

describe('verifyReference: what is not judged', () => {
  test('a broken policy: no findings, no trust, the policy error says why; the registry is not asked', async () => {
    const { reg, digest } = registryWithImage();
    const broken: PolicyLoadResult = { policy: null, broken: true, diagnostics: [{ message: 'bad key', range: { start: 0, end: 1 }, severity: 'error', path: 'rules[0].signers[0].key' }], hash: 'h' };
    const v = await verifyReference(reg, pinned(digest), null, broken, { now });
    assert.deepEqual(v, {
      digest,
      trust: null,
      policy: { rule: null, mode: null, exception: null, error: 'the trust policy is invalid; fix .image-trust.yaml (nothing is verified under a broken policy)' },
      findings: [],
    });
    assert.deepEqual(reg.requests, []);
  });

  test('rule mode off: the rule is named, nothing is verified or found, the registry is not asked', async () => {
    const { reg, digest } = registryWithImage();
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule({ mode: 'off', requireDigest: true })), { now });
    assert.deepEqual(v, { digest, trust: null, policy: { rule: 'prod', mode: 'off', exception: null }, findings: [] });
    assert.deepEqual(reg.requests, []);
  });

  test('templated and invalid references: null', async () => {
    const { reg } = registryWithImage();
    const templated = classify({ kind: 'compose', range: { start: 0, end: 8 }, text: '${IMAGE}', reference: '${IMAGE}', templated: true });
    assert.equal(await verifyReference(reg, templated, null, policyOf(rule()), { now }), null);
    assert.equal(await verifyReference(reg, refOf('Registry.example.com/App'), null, policyOf(rule()), { now }), null);
  });
});

describe('verifyReference: digests and tags', () => {
  test('requireDigest on an unpinned reference: tag-not-allowed (and nothing else when no signer is required)', async () => {
    const { reg } = registryWithImage();
    const v = await verifyReference(reg, refOf(`${NAME}:1.0`), null, policyOf(rule({ requireDigest: true, signers: [] })), { now });
    assert.equal(v?.digest, null);
    assert.equal(v?.trust, null);
    assert.deepEqual(v?.findings, [
      { code: 'tag-not-allowed', severity: 'error', mode: 'enforce', message: `${NAME}:1.0 must be pinned by digest under this policy. (policy rule "prod", enforce)`, range: { start: 3, end: 3 + NAME.length + 4 } },
    ]);
  });

  test('requireDigest on a pinned reference: no tag-not-allowed', async () => {
    const { reg, digest } = registryWithImage();
    sign(reg, digest, trusted);
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule({ requireDigest: true })), { now });
    assert.equal(v?.trust?.status, 'verified', v?.trust?.reason);
    assert.deepEqual(v?.findings, []);
  });

  test('unpinned, no resolution, under a signing rule: verify-failed saying the digest is unknown — never unsigned', async () => {
    const { reg } = registryWithImage();
    const v = await verifyReference(reg, refOf(`${NAME}:1.0`), null, policyOf(rule()), { now });
    assert.deepEqual(codes(v), ['verify-failed']);
    assert.equal(v!.findings[0].message, `Signatures of ${NAME}:1.0 could not be checked: its digest is not known (pin it, or resolve the tag). (policy rule "prod", enforce)`);
    assert.deepEqual(reg.requests, []);
  });

  test('unpinned, the resolution failed: verify-failed naming the registry’s reason; with requireDigest tag-not-allowed first', async () => {
    const { reg } = registryWithImage();
    const failed: Resolution = { platforms: [], fromCache: false, cacheAgeMs: 0, error: { code: 'REGISTRY_UNAUTHORIZED', message: 'registry.example.com: unauthorized' } };
    const v = await verifyReference(reg, refOf(`${NAME}:1.0`), failed, policyOf(rule({ requireDigest: true })), { now });
    assert.deepEqual(codes(v), ['tag-not-allowed', 'verify-failed']);
    assert.match(v!.findings[1].message, /could not be checked: registry\.example\.com: unauthorized\./);
  });

  test('unpinned with a resolved tag: the tag’s digest is what gets verified', async () => {
    const { reg, digest } = registryWithImage();
    sign(reg, digest, trusted);
    const resolved: Resolution = { tagDigest: digest, platforms: [], fromCache: false, cacheAgeMs: 0 };
    const v = await verifyReference(reg, refOf(`${NAME}:1.0`), resolved, policyOf(rule()), { now });
    assert.equal(v?.digest, digest);
    assert.equal(v?.trust?.status, 'verified', v?.trust?.reason);
    assert.deepEqual(v?.findings, []);
  });

  test('an image no rule matches falls to the default rule (audit, no signers): trust is shown, nothing found', async () => {
    const { reg, digest } = registryWithImage();
    const v = await verifyReference(reg, refOf(`other.example.com/x@${digest}`), null, policyOf(rule()), { now });
    assert.equal(v?.policy.rule, 'default');
    assert.equal(v?.policy.mode, 'audit');
    assert.equal(v?.trust?.status, 'unsigned');
    assert.deepEqual(v?.findings, []);
  });
});

describe('verifyReference: trust status → finding', () => {
  test('verified by the trusted key: no finding', async () => {
    const { reg, digest } = registryWithImage();
    sign(reg, digest, trusted);
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule()), { now });
    assert.equal(v?.trust?.status, 'verified', v?.trust?.reason);
    assert.equal(v?.trust?.digest, digest);
    assert.deepEqual(v?.findings, []);
  });

  test('no signature at all: unsigned, naming the image and the shortened digest', async () => {
    const { reg, digest } = registryWithImage();
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule()), { now });
    assert.equal(v?.trust?.status, 'unsigned');
    assert.deepEqual(codes(v), ['unsigned']);
    assert.ok(v!.findings[0].message.startsWith(`${NAME}:1.0@${digest} (${digest.slice(0, 19)}…) has no signature.`), v!.findings[0].message);
  });

  test('signed only by a key the policy does not trust: untrusted-signer', async () => {
    const { reg, digest } = registryWithImage();
    sign(reg, digest, stranger);
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule()), { now });
    assert.equal(v?.trust?.status, 'untrusted', v?.trust?.reason);
    assert.deepEqual(codes(v), ['untrusted-signer']);
    assert.match(v!.findings[0].message, /is signed, but not by a signer this policy trusts/);
  });

  test('a trusted key’s signature over another digest: invalid-signature, never verified', async () => {
    const { reg, digest } = registryWithImage();
    const other = `sha256:${'9'.repeat(64)}`;
    sign(reg, digest, trusted, other);
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule()), { now });
    assert.equal(v?.trust?.status, 'invalid', v?.trust?.reason);
    assert.deepEqual(codes(v), ['invalid-signature']);
    assert.match(v!.findings[0].message, /has an invalid signature/);
  });

  test('signed by the trusted key, a required attestation absent: missing-attestation naming the predicate', async () => {
    const { reg, digest } = registryWithImage();
    sign(reg, digest, trusted);
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule({ attestations: [{ predicateType: PROVENANCE, signers: [TRUSTED] }] })), { now });
    assert.notEqual(v?.trust?.status, 'verified');
    assert.deepEqual(codes(v), ['missing-attestation']);
    assert.match(v!.findings[0].message, /https:\/\/slsa\.dev\/provenance\/v1/);
  });

  test('signature locations that cannot be searched: verify-failed, not unsigned', async () => {
    const { reg, digest } = registryWithImage();
    reg.failures.set('referrers', new ImageTrustError('REGISTRY_UNREACHABLE', 'registry.example.com: connection reset'));
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule()), { now });
    assert.equal(v?.trust?.status, 'error', v?.trust?.reason);
    assert.deepEqual(codes(v), ['verify-failed']);
    assert.match(v!.findings[0].message, /verification could not complete: .*connection reset/);
  });
});

describe('verifyReference: exceptions', () => {
  test('an active exception: no findings (unsigned, tag-not-allowed) and the exception in the outcome', async () => {
    const { reg, digest } = registryWithImage();
    const v = await verifyReference(reg, refOf(`${NAME}:1.0`), { tagDigest: digest, platforms: [], fromCache: false, cacheAgeMs: 0 }, policyOf(rule({ requireDigest: true }), [exception({})]), { now });
    assert.equal(v?.trust?.status, 'unsigned', 'the image is still checked and shown as it is');
    assert.deepEqual(v?.findings, []);
    assert.deepEqual(v?.policy, {
      rule: 'prod',
      mode: 'enforce',
      exception: { owner: 'team-platform', reason: 'vendor image, signing tracked in OPS-12', expires: '2026-12-31', daysLeft: 291, active: true, message: 'exception (owner team-platform): vendor image, signing tracked in OPS-12 — expires 2026-12-31, 291 days left' },
    });
  });

  test('an exception for one digest covers that digest only', async () => {
    const { reg, digest } = registryWithImage();
    const other = `sha256:${'8'.repeat(64)}`;
    const exc = exception({ image: `${NAME}@${other}`, target: { type: 'digest', name: NAME, digest: other } });
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule(), [exc]), { now });
    assert.equal(v?.policy.exception, null);
    assert.deepEqual(codes(v), ['unsigned']);
  });

  test('an exception scoped to other paths does not apply here', async () => {
    const { reg, digest } = registryWithImage();
    const exc = exception({ scope: ['staging/**'] });
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule(), [exc]), { now, path: 'prod/app.yaml' });
    assert.deepEqual(codes(v), ['unsigned']);
    const inScope = await verifyReference(reg, pinned(digest), null, policyOf(rule(), [exc]), { now, path: 'staging/app.yaml' });
    assert.deepEqual(codes(inScope), []);
  });

  test('an expired exception: exception-expired naming the owner, plus the finding it used to cover', async () => {
    const { reg, digest } = registryWithImage();
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule(), [exception({ expires: '2026-03-14' })]), { now });
    assert.deepEqual(codes(v), ['exception-expired', 'unsigned']);
    assert.equal(
      v!.findings[0].message,
      `${NAME}:1.0@${digest}: exception expired on 2026-03-14 (owner team-platform); the exception no longer applies — renew it or fix the image. (policy rule "prod", enforce)`,
    );
    assert.equal(v?.policy.exception?.active, false);
    assert.equal(v?.policy.exception?.daysLeft, -1);
  });

  test('an exception expiring today still applies', async () => {
    const { reg, digest } = registryWithImage();
    const v = await verifyReference(reg, pinned(digest), null, policyOf(rule(), [exception({ expires: '2026-03-15' })]), { now });
    assert.deepEqual(v?.findings, []);
    assert.equal(v?.policy.exception?.daysLeft, 0);
  });
});

describe('verifyReference: severity follows the rule’s mode', () => {
  test('enforce → error with mode enforce; audit → warning with mode audit; the message names rule and mode', async () => {
    const { reg, digest } = registryWithImage();
    const enforce = await verifyReference(reg, pinned(digest), null, policyOf(rule({ mode: 'enforce' })), { now });
    const audit = await verifyReference(reg, pinned(digest), null, policyOf(rule({ mode: 'audit', name: 'staging' })), { now });
    assert.deepEqual(enforce?.findings.map((f) => [f.code, f.severity, f.mode]), [['unsigned', 'error', 'enforce']]);
    assert.deepEqual(audit?.findings.map((f) => [f.code, f.severity, f.mode]), [['unsigned', 'warning', 'audit']]);
    assert.match(enforce!.findings[0].message, /\(policy rule "prod", enforce\)$/);
    assert.match(audit!.findings[0].message, /\(policy rule "staging", audit\)$/);
  });

  test('every finding of one reference carries the same mode and severity', async () => {
    const { reg } = registryWithImage();
    const v = await verifyReference(reg, refOf(`${NAME}:1.0`), null, policyOf(rule({ mode: 'audit', requireDigest: true }), [exception({ expires: '2025-01-01' })]), { now });
    assert.deepEqual(v?.findings.map((f) => `${f.code}:${f.severity}:${f.mode}`), ['exception-expired:warning:audit', 'tag-not-allowed:warning:audit', 'verify-failed:warning:audit']);
  });
});
