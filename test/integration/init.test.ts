// `image-trust init`: a starter .image-trust.yaml from the images a workspace uses — one audit rule per repository,
// requireDigest where every reference is pinned, never an overwrite; with --verify (real registry, keyless
// signatures from a private Sigstore) the identities of verified signatures proposed as commented signers. Every
// generated policy must load through core/policy without a single diagnostic.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadPolicy } from '../../server/src/core/policy';
import { runCli } from '../support/cli';
import { buildImage, pushImage, startRegistry, writeDockerConfig, type ImageLayout, type TestRegistry } from '../support/registry';
import { requireRegistryTools } from '../support/requirements';
import { attachBundle, cosignKeySignature, messageBundle, MockSigstore, newKeyPair, pushCosignSignatures } from '../support/signing';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

/** The policy text loads with no error and no warning (the starter must be clean). */
function assertLoadsClean(text: string, policyPath: string) {
  const loaded = loadPolicy(text, { policyPath, readFile: (p) => readFileSync(p, 'utf8') });
  assert.equal(loaded.broken, false, loaded.diagnostics.map((d) => d.message).join('\n'));
  assert.deepEqual(loaded.diagnostics.map((d) => `${d.severity}: ${d.message}`), [], `the starter policy loads without diagnostics:\n${text}`);
  return loaded;
}

describe('image-trust init (no registry)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-init-'));
    mkdirSync(path.join(dir, 'deploy'));
    writeFileSync(path.join(dir, 'deploy', 'web.yaml'), `apiVersion: v1
kind: Pod
spec:
  containers:
    - name: web
      image: nginx:1.25
    - name: web-pinned
      image: nginx:1.25@${D1}
    - name: api
      image: ghcr.io/acme/api@${D1}
    - name: templated
      image: "{{ .Values.image }}"
`);
    writeFileSync(path.join(dir, 'Dockerfile'), `FROM ghcr.io/acme/api:2@${D2}\nFROM localhost:5000/team/base:1.0@${D1}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('writes one audit rule per repository; requireDigest only where every reference is pinned', () => {
    const r = runCli(['init'], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^wrote \.image-trust\.yaml: 3 rule\(s\) in audit mode, 2 with requireDigest: true\./m);
    const text = readFileSync(path.join(dir, '.image-trust.yaml'), 'utf8');
    const loaded = assertLoadsClean(text, path.join(dir, '.image-trust.yaml'));
    const rules = loaded.policy!.rules.map((x) => [x.name, x.mode, x.requireDigest]);
    assert.deepEqual(rules, [
      ['docker.io/library/nginx', 'audit', false],
      ['ghcr.io/acme/api', 'audit', true],
      ['localhost:5000/team/base', 'audit', true],
    ]);
    assert.match(text, /requireDigest: false +# 1 of 2 reference\(s\) pinned/);
    assert.match(text, /1 templated or invalid reference\(s\) left out/);
    assert.deepEqual(parse(text).exceptions, []);
  });

  test('the written policy is the one scan uses: nothing fails in audit mode, tags still reported', () => {
    const r = runCli(['scan', '--format', 'json', '--fail-on', 'error'], { cwd: dir });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const codes = (JSON.parse(r.stdout).diagnostics as { code: string }[]).map((d) => d.code);
    assert.ok(codes.includes('unpinned-tag'), codes.join(', '));
    assert.ok(!codes.includes('policy-invalid'), codes.join(', '));
  });

  test('refuses to overwrite an existing policy (exit 2, the file unchanged)', () => {
    const file = path.join(dir, '.image-trust.yaml');
    writeFileSync(file, 'version: 1\n# mine\n');
    const r = runCli(['init'], { cwd: dir });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\.image-trust\.yaml already exists: init never overwrites a policy/);
    assert.equal(readFileSync(file, 'utf8'), 'version: 1\n# mine\n');
  });

  test('--policy FILE writes elsewhere; a workspace without images gets a valid empty starter', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'image-trust-init-empty-'));
    try {
      const r = runCli(['init', '--policy', 'policies/images.yaml'], { cwd: empty });
      assert.equal(r.status, 2, 'the folder of --policy must exist');
      mkdirSync(path.join(empty, 'policies'));
      const ok = runCli(['init', '--policy', 'policies/images.yaml'], { cwd: empty });
      assert.equal(ok.status, 0, ok.stderr);
      const text = readFileSync(path.join(empty, 'policies', 'images.yaml'), 'utf8');
      assert.deepEqual(assertLoadsClean(text, path.join(empty, 'policies', 'images.yaml')).policy!.rules, []);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('init --help; --trusted-root belongs to init only', () => {
    assert.match(runCli(['init', '--help'], { cwd: dir }).stdout, /^Usage: image-trust init/);
    const r = runCli(['scan', '--trusted-root', 'x.json'], { cwd: dir });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--trusted-root is an option of init/);
  });
});

const CREDS = { user: 'signer', pass: 'Init-test-pass' };
const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';

describe('image-trust init --verify (real registry, keyless signatures from a private Sigstore)', requireRegistryTools(), () => {
  let dir: string;
  let reg: TestRegistry;
  let dockerConfig: string;
  const images: Record<string, ImageLayout> = {};
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-init-verify-'));
    reg = await startRegistry({ auth: CREDS });
    for (const repo of ['team/keyless', 'team/keyed', 'team/plain']) {
      images[repo] = await buildImage(path.join(dir, 'layouts', repo), { seed: repo });
      await pushImage(images[repo]!, reg, `${repo}:1.0`);
    }
    const sigstore = await MockSigstore.create();
    const bundle = await sigstore.keyless({ iss: ISSUER, sub: IDENTITY }, (signer, witnesses) => messageBundle(signer, images['team/keyless']!.bytes, witnesses));
    await attachBundle(reg, 'team/keyless', images['team/keyless']!.digest, bundle);
    // A cosign key signature (no certificate, no log entry): found, but nobody can say whose key it is.
    await pushCosignSignatures(reg, 'team/keyed', images['team/keyed']!.digest, [cosignKeySignature(newKeyPair().privateKey, `${reg.host}/team/keyed`, images['team/keyed']!.digest)]);
    writeFileSync(path.join(dir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
    dockerConfig = await writeDockerConfig(path.join(dir, 'docker'), { [reg.host]: CREDS });
    mkdirSync(path.join(dir, 'ws'));
    writeFileSync(path.join(dir, 'ws', 'pod.yaml'), `apiVersion: v1
kind: Pod
spec:
  containers:
    - name: a
      image: ${reg.host}/team/keyless@${images['team/keyless']!.digest}
    - name: b
      image: ${reg.host}/team/keyed:1.0
    - name: c
      image: ${reg.host}/team/plain:1.0
`);
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('proposes the verified keyless identity (commented), notes the unverifiable key signature, and says which images are unsigned', () => {
    const ws = path.join(dir, 'ws');
    const r = runCli(['init', '--verify', '--trusted-root', '../trusted_root.json', '--cache-dir', path.join(dir, 'cache')], { cwd: ws, env: { DOCKER_CONFIG: dockerConfig }, timeoutMs: 90_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /3 rule\(s\) in audit mode, 1 with requireDigest: true, 1 signer identity proposed \(commented\)/);
    assert.equal(r.stderr, '', 'no progress lines: stderr is not a terminal here');
    const file = path.join(ws, '.image-trust.yaml');
    const text = readFileSync(file, 'utf8');
    const loaded = assertLoadsClean(text, file);
    assert.equal(loaded.policy!.trustedRoot !== undefined || /trustedRoot: "\.\.\/trusted_root\.json"/.test(text), true, text);
    // The proposal is a comment: no rule has signers until a person decides.
    assert.ok(loaded.policy!.rules.every((x) => x.signers.length === 0), 'signers stay commented');
    const keyless = text.slice(text.indexOf(`name: "${reg.host}/team/keyless"`), text.indexOf(`name: "${reg.host}/team/plain"`));
    assert.match(keyless, new RegExp(`#   - keyless:\\n +# +issuer: "${ISSUER.replace(/[./]/g, '\\$&')}"\\n +# +subject: "${IDENTITY.replace(/[./]/g, '\\$&')}"`));
    const keyed = text.slice(text.indexOf(`name: "${reg.host}/team/keyed"`), text.indexOf(`name: "${reg.host}/team/keyless"`));
    assert.match(keyed, /# A cosign signature was found but not verified \(untrusted\): add its signer by hand/);
    assert.doesNotMatch(keyed, /# signers:/);
    assert.match(text.slice(text.indexOf(`name: "${reg.host}/team/plain"`)), /# No signature found on this image\./);

    // A reviewer uncomments the proposal and enforces it: the policy still loads clean, and the image verifies.
    const reviewed = text.replace(/^( +)# (signers:|  - keyless:|      issuer:|      subject:)/gm, '$1$2').replace(/(name: "[^"]*team\/keyless"\n +match: "[^"]*"\n +mode: )audit/, '$1enforce');
    assert.notEqual(reviewed, text);
    writeFileSync(file, reviewed);
    assert.equal(assertLoadsClean(reviewed, file).policy!.rules.find((x) => x.name.endsWith('team/keyless'))!.signers.length, 1);
    const scan = runCli(['scan', '--verify', '--format', 'json', '--fail-on', 'never', '--cache-dir', path.join(dir, 'cache')], { cwd: ws, env: { DOCKER_CONFIG: dockerConfig }, timeoutMs: 90_000 });
    const keylessRef = (JSON.parse(scan.stdout).references as { text: string; trust: { status: string } | null }[]).find((x) => x.text.includes('team/keyless'));
    assert.equal(keylessRef?.trust?.status, 'verified', scan.stdout);
  });
});
