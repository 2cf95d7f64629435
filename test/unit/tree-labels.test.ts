// Trust tree labels (client/src/labels.ts): the short image name as label, registry and digest as description, the
// full canonical reference for the tooltip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullReference, referenceDescription, shortName } from '../../client/src/labels';

const D = 'sha256:3f1e8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f';
const ref = (over: Partial<Parameters<typeof shortName>[0]>) => ({ reference: '', name: null, tag: null, digest: null, status: 'unpinned', ...over });

test('label: the last path segment with the tag; with a digest only, the short digest; nothing: the bare name', () => {
  assert.equal(shortName(ref({ name: 'ghcr.io/acme/web', tag: '1.0' })), 'web:1.0');
  assert.equal(shortName(ref({ name: 'ghcr.io/acme/web', tag: '1.0', digest: D })), 'web:1.0');
  assert.equal(shortName(ref({ name: 'ghcr.io/acme/web', digest: D })), 'web@sha256:3f1e8a0b1c2d');
  assert.equal(shortName(ref({ name: 'docker.io/library/nginx' })), 'nginx');
  assert.equal(shortName(ref({ name: '127.0.0.1:5000/demo/web', tag: '1.0' })), 'web:1.0');
});

test('description: registry and namespace, then the short digest or "not pinned"', () => {
  assert.equal(referenceDescription(ref({ name: 'ghcr.io/acme/web', tag: '1.0', digest: D, status: 'pinned' })), 'ghcr.io/acme · sha256:3f1e8a0b1c2d');
  assert.equal(referenceDescription(ref({ name: 'docker.io/library/nginx', tag: '1.25' })), 'docker.io/library · not pinned');
  assert.equal(referenceDescription(ref({ name: '127.0.0.1:5000/demo/web', tag: '1.0' })), '127.0.0.1:5000/demo · not pinned');
});

test('unparsed references (templated, invalid) keep their text and show their status', () => {
  const templated = ref({ reference: '{{ .Values.image }}', status: 'templated' });
  assert.equal(shortName(templated), '{{ .Values.image }}');
  assert.equal(referenceDescription(templated), 'templated');
  assert.equal(fullReference(templated), '{{ .Values.image }}');
});

test('tooltip: the full canonical reference, tag and digest included', () => {
  assert.equal(fullReference(ref({ name: 'docker.io/library/nginx', tag: '1.25', digest: D })), `docker.io/library/nginx:1.25@${D}`);
  assert.equal(fullReference(ref({ name: 'ghcr.io/acme/web', digest: D })), `ghcr.io/acme/web@${D}`);
});
