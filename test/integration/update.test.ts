// `image-trust update` against a real registry (distribution 2.8 with auth), images pushed with skopeo, signatures
// and attestations made with @sigstore/sign and attached as OCI referrers: tags moved to images signed by the same
// key (accepted), by another trusted key (refused unless --allow-signer-change), too young or without a date
// (refused under --min-age, stated), from an unsigned pin (refused, fail closed), a platform pin (moved to the same
// platform of the new index), an index pin whose tag became a single manifest (refused); two images whose SPDX SBOM
// attestations differ (the package diff, exactly), and what is written: only accepted pins, minimal edits.
import assert from 'node:assert/strict';
import type crypto from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli';
import { buildImage, pushImage, startRegistry, writeDockerConfig, type ImageLayout, type TestRegistry } from '../support/registry';
import { requireRegistryTools } from '../support/requirements';
import { attachBundle, dsseBundle, inTotoStatement, keySigner, messageBundle, newKeyPair, publicKeyPem, SLSA_PROVENANCE_V1, SPDX_DOCUMENT } from '../support/signing';

const { skip } = requireRegistryTools();
const CREDS = { user: 'updater', pass: 'Update-test-pass' };
const DAY = 86_400_000;
const VULN_PREDICATE = 'https://cosign.sigstore.dev/attestation/vuln/v1';

type KeyPair = crypto.KeyPairKeyObjectResult;

interface Publish {
  seed: string;
  /** Config `created`: days ago, an exact string, or absent. */
  created?: number | string;
  key?: KeyPair;
  platforms?: { os: string; architecture: string }[];
  /** Sign the index (default) or each platform manifest. */
  signPlatforms?: boolean;
  sbom?: [string, string][];
  commit?: string;
  vulnerabilities?: number;
}

describe('image-trust update: trust-gated digest updates, real registry', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  const keyA = newKeyPair();
  const keyB = newKeyPair();
  const now = Date.now();
  const iso = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const v1: Record<string, ImageLayout> = {};
  const v2: Record<string, ImageLayout> = {};
  let n = 0;

  async function publish(repo: string, p: Publish): Promise<ImageLayout> {
    const created = typeof p.created === 'number' ? iso(p.created) : p.created;
    const layout = await buildImage(path.join(dir, 'layouts', `${n++}`), { seed: `${repo}/${p.seed}`, ...(created !== undefined ? { created } : {}), ...(p.platforms ? { platforms: p.platforms } : {}) });
    await pushImage(layout, reg, `${repo}:1.0`);
    const subjects = p.signPlatforms ? layout.manifests.map((m) => ({ digest: m.digest, bytes: m.bytes })) : [{ digest: layout.digest, bytes: layout.bytes }];
    if (p.key) for (const s of subjects) await attachBundle(reg, repo, s.digest, await messageBundle(keySigner(p.key), s.bytes));
    const attest = async (predicateType: string, predicate: unknown) =>
      attachBundle(reg, repo, layout.digest, await dsseBundle(keySigner(p.key ?? keyA), inTotoStatement(`${reg.host}/${repo}`, layout.digest, predicateType, predicate)));
    if (p.sbom) await attest(SPDX_DOCUMENT, { spdxVersion: 'SPDX-2.3', packages: p.sbom.map(([name, versionInfo]) => ({ name, versionInfo })) });
    if (p.commit) {
      await attest(SLSA_PROVENANCE_V1, {
        buildDefinition: { buildType: 'https://actions.github.io/buildtypes/workflow/v1', externalParameters: { workflow: { repository: 'https://github.com/acme/app', ref: 'refs/heads/main', path: '.github/workflows/release.yml' } }, resolvedDependencies: [{ uri: 'git+https://github.com/acme/app@refs/heads/main', digest: { gitCommit: p.commit } }] },
        runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
      });
    }
    if (p.vulnerabilities !== undefined) {
      await attest(VULN_PREDICATE, { scanner: { uri: 'pkg:github/aquasecurity/trivy', version: '0.50.0', result: { Results: [{ Vulnerabilities: Array.from({ length: p.vulnerabilities }, (_, i) => ({ VulnerabilityID: `CVE-2026-${i}` })) }] } } });
    }
    return layout;
  }

  const PLATFORMS = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }];
  const armOf = (l: ImageLayout) => l.manifests.find((m) => m.platform?.architecture === 'arm64')!.digest;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-update-'));
    reg = await startRegistry({ auth: CREDS });
    env = { DOCKER_CONFIG: await writeDockerConfig(path.join(dir, 'docker'), { [reg.host]: CREDS }) };
    // Published one after the other: attaching referrers rewrites the referrers index of a subject.
    v1['app/same'] = await publish('app/same', { seed: '1', created: 40, key: keyA, sbom: [['openssl', '3.0.1'], ['zlib', '1.2.13'], ['musl', '1.2.3']], commit: 'a'.repeat(40), vulnerabilities: 4 });
    v2['app/same'] = await publish('app/same', { seed: '2', created: 12, key: keyA, sbom: [['openssl', '3.0.2'], ['zlib', '1.2.13'], ['busybox', '1.36.1']], commit: 'b'.repeat(40), vulnerabilities: 2 });
    v1['app/other-key'] = await publish('app/other-key', { seed: '1', created: 40, key: keyA });
    v2['app/other-key'] = await publish('app/other-key', { seed: '2', created: 12, key: keyB });
    v1['app/young'] = await publish('app/young', { seed: '1', created: 40, key: keyA });
    v2['app/young'] = await publish('app/young', { seed: '2', created: 1, key: keyA });
    v1['app/nodate'] = await publish('app/nodate', { seed: '1', created: 40, key: keyA });
    v2['app/nodate'] = await publish('app/nodate', { seed: '2', key: keyA });
    v1['app/epoch'] = await publish('app/epoch', { seed: '1', created: 40, key: keyA });
    v2['app/epoch'] = await publish('app/epoch', { seed: '2', created: '1970-01-01T00:00:00Z', key: keyA });
    v1['app/unsigned-pin'] = await publish('app/unsigned-pin', { seed: '1', created: 40 });
    v2['app/unsigned-pin'] = await publish('app/unsigned-pin', { seed: '2', created: 12, key: keyA });
    v1['app/platform'] = await publish('app/platform', { seed: '1', created: 40, key: keyA, platforms: PLATFORMS, signPlatforms: true });
    v2['app/platform'] = await publish('app/platform', { seed: '2', created: 10, key: keyA, platforms: PLATFORMS, signPlatforms: true });
    v1['app/index'] = await publish('app/index', { seed: '1', created: 40, key: keyA, platforms: PLATFORMS });
    v2['app/index'] = await publish('app/index', { seed: '2', created: 10, key: keyA });

    ws = path.join(dir, 'ws');
    mkdirSync(path.join(ws, 'deploy'), { recursive: true });
    writeFileSync(path.join(ws, 'a.pub'), publicKeyPem(keyA.publicKey));
    writeFileSync(path.join(ws, 'b.pub'), publicKeyPem(keyB.publicKey));
    // Both keys are trusted; the bundles are not logged, so the key signers accept that (tlog: false).
    writeFileSync(path.join(ws, '.image-trust.yaml'), [
      'version: 1',
      'rules:',
      '  - name: app',
      `    match: "${reg.host}/app/**"`,
      '    mode: enforce',
      '    signers: [{ key: ./a.pub, tlog: false }, { key: ./b.pub, tlog: false }]',
      '',
    ].join('\n'));
    writeFileSync(path.join(ws, 'deploy', 'app.yaml'), appYaml());
    writeFileSync(path.join(ws, 'deploy', 'held.yaml'), heldYaml());
    writeFileSync(path.join(ws, 'deploy', 'platform.yaml'), `services:\n  web:\n    image: '${reg.host}/app/platform:1.0@${armOf(v1['app/platform'])}' # arm64 only\n`);
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const pin = (repo: string) => `${reg.host}/${repo}:1.0@${v1[repo].digest}`;
  const appYaml = () => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: same\n      image: ${pin('app/same')} # keep this comment\n    - name: other\n      image: "${pin('app/other-key')}"\n`;
  const heldYaml = () =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: held\nspec:\n  containers:\n${['app/young', 'app/nodate', 'app/epoch', 'app/unsigned-pin', 'app/index'].map((r, i) => `    - name: c${i}\n      image: ${pin(r)}\n`).join('')}`;

  const cli = (args: string[]) => runCli(['update', ...args, '--cache-dir', path.join(dir, 'cache')], { cwd: ws, env, timeoutMs: 120_000 });
  interface UpdateJson {
    updates: Array<{
      path: string; name: string; state: string; from: string; to: string | null; written: boolean; reasons: string[];
      signer: { status: string; old: string[]; new: string[] };
      age: { old: { ageMs: number | null; source: string | null } | null; new: { ageMs: number | null; source: string | null; sources: { source: string; value: string; note: string | null }[] } | null };
      provenance: { old: { repository: string | null; commit: string | null } | null; new: { repository: string | null; commit: string | null } | null };
      sbom: { added?: unknown[]; removed?: unknown[]; changed?: unknown[]; total?: number; note: string | null };
      vulnerabilities: { old: number | null; new: number | null };
      kind: { old: string | null; new: string | null };
    }>;
    files: { path: string; written: boolean; updated: number }[];
    summary: { checked: number; updated: number; refused: number; failed: number; upToDate: number };
  }
  const byRepo = (out: UpdateJson, repo: string) => {
    const found = out.updates.filter((u) => u.name === `${reg.host}/${repo}`);
    assert.equal(found.length, 1, `${repo}: ${out.updates.map((u) => u.name).join(', ')}`);
    return found[0];
  };

  test('--dry-run --format markdown: a pull-request body with the exact package diff, provenance and vulnerability counts; nothing written', () => {
    const r = cli(['--dry-run', '--min-age', '7d', '--format', 'markdown']);
    assert.equal(r.status, 1, r.stderr);
    const md = r.stdout;
    assert.match(md, /^## Image Trust: 2 image pin\(s\) updated$/m);
    const same = md.slice(md.indexOf(`### \`${reg.host}/app/same:1.0\``));
    assert.ok(same.includes(`- **Digest:** \`${v1['app/same'].digest}\` → \`${v2['app/same'].digest}\``), same);
    assert.ok(same.includes('- **Packages** (SPDX-2.3): 3 changed — 1 added, 1 removed, 1 version changed'), same);
    assert.ok(same.includes('  - added `busybox` `1.36.1`\n  - removed `musl` `1.2.3`\n  - `openssl` `3.0.1` → `3.0.2`\n'), same);
    assert.ok(same.includes(`- **Provenance:** \`https://github.com/acme/app@${'a'.repeat(40)}\` → \`https://github.com/acme/app@${'b'.repeat(40)}\``), same);
    assert.ok(same.includes('- **Vulnerabilities:** 4 → 2 \\(from verified vulnerability attestations\\)'), same);
    assert.match(same, /- \*\*Signer:\*\* same \(key sha256:[0-9a-f]{12}…\)/);
    assert.match(md, /^### Not updated \(6\)$/m);
    assert.equal(readFileSync(path.join(ws, 'deploy', 'app.yaml'), 'utf8'), appYaml(), 'a dry run writes nothing');
  });

  test('--dry-run text: every candidate says why, with both ages, the signer, the kind; the SBOM diff exactly', () => {
    const r = cli(['--dry-run', '--min-age', '7d']);
    assert.equal(r.status, 1);
    const out = r.stdout;
    assert.ok(out.includes(`deploy/app.yaml:8:14: would update ${reg.host}/app/same:1.0\n    ${v1['app/same'].digest} → ${v2['app/same'].digest}\n`), out);
    assert.ok(out.includes([
      '    packages (SPDX-2.3): 3 changed: 1 added, 1 removed, 1 version changed',
      '      + busybox 1.36.1',
      '      - musl 1.2.3',
      '      ~ openssl 3.0.1 → 3.0.2',
    ].join('\n')), out);
    assert.match(out, /    age: 40 days old \(config created [^)]+\) → 12 days old \(config created [^)]+\)\n/);
    assert.ok(out.includes('deploy/held.yaml: left untouched: no candidate in it was accepted'), out);
    assert.match(out, /^8 tag@digest pin\(s\) checked: 2 to update, 6 refused, 0 failed, 0 up to date\. Minimum age 7d\.$/m);
  });

  test('--min-age 7d --format json: accepted and refused, each with its reasons; only accepted pins are written, minimally', () => {
    const r = cli(['--min-age', '7d', '--format', 'json']);
    assert.equal(r.status, 1, 'refused candidates: exit 1, as pin does for failures');
    const out = JSON.parse(r.stdout) as UpdateJson;

    const same = byRepo(out, 'app/same');
    assert.deepEqual([same.state, same.from, same.to, same.written, same.signer.status], ['accepted', v1['app/same'].digest, v2['app/same'].digest, true, 'same']);
    assert.equal(same.age.new?.source, 'config created');
    assert.ok(Math.abs(same.age.new!.ageMs! - 12 * DAY) < 10 * 60_000);
    assert.ok(Math.abs(same.age.old!.ageMs! - 40 * DAY) < 10 * 60_000);
    assert.deepEqual(same.provenance, { old: { builder: 'https://github.com/actions/runner/github-hosted', repository: 'https://github.com/acme/app', commit: 'a'.repeat(40) }, new: { builder: 'https://github.com/actions/runner/github-hosted', repository: 'https://github.com/acme/app', commit: 'b'.repeat(40) } });
    assert.deepEqual(
      { added: same.sbom.added, removed: same.sbom.removed, changed: same.sbom.changed, total: same.sbom.total },
      { added: [{ name: 'busybox', version: '1.36.1' }], removed: [{ name: 'musl', version: '1.2.3' }], changed: [{ name: 'openssl', from: '3.0.1', to: '3.0.2' }], total: 3 },
    );
    assert.deepEqual(same.vulnerabilities, { old: 4, new: 2 });

    const other = byRepo(out, 'app/other-key');
    assert.equal(other.state, 'refused');
    assert.equal(other.signer.status, 'changed');
    assert.match(other.reasons.join('\n'), /^the signer changed: the pin was signed by key sha256:[0-9a-f]{12}…, the candidate by key sha256:[0-9a-f]{12}…; refused unless --allow-signer-change$/m);

    const young = byRepo(out, 'app/young');
    assert.equal(young.state, 'refused');
    assert.match(young.reasons.join('\n'), /^it is 2[34] hours old \(config created [^)]+\): younger than --min-age 7d$/m);

    const nodate = byRepo(out, 'app/nodate');
    assert.deepEqual(nodate.reasons, ['its age unknown (no creation time: no config created, no org.opencontainers.image.created annotation, no verified provenance with a build finish time), and --min-age 7d needs a known age']);
    const epoch = byRepo(out, 'app/epoch');
    assert.deepEqual(epoch.reasons, ['its age unknown (config created 1970-01-01T00:00:00Z: implausible: before 2013 (a placeholder, such as the 1970 of reproducible builds)), and --min-age 7d needs a known age']);
    assert.equal(epoch.age.new?.ageMs, null);

    const unsigned = byRepo(out, 'app/unsigned-pin');
    assert.equal(unsigned.signer.status, 'unknown');
    assert.match(unsigned.reasons[0], /^the current pin has no verified signer \(unsigned: No signatures found\.\), so "the same signer" cannot be established; refused \(fail closed\) unless --allow-signer-change$/);

    const index = byRepo(out, 'app/index');
    assert.deepEqual(index.kind, { old: 'multi-platform index', new: 'linux/amd64 image' });
    assert.deepEqual(index.reasons, ['the pin is a multi-platform index, the candidate a single-platform manifest: an index pin stays an index pin']);

    const platform = byRepo(out, 'app/platform');
    assert.deepEqual([platform.state, platform.from, platform.to], ['accepted', armOf(v1['app/platform']), armOf(v2['app/platform'])], 'the arm64 pin moves to the arm64 image of the new index, not to the index');
    assert.deepEqual(platform.kind, { old: 'linux/arm64 image', new: 'linux/arm64 image' });

    assert.deepEqual(out.summary, { checked: 8, updated: 2, refused: 6, failed: 0, upToDate: 0 });
    // What is written: only the accepted digests, nothing else in the file (quotes, comments stay).
    assert.equal(readFileSync(path.join(ws, 'deploy', 'app.yaml'), 'utf8'), appYaml().replace(v1['app/same'].digest, v2['app/same'].digest));
    assert.equal(readFileSync(path.join(ws, 'deploy', 'held.yaml'), 'utf8'), heldYaml(), 'a file whose candidates are all refused is untouched');
    assert.equal(readFileSync(path.join(ws, 'deploy', 'platform.yaml'), 'utf8'), `services:\n  web:\n    image: '${reg.host}/app/platform:1.0@${armOf(v2['app/platform'])}' # arm64 only\n`);
    assert.deepEqual(out.files.map((f) => [f.path, f.written, f.updated]), [['deploy/app.yaml', true, 1], ['deploy/held.yaml', false, 0], ['deploy/platform.yaml', true, 1]]);
  });

  test('after the update the moved pins are up to date; --allow-signer-change accepts another trusted key and an unsigned pin, never an unverified candidate', () => {
    const r = cli(['--dry-run', '--allow-signer-change', '--format', 'json']);
    const out = JSON.parse(r.stdout) as UpdateJson;
    assert.equal(byRepo(out, 'app/same').state, 'up-to-date');
    assert.equal(byRepo(out, 'app/platform').state, 'up-to-date');
    assert.equal(byRepo(out, 'app/other-key').state, 'accepted');
    assert.equal(byRepo(out, 'app/unsigned-pin').state, 'accepted');
    assert.equal(byRepo(out, 'app/young').state, 'accepted', 'without --min-age the age is shown, not a gate');
    assert.equal(byRepo(out, 'app/index').state, 'refused', 'the kind gate does not yield to --allow-signer-change');
  });

  test('a candidate signed by a key the policy does not trust is refused, even with --allow-signer-change', async () => {
    const stranger = newKeyPair();
    const a = await publish('app/stranger', { seed: '1', created: 40, key: keyA });
    await publish('app/stranger', { seed: '2', created: 12, key: stranger });
    const file = path.join(ws, 'stranger.yaml');
    writeFileSync(file, `services:\n  s:\n    image: ${reg.host}/app/stranger:1.0@${a.digest}\n`);
    try {
      const r = cli(['stranger.yaml', '--allow-signer-change', '--format', 'json']);
      assert.equal(r.status, 1);
      const s = byRepo(JSON.parse(r.stdout) as UpdateJson, 'app/stranger');
      assert.equal(s.state, 'refused');
      assert.match(s.reasons.join('\n'), /^the candidate does not verify under the policy: untrusted: /m);
      assert.equal(readFileSync(file, 'utf8'), `services:\n  s:\n    image: ${reg.host}/app/stranger:1.0@${a.digest}\n`);
    } finally {
      rmSync(file);
    }
  });

  test('usage: --min-age must be a duration; sarif is not an update format', () => {
    assert.equal(cli(['--min-age', '7']).status, 2);
    assert.equal(cli(['--format', 'sarif']).status, 2);
  });
});
