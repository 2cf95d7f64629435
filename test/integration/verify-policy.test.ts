// Policy outcomes of signature verification against a real registry: unsigned images, signatures over another
// digest, enforce vs audit severities and exit codes, exceptions (active, expired, malformed), a broken policy,
// requireDigest, and the fail-closed cases (registry unreachable or stopped, offline with an empty cache).

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadPolicyFile } from '../../server/src/core/policy-file';
import type { RegistryClient } from '../../server/src/core/registry';
import { runCli } from '../support/cli';
import { buildImage, freePort, pushImage, startRegistry, type ImageLayout, type TestRegistry } from '../support/registry';
import { cosignKeySignature, newKeyPair, podManifest, publicKeyPem, pushCosignSignatures, scanVerify, testRegistryClient, verifyOne, type VerifyScan } from '../support/signing';
import { requireRegistryTools } from '../support/requirements';

const { skip } = requireRegistryTools();
const OTHER_DIGEST = `sha256:${'cd'.repeat(32)}`;
const DAY_MS = 86_400_000;

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

describe('trust policy outcomes against a real registry', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let client: RegistryClient;
  let unsigned: ImageLayout;
  let signed: ImageLayout;
  let wrongDigest: ImageLayout;
  let H: string;
  let gone: string;
  const exceptionExpires = utcDay(new Date(Date.now() + 30 * DAY_MS));
  const policies: Record<'main' | 'audit' | 'noOwner' | 'broken' | 'strict', string> = { main: '', audit: '', noOwner: '', broken: '', strict: '' };
  /** The signatures here are made without a transparency log (cosign sign --tlog-upload=false): the key signers say `tlog: false`. */
  const UNLOGGED_OK = 'Signature verified with key ./trusted.pub; no transparency-log entry (allowed by policy).';
  const pinned = (repo: string, layout: ImageLayout) => `${H}/${repo}@${layout.digest}`;

  function writePolicy(name: keyof typeof policies, lines: string[]): void {
    policies[name] = path.join(dir, `${name}.yaml`);
    writeFileSync(policies[name], [...lines, ''].join('\n'));
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-verify-policy-'));
    reg = await startRegistry();
    H = reg.host;
    gone = `127.0.0.1:${await freePort()}`;
    unsigned = await buildImage(path.join(dir, 'l-unsigned'), { seed: 'unsigned' });
    signed = await buildImage(path.join(dir, 'l-signed'), { seed: 'signed' });
    wrongDigest = await buildImage(path.join(dir, 'l-wrong'), { seed: 'wrong-digest' });
    // Pushes of one layout stay sequential (pushImage writes a skopeo policy file next to the layout).
    await Promise.all([
      (async () => {
        for (const repo of ['pol/unsigned', 'pol/exempt', 'pol/expired', 'pol/no-owner', 'pol/audit']) await pushImage(unsigned, reg, `${repo}:1.0`);
      })(),
      pushImage(signed, reg, 'pol/signed:1.0'),
      pushImage(wrongDigest, reg, 'pol/wrong-digest:1.0'),
    ]);

    const key = newKeyPair();
    writeFileSync(path.join(dir, 'trusted.pub'), publicKeyPem(key.publicKey));
    await pushCosignSignatures(reg, 'pol/signed', signed.digest, [cosignKeySignature(key.privateKey, `${H}/pol/signed`, signed.digest)]);
    // A valid signature by the trusted key, stored for this image but over another digest.
    await pushCosignSignatures(reg, 'pol/wrong-digest', wrongDigest.digest, [cosignKeySignature(key.privateKey, `${H}/pol/wrong-digest`, OTHER_DIGEST)]);

    const prodRule = [
      '  - name: prod',
      `    match: ["${H}/pol/**", "${gone}/**"]`,
      '    mode: enforce',
      '    requireDigest: true',
      '    signers: [{ key: ./trusted.pub, tlog: false }]',
    ];
    writePolicy('main', [
      'version: 1',
      'rules:',
      '  - name: audit-only',
      `    match: "${H}/pol/audit"`,
      '    mode: audit',
      '    signers: [{ key: ./trusted.pub, tlog: false }]',
      ...prodRule,
      'exceptions:',
      `  - image: ${H}/pol/exempt@${unsigned.digest}`,
      '    reason: vendor image, unsigned until Q3',
      '    owner: team-platform',
      `    expires: ${exceptionExpires}`,
      `  - image: ${H}/pol/expired`,
      '    reason: legacy image',
      '    owner: team-legacy',
      '    expires: 2020-01-31',
    ]);
    writePolicy('audit', ['version: 1', 'rules:', '  - name: watch', `    match: "${H}/pol/**"`, '    mode: audit', '    signers: [{ key: ./trusted.pub, tlog: false }]']);
    // The same key without `tlog: false`: as `cosign verify --key`, a signature needs a transparency-log entry.
    writePolicy('strict', ['version: 1', 'rules:', '  - name: strict', `    match: "${H}/pol/**"`, '    mode: enforce', '    signers: [{ key: ./trusted.pub }]']);
    writePolicy('noOwner', [
      'version: 1',
      'rules:',
      ...prodRule,
      'exceptions:',
      `  - image: ${H}/pol/no-owner`,
      '    reason: nobody will remember why',
      `    expires: ${exceptionExpires}`,
    ]);
    // `signer:` is not a key of a rule (typo of `signers:`): the whole policy is unusable.
    writePolicy('broken', ['version: 1', 'rules:', '  - name: prod', `    match: "${H}/pol/**"`, '    mode: enforce', '    signer: [{ key: ./trusted.pub }]']);

    const ws = (file: string, images: string[]) => {
      mkdirSync(path.join(dir, 'ws'), { recursive: true });
      writeFileSync(path.join(dir, 'ws', file), podManifest(images));
    };
    ws('enforce.yaml', [
      pinned('pol/signed', signed),
      `${H}/pol/signed:1.0`,
      pinned('pol/unsigned', unsigned),
      pinned('pol/wrong-digest', wrongDigest),
      pinned('pol/exempt', unsigned),
      pinned('pol/expired', unsigned),
      `${gone}/pol/app@${signed.digest}`,
    ]);
    ws('audit.yaml', [pinned('pol/audit', unsigned)]);
    ws('no-owner.yaml', [pinned('pol/no-owner', unsigned)]);
    ws('signed.yaml', [pinned('pol/signed', signed)]);
    client = testRegistryClient({ reg });
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], cache = 'cache') => scanVerify([...args, '--cache-dir', path.join(dir, cache)], { cwd: dir });

  describe('core: verifyReference under the policy', () => {
    test('signed by the trusted key (tlog: false), pinned: verified, no finding; the reason says the log was not required', async () => {
      const v = await verifyOne(client, pinned('pol/signed', signed), policies.main);
      assert.equal(v.trust?.status, 'verified', v.trust?.reason);
      assert.equal(v.trust?.signatures[0].reason, UNLOGGED_OK);
      assert.deepEqual(v.findings, []);
    });

    test('the same signature under a key signer without `tlog: false`: no transparency-log entry → untrusted, error', async () => {
      const v = await verifyOne(client, pinned('pol/signed', signed), policies.strict);
      assert.equal(v.trust?.status, 'untrusted', v.trust?.reason);
      assert.match(v.trust?.signatures[0].reason ?? '', /matches key \.\/trusted\.pub but has no transparency-log entry.*`tlog: false`/);
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['untrusted-signer', 'error']]);
    });

    test('unsigned under enforce: unsigned, error', async () => {
      const v = await verifyOne(client, pinned('pol/unsigned', unsigned), policies.main);
      assert.equal(v.trust?.status, 'unsigned', v.trust?.reason);
      assert.deepEqual(v.policy, { rule: 'prod', mode: 'enforce', exception: null });
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['unsigned', 'error']]);
    });

    test('unsigned under audit: unsigned, warning', async () => {
      const v = await verifyOne(client, pinned('pol/audit', unsigned), policies.main);
      assert.equal(v.trust?.status, 'unsigned');
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['unsigned', 'warning']]);
      assert.match(v.findings[0].message, /policy rule "audit-only", audit/);
    });

    test('a signature whose payload names another digest: invalid → invalid-signature', async () => {
      const v = await verifyOne(client, pinned('pol/wrong-digest', wrongDigest), policies.main);
      assert.equal(v.trust?.status, 'invalid', v.trust?.reason);
      assert.match(v.trust?.signatures[0].reason ?? '', new RegExp(`another image digest \\(${OTHER_DIGEST}\\)`));
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['invalid-signature', 'error']]);
    });

    test('requireDigest: an unpinned reference gets tag-not-allowed, its resolved digest is still verified', async () => {
      const v = await verifyOne(client, `${H}/pol/signed:1.0`, policies.main);
      assert.equal(v.digest, signed.digest);
      assert.equal(v.trust?.status, 'verified', v.trust?.reason);
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['tag-not-allowed', 'error']]);
    });

    test('an active exception suppresses the finding and says who owns it and for how long', async () => {
      const v = await verifyOne(client, pinned('pol/exempt', unsigned), policies.main);
      assert.equal(v.trust?.status, 'unsigned', 'the image is still checked');
      assert.deepEqual(v.findings, []);
      assert.equal(v.policy.exception?.active, true);
      assert.equal(v.policy.exception?.owner, 'team-platform');
      assert.equal(v.policy.exception?.daysLeft, 30);
    });

    test('the same exception the day after it expires: exception-expired, and the image is reported again', async () => {
      const dayAfter = new Date(Date.parse(`${exceptionExpires}T00:00:00Z`) + DAY_MS);
      const v = await verifyOne(client, pinned('pol/exempt', unsigned), policies.main, { now: dayAfter });
      assert.equal(v.policy.exception?.active, false);
      assert.deepEqual(v.findings.map((f) => f.code), ['exception-expired', 'unsigned']);
      assert.match(v.findings[0].message, new RegExp(`exception expired on ${exceptionExpires} \\(owner team-platform\\)`));
    });

    test('an exception without an owner: policy error, the exception does not apply, the rest of the policy does', async () => {
      const loaded = loadPolicyFile(policies.noOwner).result;
      assert.equal(loaded.broken, false);
      assert.deepEqual(loaded.policy?.exceptions, []);
      const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
      assert.equal(errors.length, 1, JSON.stringify(loaded.diagnostics));
      assert.match(`${errors[0].path} ${errors[0].message}`, /exceptions\[0\].*owner/s);
      const v = await verifyOne(client, pinned('pol/no-owner', unsigned), policies.noOwner);
      assert.equal(v.policy.exception, null);
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['unsigned', 'error']]);
    });

    test('a broken policy verifies nothing, not even a correctly signed image', async () => {
      const v = await verifyOne(client, pinned('pol/signed', signed), policies.broken);
      assert.equal(v.trust, null);
      assert.equal(v.policy.rule, null);
      assert.match(v.policy.error ?? '', /trust policy is invalid/);
    });

    test('registry unreachable (closed port): error → verify-failed, never unsigned', async () => {
      const v = await verifyOne(client, `${gone}/pol/app@${signed.digest}`, policies.main);
      assert.equal(v.trust?.status, 'error', v.trust?.reason);
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['verify-failed', 'error']]);
    });

    test('offline with an empty cache: error → verify-failed, never unsigned', async () => {
      const offline = testRegistryClient({ offline: true, cacheDir: path.join(dir, 'empty-cache-core') });
      const v = await verifyOne(offline, pinned('pol/unsigned', unsigned), policies.main);
      assert.equal(v.trust?.status, 'error', v.trust?.reason);
      assert.deepEqual(v.findings.map((f) => f.code), ['verify-failed']);
    });
  });

  describe('CLI: scan --verify', () => {
    let scan: VerifyScan;
    before(() => {
      scan = cli(['ws/enforce.yaml', '--policy', policies.main]);
    });

    test('enforce: statuses and error findings per reference; exit 1', () => {
      const codes = (fragment: string) => scan.findingsOf(fragment).map((d) => `${d.severity}:${d.code}`);
      assert.equal(scan.ref('pol/signed@').trust?.status, 'verified');
      assert.equal(scan.ref('pol/signed@').signatures[0].reason, UNLOGGED_OK);
      assert.deepEqual(codes('pol/signed@'), []);
      assert.equal(scan.ref('pol/unsigned@').trust?.status, 'unsigned');
      assert.deepEqual(codes('pol/unsigned@'), ['error:unsigned']);
      assert.equal(scan.ref('pol/wrong-digest@').trust?.status, 'invalid');
      assert.deepEqual(codes('pol/wrong-digest@'), ['error:invalid-signature']);
      assert.equal(scan.ref(`${gone}/`).trust?.status, 'error');
      assert.deepEqual(codes(`${gone}/`), ['information:resolve-failed', 'error:verify-failed']);
      assert.equal(scan.status, 1, scan.stderr);
    });

    test('a second run answers verified digests from the verification cache and says so', () => {
      assert.equal(scan.ref('pol/signed@').trust?.cached, false, 'the first run verified afresh');
      const again = cli(['ws/enforce.yaml', '--policy', policies.main]);
      const trust = again.ref('pol/signed@').trust!;
      assert.equal(trust.status, 'verified');
      assert.equal(trust.cached, true);
      assert.ok(typeof trust.cacheAgeMs === 'number' && trust.cacheAgeMs >= 0);
      // Not-verified results are re-checked (a signature may have been added since), within the recheck window cached.
      assert.equal(again.ref('pol/unsigned@').trust?.status, 'unsigned');
    });

    test('requireDigest: the unpinned reference gets tag-not-allowed (error) next to the unpinned-tag warning', () => {
      const r = scan.ref('pol/signed:1.0');
      assert.equal(r.trust?.status, 'verified');
      assert.equal(r.trust?.digest, signed.digest);
      assert.deepEqual(scan.findingsOf('pol/signed:1.0').map((d) => `${d.severity}:${d.code}`).sort(), ['error:tag-not-allowed', 'warning:unpinned-tag']);
    });

    test('exception active: no finding; JSON policy.exception with owner, reason and days left', () => {
      const r = scan.ref('pol/exempt@');
      assert.deepEqual(scan.findingsOf('pol/exempt@'), []);
      assert.equal(r.policy?.rule, 'prod');
      assert.equal(r.policy?.exception?.active, true);
      assert.equal(r.policy?.exception?.owner, 'team-platform');
      assert.equal(r.policy?.exception?.reason, 'vendor image, unsigned until Q3');
      assert.equal(r.policy?.exception?.expires, exceptionExpires);
      assert.equal(r.policy?.exception?.daysLeft, 30);
    });

    test('exception expired: exception-expired "exception expired on … (owner …)", and the image is judged again', () => {
      const r = scan.ref('pol/expired@');
      assert.equal(r.policy?.exception?.active, false);
      const findings = scan.findingsOf('pol/expired@');
      assert.deepEqual(findings.map((d) => `${d.severity}:${d.code}`), ['error:exception-expired', 'error:unsigned']);
      assert.match(findings[0].message, /exception expired on 2020-01-31 \(owner team-legacy\)/);
    });

    test('audit: unsigned is a warning; exit 0 with --fail-on error, 1 with --fail-on warning', () => {
      const lenient = cli(['ws/audit.yaml', '--policy', policies.audit, '--fail-on', 'error'], 'cache-audit');
      assert.equal(lenient.ref('pol/audit@').trust?.status, 'unsigned');
      assert.deepEqual(lenient.diagnostics.map((d) => `${d.severity}:${d.code}`), ['warning:unsigned']);
      assert.equal(lenient.status, 0, lenient.stderr);
      const strict = cli(['ws/audit.yaml', '--policy', policies.audit, '--fail-on', 'warning'], 'cache-audit');
      assert.equal(strict.status, 1);
    });

    test('exception without owner: policy diagnostic error in the policy file, exception not applied, exit 1', () => {
      const r = cli(['ws/no-owner.yaml', '--policy', policies.noOwner], 'cache-no-owner');
      const policyDiags = r.diagnostics.filter((d) => d.code === 'policy-invalid');
      assert.equal(policyDiags.length, 1, JSON.stringify(r.diagnostics));
      assert.equal(policyDiags[0].severity, 'error');
      assert.equal(policyDiags[0].path, 'noOwner.yaml');
      assert.match(policyDiags[0].message, /exceptions\[0\].*owner/s);
      assert.equal(r.ref('pol/no-owner@').policy?.exception, null);
      assert.deepEqual(r.findingsOf('pol/no-owner@').map((d) => `${d.severity}:${d.code}`), ['error:unsigned']);
      assert.equal(r.status, 1);
    });

    test('broken policy: nothing verified, the policy diagnostic is reported, exit 1', () => {
      const r = cli(['ws/signed.yaml', '--policy', policies.broken], 'cache-broken');
      const ref = r.ref('pol/signed@');
      assert.notEqual(ref.trust?.status, 'verified');
      assert.equal(ref.trust, null);
      assert.deepEqual(ref.signatures, []);
      assert.match(ref.policy?.error ?? '', /trust policy is invalid/);
      const policyDiags = r.diagnostics.filter((d) => d.code === 'policy-invalid');
      assert.ok(policyDiags.length >= 1, JSON.stringify(r.diagnostics));
      assert.ok(policyDiags.every((d) => d.path === 'broken.yaml'));
      assert.ok(policyDiags.some((d) => d.severity === 'error' && /signer/.test(d.message)), JSON.stringify(policyDiags));
      assert.equal(r.status, 1);
    });

    test('a key signer without `tlog: false` and a signature without a log entry: untrusted-signer, exit 1', () => {
      const r = cli(['ws/signed.yaml', '--policy', policies.strict], 'cache-strict');
      const ref = r.ref('pol/signed@');
      assert.equal(ref.trust?.status, 'untrusted', ref.trust?.reason);
      assert.deepEqual(ref.signatures.map((x) => x.status), ['untrusted']);
      assert.match(ref.signatures[0].reason, /no transparency-log entry/);
      assert.deepEqual(r.findingsOf('pol/signed@').map((d) => `${d.severity}:${d.code}`), ['error:untrusted-signer']);
      assert.equal(r.status, 1);
    });

    test('--policy naming a file that does not exist: usage error (exit 2), not the permissive default policy', () => {
      const r = runCli(['scan', '--verify', 'ws/audit.yaml', '--policy', 'no-such-policy.yaml', '--cache-dir', path.join(dir, 'cache-missing')], { cwd: dir });
      assert.equal(r.status, 2, r.stdout);
      assert.match(r.stderr, /--policy no-such-policy\.yaml: no such file/);
    });

    test('--offline with an empty cache: error / verify-failed for every reference, never unsigned or verified', () => {
      const r = scanVerify(['ws/enforce.yaml', '--policy', policies.main, '--offline', '--cache-dir', path.join(dir, 'empty-cache-cli')], { cwd: dir });
      for (const x of r.references) {
        if (x.policy?.exception?.active) continue;
        assert.equal(x.trust?.status, 'error', `${x.text}: ${JSON.stringify(x.trust)}`);
      }
      assert.ok(r.diagnostics.every((d) => d.code !== 'unsigned' && d.code !== 'invalid-signature'), JSON.stringify(r.diagnostics));
      assert.deepEqual(r.findingsOf('pol/unsigned@').map((d) => d.code), ['verify-failed']);
      assert.deepEqual(r.findingsOf('pol/signed@').map((d) => d.code), ['verify-failed']);
      assert.equal(r.status, 1);
    });
  });

  test('after the registry stops: error → verify-failed, never unsigned', async () => {
    await reg.stop();
    const v = await verifyOne(testRegistryClient(), pinned('pol/unsigned', unsigned), policies.main);
    assert.equal(v.trust?.status, 'error', v.trust?.reason);
    assert.deepEqual(v.findings.map((f) => f.code), ['verify-failed']);
  });
});
