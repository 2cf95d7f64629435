import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractHelmValues, extractHelmValuesWithErrors } from '../../server/src/core/extract/helm-values';
import type { RawRef } from '../../server/src/core/types';
import { assertRangesHold, textAndReference, withBomAndCrlf, yamlFixture } from '../support/extract-yaml';

function byText(refs: RawRef[], text: string): RawRef {
  const ref = refs.find((r) => r.text === text);
  assert.ok(ref, `no reference with text ${text}`);
  return ref;
}

describe('extractHelmValues', () => {
  const text = yamlFixture('helm-values.yaml');
  const refs = extractHelmValues(text);

  it('assembles image blocks and reads plain image strings at any depth', () => {
    assertRangesHold(text, refs);
    assert.deepEqual(textAndReference(refs), [
      ['bitnami/nginx', 'mirror.example.com/bitnami/nginx:1.20'],
      [
        'bitnami/nginx-exporter',
        'mirror.example.com/bitnami/nginx-exporter:1.4.2-debian-12-r9@sha256:1111111111111111111111111111111111111111111111111111111111111111',
      ],
      ['acme/app', 'mirror.example.com/acme/app'],
      ['acme/tool', 'mirror.example.com/acme/tool:{{ .Chart.AppVersion }}'],
      ['acme/latest-only', 'mirror.example.com/acme/latest-only'],
      ['acme/flow', 'mirror.example.com/acme/flow:v2'],
      ['busybox:1.36', 'busybox:1.36'],
      ['quay.io/acme/side:v1', 'quay.io/acme/side:v1'],
    ]);
    assert.ok(!refs.some((r) => r.reference.includes('github.com')), 'a Git repository is not an image');
    assert.ok(refs.every((r) => r.kind === 'helm-values'));
  });

  it('keeps the source text of a numeric tag (1.20 stays 1.20)', () => {
    assert.equal(byText(refs, 'bitnami/nginx').reference.endsWith(':1.20'), true);
  });

  it('marks an empty tag (chart appVersion) and a template tag as templated, with no pin site', () => {
    for (const t of ['acme/app', 'acme/tool']) {
      const ref = byText(refs, t);
      assert.equal(ref.templated, true, t);
      assert.equal(ref.pin, undefined, t);
    }
    assert.equal(byText(refs, 'acme/latest-only').templated, false);
  });

  it('describes where a digest key goes in a block mapping', () => {
    const nginx = byText(refs, 'bitnami/nginx');
    assert.equal(nginx.context, 'image (image block)');
    assert.ok(nginx.pin?.type === 'mapping-key');
    assert.equal(nginx.pin.key, 'digest');
    assert.equal(nginx.pin.flow, false);
    assert.equal(nginx.pin.indent, '  ');
    // the existing empty digest "" — its (empty) content between the quotes
    const digestLine = text.indexOf('digest: ""');
    assert.deepEqual(nginx.pin.digestRange, { start: digestLine + 9, end: digestLine + 9 });
    // end of the `tag:` line, after its comment
    const tagLine = text.indexOf('  tag: 1.20');
    assert.equal(nginx.pin.insertAt, text.indexOf('\n', tagLine));

    const exporter = byText(refs, 'bitnami/nginx-exporter');
    assert.ok(exporter.pin?.type === 'mapping-key');
    assert.equal(exporter.pin.indent, '    ');
    const digest = exporter.pin.digestRange!;
    assert.match(text.slice(digest.start, digest.end), /^sha256:1{64}$/);

    const latest = byText(refs, 'acme/latest-only');
    assert.ok(latest.pin?.type === 'mapping-key');
    assert.equal(latest.pin.digestRange, undefined);
    assert.equal(latest.pin.insertAt, latest.range.end, 'after the repository line');
  });

  it('inserts into a flow block right after the tag value', () => {
    const flow = byText(refs, 'acme/flow');
    assert.ok(flow.pin?.type === 'mapping-key');
    assert.equal(flow.pin.flow, true);
    assert.equal(text.slice(flow.pin.insertAt - 'tag: v2'.length, flow.pin.insertAt), 'tag: v2');
  });

  it('gives plain strings an inline pin site covering the text inside quotes', () => {
    const quoted = byText(refs, 'quay.io/acme/side:v1');
    assert.equal(text[quoted.range.start - 1], "'");
    assert.deepEqual(quoted.pin, { type: 'inline', range: quoted.range });
    assert.equal(quoted.context, 'extraContainers[quoted].image');
  });

  it('uses a block’s own registry when there is no global.imageRegistry', () => {
    const own = 'image:\n  registry: ghcr.io\n  repository: acme/x\n  tag: v1\nglobal:\n  imageRegistry: ""\n';
    assert.deepEqual(textAndReference(extractHelmValues(own)), [['acme/x', 'ghcr.io/acme/x:v1']]);
  });

  it('treats Istio-style names completed by hub/tag as templated, full references as references', () => {
    const istio = yamlFixture('helm-istio.yaml');
    const found = extractHelmValues(istio);
    assertRangesHold(istio, found);
    assert.deepEqual(
      found.map((r) => [r.text, r.templated]),
      [
        ['pilot', true],
        ['proxyv2', true],
        ['docker.io/library/redis:7', false],
      ],
    );
  });

  it('reports an aliased block once and a merge-key override as its own reference', () => {
    const anchored = [
      'base: &b',
      '  repository: acme/base',
      '  tag: "1"',
      'copy: *b',
      'derived:',
      '  <<: *b',
      '  tag: "2"',
      '',
    ].join('\n');
    const found = extractHelmValues(anchored);
    assertRangesHold(anchored, found);
    assert.deepEqual(textAndReference(found), [
      ['acme/base', 'acme/base:1'],
      ['acme/base', 'acme/base:2'],
    ]);
    const derived = found[1];
    assert.ok(derived.pin?.type === 'mapping-key');
    assert.equal(derived.pin.insertAt, anchored.length - 1, 'after the derived block’s own tag line');
  });

  it('keeps offsets right with a BOM and CRLF', () => {
    const crlf = withBomAndCrlf(text);
    const found = extractHelmValues(crlf);
    assertRangesHold(crlf, found);
    assert.deepEqual(textAndReference(found), textAndReference(refs));
    const nginx = byText(found, 'bitnami/nginx');
    assert.ok(nginx.pin?.type === 'mapping-key');
    assert.equal(crlf.slice(nginx.pin.insertAt, nginx.pin.insertAt + 2), '\r\n');
  });

  it('returns YAML errors instead of throwing', () => {
    const { refs: none, errors } = extractHelmValuesWithErrors('image:\n  repository: [x\n');
    assert.deepEqual(none, []);
    assert.ok(errors.length > 0);
  });
});
