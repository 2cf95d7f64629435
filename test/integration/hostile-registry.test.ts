// A compromised or broken registry, played by test/support/hostile-registry.ts. Only what registry-limits.test.ts
// and registry-auth.test.ts do not already cover: lying digests end to end through `image-trust pin`, rate limits
// and silence through the CLI with its default timeouts, error bodies that never end, credentials and redirects to
// other hosts (token requests, Bearer tokens, token realms mapped in the Docker config), malformed answers, and
// referrers that point back at their subject.
//
// Bounds asserted: a never-answering registry costs the CLI attempts × timeout + backoff = 3 × 15 s + 0.75 s (asserted
// ≤ NEVER_ANSWER_BOUND_MS); everything else here uses small timeouts through the API and finishes in seconds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistryClient, type RegistryOptions } from '../../server/src/core/registry';
import { ImageTrustError } from '../../server/src/core/errors';
import { parseReference } from '../../server/src/core/reference';
import { resolveReference } from '../../server/src/core/resolve';
import { discoverSignatures, ARTIFACT_TYPES } from '../../server/src/core/trust/discovery';
import type { ImageRef } from '../../server/src/core/types';
import {
  basicAuth,
  endlessBody,
  HostileRegistry,
  imageManifest,
  json,
  manifest,
  neverAnswer,
  OCI_INDEX,
  OCI_MANIFEST,
  redirect,
  requireAuth,
  sha256,
  slowLoris,
  spawnCli,
  streamStats,
  type AsyncCliResult,
  type StreamStats,
} from '../support/hostile-registry';
import { writeDockerConfig } from '../support/registry';
import { rejectsWith, testClient as client } from '../support/registry-client';

const NEVER_ANSWER_BOUND_MS = 75_000;

const registries: HostileRegistry[] = [];
let work: string;

async function registry(address?: string): Promise<HostileRegistry> {
  const r = await HostileRegistry.start(address);
  registries.push(r);
  return r;
}

function pod(image: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: ${image}\n`;
}

/** CLI options that keep a run away from the user's cache and Docker config. */
function isolated(name: string): { args: string[]; env: NodeJS.ProcessEnv } {
  return { args: ['--cache-dir', join(work, `cache-${name}`)], env: { DOCKER_CONFIG: join(work, 'no-docker-config') } };
}

// The one CLI run with default timeouts against a registry that never answers: started first, checked last, so its
// ~46 s overlap the other tests.
let silent: HostileRegistry;
let silentRun: Promise<AsyncCliResult>;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'image-trust-hostile-registry-'));
  silent = await registry();
  silent.on('*', /^\/v2\/app\/manifests\//, neverAnswer());
  writeFileSync(join(work, 'silent.yaml'), pod(`${silent.host}/app:1`));
  const { args, env } = isolated('silent');
  silentRun = spawnCli(['scan', '--resolve', '--format', 'json', ...args, 'silent.yaml'], { cwd: work, env, timeoutMs: NEVER_ANSWER_BOUND_MS + 15_000 });
});

after(async () => {
  for (const r of registries) await r.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('hostile registry through the CLI', () => {
  it('pin: a manifest that does not hash to its digest is never pinned; the files stay byte-identical', async () => {
    const reg = await registry();
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }));
    const tampered = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [], evil: true }));
    // The tag's HEAD names the index digest; the bytes served for that digest are other bytes.
    reg.on('HEAD', '/v2/app/manifests/1', manifest(index, OCI_INDEX));
    reg.on('GET', `/v2/app/manifests/${sha256(index)}`, manifest(tampered, OCI_INDEX, sha256(index)));
    // No digest on HEAD; the GET's Docker-Content-Digest advertises one digest while the body is another.
    const body = imageManifest('lying');
    const lie = sha256('something else');
    reg.on('HEAD', '/v2/lying/manifests/1', manifest(body, OCI_MANIFEST, null));
    reg.on('GET', '/v2/lying/manifests/1', manifest(body, OCI_MANIFEST, lie));

    const files = { 'tampered.yaml': pod(`${reg.host}/app:1`), 'lying.yaml': pod(`${reg.host}/lying:1`) };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(work, name), text);
    const { args, env } = isolated('pin');
    const r = await spawnCli(['pin', ...args, ...Object.keys(files)], { cwd: work, env });

    assert.equal(r.status, 1, r.stdout + r.stderr);
    for (const [name, text] of Object.entries(files)) assert.deepEqual(readFileSync(join(work, name)), Buffer.from(text), `${name} untouched`);
    assert.match(r.stdout, new RegExp(`tampered\\.yaml:8:14: failed ${reg.host}/app:1: .*content hashes to ${sha256(tampered)}; refusing it`));
    assert.match(r.stdout, new RegExp(`lying\\.yaml:8:14: failed ${reg.host}/lying:1: .*advertised ${lie}.*refusing it`));
    assert.match(r.stdout, /0 pinned, 0 already pinned, 0 skipped, 2 failed\./);
    assert.ok(reg.count((q) => q.method === 'GET' && q.path.includes('/manifests/')) >= 2, 'the bytes were fetched and checked');
  });

  it('scan --resolve: 429 with Retry-After: 3600 is one request, no retry storm, reported as rate-limited', async () => {
    const reg = await registry();
    reg.on('*', /^\/v2\/app\/manifests\//, json(429, { errors: [{ code: 'TOOMANYREQUESTS' }] }, { 'retry-after': '3600' }));
    writeFileSync(join(work, 'limited.yaml'), pod(`${reg.host}/app:1`));
    const { args, env } = isolated('429');
    const r = await spawnCli(['scan', '--resolve', '--format', 'json', ...args, 'limited.yaml'], { cwd: work, env });
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
    const ref = JSON.parse(r.stdout).references[0];
    assert.match(ref.resolveError, new RegExp(`${reg.host}: rate limit reached.*retry after 3600 s`));
    assert.equal(ref.resolvedDigest, null);
    assert.equal(reg.count((q) => q.path.includes('/manifests/')), 1);
    assert.ok(r.elapsedMs < 10_000, `${r.elapsedMs} ms`);
  });
});

describe('hostile registry: bodies and silence', () => {
  it('an error body that never ends is cut off and the connection closed (not streamed forever)', async () => {
    const reg = await registry();
    const stats = streamStats();
    reg.on('GET', '/v2/app/manifests/1', endlessBody(404, stats));
    await assert.rejects(client().getManifest(`${reg.host}/app`, '1'), rejectsWith('REGISTRY_NOT_FOUND'));
    await stats.hungUp(2000);
    assert.ok(stats.written < 16 * 1024 * 1024, `${stats.written} bytes written before the hang-up`);
  });

  it('an endless token response is refused at the token size cap', async () => {
    const reg = await registry();
    const stats = streamStats();
    reg.on('GET', '/token', endlessBody(200, stats));
    reg.on('*', /^\/v2\/app\//, requireAuth('Bearer never', `Bearer realm="http://${reg.host}/token",service="s"`, json(200, {})));
    await assert.rejects(client().resolve(`${reg.host}/app`, '1'), rejectsWith('TOO_LARGE', /262144-byte limit/));
    await stats.hungUp(2000);
    assert.ok(stats.written < 16 * 1024 * 1024);
  });

  it('slow loris at 1 byte/s is stopped by the total timeout, whatever the idle timeout', async () => {
    const reg = await registry();
    const stats: StreamStats = { written: 0, closed: false };
    const digest = sha256('blob');
    reg.on('GET', `/v2/app/blobs/${digest}`, slowLoris(1000, 200, stats));
    const started = Date.now();
    await assert.rejects(
      client({ timeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 10 } }).getBlob(`${reg.host}/app`, digest, 1024),
      rejectsWith('TIMEOUT', /no complete answer within 1500 ms \(2 attempts\)/),
    );
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
    assert.equal(reg.count((q) => q.path.includes('/blobs/')), 2);
    assert.ok(stats.written <= 4, `${stats.written} bytes dribbled`);
  });

  it('a registry that never sends a status line: each attempt times out, attempts are bounded', async () => {
    const reg = await registry();
    reg.on('*', /^\/v2\/app\/manifests\//, neverAnswer());
    const started = Date.now();
    await assert.rejects(client({ timeoutMs: 300 }).resolve(`${reg.host}/app`, '1'), rejectsWith('TIMEOUT', /no complete answer within 300 ms \(3 attempts\)/));
    assert.ok(Date.now() - started < 3000);
    assert.equal(reg.count((q) => q.path.includes('/manifests/')), 3);
  });
});

describe('credentials stay with their host', () => {
  const USER = 'bob';
  const PASS = 'Registry-Pa55';

  it('a token request or a blob redirected to another host carries no credentials there', async () => {
    const other = await registry('127.0.0.2');
    const reg = await registry();
    const blob = Buffer.from('layer bytes');
    other.on('GET', '/token', json(200, { token: 'tok-from-elsewhere' }));
    other.on('GET', `/v2/storage/${sha256(blob)}`, (_req, res) => res.end(blob));
    // The realm is on the registry host itself (so it gets the user's credentials), and bounces elsewhere.
    reg.on('GET', '/token', requireAuth(basicAuth(USER, PASS), 'Basic realm="r"', redirect(307, `http://${other.host}/token`)));
    const challenge = `Bearer realm="http://${reg.host}/token",service="s"`;
    reg.on('*', /^\/v2\/app\/blobs\//, requireAuth('Bearer tok-from-elsewhere', challenge, redirect(307, `http://${other.host}/v2/storage/${sha256(blob)}`)));

    const c = client({ dockerConfigDir: await writeDockerConfig(join(work, 'cfg-redirect'), { [reg.host]: { user: USER, pass: PASS } }), credentials: undefined });
    assert.deepEqual(await c.getBlob(`${reg.host}/app`, sha256(blob), 1024), blob);
    assert.equal(reg.requests.find((q) => q.path === '/token')?.authorization, basicAuth(USER, PASS), 'the registry host got them');
    assert.deepEqual(
      other.requests.map((q) => [q.path, q.authorization]),
      [
        ['/token', undefined],
        [`/v2/storage/${sha256(blob)}`, undefined],
      ],
    );
  });

  it('a token realm on another host gets credentials only when the Docker config maps that host', async () => {
    const realm = await registry('127.0.0.2');
    const reg = await registry();
    realm.on('GET', '/token', json(200, { token: 'tok-realm' }));
    reg.on('*', /^\/v2\/app\/manifests\//, requireAuth('Bearer tok-realm', `Bearer realm="http://${realm.host}/token",service="s"`, manifest(imageManifest('a'), OCI_MANIFEST)));

    const onlyRegistry = await writeDockerConfig(join(work, 'cfg-registry-only'), { [reg.host]: { user: USER, pass: PASS } });
    await client({ dockerConfigDir: onlyRegistry, credentials: undefined }).resolve(`${reg.host}/app`, '1');
    assert.equal(realm.requests.at(-1)?.authorization, undefined, 'the registry credentials are not sent to a foreign realm');

    const both = await writeDockerConfig(join(work, 'cfg-both'), { [reg.host]: { user: USER, pass: PASS }, [realm.host]: { user: 'realm-user', pass: 'Realm-Pa55' } });
    await client({ dockerConfigDir: both, credentials: undefined }).resolve(`${reg.host}/app`, '1');
    assert.equal(realm.requests.at(-1)?.authorization, basicAuth('realm-user', 'Realm-Pa55'), "the realm gets its own host's credentials");
    assert.ok(realm.requests.every((q) => q.authorization !== basicAuth(USER, PASS)));
  });

  it('a realm that is not HTTPS on a non-loopback host, or not a URL, is refused before any request', async () => {
    for (const realmUrl of ['http://auth.example.com/token', 'file:///etc/passwd', 'javascript:alert(1)', '::not a url']) {
      const reg = await registry();
      reg.on('*', /^\/v2\/app\//, requireAuth('Bearer x', `Bearer realm="${realmUrl}",service="s"`, json(200, {})));
      await assert.rejects(client().resolve(`${reg.host}/app`, '1'), rejectsWith('REGISTRY_BAD_RESPONSE', /token realm/));
      assert.equal(reg.count(), 1, `${realmUrl}: only the challenged request was made`);
    }
  });
});

describe('malformed answers: clean errors, bounded work', () => {
  const cases: { name: string; routes: (reg: HostileRegistry) => void; call: (host: string) => Promise<unknown>; code: string; message: RegExp; maxRequests: number }[] = [
    {
      name: 'manifest body that is not JSON (its digest correct)',
      routes: (reg) => reg.on('*', '/v2/app/manifests/1', manifest(Buffer.from('<html>hi</html>'), 'text/html')),
      call: (host) => client().getManifest(`${host}/app`, '1'),
      code: 'REGISTRY_BAD_RESPONSE',
      message: /is not JSON/,
      maxRequests: 1,
    },
    {
      name: 'manifest that is a JSON array',
      routes: (reg) => reg.on('*', '/v2/app/manifests/1', manifest(Buffer.from('[1,2,3]'), OCI_MANIFEST)),
      call: (host) => client().getManifest(`${host}/app`, '1'),
      code: 'REGISTRY_BAD_RESPONSE',
      message: /not a JSON object/,
      maxRequests: 1,
    },
    {
      name: 'HEAD with a wrong media type falls back to GET, which is not JSON',
      routes: (reg) => reg.on('*', '/v2/app/manifests/1', manifest(Buffer.from('not json at all'), 'text/plain')),
      call: (host) => client().resolve(`${host}/app`, '1'),
      code: 'REGISTRY_BAD_RESPONSE',
      message: /is not JSON/,
      maxRequests: 2,
    },
    {
      name: 'token service answering HTML',
      routes: (reg) => {
        reg.on('GET', '/token', (_q, res) => res.end('<html>login</html>'));
        reg.on('*', /^\/v2\/app\//, requireAuth('Bearer x', `Bearer realm="http://${reg.host}/token"`, json(200, {})));
      },
      call: (host) => client().resolve(`${host}/app`, '1'),
      code: 'REGISTRY_BAD_RESPONSE',
      message: /token service answered something that is not JSON/,
      maxRequests: 2,
    },
    {
      name: 'token service answering JSON without a token',
      routes: (reg) => {
        reg.on('GET', '/token', json(200, { token: 42, access_token: '' }));
        reg.on('*', /^\/v2\/app\//, requireAuth('Bearer x', `Bearer realm="http://${reg.host}/token"`, json(200, {})));
      },
      call: (host) => client().resolve(`${host}/app`, '1'),
      code: 'REGISTRY_BAD_RESPONSE',
      message: /without a token/,
      maxRequests: 2,
    },
    {
      name: 'referrers answer that is not JSON',
      routes: (reg) => reg.on('GET', /^\/v2\/app\/referrers\//, (_q, res) => res.end('{"manifests": [')),
      call: (host) => client().getReferrers(`${host}/app`, sha256('subject')),
      code: 'REGISTRY_BAD_RESPONSE',
      message: /referrers answer is not JSON/,
      maxRequests: 1,
    },
    {
      name: 'referrers answer that is not an index',
      routes: (reg) => reg.on('GET', /^\/v2\/app\/referrers\//, json(200, { manifests: 'all of them' })),
      call: (host) => client().getReferrers(`${host}/app`, sha256('subject')),
      code: 'REGISTRY_BAD_RESPONSE',
      message: /not an image index/,
      maxRequests: 1,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const reg = await registry();
      c.routes(reg);
      await assert.rejects(c.call(reg.host), rejectsWith(c.code, c.message));
      assert.ok(reg.count((q) => q.path !== '/v2/') <= c.maxRequests, `${reg.count()} requests`);
    });
  }

  it('an index whose manifests list is not a list: resolution reports an error, never a digest', async () => {
    const reg = await registry();
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: { linux: 'amd64' } }));
    reg.on('*', /^\/v2\/app\/manifests\//, manifest(index, OCI_INDEX));
    const parsed = parseReference(`${reg.host}/app:1`);
    const ref: ImageRef = { kind: 'kubernetes', range: { start: 0, end: 0 }, text: '', reference: `${reg.host}/app:1`, templated: false, status: 'unpinned', parsed };
    const r = await resolveReference(client(), ref);
    assert.equal(r?.error?.code, 'REGISTRY_BAD_RESPONSE');
    assert.match(r!.error!.message, /index without a manifests list/);
  });

  it('referrers pointing back at their subject: discovery finishes with bounded requests and finds no signature', async () => {
    const reg = await registry();
    const subject = imageManifest('subject');
    const S = sha256(subject);
    // A "signature" manifest whose layer is the subject itself, and a referrers list naming the subject as its own
    // signature: the walk must not follow either into a loop, nor read the subject as a signature.
    const fake = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, subject: { mediaType: OCI_MANIFEST, digest: S, size: subject.length }, layers: [{ mediaType: OCI_MANIFEST, digest: S, size: subject.length }] }));
    const F = sha256(fake);
    const referrers = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [S, F].map((d) => ({ mediaType: OCI_MANIFEST, digest: d, size: 1, artifactType: ARTIFACT_TYPES.cosignSignature })) };
    reg.on('GET', `/v2/app/referrers/${S}`, json(200, referrers, { 'content-type': OCI_INDEX }));
    reg.on('GET', `/v2/app/referrers/${F}`, json(200, referrers, { 'content-type': OCI_INDEX }));
    reg.on('*', `/v2/app/manifests/${S}`, manifest(subject, OCI_MANIFEST));
    reg.on('*', `/v2/app/manifests/${F}`, manifest(fake, OCI_MANIFEST));
    const started = Date.now();
    const result = await discoverSignatures(client(), `${reg.host}/app`, S);
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(result.items.filter((i) => i.kind !== 'artifact'), [], 'nothing counted as a signature');
    assert.ok(reg.count() <= 12, `${reg.count()} requests`);
    assert.equal(reg.count((q) => q.path === `/v2/app/referrers/${F}`), 0, 'referrers of referrers are not followed');
  });
});

describe('hostile registry through the CLI: silence with default timeouts', () => {
  it(`a registry that never answers: the scan ends within ${NEVER_ANSWER_BOUND_MS / 1000} s and says why`, async () => {
    const r = await silentRun;
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status} after ${r.elapsedMs} ms: ${r.stderr}`);
    assert.ok(r.elapsedMs <= NEVER_ANSWER_BOUND_MS, `${r.elapsedMs} ms`);
    const ref = JSON.parse(r.stdout).references[0];
    assert.match(ref.resolveError, new RegExp(`${silent.host}: no complete answer within 15000 ms \\(3 attempts\\)`));
    assert.equal(silent.count((q) => q.path.includes('/manifests/')), 3);
  });
});
