// Pure parts of the registry client: challenge parsing, host mapping, Docker config credentials, Retry-After.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseWwwAuthenticate } from '../../server/src/core/registry/challenge';
import { apiHost, credentialKey, hostOfCredentialKey, isLoopback, locateRepository, plainHttpAllowed, sameCredentialDomain } from '../../server/src/core/registry/hosts';
import { dockerConfigCredentials } from '../../server/src/core/registry/credentials';
import { parseRetryAfter } from '../../server/src/core/registry/retry';
import { referrersTag } from '../../server/src/core/registry/referrers';
import { ImageTrustError } from '../../server/src/core/errors';
import { parseReference } from '../../server/src/core/reference';

describe('parseWwwAuthenticate', () => {
  it('parses a Bearer challenge with quoted values containing commas and escapes', () => {
    const [c] = parseWwwAuthenticate(
      'Bearer realm="https://auth.example.com/token",service="registry, example",scope="repository:a/b:pull,push",error="say \\"hi\\""',
    );
    assert.equal(c.scheme, 'bearer');
    assert.deepEqual(c.params, {
      realm: 'https://auth.example.com/token',
      service: 'registry, example',
      scope: 'repository:a/b:pull,push',
      error: 'say "hi"',
    });
  });

  it('parses several challenges, unquoted values, odd spacing and case', () => {
    const cs = parseWwwAuthenticate(['Basic realm="Registry Realm"', 'BEARER  Realm = https://x/t , Service=svc']);
    assert.deepEqual(cs, [
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', service: 'svc' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm="a", Bearer realm="b"').map((c) => c.scheme), ['basic', 'bearer']);
  });

  it('round-trips any quoted parameter values (property)', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/);
    const value = fc.string({ maxLength: 30 }).filter((v) => !/[\r\n]/.test(v));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([k]) => k, minLength: 1, maxLength: 5 }), (params) => {
        const header = `Bearer ${params.map(([k, v]) => `${k}="${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}`;
        assert.deepEqual(parseWwwAuthenticate(header), [{ scheme: 'bearer', params: Object.fromEntries(params) }]);
      }),
      { numRuns: 300 },
    );
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (junk) => Array.isArray(parseWwwAuthenticate(junk))), { numRuns: 300 });
  });

  it('survives garbage without throwing', () => {
    assert.deepEqual(parseWwwAuthenticate(undefined), []);
    assert.deepEqual(parseWwwAuthenticate(''), []);
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="unterminated'), [{ scheme: 'bearer', params: { realm: 'unterminated' } }]);
    assert.deepEqual(parseWwwAuthenticate('Negotiate abc=='), [{ scheme: 'negotiate', params: {} }]);
  });
});

describe('registry hosts', () => {
  it('maps every Docker Hub spelling to one API host and one credential key', () => {
    for (const h of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      assert.equal(apiHost(h), 'registry-1.docker.io');
      assert.equal(credentialKey(apiHost(h)), 'https://index.docker.io/v1/');
    }
    assert.deepEqual(locateRepository('docker.io/library/nginx'), { host: 'registry-1.docker.io', repository: 'library/nginx' });
    assert.deepEqual(locateRepository('index.docker.io/nginx'), { host: 'registry-1.docker.io', repository: 'library/nginx' });
    assert.deepEqual(locateRepository('nginx'), { host: 'registry-1.docker.io', repository: 'library/nginx' });
    assert.deepEqual(locateRepository('ghcr.io/o/r'), { host: 'ghcr.io', repository: 'o/r' });
    assert.deepEqual(locateRepository('localhost:5000/app'), { host: 'localhost:5000', repository: 'app' });
    assert.equal(hostOfCredentialKey('https://index.docker.io/v1/'), 'registry-1.docker.io');
    assert.equal(hostOfCredentialKey('https://ghcr.io'), 'ghcr.io');
    assert.ok(sameCredentialDomain('registry-1.docker.io', 'auth.docker.io'));
    assert.ok(!sameCredentialDomain('ghcr.io', 'auth.docker.io'));
  });

  // Issue 10, defect 4: every spelling of a registry goes to the right API host, with one cache key.
  it('locates every spelling of a name at the right API host', () => {
    const cases: [name: string, host: string, repository: string][] = [
      ['GHCR.IO/acme/api', 'ghcr.io', 'acme/api'],
      ['ghcr.io:443/acme/api', 'ghcr.io', 'acme/api'],
      ['Ghcr.Io:0443/acme/api', 'ghcr.io', 'acme/api'],
      ['ghcr.io:5000/acme/api', 'ghcr.io:5000', 'acme/api'],
      ['registry-1.docker.io/library/nginx', 'registry-1.docker.io', 'library/nginx'],
      ['registry-1.docker.io/nginx', 'registry-1.docker.io', 'library/nginx'],
      ['Docker.IO/library/nginx', 'registry-1.docker.io', 'library/nginx'],
      ['docker.io:443/nginx', 'registry-1.docker.io', 'library/nginx'],
      ['INDEX.DOCKER.IO/bitnami/redis', 'registry-1.docker.io', 'bitnami/redis'],
      ['localhost:5000/app', 'localhost:5000', 'app'],
      ['LOCALHOST:5000/app', 'localhost:5000', 'app'],
      ['localhost/app', 'localhost', 'app'],
      ['127.0.0.1:5000/app', '127.0.0.1:5000', 'app'],
      ['[::1]:5000/app', '[::1]:5000', 'app'],
      ['[FC00::1]:5000/app', '[fc00::1]:5000', 'app'],
      // A host recognized by its upper-case letters (as `docker pull` does); DNS names are case-insensitive.
      ['MyReg/app', 'myreg', 'app'],
    ];
    for (const [name, host, repository] of cases) assert.deepEqual(locateRepository(name), { host, repository }, name);
  });

  it('maps host spellings to one API host and one credential key', () => {
    assert.equal(apiHost('GHCR.IO:443'), 'ghcr.io');
    assert.equal(apiHost('Docker.IO:443'), 'registry-1.docker.io');
    assert.equal(apiHost('[::1]:5000'), '[::1]:5000');
    assert.equal(apiHost('127.0.0.1:5000'), '127.0.0.1:5000');
    assert.equal(credentialKey('docker.io:443'), 'https://index.docker.io/v1/');
    assert.equal(credentialKey('GHCR.IO:443'), 'ghcr.io');
    assert.equal(hostOfCredentialKey('https://GHCR.IO:443/v2/'), 'ghcr.io');
    assert.ok(plainHttpAllowed('registry.lan:5000', ['REGISTRY.LAN:5000']));
    assert.ok(plainHttpAllowed('registry.lan', ['registry.lan:443']));
  });

  it('property: a name and its parsed (canonical) name are located at the same place', () => {
    const hosts = ['ghcr.io', 'GHCR.IO', 'ghcr.io:443', 'docker.io', 'Index.Docker.IO', 'registry-1.docker.io:443', 'localhost:5000', '[::1]:5000', '127.0.0.1:5000'];
    fc.assert(
      fc.property(fc.option(fc.constantFrom(...hosts), { nil: null }), fc.constantFrom('nginx', 'acme/api', 'library/nginx', 'a/b/c'), (host, path) => {
        const name = host === null ? path : `${host}/${path}`;
        const canonical = parseReference(name).name;
        assert.deepEqual(locateRepository(name), locateRepository(canonical), name);
        assert.equal(locateRepository(canonical).repository, parseReference(name).path);
      }),
      { numRuns: 200, seed: 1011 },
    );
  });

  it('rejects invalid repository names', () => {
    assert.throws(() => locateRepository('ghcr.io/UPPER/case'), (e: unknown) => e instanceof ImageTrustError && e.code === 'INVALID_REFERENCE');
    assert.throws(() => locateRepository('ghcr.io/'), ImageTrustError);
  });

  it('allows plain HTTP only for loopback and listed insecure hosts', () => {
    assert.ok(isLoopback('127.0.0.1:5000') && isLoopback('localhost') && isLoopback('[::1]:5000') && isLoopback('127.0.0.2:1'));
    assert.ok(!isLoopback('128.0.0.1') && !isLoopback('localhost.example.com'));
    assert.ok(plainHttpAllowed('registry.lan:5000', ['registry.lan:5000']));
    assert.ok(!plainHttpAllowed('registry.lan:5000', ['registry.lan']));
    assert.ok(!plainHttpAllowed('ghcr.io', []));
  });

  it('names the referrers fallback tag after the digest', () => {
    assert.equal(referrersTag(`sha256:${'ab'.repeat(32)}`), `sha256-${'ab'.repeat(32)}`);
    assert.equal(referrersTag(`sha512:${'c'.repeat(128)}`), `sha512-${'c'.repeat(64)}`);
  });
});

describe('Docker config credentials', () => {
  let dir: string;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads auth, username/password and identitytoken entries, matching keys as Docker does', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'image-trust-dockercfg-'));
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hub:pass').toString('base64') },
          'quay.io': { username: 'q', password: 'qp' },
          'https://ghcr.io/v2/': { identitytoken: 'refresh-me' },
          'other.example': { auth: '' },
        },
        credsStore: 'nonexistent-store-for-test',
      }),
    );
    const src = dockerConfigCredentials({ configDir: dir, allowCredentialHelpers: false });
    assert.deepEqual(await src.get('registry-1.docker.io'), { username: 'hubuser', password: 'hub:pass' });
    assert.deepEqual(await src.get('quay.io'), { username: 'q', password: 'qp' });
    assert.deepEqual(await src.get('ghcr.io'), { identityToken: 'refresh-me' });
    assert.equal(await src.get('other.example'), undefined);
    assert.equal(await src.get('nothere.example'), undefined);
    // A configured store that cannot run falls back to the file's entries.
    const withHelpers = dockerConfigCredentials({ configDir: dir, allowCredentialHelpers: true, helperTimeoutMs: 2000 });
    assert.deepEqual(await withHelpers.get('quay.io'), { username: 'q', password: 'qp' });
  });

  it('treats a missing or corrupt config as no credentials', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'image-trust-dockercfg-'));
    try {
      assert.equal(await dockerConfigCredentials({ configDir: empty, allowCredentialHelpers: false }).get('ghcr.io'), undefined);
      await writeFile(path.join(empty, 'config.json'), '{not json');
      assert.equal(await dockerConfigCredentials({ configDir: empty, allowCredentialHelpers: false }).get('ghcr.io'), undefined);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });
});
