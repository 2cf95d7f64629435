// The extractors of issue 12 on small, pointed inputs: GitHub Actions, GitLab CI, dev containers, Helm chart
// templates; kind detection by name and context; GitLab local includes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { analyzeText } from '../../server/src/core/analyze';
import { extractDevcontainer, isOciFeature } from '../../server/src/core/extract/devcontainer';
import { extractGithubActions } from '../../server/src/core/extract/github-actions';
import { extractGitlabCi } from '../../server/src/core/extract/gitlab-ci';
import { extractHelmTemplate } from '../../server/src/core/extract/helm-template';
import { gitlabIncludedFiles, gitlabProjectRoot, localIncludes } from '../../server/src/core/gitlab-includes';
import { chartOfTemplate, kindFromName } from '../../server/src/core/kinds';
import { LineIndex } from '../../server/src/core/positions';
import { ignoreEdit, suppressedRules } from '../../server/src/core/suppressions';
import type { RawRef } from '../../server/src/core/types';
import { walk } from '../../server/src/core/workspace';
import { assertRangesHold, withBomAndCrlf } from '../support/extract-yaml';

const view = (refs: RawRef[]) => refs.map((r) => [r.text, r.reference, r.templated, r.pin ? 'pin' : 'no-pin']);

describe('GitHub Actions', () => {
  const WORKFLOW = `on: push
jobs:
  a:
    container: node:20 # the job's container
    services:
      db: { image: "postgres:16" }
      cache: redis:7
    steps:
      - uses: actions/checkout@v4
      - uses: ./local-action
      - uses: docker://alpine:3.20
      - uses: 'docker://ghcr.io/acme/tool@sha256:${'a'.repeat(64)}'
      - uses: docker://\${{ matrix.image }}
  b:
    container:
      image: \${{ needs.setup.outputs.image }}
    uses: acme/workflows/.github/workflows/build.yml@v1
`;
  test('container (string or image), services, docker:// steps; ${{ }} templated; ranges exact', () => {
    const refs = extractGithubActions(WORKFLOW);
    assertRangesHold(WORKFLOW, refs);
    assert.deepEqual(view(refs), [
      ['node:20', 'node:20', false, 'pin'],
      ['postgres:16', 'postgres:16', false, 'pin'],
      ['redis:7', 'redis:7', false, 'pin'],
      ['alpine:3.20', 'alpine:3.20', false, 'pin'],
      [`ghcr.io/acme/tool@sha256:${'a'.repeat(64)}`, `ghcr.io/acme/tool@sha256:${'a'.repeat(64)}`, false, 'pin'],
      ['${{ matrix.image }}', '${{ matrix.image }}', true, 'no-pin'],
      ['${{ needs.setup.outputs.image }}', '${{ needs.setup.outputs.image }}', true, 'no-pin'],
    ]);
  });

  test('an action: runs.image docker:// (not a Dockerfile), composite steps', () => {
    assert.deepEqual(view(extractGithubActions('runs:\n  using: docker\n  image: Dockerfile\n')), []);
    assert.deepEqual(view(extractGithubActions('runs:\n  using: docker\n  image: docker://debian:12-slim\n')), [['debian:12-slim', 'debian:12-slim', false, 'pin']]);
    const composite = 'runs:\n  using: composite\n  steps:\n    - uses: docker://busybox:1.36\n';
    assert.deepEqual(view(extractGithubActions(composite)), [['busybox:1.36', 'busybox:1.36', false, 'pin']]);
  });

  test('offsets hold with a BOM and CRLF line ends', () => {
    const text = withBomAndCrlf(WORKFLOW);
    assertRangesHold(text, extractGithubActions(text));
  });
});

describe('GitLab CI', () => {
  const CI = `variables:
  IMAGE: python:3.12
  TAG: "3.20"
  NESTED: $IMAGE
image: $IMAGE
services:
  - name: postgres:16
    alias: db
default:
  image: alpine:\${TAG}
.base: &base
  image:
    name: $CI_REGISTRY_IMAGE/base:latest
    entrypoint: [""]
test:
  <<: *base
  variables:
    IMAGE: node:20
  image: $IMAGE
  services: [redis:7, { name: "mysql:8" }]
lint:
  image: $NESTED
comp:
  image: $[[ inputs.image ]]
spec_like:
  image: !reference [.base, image]
`;
  test('global, default and job images and services; variables resolved per job; the rest templated', () => {
    const refs = extractGitlabCi(CI);
    assertRangesHold(CI, refs);
    assert.deepEqual(
      refs.map((r) => [r.text, r.reference, r.templated, r.context]),
      [
        ['python:3.12', 'python:3.12', false, 'variables.IMAGE default, used by global › image, job lint › image'],
        ['postgres:16', 'postgres:16', false, 'global › services[0].name'],
        ['alpine:${TAG}', 'alpine:3.20', false, 'default › image'],
        ['$CI_REGISTRY_IMAGE/base:latest', '$CI_REGISTRY_IMAGE/base:latest', true, 'job .base › image.name'],
        ['node:20', 'node:20', false, 'variables.IMAGE default, used by job test › image'],
        ['redis:7', 'redis:7', false, 'job test › services[0]'],
        ['mysql:8', 'mysql:8', false, 'job test › services[1].name'],
        ['$[[ inputs.image ]]', '$[[ inputs.image ]]', true, 'job comp › image'],
      ],
    );
  });

  test('the Dependency Proxy prefix: Docker Hub image after it, pinned after it', () => {
    for (const prefix of ['${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}', '$CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX']) {
      const text = `job:\n  image: ${prefix}/node:20\n`;
      const [ref] = extractGitlabCi(text);
      assert.equal(ref.reference, 'node:20');
      assert.equal(ref.text, 'node:20');
      assert.equal(text.slice(ref.range.start - prefix.length - 1, ref.range.start), `${prefix}/`);
    }
  });

  test('local includes: strings, local:, globs, nested; remote/project/template are not followed', () => {
    assert.deepEqual(localIncludes('include: /ci/a.yml\n'), ['ci/a.yml']);
    assert.deepEqual(
      localIncludes('include:\n  - local: b.yml\n  - c.yml\n  - remote: https://x/y.yml\n  - project: g/p\n    file: d.yml\n  - template: T.yml\n  - local: $VAR.yml\n'),
      ['b.yml', 'c.yml'],
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'it-gitlab-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(path.join(dir, 'ci', 'deep'), { recursive: true });
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, '.gitlab-ci.yml'), 'include:\n  - local: ci/*.yml\n  - /other.yaml\n');
    writeFileSync(path.join(dir, 'ci', 'one.yml'), 'include: ci/deep/**.yml\njob:\n  image: a:1\n');
    writeFileSync(path.join(dir, 'ci', 'deep', 'two.yml'), 'job2:\n  image: b:1\n');
    writeFileSync(path.join(dir, 'other.yaml'), 'job3:\n  services: [c:1]\n');
    writeFileSync(path.join(dir, 'unrelated.yml'), 'services:\n  web:\n    image: d:1\n');
    const included = [...gitlabIncludedFiles(dir)].map((f) => path.relative(dir, f)).sort();
    assert.deepEqual(included, [path.join('ci', 'deep', 'two.yml'), path.join('ci', 'one.yml'), 'other.yaml']);
    assert.equal(gitlabProjectRoot(path.join(dir, 'sub')), dir);
    // The CLI walk: included files are GitLab CI whatever their content says (`services:` would read as compose).
    const kinds = Object.fromEntries(walk([dir]).files.map((f) => [path.relative(dir, f.absPath), f.kind]));
    assert.deepEqual(kinds, {
      '.gitlab-ci.yml': 'gitlab-ci',
      [path.join('ci', 'deep', 'two.yml')]: 'gitlab-ci',
      [path.join('ci', 'one.yml')]: 'gitlab-ci',
      'other.yaml': 'gitlab-ci',
      'unrelated.yml': 'compose',
    });
    // Scanning only a subfolder still knows the project's includes.
    assert.deepEqual(walk([path.join(dir, 'ci')]).files.map((f) => f.kind), ['gitlab-ci', 'gitlab-ci']);
  });
});

describe('dev containers', () => {
  const JSONC = `{
  // comment: "image": "not:1"
  "image": "mcr.microsoft.com/devcontainers/base:ubuntu", /* trailing */
  "features": {
    "ghcr.io/devcontainers/features/git:1": {},
    "ghcr.io/devcontainers/features/sshd": {},
    "localhost:5000/f/x:2": {},
    "./local": {}, "node": "lts", "https://example.com/f.tgz": {},
  },
  "build": { "dockerfile": "Dockerfile" },
}`;
  test('image and OCI Features, with exact ranges inside the quotes; Features pin by replacing the tag', () => {
    const refs = extractDevcontainer(JSONC);
    assertRangesHold(JSONC, refs);
    assert.deepEqual(view(refs), [
      ['mcr.microsoft.com/devcontainers/base:ubuntu', 'mcr.microsoft.com/devcontainers/base:ubuntu', false, 'pin'],
      ['ghcr.io/devcontainers/features/git:1', 'ghcr.io/devcontainers/features/git:1', false, 'pin'],
      ['ghcr.io/devcontainers/features/sshd', 'ghcr.io/devcontainers/features/sshd', false, 'pin'],
      ['localhost:5000/f/x:2', 'localhost:5000/f/x:2', false, 'pin'],
    ]);
    assert.equal(refs[0].pin?.type === 'inline' && refs[0].pin.dropTag, undefined);
    assert.ok(refs.slice(1).every((r) => r.pin?.type === 'inline' && r.pin.dropTag));
    for (const id of ['./x', '../x', '/x', 'node', 'owner/repo/feature@v1', 'https://a.b/c.tgz']) assert.equal(isOciFeature(id), false, id);
  });

  test('an escaped string is reported, not pinned; a broken file yields what it can; no JSON is no reference', () => {
    const [ref] = extractDevcontainer('{ "image": "nginx\\u003a1.25" }');
    assert.equal(ref.reference, 'nginx:1.25');
    assert.equal(ref.pin, undefined);
    assert.deepEqual(view(extractDevcontainer('{ "image": "nginx:1", "features": { ')), [['nginx:1', 'nginx:1', false, 'pin']]);
    assert.deepEqual(extractDevcontainer('[1, 2]'), []);
    assert.deepEqual(extractDevcontainer(''), []);
  });

  test('suppression comments are // comments at the end of the line', () => {
    const text = '{\n  "image": "nginx:1.25" // image-trust: ignore unpinned-tag\n}\n';
    const a = analyzeText(text, 'devcontainer');
    assert.deepEqual(a.refs[0].ignored, ['unpinned-tag']);
    const lines = new LineIndex('{\n  "image": "nginx:1.25"\n}\n');
    const edit = ignoreEdit('devcontainer', lines, 24, 'unpinned-tag');
    assert.deepEqual(edit, { at: 25, text: ' // image-trust: ignore unpinned-tag' });
    assert.equal(suppressedRules('devcontainer', new LineIndex('{ "image": "x:1" } # image-trust: ignore\n'), 15), null, 'a # is no comment in JSON');
  });
});

describe('Helm chart templates', () => {
  const TEMPLATE = `spec:
  containers:
    - name: app
      image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
    - name: lit
      image: docker.io/library/busybox:1.36 # literal
    {{- with .Values.side }}
    - name: side
      image: {{ .repo }}:{{ .tag }}
    {{- end }}
    {{- range .Values.extra }}
    - image: {{ .image }}
    {{- end }}
    - image: {{ include "common.image" (dict "imageRoot" .Values.tools.image "global" $.Values.global) }}
{{/*
      image: commented:1
*/}}
# image: yaml-comment:1
`;
  test('literal images pinned in place; templated ones keep their .Values paths (with scopes), comments skipped', () => {
    const refs = extractHelmTemplate(TEMPLATE);
    assertRangesHold(TEMPLATE, refs);
    assert.deepEqual(
      refs.map((r) => [r.text, r.templated, r.pin ? 'pin' : 'no-pin', (r.values ?? []).map((v) => v.path)]),
      [
        ['{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}', true, 'no-pin', ['image.repository', 'image.tag']],
        ['docker.io/library/busybox:1.36', false, 'pin', []],
        ['{{ .repo }}:{{ .tag }}', true, 'no-pin', ['side.repo', 'side.tag']],
        ['{{ .image }}', true, 'no-pin', []],
        ['{{ include "common.image" (dict "imageRoot" .Values.tools.image "global" $.Values.global) }}', true, 'no-pin', ['tools.image', 'global']],
      ],
    );
    for (const r of refs) for (const v of r.values ?? []) assert.match(TEMPLATE.slice(v.range.start, v.range.end), /^(\$?\.Values)?\./);
  });

  test('chart templates are found by the chart folder above templates/', () => {
    const exists = (f: string) => f === '/repo/charts/web/Chart.yaml' || f === '/repo/charts/web/charts/db/Chart.yaml';
    assert.equal(chartOfTemplate('/repo/charts/web/templates/deploy.yaml', exists), '/repo/charts/web');
    assert.equal(chartOfTemplate('/repo/charts/web/templates/sub/x.tpl', exists), '/repo/charts/web');
    assert.equal(chartOfTemplate('/repo/charts/web/charts/db/templates/sts.yaml', exists), '/repo/charts/web/charts/db');
    assert.equal(chartOfTemplate('/repo/other/templates/x.yaml', exists), null);
    assert.equal(chartOfTemplate('/repo/charts/web/templates/NOTES.txt', exists), null);
  });
});

describe('kinds by name', () => {
  const cases: [string, string | null, object?][] = [
    ['.github/workflows/ci.yml', 'github-actions'],
    ['repo/.github/workflows/release.yaml', 'github-actions'],
    ['.gitea/workflows/ci.yml', 'github-actions'],
    ['workflow-templates/ci.yml', 'github-actions'],
    ['tools/action.yml', 'github-actions'],
    ['.github/actions/setup/action.yaml', 'github-actions'],
    ['.gitlab-ci.yml', 'gitlab-ci'],
    ['ci/build.gitlab-ci.yml', 'gitlab-ci'],
    ['ci/build.yml', 'gitlab-ci', { gitlabIncluded: true }],
    ['ci/build.yml', null],
    ['.devcontainer/devcontainer.json', 'devcontainer'],
    ['.devcontainer.json', 'devcontainer'],
    ['.devcontainer/python/devcontainer.json', 'devcontainer'],
    ['.devcontainer/a/b/devcontainer.json', null],
    ['devcontainer.json', null],
    ['charts/web/templates/deployment.yaml', 'helm-template', { chartTemplate: true }],
    ['charts/web/templates/_helpers.tpl', 'helm-template', { chartTemplate: true }],
    ['charts/web/templates/deployment.yaml', null],
    ['charts/web/templates/NOTES.txt', null, { chartTemplate: true }],
  ];
  for (const [p, kind, opts] of cases) {
    test(`${p}${opts ? ` ${JSON.stringify(opts)}` : ''} → ${kind}`, () => assert.equal(kindFromName(p, opts ?? {}), kind));
  }
  test('imageTrust.files globs extend each new kind', () => {
    assert.equal(kindFromName('pipelines/deploy.yml', { extraGlobs: { 'gitlab-ci': ['pipelines/*.yml'] } }), 'gitlab-ci');
    assert.equal(kindFromName('env/dev.jsonc', { extraGlobs: { devcontainer: ['env/*.jsonc'] } }), 'devcontainer');
    assert.equal(kindFromName('ci/flows/x.yml', { extraGlobs: { 'github-actions': ['ci/flows/**'] } }), 'github-actions');
    assert.equal(kindFromName('tpl/x.yaml', { extraGlobs: { 'helm-template': ['tpl/*.yaml'] } }), 'helm-template');
  });
});
