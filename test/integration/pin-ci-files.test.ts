// `image-trust pin` and `scan` on the kinds of issue 12 against a real registry (Debian's docker-registry on
// 127.0.0.1, images pushed with skopeo): a GitHub workflow and a Docker action, GitLab CI (with a variables: default
// and a file included locally under a name that says nothing), a dev container (image and Features), a Helm chart
// template, and YAML the `yaml` package refuses (a duplicated key, an under-indented multi-line string). The edits are
// exactly the digests (byte-for-byte elsewhere: quotes, comments, `${{ }}`, JSONC comments and trailing commas), a
// second run changes nothing, and `scan --format json` reports the new kinds (and `lenient: true`).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli';
import { buildImage, pushImage, startRegistry, type ImageLayout, type TestRegistry } from '../support/registry';
import { requireRegistryTools } from '../support/requirements';

const { skip } = requireRegistryTools();

describe('pinning CI files, dev containers, chart templates and lenient YAML against a real registry', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let app: ImageLayout;
  let tool: ImageLayout;
  let R: string;
  let APP: string; // the digest of team/app:1.0
  let TOOL: string; // the digest of team/tool:2 and of the Feature
  const files: Record<string, string> = {};
  const expected: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'image-trust-pin-ci-'));
    reg = await startRegistry();
    R = reg.host;
    app = await buildImage(join(dir, 'l-app'), { seed: 'app' });
    APP = await pushImage(app, reg, 'team/app:1.0');
    tool = await buildImage(join(dir, 'l-tool'), { seed: 'tool' });
    TOOL = await pushImage(tool, reg, 'team/tool:2');
    await pushImage(tool, reg, 'features/node:1');

    const a = `${R}/team/app:1.0`;
    const t = `${R}/team/tool:2`;
    files['.github/workflows/ci.yml'] = [
      'on: push',
      'jobs:',
      '  test:',
      `    container: "${a}" # the build image`,
      '    services:',
      '      db:',
      `        image: ${t}`,
      '      matrix:',
      '        image: ${{ matrix.db }}',
      '    steps:',
      `      - uses: 'docker://${t}'`,
      '      - uses: actions/checkout@v4',
      '',
    ].join('\n');
    expected['.github/workflows/ci.yml'] = files['.github/workflows/ci.yml']
      .replace(`"${a}"`, `"${a}@${APP}"`)
      .replace(`image: ${t}`, `image: ${t}@${TOOL}`)
      .replace(`'docker://${t}'`, `'docker://${t}@${TOOL}'`);
    files['actions/lint/action.yml'] = ['runs:', '  using: docker', `  image: docker://${t}`, ''].join('\n');
    expected['actions/lint/action.yml'] = files['actions/lint/action.yml'].replace(`docker://${t}`, `docker://${t}@${TOOL}`);
    files['.gitlab-ci.yml'] = ['include:', '  - local: /ci/jobs.yml', 'variables:', `  APP_IMAGE: ${a}`, 'build:', '  image: $APP_IMAGE', '  services:', `    - name: ${t}`, '      alias: tool', ''].join('\n');
    expected['.gitlab-ci.yml'] = files['.gitlab-ci.yml'].replace(`APP_IMAGE: ${a}`, `APP_IMAGE: ${a}@${APP}`).replace(`name: ${t}`, `name: ${t}@${TOOL}`);
    files['ci/jobs.yml'] = ['services:', `  - ${t}`, 'release:', '  image: $CI_REGISTRY_IMAGE/release:1', ''].join('\n');
    expected['ci/jobs.yml'] = files['ci/jobs.yml'].replace(`- ${t}`, `- ${t}@${TOOL}`);
    files['.devcontainer/devcontainer.json'] = [
      '{',
      '  // the development image',
      `  "image": "${a}",`,
      '  "features": {',
      `    "${R}/features/node:1": { "version": "lts" }, /* a Feature */`,
      '    "./local-feature": {},',
      '  },',
      '}',
      '',
    ].join('\n');
    expected['.devcontainer/devcontainer.json'] = files['.devcontainer/devcontainer.json']
      .replace(`"${a}"`, `"${a}@${APP}"`)
      .replace(`"${R}/features/node:1"`, `"${R}/features/node@${TOOL}"`);
    files['chart/Chart.yaml'] = 'apiVersion: v2\nname: c\nversion: 1.0.0\nappVersion: "1.0"\n';
    files['chart/values.yaml'] = ['image:', `  repository: ${R}/team/app`, '  tag: ""', ''].join('\n');
    files['chart/templates/deployment.yaml'] = [
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"',
      `        - image: ${t} # a sidecar`,
      '',
    ].join('\n');
    expected['chart/templates/deployment.yaml'] = files['chart/templates/deployment.yaml'].replace(`image: ${t} #`, `image: ${t}@${TOOL} #`);
    files['k8s/lenient.yaml'] = [
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Workflow',
      'spec:',
      '  templates:',
      '  - name: build',
      '    container:',
      `      image: ${a}`,
      '      args: ["',
      '        make',
      '      "]',
      '---',
      'apiVersion: v1',
      'kind: Pod',
      'spec:',
      '  containers:',
      '    - name: x',
      `      image: ${t}`,
      `      image: ${a}`,
      '',
    ].join('\n');
    expected['k8s/lenient.yaml'] = files['k8s/lenient.yaml'].replaceAll(`image: ${a}\n`, `image: ${a}@${APP}\n`).replaceAll(`image: ${t}\n`, `image: ${t}@${TOOL}\n`);
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

  test('scan finds every new kind (the included GitLab file and the chart template by their context)', () => {
    const r = cli(['scan', 'ws', '--format', 'json', '--fail-on', 'never']);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { references: { path: string; kind: string; text: string; status: string; lenient?: boolean }[]; diagnostics: { code: string; path: string }[] };
    const kinds = Object.fromEntries(json.references.map((x) => [x.path, x.kind]));
    assert.deepEqual(kinds, {
      'ws/.devcontainer/devcontainer.json': 'devcontainer',
      'ws/.github/workflows/ci.yml': 'github-actions',
      'ws/.gitlab-ci.yml': 'gitlab-ci',
      'ws/actions/lint/action.yml': 'github-actions',
      'ws/chart/templates/deployment.yaml': 'helm-template',
      'ws/chart/values.yaml': 'helm-values',
      'ws/ci/jobs.yml': 'gitlab-ci',
      'ws/k8s/lenient.yaml': 'kubernetes',
    });
    const lenient = json.references.filter((x) => x.lenient);
    assert.deepEqual(lenient.map((x) => x.text), [`${R}/team/app:1.0`]);
    assert.ok(json.references.filter((x) => x.path === 'ws/k8s/lenient.yaml' && !x.lenient).length === 2, 'both values of the duplicated image: key');
    assert.ok(json.references.every((x) => x.lenient === undefined || x.lenient === true), 'the field is present only when true');
    assert.equal(json.diagnostics.filter((d) => d.code === 'duplicate-key').length, 1);
    assert.equal(json.diagnostics.filter((d) => d.code === 'unreadable-yaml').length, 0);
  });

  test('pin writes only the digests, every file as expected byte for byte', () => {
    const r = cli(['pin', 'ws']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const p of Object.keys(expected)) assert.equal(read(p), expected[p], p);
    // Templated references are left alone and said so; the values file pins the chart (not reached: tag from appVersion).
    assert.match(r.stdout, /skipped .*\{\{ \.Values\.image\.repository \}\}.*built from a template/);
    assert.match(r.stdout, /skipped \$\{\{ matrix\.db \}\}/);
    assert.equal(read('chart/values.yaml'), files['chart/values.yaml']);
  });

  test('a second pin changes nothing, and scan finds everything pinned', () => {
    const before = Object.fromEntries(Object.keys(files).map((p) => [p, read(p)]));
    const r = cli(['pin', 'ws']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^0 pinned, /m);
    for (const p of Object.keys(files)) assert.equal(read(p), before[p], p);
    const scan = cli(['scan', 'ws', '--format', 'json', '--fail-on', 'never']);
    const json = JSON.parse(scan.stdout) as { references: { status: string; text: string }[] };
    assert.deepEqual(
      json.references.filter((x) => x.status === 'unpinned').map((x) => x.text),
      [],
    );
  });
});
