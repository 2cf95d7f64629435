import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractCompose, extractComposeWithErrors } from '../../server/src/core/extract/compose';
import { assertRangesHold, textAndReference, withBomAndCrlf, yamlFixture } from '../support/extract-yaml';

describe('extractCompose', () => {
  const text = yamlFixture('compose.yaml');
  const refs = extractCompose(text);

  it('reads services.*.image, following merge keys once at the anchor', () => {
    assertRangesHold(text, refs);
    assert.deepEqual(
      refs.map((r) => [r.text, r.reference, r.context]),
      [
        ['ghcr.io/acme/base:1.0', 'ghcr.io/acme/base:1.0', 'service api'],
        ['nginx:1.25-alpine', 'nginx:1.25-alpine', 'service web'],
        ["postgres:16", 'postgres:16', 'service db'],
        ['redis:${REDIS_TAG:-7}', 'redis:${REDIS_TAG:-7}', 'service cache'],
      ],
    );
    assert.ok(refs.every((r) => r.kind === 'compose'));
  });

  it('marks interpolated images as templated without a pin site; others get an inline site', () => {
    const cache = refs.find((r) => r.context === 'service cache')!;
    assert.equal(cache.templated, true);
    assert.equal(cache.pin, undefined);
    const web = refs.find((r) => r.context === 'service web')!;
    assert.equal(web.templated, false);
    assert.deepEqual(web.pin, { type: 'inline', range: web.range });
  });

  it('never reports environment values, labels or other keys', () => {
    for (const hidden of ['not-an-image:1', 'label:1']) assert.ok(!refs.some((r) => r.reference === hidden));
  });

  it('keeps offsets right with a BOM and CRLF', () => {
    const crlf = withBomAndCrlf(text);
    const found = extractCompose(crlf);
    assertRangesHold(crlf, found);
    assert.deepEqual(textAndReference(found), textAndReference(refs));
  });

  it('reads legacy version-1 files (services at the top level)', () => {
    const legacy = 'web:\n  image: nginx:1.9\n  links: [db]\ndb:\n  build: .\nnot_a_service:\n  foo: bar\n';
    assert.deepEqual(textAndReference(extractCompose(legacy)), [['nginx:1.9', 'nginx:1.9']]);
  });

  it('yields nothing for a document with a syntax error and returns the error', () => {
    const { refs: none, errors } = extractComposeWithErrors('services:\n  web:\n    image: "nginx\n');
    assert.deepEqual(none, []);
    assert.ok(errors.length > 0 && errors[0].range.start >= 0);
  });
});
