import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRepositoryGlob, matchRule, normalizeRepositoryName } from '../../server/src/core/policy';
import { errorsOf, load } from '../support/policy-fixtures';

/** Whether a one-rule policy with `pattern` governs `name` (through loadPolicy and matchRule, as the glue does). */
function ruleMatches(pattern: string, name: string): boolean {
  const r = load(`version: 1\nrules:\n  - match: ${JSON.stringify(pattern)}\n    requireDigest: true\n`);
  assert.deepEqual(errorsOf(r), [], `pattern ${pattern} should be valid`);
  return matchRule(r.policy!, name).index === 0;
}

describe('repository glob matching', () => {
  const table: [pattern: string, name: string, expected: boolean][] = [
    ['registry.example.com/prod/**', 'registry.example.com/prod/api', true],
    ['registry.example.com/prod/**', 'registry.example.com/prod/team/api', true],
    ['registry.example.com/prod/**', 'registry.example.com/prod', true],
    ['registry.example.com/prod/**', 'registry.example.com/production/api', false],
    ['registry.example.com/prod/**', 'other.example.com/prod/api', false],
    ['ghcr.io/acme/*', 'ghcr.io/acme/api', true],
    ['ghcr.io/acme/*', 'ghcr.io/acme/team/api', false],
    ['ghcr.io/acme/*', 'ghcr.io/acme', false],
    ['ghcr.io/acme/api', 'ghcr.io/acme/api', true],
    ['ghcr.io/acme/api', 'ghcr.io/acme/api2', false],
    ['ghcr.io/acme/api-?', 'ghcr.io/acme/api-1', true],
    ['ghcr.io/acme/api-?', 'ghcr.io/acme/api-12', false],
    ['registry.example.com/{prod,staging}/*', 'registry.example.com/staging/api', true],
    ['registry.example.com/{prod,staging}/*', 'registry.example.com/dev/api', false],
    // Familiar (Docker Hub) forms.
    ['nginx', 'docker.io/library/nginx', true],
    ['nginx', 'docker.io/library/nginx-extra', false],
    ['nginx', 'ghcr.io/library/nginx', false],
    ['library/*', 'docker.io/library/redis', true],
    ['library/*', 'docker.io/bitnami/redis', false],
    ['*', 'docker.io/library/redis', true],
    ['*', 'docker.io/bitnami/redis', false],
    ['acme/*', 'docker.io/acme/api', true],
    ['acme/*', 'ghcr.io/acme/api', false],
    ['*/nginx', 'docker.io/bitnami/nginx', true],
    ['*/nginx', 'quay.io/nginx', false],
    ['docker.io/nginx', 'docker.io/library/nginx', true],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx', true],
    // Registry hosts with ports, localhost.
    ['localhost:5000/foo/*', 'localhost:5000/foo/bar', true],
    ['localhost:5000/foo/*', 'localhost:5001/foo/bar', false],
    ['localhost:5000/foo/*', 'localhost/foo/bar', false],
    ['localhost/foo', 'localhost/foo', true],
    ['localhost/foo', 'docker.io/localhost/foo', false],
    ['192.168.64.2:5000/**', '192.168.64.2:5000/cosign-signed/key-1', true],
    // Patterns spanning registries.
    ['**', 'quay.io/a/b/c', true],
    ['**/nginx', 'docker.io/library/nginx', true],
    ['**/nginx', 'quay.io/nginx', true],
    ['**/nginx', 'quay.io/nginx-x', false],
    ['*.example.com/**', 'registry.example.com/x/y', true],
    ['*.example.com/**', 'example.com/x', false],
  ];
  for (const [pattern, name, expected] of table) {
    test(`${pattern} ${expected ? 'matches' : 'does not match'} ${name}`, () => {
      assert.equal(ruleMatches(pattern, name), expected);
    });
  }

  test('matchRule accepts familiar names too', () => {
    assert.equal(ruleMatches('docker.io/library/nginx', 'nginx'), true);
    assert.equal(ruleMatches('acme/*', 'acme/api'), true);
  });
});

describe('repository glob normalization and checks', () => {
  test('familiar forms become fully qualified', () => {
    const cases: [string, string][] = [
      ['nginx', 'docker.io/library/nginx'],
      ['library/*', 'docker.io/library/*'],
      ['acme/team/*', 'docker.io/acme/team/*'],
      ['docker.io/*', 'docker.io/library/*'],
      ['localhost:5000/x', 'localhost:5000/x'],
      ['**/x', '**/x'],
      ['**', '**'],
    ];
    for (const [pattern, normalized] of cases) {
      const check = checkRepositoryGlob(pattern);
      assert.ok(check.ok, pattern);
      assert.equal(check.normalized, normalized, pattern);
    }
  });

  test('tags, digests, bad characters and empty segments are rejected', () => {
    for (const bad of ['nginx:latest', 'localhost:5000/foo:1', `nginx@sha256:${'a'.repeat(64)}`, 'ghcr.io/acme /x', '!ghcr.io/x', 'ghcr.io//x', 'ghcr.io/x/']) {
      assert.equal(checkRepositoryGlob(bad).ok, false, bad);
    }
  });

  test('names are normalized the Docker way', () => {
    assert.equal(normalizeRepositoryName('nginx'), 'docker.io/library/nginx');
    assert.equal(normalizeRepositoryName('bitnami/redis'), 'docker.io/bitnami/redis');
    assert.equal(normalizeRepositoryName('index.docker.io/nginx'), 'docker.io/library/nginx');
    assert.equal(normalizeRepositoryName('localhost/app'), 'localhost/app');
    assert.equal(normalizeRepositoryName('localhost:5000/app'), 'localhost:5000/app');
    assert.equal(normalizeRepositoryName('ghcr.io/acme/api'), 'ghcr.io/acme/api');
  });
});
