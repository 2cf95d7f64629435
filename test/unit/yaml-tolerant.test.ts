// YAML that Kubernetes accepts but the `yaml` package refuses (issue 12): duplicate keys are read with every value
// and reported as duplicate-key; other syntax errors fall back to the tolerant line-based reading (`lenient: true`);
// unreadable-yaml stays for documents where nothing can be read. Also: Helm values links for chart templates.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeText } from '../../server/src/core/analyze';
import { assessFile } from '../../server/src/core/assess';
import { readLeniently } from '../../server/src/core/extract/yaml-lenient';
import { extractHelmTemplate } from '../../server/src/core/extract/helm-template';
import { linkValues, readChart } from '../../server/src/core/helm-links';
import { LineIndex } from '../../server/src/core/positions';
import type { FileKind } from '../../server/src/core/types';
import { jsonReference } from '../../server/src/cli/format/json';
import { renderHover } from '../../server/src/lsp/hover';
import { assertRangesHold } from '../support/extract-yaml';

function read(text: string, kind: FileKind = 'kubernetes') {
  const a = analyzeText(text, kind);
  for (const r of a.refs) assert.equal(text.slice(r.range.start, r.range.end), r.text);
  const findings = assessFile({ refs: a.refs, problems: a.problems }, () => ({}));
  return { a, refs: a.refs.map((r) => [r.reference, r.lenient === true]), codes: findings.map((f) => f.code) };
}

describe('duplicate keys', () => {
  test('both values of a repeated scalar key, both lists of a repeated collection, one finding per repeat', () => {
    const { refs, codes, a } = read(`apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - name: a
      image: a:1
      image: a:2
  initContainers:
    - name: i
      image: i:1
  containers:
    - name: b
      image: b:1
`);
    assert.deepEqual(refs, [['a:1', false], ['a:2', false], ['i:1', false], ['b:1', false]]);
    assert.deepEqual(codes.filter((c) => c === 'duplicate-key').length, 2);
    const dup = a.problems.map((p) => a.lines.text.slice(p.range.start, p.range.end));
    assert.deepEqual(dup, ['image', 'containers']);
  });

  test('every kind: compose services, kustomize entries, Helm blocks, GitLab jobs, GitHub jobs', () => {
    assert.deepEqual(read('services:\n  web:\n    image: a:1\n  web:\n    image: b:1\n', 'compose').refs, [['a:1', false], ['b:1', false]]);
    assert.deepEqual(read('images:\n  - name: x\n    newTag: "1"\n    newTag: "2"\n', 'kustomize').refs, [['x:1', false], ['x:2', false]]);
    assert.deepEqual(read('image:\n  repository: r\n  tag: "1"\n  tag: "2"\n', 'helm-values').refs, [['r:1', false], ['r:2', false]]);
    assert.deepEqual(read('job:\n  image: a:1\njob:\n  image: b:1\n', 'gitlab-ci').refs, [['a:1', false], ['b:1', false]]);
    assert.deepEqual(read('jobs:\n  a:\n    container: a:1\n    container: b:1\n', 'github-actions').refs, [['a:1', false], ['b:1', false]]);
  });

  test('a suppression comment on the repeated key silences duplicate-key there, like any rule', () => {
    const text = 'services:\n  web:\n    image: a@sha256:' + 'a'.repeat(64) + '\n    image: b@sha256:' + 'b'.repeat(64) + ' # image-trust: ignore duplicate-key\n';
    assert.deepEqual(read(text, 'compose').codes, []);
    assert.deepEqual(read(text.replace(' # image-trust: ignore duplicate-key', ''), 'compose').codes, ['duplicate-key']);
  });

  test('a duplicate key that is the only problem never makes a document unreadable', () => {
    const { codes } = read('apiVersion: v1\nkind: Pod\nkind: Pod\nspec:\n  containers: [{ name: a, image: "nginx@sha256:' + 'a'.repeat(64) + '" }]\n');
    assert.deepEqual(codes, ['duplicate-key']);
  });
});

describe('lenient reading', () => {
  const ARGO = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ci-
spec:
  templates:
  - name: build
    container:
      image: golang:1.8
      args: ["
        go build -v .
      "]
  - name: run
    container:
      image: "{{inputs.parameters.os-image}}"
      args: ["
        image: not-an-image:1
      "]
`;
  test("Argo's under-indented multi-line quoted args: images before and after are read, text inside strings is not", () => {
    const { refs, codes } = read(ARGO);
    assert.deepEqual(refs, [['golang:1.8', true], ['{{inputs.parameters.os-image}}', true]]);
    assert.deepEqual(codes, ['unpinned-tag', 'templated'], 'no unreadable-yaml: something could be read');
  });

  test('a document marker ends a broken document even when the parser ran past it: the next document is parsed', () => {
    const text = 'kind: Workflow\nspec:\n  container:\n    image: a:1\n    args: ["\n      make\n    "]\n---\nkind: Pod\nspec:\n  containers:\n    - name: x\n      image: b:1\n      image: c:1\n';
    const { refs, codes } = read(text);
    assert.deepEqual(refs, [['a:1', true], ['b:1', false], ['c:1', false]]);
    assert.deepEqual(codes.filter((c) => c === 'duplicate-key' || c === 'unreadable-yaml'), ['duplicate-key']);
  });

  test('unreadable-yaml stays where nothing can be read', () => {
    const { refs, codes } = read('apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: [unclosed:1\n');
    assert.deepEqual(refs, []);
    assert.ok(codes.every((c) => c === 'unreadable-yaml') && codes.length > 0);
  });

  test('block scalars, comments, anchors, tags, flow mappings, quoted keys and CRLF', () => {
    const text = [
      'kind: Job',
      'data: |',
      '  image: inside-block:1',
      '# image: comment:1',
      'spec:',
      '  "image": "quoted-key:1" # c',
      '  other: &a',
      '    image: !!str anchored:1',
      '  list:',
      "    - { name: x, image: 'flow:1', tag: y }",
      '  bad: "unterminated',
      '',
    ].join('\r\n');
    const refs = readLeniently(text, 0, text.length, 'kubernetes');
    assertRangesHold(text, refs);
    assert.deepEqual(refs.map((r) => r.reference), ['quoted-key:1', 'anchored:1', 'flow:1']);
    assert.ok(refs.every((r) => r.lenient && r.pin?.type === 'inline'));
  });

  test('Helm values, kustomize, GitHub Actions and GitLab CI shapes when the kind is known', () => {
    const broken = '\nbroken: "\n  x\n"\n';
    const helm = readLeniently(`global:\n  imageRegistry: mirror.io\nimage:\n  repository: app\n  tag: "1.0"\n  digest:\n${broken}`, 0, 1000, 'helm-values');
    assert.deepEqual(helm.map((r) => [r.reference, r.pin?.type]), [['mirror.io/app:1.0', 'mapping-key']]);
    const kust = readLeniently(`images:\n- name: nginx\n  newTag: "1.25"\n- name: redis\n${broken}`, 0, 1000, 'kustomize');
    assert.deepEqual(kust.map((r) => r.reference), ['nginx:1.25']);
    const gha = readLeniently(`runs:\n  image: Dockerfile\njobs:\n  a:\n    container: node:20\n    steps:\n      - uses: docker://alpine:3\n${broken}`, 0, 1000, 'github-actions');
    assert.deepEqual(gha.map((r) => [r.reference, r.text]), [['node:20', 'node:20'], ['alpine:3', 'alpine:3']]);
    const gitlab = readLeniently(`job:\n  image:\n    name: ruby:3\n  services:\n    - postgres:16\n    - name: redis:7\n${broken}`, 0, 1000, 'gitlab-ci');
    assert.deepEqual(gitlab.map((r) => r.reference), ['ruby:3', 'postgres:16', 'redis:7']);
  });

  test('JSON says lenient: true (an added field), the hover says read leniently', () => {
    const { a } = read(ARGO);
    const file = { path: 'wf.yaml', absPath: '/wf.yaml', kind: 'kubernetes' as const, refs: a.refs, problems: [], findings: [], lines: a.lines };
    const json = jsonReference(file, a.refs[0]);
    assert.equal(json.lenient, true);
    const plain = read('apiVersion: v1\nkind: Pod\nspec:\n  containers: [{ name: a, image: "x:1" }]\n').a;
    assert.equal('lenient' in jsonReference({ ...file, refs: plain.refs, lines: plain.lines }, plain.refs[0]), false);
    const md = renderHover({ ref: a.refs[0], resolution: undefined, verification: undefined, findings: [], rulesDocUri: 'x', offline: true, restricted: false });
    assert.match(md, /Read leniently/);
  });
});

describe('Helm values links', () => {
  const VALUES = `image:\n  repository: nginx\n  tag: ""\n  pullPolicy: IfNotPresent\ntools:\n  image:\n    repository: bitnami/kubectl\n    tag: "1.31"\n    digest: sha256:${'c'.repeat(64)}\nnum:\n  tag: 1.10\n`;
  const CHART = readChart('apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: "1.27.1"\n');

  function linkFirst(line: string) {
    const text = `spec:\n  containers:\n    - ${line}\n`;
    const [ref] = extractHelmTemplate(text);
    return { supply: linkValues(ref, VALUES, CHART), lines: new LineIndex(VALUES) };
  }

  test('renders what values.yaml and Chart.yaml supply, exactly, and says whether it is pinned', () => {
    const { supply, lines } = linkFirst('image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"');
    assert.deepEqual(supply?.rendered, { reference: 'nginx:1.27.1', status: 'unpinned' });
    assert.deepEqual(supply?.links.map((l) => [l.mention.path, l.value, l.at && lines.positionAt(l.at.start).line + 1]), [
      ['image.repository', 'nginx', 2],
      ['image.tag', '', 3],
    ]);
    const printf = linkFirst('image: {{ printf "%s:%s@%s" .Values.tools.image.repository .Values.tools.image.tag .Values.tools.image.digest | quote }}').supply;
    assert.equal(printf?.rendered?.status, 'pinned');
  });

  test('an image block passed whole is shown as the block; unknown pieces are never guessed', () => {
    const block = linkFirst('image: {{ include "common.images.image" (dict "imageRoot" .Values.tools.image) }}').supply;
    assert.equal(block?.rendered, undefined);
    assert.deepEqual(block?.links[0].block, { reference: `bitnami/kubectl:1.31@sha256:${'c'.repeat(64)}`, status: 'pinned' });
    assert.equal(linkFirst('image: "{{ .Values.missing.repo }}:1"').supply?.links[0].at, null);
    assert.equal(linkFirst('image: "{{ .Values.image.repository }}:{{ .Release.Name }}"').supply?.rendered, undefined);
    // Helm reads `1.10` as the number 1.1; printing it is not the text written, so it is not rendered as 1.10.
    assert.equal(linkFirst('image: "app:{{ .Values.num.tag }}"').supply?.rendered?.reference, 'app:1.1');
  });

  test('the hover shows the values and what they render to', () => {
    const text = 'spec:\n  containers:\n    - image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"\n';
    const ref = analyzeText(text, 'helm-template').refs[0];
    const supply = linkValues(ref, VALUES, CHART)!;
    const md = renderHover({
      ref,
      resolution: undefined,
      verification: null,
      findings: [],
      rulesDocUri: 'x',
      offline: true,
      restricted: false,
      values: { uri: 'file:///c/values.yaml', label: 'c/values.yaml', lines: new LineIndex(VALUES), supply },
    });
    assert.match(md, /With c\/values\.yaml it renders as `nginx:1\.27\.1` — ⚠️ \*\*not pinned by digest\*\*/);
    assert.match(md, /`\.Values\.image\.repository` = `nginx` — \[line 2\]\(file:\/\/\/c\/values\.yaml#L2\)/);
  });
});
