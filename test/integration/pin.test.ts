// Resolve and pin against a real registry (Debian's docker-registry on 127.0.0.1, images pushed with skopeo):
// CLI `pin` edits byte-for-byte, idempotence, `scan --resolve` drift / digest-not-found / platform pins, offline.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli';
import { buildImage, pushImage, startRegistry, type ImageLayout, type TestRegistry } from '../support/registry';
import { requireRegistryTools } from '../support/requirements';

const { skip } = requireRegistryTools();
const MISSING = 'sha256:' + 'f'.repeat(64);

describe('pinning against a real registry', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let app: ImageLayout;
  let multi: ImageLayout;
  let movedOld: ImageLayout;
  let movedNew: ImageLayout;
  let R: string;
  const files: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'image-trust-pin-'));
    reg = await startRegistry();
    R = reg.host;
    app = await buildImage(join(dir, 'l-app'), { seed: 'app' });
    await pushImage(app, reg, 'team/app:1.0');
    multi = await buildImage(join(dir, 'l-multi'), { seed: 'multi', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }] });
    await pushImage(multi, reg, 'team/multi:2.0');
    movedOld = await buildImage(join(dir, 'l-old'), { seed: 'old' });
    await pushImage(movedOld, reg, 'team/moved:3.0');
    movedNew = await buildImage(join(dir, 'l-new'), { seed: 'new' });
    await pushImage(movedNew, reg, 'team/moved:3.0'); // the tag moves to other bytes
    await pushImage(app, reg, 'team/app:latest');

    files['k8s/deploy.yaml'] = [
      'apiVersion: apps/v1\r',
      'kind: Deployment\r',
      'metadata: {name: web}\r',
      'spec:\r',
      '  template:\r',
      '    spec:\r',
      '      containers:\r',
      `        - {name: a, image: "${R}/team/app:1.0"}   # keep this comment\r`,
      `        - name: b\r`,
      `          image: '${R}/team/multi:2.0'\r`,
      `        - name: c\r`,
      `          image: ${R}/team/app\r`,
      '',
    ].join('\n');
    files['docker/Dockerfile'] = [`ARG BASE=${R}/team/app:1.0`, 'FROM ${BASE} AS build', `FROM ${R}/team/multi:2.0`, 'COPY --from=build /x /x', ''].join('\n');
    files['chart/Chart.yaml'] = 'apiVersion: v2\nname: c\nversion: 1.0.0\n';
    files['chart/values.yaml'] = ['image:', `  registry: ${R}`, '  repository: team/app', '  tag: "1.0"  # release', '  pullPolicy: Always', 'other:', '  image:', `    registry: ${R}`, '    repository: team/multi', '    tag: "2.0"', '    digest: ""', ''].join('\n');
    files['kustomize/kustomization.yaml'] = ['resources: []', 'images:', `  - name: ${R}/team/app`, '    newTag: "1.0"', ''].join('\n');
    files['compose.yaml'] = ['services:', '  web:', `    image: ${R}/team/missing:1.0`, '  ok:', `    image: ${R}/team/app:1.0`, ''].join('\n');
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(dir, 'ws', p, '..'), { recursive: true });
      writeFileSync(join(dir, 'ws', p), text);
    }
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const read = (p: string) => readFileSync(join(dir, 'ws', p), 'utf8');
  const cli = (args: string[]) => runCli([...args, '--cache-dir', join(dir, 'cache')], { cwd: dir });

  test('pin rewrites only the references; a file with an unresolvable reference stays untouched', () => {
    const r = cli(['pin', 'ws']);
    assert.equal(r.status, 1, 'one reference (team/missing) cannot be resolved');
    assert.match(r.stdout, /failed .*team\/missing:1\.0: .*not found/i);
    assert.match(r.stdout, /ws\/compose\.yaml: left untouched/);
    assert.equal(read('compose.yaml'), files['compose.yaml']);

    const d = read('k8s/deploy.yaml');
    const expected = files['k8s/deploy.yaml']
      .replace(`"${R}/team/app:1.0"`, `"${R}/team/app:1.0@${app.digest}"`)
      .replace(`'${R}/team/multi:2.0'`, `'${R}/team/multi:2.0@${multi.digest}'`)
      .replace(`image: ${R}/team/app\r`, `image: ${R}/team/app@${app.digest}\r`);
    assert.equal(d, expected, 'quotes, comments, flow style and CRLF survive; the index digest is pinned by default');

    assert.equal(read('docker/Dockerfile'), files['docker/Dockerfile'].replace(`ARG BASE=${R}/team/app:1.0`, `ARG BASE=${R}/team/app:1.0@${app.digest}`).replace(`FROM ${R}/team/multi:2.0`, `FROM ${R}/team/multi:2.0@${multi.digest}`));
    assert.equal(read('chart/values.yaml'), files['chart/values.yaml'].replace('  tag: "1.0"  # release\n', `  tag: "1.0"  # release\n  digest: ${app.digest}\n`).replace('    digest: ""', `    digest: "${multi.digest}"`));
    assert.equal(read('kustomize/kustomization.yaml'), files['kustomize/kustomization.yaml'] + `    digest: ${app.digest}\n`);
  });

  test('pinning twice changes nothing', () => {
    const before = Object.keys(files).map(read);
    const r = cli(['pin', 'ws/k8s', 'ws/docker', 'ws/chart', 'ws/kustomize']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /0 pinned, \d+ already pinned/);
    assert.deepEqual(Object.keys(files).map(read), before);
  });

  test('scan --resolve reports resolved digests, drift and missing digests', () => {
    const platformPin = multi.manifests.find((m) => m.platform?.architecture === 'arm64')!.digest;
    writeFileSync(join(dir, 'ws', 'pinned.yaml'), [
      'apiVersion: v1', 'kind: Pod', 'spec:', '  containers:',
      `    - {name: fresh, image: "${R}/team/app:1.0@${app.digest}"}`,
      `    - {name: moved, image: "${R}/team/moved:3.0@${movedOld.digest}"}`,
      `    - {name: gone, image: "${R}/team/app:1.0@${MISSING}"}`,
      `    - {name: arm, image: "${R}/team/multi:2.0@${platformPin}"}`,
      '',
    ].join('\n'));
    const r = cli(['scan', 'ws/pinned.yaml', '--resolve', '--format', 'json', '--fail-on', 'never']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const byTag = (s: string) => out.references.find((x: { text: string }) => x.text.includes(s));
    assert.equal(byTag('app:1.0@' + app.digest).drift, false);
    assert.equal(byTag('app:1.0@' + app.digest).resolvedDigest, app.digest);
    assert.equal(byTag('moved').drift, true);
    assert.equal(byTag('moved').resolvedDigest, movedNew.digest);
    assert.equal(byTag('multi').drift, false, 'a platform digest inside the current index is not drift');
    assert.equal(byTag('multi').platforms.length, 2);
    const codes = out.diagnostics.map((d: { code: string; range: { start: { line: number } } }) => `${d.range.start.line}:${d.code}`);
    assert.deepEqual(codes, ['5:tag-moved', '6:digest-not-found', '7:single-platform-pin']);
    const moved = out.diagnostics.find((d: { code: string }) => d.code === 'tag-moved');
    assert.match(moved.message, new RegExp(`${movedNew.digest.slice(0, 19)}.*${movedOld.digest.slice(0, 19)}.*swapped`));
    const single = out.diagnostics.find((d: { code: string }) => d.code === 'single-platform-pin');
    assert.match(single.message, /linux\/arm64\/v8 image only.*gives up linux\/amd64/);
  });

  test('--platform pins one platform; --offline answers from the cache only', () => {
    writeFileSync(join(dir, 'ws', 'plat.yaml'), `apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: ${R}/team/multi:2.0}]}\n`);
    const r = cli(['pin', 'ws/plat.yaml', '--platform', 'linux/arm64']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const arm = multi.manifests.find((m) => m.platform?.architecture === 'arm64')!.digest;
    assert.equal(read('plat.yaml'), `apiVersion: v1\nkind: Pod\nspec: {containers: [{name: a, image: ${R}/team/multi:2.0@${arm}}]}\n`);

    const fresh = runCli(['scan', 'ws/compose.yaml', '--resolve', '--offline', '--format', 'json', '--fail-on', 'never', '--cache-dir', join(dir, 'empty-cache')], { cwd: dir });
    const out = JSON.parse(fresh.stdout);
    assert.ok(out.references.every((x: { resolvedDigest: string | null }) => x.resolvedDigest === null));
    assert.ok(out.references.every((x: { resolveError: string }) => /not in cache/.test(x.resolveError)));
    const cached = cli(['scan', 'ws/compose.yaml', '--resolve', '--offline', '--format', 'json', '--fail-on', 'never']);
    const ok = JSON.parse(cached.stdout).references.find((x: { text: string }) => x.text.endsWith('team/app:1.0'));
    assert.equal(ok.resolvedDigest, app.digest, 'the cache from earlier runs answers offline');
  });
});
