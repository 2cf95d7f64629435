// The trust lock round trip against a real registry (distribution 2.8 with auth): `image-trust lock` records what
// verification read (key signatures, a keyless signature with its certificate and Rekor entry from a mock Sigstore,
// an SPDX attestation, a Notation signature, "not found" answers), then the registry is stopped and
// `scan --verify --locked` runs under a guard that refuses every non-loopback connection (and records every attempt):
// it reaches the same verdicts as the online scan, with no connection at all. A reference not in the lock, a lock made
// under another policy, an edited lock, and an expired certificate are never a pass.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { classify } from '../../server/src/core/analyze';
import { imageKey, lockReference, parseLock, serializeLock, verifyFromLock, buildLock } from '../../server/src/core/lock';
import { loadPolicyFile } from '../../server/src/core/policy-file';
import { verifyReference } from '../../server/src/core/verification';
import { runCli } from '../support/cli';
import { makeNotationPki, notationJws } from '../support/notation-signing';
import { buildImage, pushImage, startRegistry, writeDockerConfig, type ImageLayout, type TestRegistry } from '../support/registry';
import { requireRegistryTools } from '../support/requirements';
import { attachBundle, attachNotationSignature, dsseBundle, inTotoStatement, keySigner, messageBundle, MockSigstore, newKeyPair, publicKeyPem, SPDX_DOCUMENT, SPDX_PREDICATE, testRegistryClient } from '../support/signing';

// The registry tools include openssl, which the Notation test certificates need.
const { skip } = requireRegistryTools();
const CREDS = { user: 'locker', pass: 'Lock-test-pass' };
const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';

/** Preloaded into the CLI: records every socket connection attempt, and refuses any that is not loopback. */
const GUARD = `
const net = require('node:net');
const fs = require('node:fs');
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  let o = args[0];
  if (Array.isArray(o)) o = o[0];
  const target = o && typeof o === 'object' ? (o.path ? 'unix:' + o.path : (o.host || 'localhost') + ':' + o.port) : String(args[1] || 'localhost') + ':' + String(o);
  fs.appendFileSync(process.env.NET_GUARD_LOG, target + '\\n');
  if (!/^(unix:|localhost:|127\\.|\\[?::1\\]?:)/.test(target)) throw new Error('network guard: refused a connection to ' + target);
  return connect.apply(this, args);
};
`;

interface Ref {
  text: string;
  trust: { status: string; reason: string } | null;
  signatures: { status: string; signer: string | null; identity?: unknown }[];
  attestations: { predicateType: string; status: string; summary: string | null }[];
  policy: unknown;
  lock?: { state: string; reason?: string; lockedAt?: string } | null;
}
interface Out {
  references: Ref[];
  diagnostics: { path: string; code: string; severity: string; message: string; range: { start: { line: number } } }[];
}

describe('the trust lock: lock online, verify offline with the registry stopped', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  const images: Record<string, ImageLayout> = {};
  let extra: ImageLayout;
  const key = newKeyPair();
  const notationPki = () => makeNotationPki('ec', 'Lock Test');
  let pki: ReturnType<typeof notationPki>;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-lock-'));
    reg = await startRegistry({ auth: CREDS });
    env = { DOCKER_CONFIG: await writeDockerConfig(path.join(dir, 'docker'), { [reg.host]: CREDS }) };
    const sigstore = await MockSigstore.create();
    pki = notationPki();
    for (const repo of ['lk/signed', 'lk/unsigned', 'lk/keyless', 'lk/notation', 'lk/extra']) {
      images[repo] = await buildImage(path.join(dir, 'layouts', repo), { seed: repo, created: '2026-01-02T03:04:05Z' });
      await pushImage(images[repo], reg, `${repo}:1.0`);
    }
    extra = images['lk/extra'];
    const signed = images['lk/signed'];
    await attachBundle(reg, 'lk/signed', signed.digest, await messageBundle(keySigner(key), signed.bytes));
    await attachBundle(reg, 'lk/signed', signed.digest, await dsseBundle(keySigner(key), inTotoStatement(`${reg.host}/lk/signed`, signed.digest, SPDX_DOCUMENT, SPDX_PREDICATE)));
    await attachBundle(reg, 'lk/extra', extra.digest, await messageBundle(keySigner(key), extra.bytes));
    const keyless = images['lk/keyless'];
    await attachBundle(reg, 'lk/keyless', keyless.digest, await sigstore.keyless({ iss: ISSUER, sub: IDENTITY }, (s, w) => messageBundle(s, keyless.bytes, w)));
    const notation = images['lk/notation'];
    await attachNotationSignature(reg, 'lk/notation', notation, notationJws(pki, { digest: notation.digest }));

    ws = path.join(dir, 'ws');
    mkdirSync(ws);
    writeFileSync(path.join(ws, 'trusted.pub'), publicKeyPem(key.publicKey));
    writeFileSync(path.join(ws, 'mock-trusted-root.json'), JSON.stringify(sigstore.trustedRoot));
    writeFileSync(path.join(ws, 'notation.pem'), pki.rootPem);
    writeFileSync(path.join(ws, '.image-trust.yaml'), policy());
    writeFileSync(path.join(ws, 'deploy.yaml'), pod(['lk/signed', 'lk/unsigned', 'lk/keyless', 'lk/notation']));
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const policy = (comment = '') => [
    'version: 1',
    'trustedRoot: ./mock-trusted-root.json',
    'rules:',
    '  - name: keyless',
    `    match: "${reg.host}/lk/keyless"`,
    '    mode: enforce',
    `    signers: [{ keyless: { issuer: "${ISSUER}", subject: "${IDENTITY}" } }]`,
    '  - name: notation',
    `    match: "${reg.host}/lk/notation"`,
    '    mode: enforce',
    '    signers: [{ notation: { certificate: ./notation.pem } }]',
    '  - name: keys',
    `    match: "${reg.host}/lk/**"`,
    '    mode: enforce',
    '    signers: [{ key: ./trusted.pub, tlog: false }]',
    comment,
    '',
  ].join('\n');
  const pod = (repos: string[]) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n${repos.map((r, i) => `    - name: c${i}\n      image: ${reg.host}/${r}:1.0@${images[r].digest}\n`).join('')}`;
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli([...args, '--cache-dir', path.join(dir, `cache-${Math.random().toString(16).slice(2)}`)], { cwd: ws, env: { ...env, ...extraEnv }, timeoutMs: 120_000 });
  const lockText = () => readFileSync(path.join(ws, '.image-trust.lock'), 'utf8');

  /** `scan --verify --format json` under the network guard; returns the report and every connection tried. */
  function guardedScan(args: string[]): { out: Out; status: number | null; connections: string[]; stderr: string } {
    const guard = path.join(dir, 'guard.cjs');
    writeFileSync(guard, GUARD);
    const log = path.join(dir, `net-${Math.random().toString(16).slice(2)}.log`);
    writeFileSync(log, '');
    const r = cli(['scan', '--verify', '--format', 'json', ...args], { NODE_OPTIONS: `--require ${guard}`, NET_GUARD_LOG: log });
    let out: Out;
    try {
      out = JSON.parse(r.stdout);
    } catch {
      throw new Error(`scan exited ${r.status} without JSON:\n${r.stdout}\n${r.stderr}`);
    }
    return { out, status: r.status, connections: readFileSync(log, 'utf8').split('\n').filter(Boolean), stderr: r.stderr };
  }
  const lockedScan = (args: string[] = []) => guardedScan(['--locked', ...args]);

  /** What must be equal online and offline: verdicts, signatures, attestations, the policy rule, and the findings. */
  const verdicts = (o: Out) => ({
    references: o.references.map((r) => ({ text: r.text, trust: r.trust && { status: r.trust.status, reason: r.trust.reason }, signatures: r.signatures, attestations: r.attestations, policy: r.policy })),
    diagnostics: o.diagnostics.map((d) => `${d.path}:${d.range.start.line}:${d.code}:${d.severity}:${d.message}`).sort(),
  });

  let online: Out;

  test('lock: every pinned digest is recorded; a second run writes the same bytes; lock --check passes', () => {
    const r = cli(['lock']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^Wrote \.image-trust\.lock: 4 image\(s\), 3 verified\.$/m);
    const first = lockText();
    const lock = parseLock(first);
    assert.deepEqual(Object.keys(lock.images).sort(), ['lk/keyless', 'lk/notation', 'lk/signed', 'lk/unsigned'].map((r) => imageKey(`${reg.host}/${r}`, images[r].digest)).sort());
    assert.equal(first, serializeLock(lock), 'deterministic, sorted JSON');
    const signed = lock.images[imageKey(`${reg.host}/lk/signed`, images['lk/signed'].digest)];
    assert.equal(signed.verdict.status, 'verified');
    assert.deepEqual(signed.verdict.attestations.map((a) => [a.predicateType, a.status]), [[SPDX_DOCUMENT, 'verified']]);
    // The keyless entry holds the bundle with its certificate and its transparency-log entry, as reviewable text.
    const keyless = lock.images[imageKey(`${reg.host}/lk/keyless`, images['lk/keyless'].digest)];
    const bundles = Object.values(keyless.objects.blobs).filter((b): b is { text: string } => !!b && 'text' in b && b.text.includes('application/vnd.dev.sigstore.bundle'));
    assert.equal(bundles.length, 1);
    const bundle = JSON.parse(bundles[0].text);
    assert.ok(bundle.verificationMaterial.x509CertificateChain || bundle.verificationMaterial.certificate, 'certificate recorded');
    assert.equal(bundle.verificationMaterial.tlogEntries.length, 1, 'Rekor entry recorded');
    assert.deepEqual(keyless.verdict.signatures.map((s) => s.identity), [{ kind: 'keyless', subject: IDENTITY, issuer: ISSUER }]);
    // "Not found" answers are recorded too (no .sig tag for the bundle-signed image), so offline says "unsigned" only where online did.
    const unsigned = lock.images[imageKey(`${reg.host}/lk/unsigned`, images['lk/unsigned'].digest)];
    assert.equal(unsigned.objects.tags[`${images['lk/unsigned'].digest.replace(':', '-')}.sig`], null);
    assert.ok(lock.images[imageKey(`${reg.host}/lk/notation`, images['lk/notation'].digest)].verdict.validUntil, 'the Notation verdict has an end');

    const again = cli(['lock']);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /^Unchanged \.image-trust\.lock/m);
    assert.equal(lockText(), first, 'running lock twice writes the same bytes');
    const check = cli(['lock', '--check']);
    assert.equal(check.status, 0, check.stdout);
    assert.equal(check.stdout, '.image-trust.lock is up to date (4 image(s)).\n');
  });

  test('the online scan, for comparison (under the same guard: it sees the loopback registry connections)', () => {
    const r = guardedScan(['--fail-on', 'never']);
    online = r.out;
    assert.deepEqual(online.references.map((x) => x.trust?.status), ['verified', 'unsigned', 'verified', 'verified']);
    assert.ok(r.connections.length > 0 && r.connections.every((c) => c.startsWith('127.0.0.1:')), `the guard records connections: ${r.connections.join(', ')}`);
    // And it refuses anything that is not loopback.
    const probe = path.join(dir, 'probe.cjs');
    writeFileSync(probe, "require('node:net').connect(443, '192.0.2.1').on('error', () => {});");
    const refused = spawnSync(process.execPath, ['--require', path.join(dir, 'guard.cjs'), probe], { env: { ...process.env, NET_GUARD_LOG: path.join(dir, 'probe.log') }, encoding: 'utf8', timeout: 10_000 });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /network guard: refused a connection to 192\.0\.2\.1:443/);
  });

  test('registry stopped, non-loopback connections refused: scan --locked reaches the same verdicts, without one connection', async () => {
    await reg.stop();
    const { out, status, connections } = lockedScan(['--fail-on', 'never']);
    assert.equal(status, 0);
    assert.deepEqual(connections, [], 'no connection at all, not even to the stopped registry');
    assert.deepEqual(verdicts(out), verdicts(online));
    assert.deepEqual(out.references.map((r) => r.lock?.state), ['locked', 'locked', 'locked', 'locked']);
    // The same findings: the unsigned image fails its enforce rule, offline as online.
    assert.deepEqual(out.diagnostics.map((d) => d.code), ['unsigned']);
    const failing = lockedScan();
    assert.equal(failing.status, 1, 'the enforce finding fails the scan');
  });

  test('a reference not in the lock is a finding, never a pass, and no suppression comment silences it', () => {
    writeFileSync(path.join(ws, 'new.yaml'), `services:\n  x:\n    image: ${reg.host}/lk/extra:1.0@${extra.digest} # image-trust: ignore not-in-lock\n  y:\n    image: ${reg.host}/lk/signed:1.0\n`);
    try {
      const { out, status, connections } = lockedScan(['new.yaml']);
      assert.deepEqual(connections, []);
      assert.equal(status, 1);
      assert.deepEqual(out.references.map((r) => r.trust?.status), ['error', 'error']);
      assert.match(out.references[0].trust!.reason, /not in the trust lock/);
      const codes = out.diagnostics.map((d) => `${d.range.start.line}:${d.code}:${d.severity}`);
      assert.deepEqual(codes, ['2:verify-failed:error', '2:not-in-lock:error', '4:unpinned-tag:warning', '4:verify-failed:error', '4:not-in-lock:error']);
      assert.equal(out.references[0].lock?.state, 'not-in-lock');
      const check = cli(['lock', '--check', 'new.yaml', 'deploy.yaml']);
      assert.equal(check.status, 1);
      assert.ok(check.stdout.includes(`  - new.yaml:3: ${reg.host}/lk/extra@${extra.digest} is pinned but not in the lock\n`), check.stdout);
    } finally {
      rmSync(path.join(ws, 'new.yaml'));
    }
  });

  test('a lock made under another policy: lock-policy-changed on every reference; verdicts still derived, not taken from the lock', () => {
    writeFileSync(path.join(ws, '.image-trust.yaml'), policy('# reviewed again'));
    try {
      const { out, connections } = lockedScan(['--fail-on', 'never']);
      assert.deepEqual(connections, []);
      assert.deepEqual(out.diagnostics.filter((d) => d.code === 'lock-policy-changed').length, 4);
      assert.match(out.diagnostics.find((d) => d.code === 'lock-policy-changed')!.message, /^the lock was made under another trust policy/);
      assert.deepEqual(verdicts(out).references, verdicts(online).references);
      const check = cli(['lock', '--check']);
      assert.equal(check.status, 1);
      assert.match(check.stdout, /^ {2}- the lock was made under another trust policy/m);
    } finally {
      writeFileSync(path.join(ws, '.image-trust.yaml'), policy());
    }
  });

  test('an edited lock never verifies more: a forged "verified" verdict is ignored, tampered bytes are refused', () => {
    const original = lockText();
    try {
      const lock = parseLock(original);
      const unsignedKey = imageKey(`${reg.host}/lk/unsigned`, images['lk/unsigned'].digest);
      lock.images[unsignedKey].verdict = { ...lock.images[unsignedKey].verdict, status: 'verified', reason: 'Signed by ./trusted.pub.' };
      // Swap the signed image's signature bundle for the bytes of another signature: its digest no longer matches.
      const signedKey = imageKey(`${reg.host}/lk/signed`, images['lk/signed'].digest);
      const blobs = lock.images[signedKey].objects.blobs;
      const [bundleDigest] = Object.entries(blobs).find(([, b]) => !!b && 'text' in b && b.text.includes('messageSignature'))!;
      const b = blobs[bundleDigest] as { text: string };
      blobs[bundleDigest] = { text: b.text.replace(/"signature":"([A-Za-z0-9+/]{8})/, '"signature":"AAAAAAAA') };
      writeFileSync(path.join(ws, '.image-trust.lock'), serializeLock(lock));
      const { out } = lockedScan(['--fail-on', 'never']);
      const byText = (repo: string) => out.references.find((r) => r.text.includes(`/${repo}:`))!;
      assert.equal(byText('lk/unsigned').trust?.status, 'unsigned', 'the recorded verdict is never read back');
      assert.notEqual(byText('lk/signed').trust?.status, 'verified');
      assert.match(byText('lk/signed').trust!.reason, /do not hash to it \(the lock was edited\)/);
    } finally {
      writeFileSync(path.join(ws, '.image-trust.lock'), original);
    }
  });

  test('time-dependent validity is re-checked at the current time, as online: a Notation certificate that expired is not verified from the lock', async () => {
    // The registry is stopped: the lock is made again here through the core, against a second registry.
    const reg2 = await startRegistry({ auth: CREDS });
    try {
      const image = await buildImage(path.join(dir, 'layouts', 'expiring'), { seed: 'expiring' });
      await pushImage(image, reg2, 'lk/notation:1.0');
      await attachNotationSignature(reg2, 'lk/notation', image, notationJws(pki, { digest: image.digest }));
      const text = `${reg2.host}/lk/notation:1.0@${image.digest}`;
      const ref = classify({ kind: 'kubernetes', range: { start: 0, end: text.length }, text, reference: text, templated: false });
      const policyFile = path.join(dir, 'notation-policy.yaml');
      writeFileSync(path.join(dir, 'notation.pem'), pki.rootPem);
      writeFileSync(policyFile, `version: 1\nrules:\n  - name: notation\n    match: "${reg2.host}/**"\n    signers: [{ notation: { certificate: ./notation.pem } }]\n`);
      const policyLoad = loadPolicyFile(policyFile).result;
      const now = new Date();
      const client = testRegistryClient({ reg: reg2 });
      const { entry } = await lockReference(client, ref, policyLoad, { now });
      const lock = buildLock([entry], policyLoad, now);
      const later = new Date(now.getTime() + 3 * 86_400_000);
      const fromLock = async (at: Date) => (await verifyFromLock(lock, ref, policyLoad, { now: at })).verification?.trust?.status;
      assert.equal(await fromLock(now), 'verified');
      // Online and from the lock at the same later time: the certificate (valid 2 days) has expired for both.
      const onlineLater = await verifyReference(client, ref, null, policyLoad, { now: later });
      assert.equal(onlineLater?.trust?.status, 'invalid');
      assert.equal(await fromLock(later), 'invalid');
      assert.equal((await verifyFromLock(lock, ref, policyLoad, { now: later })).verification?.trust?.reason, onlineLater?.trust?.reason);
    } finally {
      await reg2.stop();
    }
  });
});
