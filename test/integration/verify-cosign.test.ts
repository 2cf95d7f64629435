// Real cosign output (../shared/cosign-fixtures) served by a real registry, stored the way cosign stores it, then
// discovered and verified end to end: through the core (`verifyReference`) and through `image-trust scan --verify`.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ANNOTATIONS } from '../../server/src/core/trust/cosign';
import type { RegistryClient } from '../../server/src/core/registry';
import { seedManifest, startRegistry, type TestRegistry } from '../support/registry';
import { podManifest, pushCosignSignatures, readCosignFixture, scanVerify, testRegistryClient, verifyOne, type VerifyScan } from '../support/signing';
import { requireRegistryTools } from '../support/requirements';

const FIXTURES = path.resolve(process.cwd(), '../shared/cosign-fixtures');
const { skip } = existsSync(FIXTURES) ? requireRegistryTools() : { skip: `shared data missing: ${FIXTURES}` };

const KEYLESS_ISSUER = 'https://github.com/login/oauth';
const KEYLESS_SUBJECT = 'mitr@redhat.com';

/** Repository in the test registry → the fixture folder served there. */
const REPOS: Record<string, string> = {
  'cosign/valid': 'dir-img-cosign-valid',
  'cosign/valid-needs-tlog': 'dir-img-cosign-valid',
  'cosign/valid-wrong-key': 'dir-img-cosign-valid',
  'cosign/key-rekor': 'dir-img-cosign-key-rekor-valid',
  'cosign/keyless': 'dir-img-cosign-fulcio-rekor-valid',
  'cosign/keyless-other': 'dir-img-cosign-fulcio-rekor-valid',
  'cosign/modified': 'dir-img-cosign-modified-manifest',
  'cosign/mixed': 'dir-img-cosign-mixed',
  'cosign/other-attachment': 'dir-img-cosign-other-attachment',
};

function policyText(host: string): string {
  const key = (file: string) => JSON.stringify(path.join(FIXTURES, file));
  return [
    'version: 1',
    'rules:',
    // The fixtures' key signatures have no Rekor bundle; containers/image expects them to verify under a policy that
    // does not ask for the log, which is `tlog: false` here (cosign itself needs --insecure-ignore-tlog).
    '  - name: cosign-key',
    `    match: ["${host}/cosign/valid", "${host}/cosign/modified", "${host}/cosign/mixed", "${host}/cosign/other-attachment"]`,
    '    mode: enforce',
    `    signers: [{ key: ${key('cosign.pub')}, tlog: false }]`,
    // The same key with the default: a transparency-log entry is required, as `cosign verify --key` requires it.
    '  - name: cosign-key-tlog',
    `    match: "${host}/cosign/valid-needs-tlog"`,
    '    mode: enforce',
    `    signers: [{ key: ${key('cosign.pub')} }]`,
    // key-rekor carries a Rekor SET: the default key signer takes it.
    '  - name: cosign2-key',
    `    match: ["${host}/cosign/valid-wrong-key", "${host}/cosign/key-rekor"]`,
    '    mode: enforce',
    `    signers: [{ key: ${key('cosign2.pub')} }]`,
    '  - name: keyless',
    `    match: "${host}/cosign/keyless"`,
    '    mode: enforce',
    `    signers: [{ keyless: { issuer: "${KEYLESS_ISSUER}", subject: "${KEYLESS_SUBJECT}" } }]`,
    '  - name: keyless-other',
    `    match: "${host}/cosign/keyless-other"`,
    '    mode: enforce',
    `    signers: [{ keyless: { issuer: "${KEYLESS_ISSUER}", subject: "someone-else@redhat.com" } }]`,
    '',
  ].join('\n');
}

describe('cosign signatures from the real cosign tool, through a real registry', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let policyPath: string;
  let client: RegistryClient;
  const digests: Record<string, string> = {};
  const ref = (repo: string) => `${reg.host}/${repo}@${digests[repo]}`;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-verify-cosign-'));
    reg = await startRegistry();
    // The fixture manifests name layers whose blobs we do not have, and a registry refuses a pushed manifest whose
    // blobs are missing (HTTP 400, even with validation off). So each manifest is placed straight into the storage
    // directory. startRegistry() starts the registry as soon as it creates that directory; seeding right after is
    // equivalent to seeding before start as long as nothing asked for these repositories yet (verified in
    // test/support/registry.ts) — the registry has only answered the `/v2/` readiness probe at this point.
    for (const [repo, fixture] of Object.entries(REPOS)) {
      digests[repo] = await seedManifest(reg.storageDir, repo, 'signed', readCosignFixture(FIXTURES, fixture).manifest);
    }
    // The signature manifests are ordinary pushes: their blobs (payloads, config) are uploaded first.
    for (const [repo, fixture] of Object.entries(REPOS)) {
      await pushCosignSignatures(reg, repo, digests[repo], readCosignFixture(FIXTURES, fixture).signatures);
    }
    policyPath = path.join(dir, 'policy.yaml');
    writeFileSync(policyPath, policyText(reg.host));
    client = testRegistryClient({ reg });
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('core: discover → verify → status', () => {
    test('key-signed (cosign.pub, tlog: false): verified, found under the cosign tag, no finding', async () => {
      const v = await verifyOne(client, ref('cosign/valid'), policyPath);
      assert.equal(v.trust?.status, 'verified', v.trust?.reason);
      assert.equal(v.trust?.digest, digests['cosign/valid']);
      assert.equal(v.trust?.signatures.length, 1);
      assert.deepEqual(
        { status: v.trust?.signatures[0].status, type: v.trust?.signatures[0].type, foundIn: v.trust?.signatures[0].foundIn },
        { status: 'verified', type: 'cosign', foundIn: 'cosign-tag' },
      );
      assert.equal(v.trust?.signatures[0].signer, path.join(FIXTURES, 'cosign.pub'));
      assert.equal(v.trust?.signatures[0].reason, `Signature verified with key ${path.join(FIXTURES, 'cosign.pub')}; no transparency-log entry (allowed by policy).`);
      assert.deepEqual(v.policy, { rule: 'cosign-key', mode: 'enforce', exception: null });
      assert.deepEqual(v.findings, []);
    });

    test('the same signature (no Rekor bundle) under a default key signer: untrusted → untrusted-signer (error)', async () => {
      const v = await verifyOne(client, ref('cosign/valid-needs-tlog'), policyPath);
      assert.equal(v.trust?.status, 'untrusted', v.trust?.reason);
      assert.match(v.trust?.signatures[0].reason ?? '', /no transparency-log entry, and the policy requires one/);
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['untrusted-signer', 'error']]);
    });

    test('the same signature under a policy trusting only cosign2.pub: untrusted → untrusted-signer (error)', async () => {
      const v = await verifyOne(client, ref('cosign/valid-wrong-key'), policyPath);
      assert.equal(v.trust?.status, 'untrusted', v.trust?.reason);
      assert.equal(v.trust?.signatures[0].status, 'untrusted');
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['untrusted-signer', 'error']]);
      assert.match(v.findings[0].message, /not by a signer this policy trusts.*policy rule "cosign2-key", enforce/);
    });

    test('key + Rekor (cosign2.pub, default key signer): verified, with the log index and time of its Rekor SET', async () => {
      const v = await verifyOne(client, ref('cosign/key-rekor'), policyPath);
      assert.equal(v.trust?.status, 'verified', v.trust?.reason);
      assert.equal(v.trust?.signatures[0].reason, `Signature verified with key ${path.join(FIXTURES, 'cosign2.pub')}.`);
      const set = JSON.parse(readCosignFixture(FIXTURES, REPOS['cosign/key-rekor']).signatures[0].annotations[ANNOTATIONS.rekorBundle]!);
      assert.equal(v.trust?.signatures[0].logIndex, set.Payload.logIndex);
      assert.equal(v.trust?.signatures[0].integratedTime, set.Payload.integratedTime);
      assert.deepEqual(v.findings, []);
    });

    test(`keyless (Fulcio + Rekor, ${KEYLESS_SUBJECT}): verified against the public-good root`, async () => {
      const v = await verifyOne(client, ref('cosign/keyless'), policyPath);
      assert.equal(v.trust?.status, 'verified', v.trust?.reason);
      assert.equal(v.trust?.signatures[0].issuer, KEYLESS_ISSUER);
      assert.equal(typeof v.trust?.signatures[0].logIndex, 'number');
      assert.deepEqual(v.findings, []);
    });

    test('keyless signature by an identity the policy does not name: untrusted → untrusted-signer', async () => {
      const v = await verifyOne(client, ref('cosign/keyless-other'), policyPath);
      assert.equal(v.trust?.status, 'untrusted', v.trust?.reason);
      assert.match(v.trust?.signatures[0].reason ?? '', /mitr@redhat\.com/);
      assert.deepEqual(v.findings.map((f) => f.code), ['untrusted-signer']);
    });

    test('a signature whose payload names another digest (modified manifest): invalid → invalid-signature', async () => {
      const v = await verifyOne(client, ref('cosign/modified'), policyPath);
      assert.equal(v.trust?.status, 'invalid', v.trust?.reason);
      assert.match(v.trust?.reason ?? '', /another image digest/);
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['invalid-signature', 'error']]);
    });

    test('one signature by an unknown key next to a valid one: verified by the valid one', async () => {
      const v = await verifyOne(client, ref('cosign/mixed'), policyPath);
      assert.equal(v.trust?.status, 'verified', v.trust?.reason);
      assert.deepEqual(v.trust?.signatures.map((s) => s.status).sort(), ['untrusted', 'verified']);
    });

    test('a text/plain attachment under the .sig tag is not a signature: unsigned → unsigned', async () => {
      const v = await verifyOne(client, ref('cosign/other-attachment'), policyPath);
      assert.equal(v.trust?.status, 'unsigned', v.trust?.reason);
      assert.deepEqual(v.trust?.signatures, []);
      assert.deepEqual(v.findings.map((f) => f.code), ['unsigned']);
    });
  });

  describe('CLI: image-trust scan --verify --format json', () => {
    let scan: VerifyScan;
    before(() => {
      writeFileSync(path.join(dir, 'pod.yaml'), podManifest(Object.keys(REPOS).map(ref)));
      scan = scanVerify(['pod.yaml', '--policy', policyPath, '--cache-dir', path.join(dir, 'cache')], { cwd: dir });
    });

    test('per reference: trust status, signatures and policy as the core decides', () => {
      const expected: Record<string, string> = {
        'cosign/valid@': 'verified',
        'cosign/valid-needs-tlog@': 'untrusted',
        'cosign/valid-wrong-key@': 'untrusted',
        'cosign/key-rekor@': 'verified',
        'cosign/keyless@': 'verified',
        'cosign/keyless-other@': 'untrusted',
        'cosign/modified@': 'invalid',
        'cosign/mixed@': 'verified',
        'cosign/other-attachment@': 'unsigned',
      };
      for (const [fragment, status] of Object.entries(expected)) {
        const r = scan.ref(fragment);
        assert.equal(r.trust?.status, status, `${fragment}: ${r.trust?.reason}`);
        assert.equal(r.trust?.digest, r.digest);
        assert.equal(r.policy?.mode, 'enforce');
      }
      const keyless = scan.ref('cosign/keyless@');
      assert.deepEqual(
        keyless.signatures.map((s) => ({ status: s.status, issuer: s.issuer, type: s.type, foundIn: s.foundIn })),
        [{ status: 'verified', issuer: KEYLESS_ISSUER, type: 'cosign', foundIn: 'cosign-tag' }],
      );
      assert.equal(scan.ref('cosign/key-rekor@').signatures[0].signer, path.join(FIXTURES, 'cosign2.pub'));
      assert.equal(typeof scan.ref('cosign/key-rekor@').signatures[0].logIndex, 'number');
      assert.equal(scan.ref('cosign/valid@').policy?.rule, 'cosign-key');
    });

    test('findings: none for verified references, the matching rule for the others, all errors under enforce', () => {
      const codes = (fragment: string) => scan.findingsOf(fragment).map((d) => `${d.severity}:${d.code}`);
      for (const fragment of ['cosign/valid@', 'cosign/key-rekor@', 'cosign/keyless@', 'cosign/mixed@']) assert.deepEqual(codes(fragment), [], fragment);
      assert.deepEqual(codes('cosign/valid-wrong-key@'), ['error:untrusted-signer']);
      assert.deepEqual(codes('cosign/valid-needs-tlog@'), ['error:untrusted-signer']);
      assert.deepEqual(codes('cosign/keyless-other@'), ['error:untrusted-signer']);
      assert.deepEqual(codes('cosign/modified@'), ['error:invalid-signature']);
      assert.deepEqual(codes('cosign/other-attachment@'), ['error:unsigned']);
    });

    test('exit 1: an enforce rule failed', () => {
      assert.equal(scan.status, 1, scan.stderr);
    });

    test('only the verifiable references under a passing policy: exit 0', () => {
      const ok = ['cosign/valid', 'cosign/key-rekor', 'cosign/keyless', 'cosign/mixed'];
      writeFileSync(path.join(dir, 'ok.yaml'), podManifest(ok.map(ref)));
      const r = scanVerify(['ok.yaml', '--policy', policyPath, '--cache-dir', path.join(dir, 'cache-ok')], { cwd: dir });
      assert.equal(r.status, 0, JSON.stringify(r.diagnostics) + r.stderr);
      assert.deepEqual(r.references.map((x) => x.trust?.status), ['verified', 'verified', 'verified', 'verified']);
    });
  });
});
