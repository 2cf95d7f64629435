import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractKustomize } from '../../server/src/core/extract/kustomize';
import type { RawRef } from '../../server/src/core/types';
import { assertRangesHold, textAndReference, withBomAndCrlf, yamlFixture } from '../support/extract-yaml';

function mappingPin(ref: RawRef) {
  assert.ok(ref.pin?.type === 'mapping-key', `${ref.reference} has a mapping-key pin site`);
  return ref.pin;
}

describe('extractKustomize', () => {
  const text = yamlFixture('kustomization.yaml');
  const refs = extractKustomize(text);

  it('assembles images[] entries that set a tag or digest, reported at the name value', () => {
    assertRangesHold(text, refs);
    assert.deepEqual(textAndReference(refs), [
      ['nginx', 'nginx:1.20'],
      ['ghcr.io/acme/app', 'registry.example.com/acme/app:v2.1.0'],
      ['postgres', 'postgres@sha256:2222222222222222222222222222222222222222222222222222222222222222'],
      ['redis', 'redis:7.2'],
      ['templated', 'templated:${TAG}'],
      ['both', 'both:1'],
    ]);
    assert.ok(!refs.some((r) => r.text === 'renamed-only'), 'a rename alone does not decide the tag');
    assert.deepEqual(
      refs.map((r) => r.context),
      ['images[nginx]', 'images[ghcr.io/acme/app]', 'images[postgres]', 'images[redis]', 'images[templated]', 'images[both]'],
    );
  });

  it('places a new digest after the last of name/newName/newTag, indented like the entry keys', () => {
    const app = mappingPin(refs[1]);
    assert.equal(app.key, 'digest');
    assert.equal(app.indent, '    ');
    assert.equal(app.flow, false);
    assert.equal(app.digestRange, undefined);
    const newTagLine = text.indexOf('    newTag: "v2.1.0"');
    assert.equal(app.insertAt, text.indexOf('\n', newTagLine));

    const nginx = mappingPin(refs[0]);
    assert.equal(nginx.insertAt, text.indexOf('\n', text.indexOf('newTag: 1.20')), 'after the trailing comment');
  });

  it('points at an existing digest, even an empty one', () => {
    const postgres = mappingPin(refs[2]);
    assert.match(text.slice(postgres.digestRange!.start, postgres.digestRange!.end), /^sha256:2{64}$/);
    const both = mappingPin(refs[5]);
    assert.equal(both.digestRange!.start, both.digestRange!.end);
    assert.equal(text.slice(both.digestRange!.start - 1, both.digestRange!.end + 1), '""');
  });

  it('handles flow entries and templated values', () => {
    assert.equal(mappingPin(refs[3]).flow, true);
    assert.equal(refs[4].templated, true);
    assert.equal(refs[4].pin, undefined);
  });

  it('keeps offsets right with a BOM and CRLF', () => {
    const crlf = withBomAndCrlf(text);
    const found = extractKustomize(crlf);
    assertRangesHold(crlf, found);
    assert.deepEqual(textAndReference(found), textAndReference(refs));
    const app = mappingPin(found[1]);
    assert.equal(crlf.slice(app.insertAt, app.insertAt + 2), '\r\n');
  });

  it('ignores files without images and malformed entries', () => {
    assert.deepEqual(extractKustomize('resources: [a.yaml]\n'), []);
    assert.deepEqual(extractKustomize('images: {name: x}\n'), []);
    assert.deepEqual(extractKustomize('images: [x, {newTag: "1"}, {name: [a], newTag: "1"}]\n'), []);
  });
});
