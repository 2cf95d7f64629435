// The injection grammar gives digests and tags their own scopes; its patterns must compile and match what they claim.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';

const grammar = JSON.parse(readFileSync(resolve(__dirname, '../../syntaxes/image-reference.injection.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8'));

/** TextMate patterns use Oniguruma; these use only syntax JS shares, except a leading (?i) flag. */
function compile(name: string): RegExp {
  const src: string = grammar.repository[name].match;
  return src.startsWith('(?i)') ? new RegExp(src.slice(4), 'i') : new RegExp(src);
}

const D = 'sha256:' + 'ab'.repeat(32);

test('the grammar is registered as an injection into YAML and Dockerfiles', () => {
  const g = pkg.contributes.grammars.find((x: { scopeName: string }) => x.scopeName === grammar.scopeName);
  assert.deepEqual(g.injectTo, ['source.yaml', 'source.dockerfile']);
  for (const p of grammar.patterns) assert.ok(grammar.repository[p.include.slice(1)], p.include);
});

test('digest and pinned tag scopes', () => {
  const line = `    image: nginx:1.25@${D}`;
  assert.equal(compile('digest').exec(line)?.[2], D);
  assert.equal(compile('pinned-tag').exec(line)?.[2], '1.25');
  assert.equal(compile('digest').exec('image: nginx@sha256:abc'), null, 'a short digest is not a digest');
});

test('unpinned tags in YAML and FROM lines, not pinned ones', () => {
  assert.equal(compile('yaml-image-unpinned').exec('      image: "registry.example.com:5000/team/app:v1.2"')?.[4], 'v1.2');
  assert.equal(compile('yaml-image-unpinned').exec('  - image: nginx:1.25')?.[4], '1.25');
  assert.equal(compile('yaml-image-unpinned').exec(`image: nginx:1.25@${D}`), null);
  assert.equal(compile('dockerfile-from-unpinned').exec('FROM --platform=$BUILDPLATFORM golang:1.22 AS build')?.[4], '1.22');
  assert.equal(compile('dockerfile-from-unpinned').exec(`from alpine:3.20@${D}`), null);
});
