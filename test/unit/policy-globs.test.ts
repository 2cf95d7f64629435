import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkRepositoryGlob, matchRule, normalizeRepositoryName, type Policy } from '../../server/src/core/policy';
import { parseReference } from '../../server/src/core/reference';
import { errorsOf, load, warningsOf } from '../support/policy-fixtures';

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
    // `docker.io/**` is all of Docker Hub, not only the official images.
    ['docker.io/**', 'docker.io/bitnami/redis', true],
    ['docker.io/**', 'docker.io/library/nginx', true],
    ['docker.io/**', 'ghcr.io/library/nginx', false],
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
      ['docker.io/**', 'docker.io/**'],
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

// Issue 10, defect 4: a rule must never be skipped because the registry host is spelled differently. Hosts compare
// case-insensitively, `:443` is the default port, and `index.docker.io` / `registry-1.docker.io` are `docker.io`.
describe('registry host spellings: one canonical name', () => {
  function policy(text: string): Policy {
    const r = load(text);
    assert.deepEqual(errorsOf(r), [], 'fixture policy must be valid');
    return r.policy!;
  }
  const p = policy(
    'version: 1\nrules:\n' +
      '  - name: acme\n    match: ["ghcr.io/acme/**"]\n    requireDigest: true\n' +
      '  - name: nginx\n    match: nginx\n    requireDigest: true\n',
  );
  const spellings: [name: string, rule: string][] = [
    ['GHCR.IO/acme/api', 'acme'],
    ['ghcr.io:443/acme/api', 'acme'],
    ['Ghcr.Io:443/acme/team/api', 'acme'],
    ['ghcr.io:0443/acme/api', 'acme'],
    ['registry-1.docker.io/library/nginx', 'nginx'],
    ['registry-1.docker.io/nginx', 'nginx'],
    ['index.docker.io/nginx', 'nginx'],
    ['Docker.IO/library/nginx', 'nginx'],
    ['docker.io:443/nginx', 'nginx'],
    ['REGISTRY-1.DOCKER.IO:443/library/nginx', 'nginx'],
    ['Index.Docker.Io/library/nginx', 'nginx'],
  ];
  for (const [name, rule] of spellings) {
    test(`${name} is governed by rule ${rule}`, () => {
      assert.equal(matchRule(p, name).rule.name, rule, 'matchRule on the name as written');
      // As the glue does it: through the parsed reference.
      assert.equal(matchRule(p, parseReference(`${name}:1.0`).name).rule.name, rule, 'matchRule on the parsed name');
    });
  }

  test('other registries, ports and paths still fall to the default rule', () => {
    for (const name of ['ghcr.io:5000/acme/api', 'ghcr.io:80/acme/api', 'ghcr.io/other/api', 'quay.io/library/nginx', 'docker.io:5000/library/nginx', 'docker.io/bitnami/nginx']) {
      assert.equal(matchRule(p, name).index, null, name);
    }
  });

  test('patterns are canonicalized the same way (upper-case host, :443, Docker Hub aliases)', () => {
    const cases: [pattern: string, normalized: string][] = [
      ['GHCR.IO/acme/**', 'ghcr.io/acme/**'],
      ['ghcr.io:443/acme/**', 'ghcr.io/acme/**'],
      ['Ghcr.Io:443/acme/*', 'ghcr.io/acme/*'],
      ['registry-1.docker.io/library/*', 'docker.io/library/*'],
      ['REGISTRY-1.DOCKER.IO/nginx', 'docker.io/library/nginx'],
      ['Index.Docker.IO/acme/*', 'docker.io/acme/*'],
      ['docker.io:443/**', 'docker.io/**'],
      ['LOCALHOST:5000/app', 'localhost:5000/app'],
      ['*.EXAMPLE.COM/**', '*.example.com/**'],
      ['*.example.com:443/**', '*.example.com/**'],
    ];
    for (const [pattern, normalized] of cases) {
      const check = checkRepositoryGlob(pattern);
      assert.ok(check.ok, pattern);
      assert.equal(check.normalized, normalized, pattern);
      assert.equal(check.warning, undefined, `${pattern}: an upper-case host is not an upper-case path`);
    }
  });

  test('a rule written with an upper-case host or :443 governs every spelling', () => {
    for (const pattern of ['GHCR.IO/acme/**', 'ghcr.io:443/acme/**', 'Ghcr.Io/acme/**']) {
      for (const name of ['ghcr.io/acme/api', 'GHCR.IO/acme/api', 'ghcr.io:443/acme/api']) {
        assert.equal(ruleMatches(pattern, name), true, `${pattern} should match ${name}`);
      }
    }
    for (const pattern of ['registry-1.docker.io/library/nginx', 'INDEX.DOCKER.IO/nginx', 'docker.io:443/library/*']) {
      for (const name of ['nginx', 'docker.io/library/nginx', 'registry-1.docker.io/nginx', 'Docker.IO/library/nginx']) {
        assert.equal(ruleMatches(pattern, name), true, `${pattern} should match ${name}`);
      }
    }
  });

  test('a later rule that is the same pattern spelled differently is flagged as shadowed', () => {
    const r = load('version: 1\nrules:\n  - match: ghcr.io/acme/**\n    requireDigest: true\n  - match: GHCR.IO:443/acme/**\n    requireDigest: true\n');
    assert.deepEqual(errorsOf(r), []);
    assert.ok(warningsOf(r).some((w) => /never applies|shadow|earlier/i.test(w.message)), JSON.stringify(warningsOf(r)));
  });

  test('ports other than 443 are kept: localhost:5000, 127.0.0.1:5000, [::1]:5000', () => {
    for (const name of ['localhost:5000/app', '127.0.0.1:5000/app', '[::1]:5000/app', 'ghcr.io:5000/acme/api', 'localhost/app']) {
      assert.equal(normalizeRepositoryName(name), name, name);
    }
    assert.equal(normalizeRepositoryName('LOCALHOST:5000/app'), 'localhost:5000/app');
    assert.equal(normalizeRepositoryName('[FC00::1]:5000/app'), '[fc00::1]:5000/app');
    assert.equal(ruleMatches('localhost:5000/**', 'localhost/app'), false);
    assert.equal(ruleMatches('127.0.0.1:5000/**', '127.0.0.1/app'), false);
    assert.equal(ruleMatches('127.0.0.1:5000/**', '127.0.0.1:5000/app'), true);
    assert.equal(ruleMatches('[::1]:5000/**', '[::1]:5000/app'), true);
    assert.equal(ruleMatches('[::1]:5000/**', '[::1]:5001/app'), false);
  });

  test('an IPv6 host in a pattern is taken literally, not as a character class', () => {
    // `[::1]` as a glob class would also match the host `1` (and `:`): an exception would then exempt `1:5000/app`.
    assert.equal(ruleMatches('[::1]:5000/**', '1:5000/app'), false);
    assert.equal(ruleMatches('[fc00::1]:5000/app', 'f:5000/app'), false);
    assert.equal(ruleMatches('[fc00::1]:5000/app', '[FC00::1]:5000/app'), true);
  });

  test('glob characters in the host keep working', () => {
    assert.equal(ruleMatches('*.example.com/**', 'REGISTRY.EXAMPLE.COM/x/y'), true);
    assert.equal(ruleMatches('*.example.com/**', 'registry.example.com:443/x'), true);
    assert.equal(ruleMatches('*.example.com/**', 'registry.example.com:5000/x'), false);
    assert.equal(ruleMatches('{ghcr.io,quay.io}/acme/*', 'QUAY.IO:443/acme/api'), true);
    assert.equal(ruleMatches('**', 'GHCR.IO:443/a/b'), true);
    assert.equal(ruleMatches('**/nginx', 'registry-1.docker.io/nginx'), true);
    assert.equal(ruleMatches('**/library/nginx', 'index.docker.io/nginx'), true);
  });

  test('a glob host spelling Docker Hub by an alias, or :443, is flagged: it never matches', () => {
    for (const pattern of ['{index.docker.io,ghcr.io}/**', '{ghcr.io:443,quay.io}/**', 'registry-1.docker.io{,:5000}/**']) {
      const check = checkRepositoryGlob(pattern);
      assert.ok(check.ok, pattern);
      assert.match(check.warning ?? '', /never matches/, pattern);
    }
    assert.deepEqual(checkRepositoryGlob('[fc00::443]:5000/**'), { ok: true, normalized: '[fc00::443]:5000/**' }, 'an IPv6 literal is not a glob');
  });

  test('property: any spelling of the host in the name or in the rule gives the same decision', () => {
    const hosts = ['ghcr.io', 'registry.example.com', 'localhost:5000', '127.0.0.1:5000', 'docker.io', 'quay.io'];
    const respell = (host: string, flips: boolean[], add443: boolean, alias: number): string => {
      let h = host;
      if (h === 'docker.io') h = ['docker.io', 'index.docker.io', 'registry-1.docker.io'][alias % 3]!;
      h = [...h].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c)).join('');
      return add443 && !h.includes(':') ? `${h}:443` : h;
    };
    const spelling = fc.record({ flips: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), add443: fc.boolean(), alias: fc.nat() });
    fc.assert(
      fc.property(fc.constantFrom(...hosts), fc.constantFrom(...hosts), fc.constantFrom('acme/api', 'library/nginx', 'acme/team/api'), spelling, spelling, (ruleHost, nameHost, path, rs, ns) => {
        const pol = policy(`version: 1\nrules:\n  - match: ${JSON.stringify(`${respell(ruleHost, rs.flips, rs.add443, rs.alias)}/acme/**`)}\n    requireDigest: true\n`);
        const name = `${respell(nameHost, ns.flips, ns.add443, ns.alias)}/${path}`;
        const expected = ruleHost === nameHost && path.startsWith('acme/');
        assert.equal(matchRule(pol, name).index === 0, expected, `${name}`);
        assert.equal(matchRule(pol, parseReference(name).name).index === 0, expected, `${name} parsed`);
      }),
      { numRuns: 300, seed: 1004 },
    );
  });
});
