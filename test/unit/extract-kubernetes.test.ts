import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractKubernetes, extractKubernetesWithErrors } from '../../server/src/core/extract/kubernetes';
import { assertRangesHold, textAndReference, withBomAndCrlf, yamlFixture } from '../support/extract-yaml';

describe('extractKubernetes', () => {
  it('reads container images of built-in kinds at their exact pod-spec paths', () => {
    const text = yamlFixture('k8s-workloads.yaml');
    const refs = extractKubernetes(text);
    assertRangesHold(text, refs);
    assert.deepEqual(textAndReference(refs), [
      ['registry.example.com/tools/migrate:2.0', 'registry.example.com/tools/migrate:2.0'],
      ['nginx:1.25', 'nginx:1.25'],
      [
        'busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000',
        'busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000',
      ],
      ['alpine:3.20', 'alpine:3.20'],
      ['postgres:16', 'postgres:16'],
      ['redis:7', 'redis:7'],
      ['ghcr.io/acme/app:{{ .Values.tag }}', 'ghcr.io/acme/app:{{ .Values.tag }}'],
      ['mysql:8.0', 'mysql:8.0'],
      ['quay.io/org/tpl:v1', 'quay.io/org/tpl:v1'],
    ]);
    assert.deepEqual(
      refs.map((r) => r.context),
      [
        'Deployment web › initContainers[migrate]',
        'Deployment web › containers[app]',
        'Deployment web › containers[sidecar]',
        'Deployment web › ephemeralContainers[debug]',
        'CronJob nightly › containers[job]',
        'CronJob nightly › containers[helper]',
        'Pod single › containers[main]',
        'StatefulSet db › containers[db]',
        'PodTemplate tpl › containers[t]',
      ],
    );
    assert.ok(refs.every((r) => r.kind === 'kubernetes'));
  });

  it('gives quoted values a range inside the quotes and an inline pin site; templated values get none', () => {
    const text = yamlFixture('k8s-workloads.yaml');
    const refs = extractKubernetes(text);
    const nginx = refs.find((r) => r.reference === 'nginx:1.25')!;
    assert.equal(text.slice(nginx.range.start - 1, nginx.range.end + 1), '"nginx:1.25"');
    assert.deepEqual(nginx.pin, { type: 'inline', range: nginx.range });
    assert.equal(nginx.templated, false);
    const templated = refs.find((r) => r.reference.includes('{{'))!;
    assert.equal(templated.templated, true);
    assert.equal(templated.pin, undefined);
  });

  it('never reads image-like text inside string values (ConfigMap data, block strings, scripts)', () => {
    const refs = [...extractKubernetes(yamlFixture('k8s-workloads.yaml')), ...extractKubernetes(yamlFixture('k8s-crds.yaml'))];
    for (const hidden of ['not-an-image:1.0', 'hidden:1.0', 'also-not-an-image:1', 'not-this:1', 'not-a-field:1']) {
      assert.ok(!refs.some((r) => r.reference === hidden), hidden);
    }
  });

  it('finds every scalar `image:` key of other kinds (Argo Rollout, Tekton Task, Knative, CRD named Deployment)', () => {
    const text = yamlFixture('k8s-crds.yaml');
    const refs = extractKubernetes(text);
    assertRangesHold(text, refs);
    assert.deepEqual(
      refs.map((r) => [r.reference, r.context]),
      [
        ['argoproj/rollouts-demo:blue', 'Rollout canary › spec.template.spec.containers[app]'],
        ['golang:1.22', 'Task build › spec.steps[compile]'],
        ['gcr.io/kaniko-project/executor:v1.23.0', 'Task build › spec.steps[publish]'],
        ['ghcr.io/knative/helloworld-go:latest', 'Service hello › spec.template.spec.containers[0]'],
        ['custom/runner:3', 'Deployment custom-group › spec.runner'],
      ],
    );
  });

  it('reports a reference reached through aliases once, at the anchor scalar', () => {
    const text = yamlFixture('k8s-anchors.yaml');
    const refs = extractKubernetes(text);
    assertRangesHold(text, refs);
    assert.deepEqual(
      refs.map((r) => [r.reference, r.context]),
      [
        ['shared/image:1.0', 'Deployment a › containers[main]'],
        ['agent:2', 'DaemonSet b › containers[agent]'],
      ],
    );
    assert.equal(refs[0].range.start, text.indexOf('shared/image:1.0'));
  });

  it('keeps offsets right with a BOM and CRLF line ends', () => {
    const plain = yamlFixture('k8s-workloads.yaml');
    const text = withBomAndCrlf(plain);
    const refs = extractKubernetes(text);
    assertRangesHold(text, refs);
    assert.deepEqual(textAndReference(refs), textAndReference(extractKubernetes(plain)));
    assert.ok(refs[0].range.start > plain.indexOf('registry.example.com/tools/migrate'));
  });

  it('reports the source text of escaped values and the decoded reference', () => {
    const text = 'kind: Pod\nspec:\n  containers:\n    - name: a\n      image: "ng\\u0069nx:1.25\\t"\n';
    const [ref] = extractKubernetes(text);
    assert.equal(ref.text, 'ng\\u0069nx:1.25\\t');
    assert.equal(ref.reference, 'nginx:1.25\t');
    assertRangesHold(text, [ref]);
  });

  it('handles tabs inside strings and before comments, and block scalars', () => {
    const text = [
      'kind: Pod',
      'spec:',
      '  containers:',
      '    - name: tab-comment',
      '      image: nginx:1.25\t# tab before the comment',
      '    - name: tab-inside',
      '      image: "odd\tname:1"',
      '    - name: block',
      '      image: |',
      '        redis:7',
      '',
    ].join('\n');
    const refs = extractKubernetes(text);
    assertRangesHold(text, refs);
    assert.deepEqual(textAndReference(refs), [
      ['nginx:1.25', 'nginx:1.25'],
      ['odd\tname:1', 'odd\tname:1'],
      ['redis:7', 'redis:7\n'],
    ]);
    assert.deepEqual(refs[2].pin, { type: 'inline', range: refs[2].range });
  });

  it('skips a document with a syntax error, keeps the others, and returns the error', () => {
    const text = yamlFixture('k8s-broken.yaml');
    const { refs, errors } = extractKubernetesWithErrors(text);
    assertRangesHold(text, refs);
    assert.deepEqual(textAndReference(refs), [
      ['before:1', 'before:1'],
      ['after:\\x31', 'after:1'],
    ]);
    assert.ok(errors.length > 0);
    const brokenDoc = text.indexOf('name: broken');
    assert.ok(errors.every((e) => e.range.start > brokenDoc && e.range.start < text.indexOf('name: after')));
    assert.ok(errors.every((e) => typeof e.message === 'string' && e.message.length > 0 && !e.message.includes('\n')));
  });

  it('handles flow-style manifests, top-level sequences and non-manifest documents without throwing', () => {
    const text =
      '{kind: Pod, metadata: {name: f}, spec: {containers: [{name: a, image: "nginx:1"}]}}\n---\n' +
      '- {kind: Pod, spec: {containers: [{name: b, image: redis:7}]}}\n---\njust a string\n---\n---\n' +
      'kind: Job\nspec: {template: {spec: {containers: [{name: c, image: ""}, {name: d, image: null}, {name: e, image: 42}]}}}\n';
    const refs = extractKubernetes(text);
    assertRangesHold(text, refs);
    assert.deepEqual(
      refs.map((r) => [r.reference, r.context]),
      [
        ['nginx:1', 'Pod f › containers[a]'],
        ['redis:7', 'Pod › containers[b]'],
        ['42', 'Job › containers[e]'],
      ],
    );
  });

  it('follows merge keys and survives alias bombs in linear time', () => {
    const merged = 'kind: Pod\nspec:\n  containers:\n    - <<: {name: m, image: merged:1}\n';
    assert.deepEqual(extractKubernetes(merged).map((r) => r.text), ['merged:1']);
    let bomb = 'kind: Thing\na0: &a0 [{image: "x:1"}]\n';
    for (let i = 1; i < 30; i++) bomb += `a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}]\n`;
    const start = Date.now();
    const refs = extractKubernetes(bomb);
    assert.equal(refs.length, 1);
    assert.ok(Date.now() - start < 2000);
  });

  it('returns nothing (and no throw) for empty or comment-only input', () => {
    assert.deepEqual(extractKubernetesWithErrors(''), { refs: [], errors: [] });
    assert.deepEqual(extractKubernetes('# only a comment\n'), []);
    assert.deepEqual(extractKubernetes('\uFEFF'), []);
  });
});
