// The editor on the kinds of issue 12, over stdio with the bundled language server: diagnostics on a GitHub workflow,
// a dev container (JSON with comments), a GitLab CI file known only through the project's `include: local`, a Helm
// chart template (hover: what values.yaml supplies; Go to Definition: there), and YAML the parser refuses (hover:
// read leniently; duplicate-key). Offline: no registry is asked.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Hover, Location } from 'vscode-languageserver-protocol';
import { LspSession } from '../support/lsp';

const FILES: Record<string, string> = {
  '.github/workflows/ci.yml': [
    'on: push',
    'jobs:',
    '  test:',
    '    container: node:20 # build image',
    '    services:',
    '      db:',
    '        image: ${{ matrix.db }}',
    '    steps:',
    "      - uses: 'docker://alpine:3.20'",
    '',
  ].join('\n'),
  '.devcontainer/devcontainer.json': ['{', '  // dev image', '  "image": "mcr.microsoft.com/devcontainers/base:ubuntu",', '  "features": {', '    "ghcr.io/devcontainers/features/node:1": {},', '  },', '}', ''].join('\n'),
  '.gitlab-ci.yml': ['include:', '  - local: ci/jobs.yml', ''].join('\n'),
  'ci/jobs.yml': ['release:', '  image: ruby:3.3', ''].join('\n'),
  'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: "1.27.1"\n',
  'chart/values.yaml': ['image:', '  repository: nginx', '  tag: ""', ''].join('\n'),
  'chart/templates/deployment.yaml': [
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '        - name: web',
    '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"',
    '',
  ].join('\n'),
  'k8s/workflow.yaml': [
    'apiVersion: argoproj.io/v1alpha1',
    'kind: Workflow',
    'spec:',
    '  templates:',
    '  - container:',
    '      image: golang:1.22',
    '      args: ["',
    '        go build',
    '      "]',
    '---',
    'apiVersion: v1',
    'kind: Pod',
    'spec:',
    '  containers:',
    '    - name: a',
    '      image: busybox@sha256:' + 'a'.repeat(64),
    '      image: busybox@sha256:' + 'b'.repeat(64),
    '',
  ].join('\n'),
};

describe('the language server on CI files, dev containers, chart templates and lenient YAML', () => {
  let dir: string;
  let lsp: LspSession;
  const uri = (p: string) => pathToFileURL(join(dir, p)).toString();
  const diagnostics = async (p: string, languageId = 'yaml') => {
    await lsp.open(uri(p), FILES[p], languageId);
    const published = await lsp.diagnostics(uri(p));
    return published.diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}-${d.range.end.character}`);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'image-trust-lsp-ci-'));
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    lsp = await LspSession.start({ rootPath: dir, settings: { offline: true } });
  });
  after(async () => {
    await lsp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a GitHub workflow: container, templated service, docker:// step', async () => {
    assert.deepEqual(await diagnostics('.github/workflows/ci.yml', 'github-actions-workflow'), ['unpinned-tag@3:15-22', 'templated@6:15-31', 'unpinned-tag@8:24-35']);
  });

  test('a dev container (JSON with comments): the image and a Feature; the Feature quick fix replaces its tag', async () => {
    assert.deepEqual(await diagnostics('.devcontainer/devcontainer.json', 'jsonc'), ['unpinned-tag@2:12-55', 'unpinned-tag@4:5-42']);
    const feature = (await lsp.diagnostics(uri('.devcontainer/devcontainer.json'))).diagnostics.filter((d) => d.range.start.line === 4);
    const actions = (await lsp.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri: uri('.devcontainer/devcontainer.json') },
      range: { start: { line: 4, character: 10 }, end: { line: 4, character: 10 } },
      context: { diagnostics: feature },
    })) as CodeAction[];
    assert.ok(actions.some((a) => /^Pin to digest \(replaces tag 1\)$/.test(a.title)), actions.map((a) => a.title).join(' | '));
  });

  test('a file the GitLab project includes locally is a GitLab CI file', async () => {
    assert.deepEqual(await diagnostics('ci/jobs.yml'), ['unpinned-tag@1:9-17']);
  });

  test('a Helm chart template: templated, hover shows what values.yaml supplies, Go to Definition jumps there', async () => {
    assert.deepEqual(await diagnostics('chart/templates/deployment.yaml', 'helm'), ['templated@5:18-100']);
    const hover = (await lsp.conn.sendRequest('textDocument/hover', { textDocument: { uri: uri('chart/templates/deployment.yaml') }, position: { line: 5, character: 30 } })) as Hover;
    const md = (hover.contents as { value: string }).value;
    assert.match(md, /With chart\/values\.yaml it renders as `nginx:1\.27\.1` — ⚠️ \*\*not pinned by digest\*\*/);
    assert.match(md, /`\.Values\.image\.tag` = `""`/);
    // On the `.Values.image.tag` mention: that entry; elsewhere in the value: every entry it reads.
    const on = (await lsp.conn.sendRequest('textDocument/definition', { textDocument: { uri: uri('chart/templates/deployment.yaml') }, position: { line: 5, character: 55 } })) as Location[];
    assert.deepEqual(on, [{ uri: uri('chart/values.yaml'), range: { start: { line: 2, character: 8 }, end: { line: 2, character: 8 } } }]);
    const all = (await lsp.conn.sendRequest('textDocument/definition', { textDocument: { uri: uri('chart/templates/deployment.yaml') }, position: { line: 5, character: 19 } })) as Location[];
    assert.deepEqual(all.map((l) => l.range.start.line), [1, 2]);
  });

  test('YAML the parser refuses: read leniently (hover), a duplicated key reported, no unreadable-yaml', async () => {
    assert.deepEqual(await diagnostics('k8s/workflow.yaml'), ['unpinned-tag@5:13-24', 'duplicate-key@16:6-11']);
    const hover = (await lsp.conn.sendRequest('textDocument/hover', { textDocument: { uri: uri('k8s/workflow.yaml') }, position: { line: 5, character: 15 } })) as Hover;
    assert.match((hover.contents as { value: string }).value, /Read leniently/);
  });
});
