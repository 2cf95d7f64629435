// The registry client against a real registry (distribution 2.8 from Debian) with images pushed by skopeo.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRegistryClient, resolvePlatforms, type RegistryOptions, type RequestInfo } from '../../server/src/core/registry';
import { ImageTrustError } from '../../server/src/core/errors';
import {
  buildImage,
  OCI_INDEX,
  OCI_MANIFEST,
  pushImage,
  seedManifest,
  sha256,
  startRegistry,
  type ImageLayout,
  type TestRegistry,
} from '../support/registry';
import { requireRegistryTools } from '../support/requirements';

const { skip } = requireRegistryTools();

/** Records every request the client makes (method, url, kind). */
function recorder() {
  const requests: RequestInfo[] = [];
  return {
    requests,
    onRequest: (info: RequestInfo) => requests.push(info),
    count: (kind?: RequestInfo['kind']) => requests.filter((r) => !kind || r.kind === kind).length,
  };
}

function isCode(code: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ImageTrustError, `expected ImageTrustError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

describe('registry client against a real registry', { skip }, () => {
  let reg: TestRegistry;
  let work: string;
  let single: ImageLayout;
  let multi: ImageLayout;
  const client = (extra: RegistryOptions = {}) => createRegistryClient({ credentials: { get: async () => undefined }, ...extra });
  const name = (repo: string) => `${reg.host}/${repo}`;

  before(async () => {
    reg = await startRegistry();
    work = await mkdtemp(path.join(os.tmpdir(), 'image-trust-regtest-'));
    single = await buildImage(path.join(work, 'single'), { seed: 'single', files: { 'etc/app.conf': 'x=1\n' } });
    await pushImage(single, reg, 'app:1.0');
    multi = await buildImage(path.join(work, 'multi'), {
      seed: 'multi',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
    });
    await pushImage(multi, reg, 'app:multi');
  });

  after(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('resolves a single-platform tag to the digest of the pushed manifest', async () => {
    const rec = recorder();
    const c = client({ onRequest: rec.onRequest });
    const first = await c.resolve(name('app'), '1.0');
    assert.equal(first.digest, single.digest);
    assert.equal(first.mediaType, OCI_MANIFEST);
    assert.equal(first.fromCache, false);
    const again = await c.resolve(name('app'), '1.0');
    assert.equal(again.digest, single.digest);
    assert.equal(again.fromCache, true);
    assert.equal(rec.count('manifest'), 1, 'the second resolve is answered by the cache');

    const m = await c.getManifest(name('app'), single.digest);
    assert.deepEqual(m.body, single.bytes, 'exact bytes as pushed');
    assert.equal(m.digest, single.digest);
    assert.deepEqual((m.json.layers as unknown[]).length, 1);
  });

  it('resolves a multi-platform tag to its index and lists the platforms', async () => {
    const c = client();
    const r = await c.resolve(name('app'), 'multi');
    assert.equal(r.digest, multi.digest);
    assert.equal(r.mediaType, OCI_INDEX);
    const p = await resolvePlatforms(c, name('app'), r.digest);
    assert.equal(p.isIndex, true);
    assert.deepEqual(
      p.platforms.map((x) => [x.os, x.architecture, x.variant, x.digest]),
      [
        ['linux', 'amd64', undefined, multi.manifests[0].digest],
        ['linux', 'arm64', 'v8', multi.manifests[1].digest],
      ],
    );
    const one = await resolvePlatforms(c, name('app'), multi.manifests[1].digest);
    assert.equal(one.isIndex, false);
    assert.deepEqual(one.platforms, []);
  });

  it('sees a moved tag after the TTL expires, or at once with fresh', async () => {
    const a = await buildImage(path.join(work, 'move-a'), { seed: 'move-a' });
    const b = await buildImage(path.join(work, 'move-b'), { seed: 'move-b' });
    assert.notEqual(a.digest, b.digest);
    await pushImage(a, reg, 'moving:stable');
    let now = 1_000_000;
    const c = client({ clock: () => now, tagTtlMs: 60_000 });
    assert.equal((await c.resolve(name('moving'), 'stable')).digest, a.digest);

    await pushImage(b, reg, 'moving:stable');
    now += 30_000;
    const stale = await c.resolve(name('moving'), 'stable');
    assert.equal(stale.digest, a.digest, 'within the TTL the cached answer is reused');
    assert.equal(stale.fromCache, true);
    assert.equal(stale.cacheAgeMs, 30_000);

    const bypass = await c.resolve(name('moving'), 'stable', { fresh: true });
    assert.equal(bypass.digest, b.digest);
    assert.equal(bypass.fromCache, false);

    await pushImage(a, reg, 'moving:stable');
    now += 60_001;
    assert.equal((await c.resolve(name('moving'), 'stable')).digest, a.digest, 'after the TTL the registry is asked again');
  });

  it('distinguishes a digest that does not exist from one that does', async () => {
    const c = client();
    const missing = sha256(Buffer.from('no such manifest'));
    await assert.rejects(c.getManifest(name('app'), missing), isCode('REGISTRY_NOT_FOUND', new RegExp(`${reg.host}.*${missing}.*not found`)));
    await assert.rejects(c.resolve(name('app'), missing), isCode('REGISTRY_NOT_FOUND', /digest not found/));
    assert.equal(await c.manifestExists(name('app'), missing), false);
    assert.equal(await c.manifestExists(name('app'), single.digest), true);
    await assert.rejects(c.resolve(name('app'), 'no-such-tag'), isCode('REGISTRY_NOT_FOUND', /app:no-such-tag not found/));
    await assert.rejects(c.resolve(name('nosuchrepo'), 'latest'), isCode('REGISTRY_NOT_FOUND', new RegExp(reg.host)));
  });

  it('makes one manifest request per distinct ref, and none on a later run sharing the cache directory', async () => {
    const cacheDir = path.join(work, 'cache-count');
    const refs: Array<[string, string]> = [
      [name('app'), '1.0'],
      [name('app'), 'multi'],
      [name('moving'), 'stable'],
    ];
    const rec1 = recorder();
    const c1 = client({ cacheDir, onRequest: rec1.onRequest });
    const first = await Promise.all(refs.map(([n, t]) => c1.resolve(n, t)));
    assert.equal(rec1.count('manifest'), refs.length);
    assert.equal(rec1.count(), refs.length + rec1.count('ping'), 'only manifest requests and the scheme ping');
    await c1.getManifest(name('app'), single.digest);
    await c1.flush();

    const rec2 = recorder();
    const c2 = client({ cacheDir, onRequest: rec2.onRequest });
    const second = await Promise.all(refs.map(([n, t]) => c2.resolve(n, t)));
    assert.deepEqual(second.map((r) => r.digest), first.map((r) => r.digest));
    assert.ok(second.every((r) => r.fromCache));
    const m = await c2.getManifest(name('app'), single.digest);
    assert.deepEqual(m.body, single.bytes);
    assert.equal(rec2.count(), 0, `no request at all, got ${JSON.stringify(rec2.requests)}`);
  });

  it('re-verifies cached content and refetches a tampered copy', async () => {
    const cacheDir = path.join(work, 'cache-tamper');
    const c1 = client({ cacheDir });
    await c1.getManifest(name('app'), single.digest);
    await c1.flush();
    const objects = path.join(cacheDir, 'objects', 'sha256');
    const [file] = await readdir(objects);
    assert.equal(`sha256:${file}`, single.digest);
    await writeFile(path.join(objects, file), '{"tampered":true}');

    const rec = recorder();
    const c2 = client({ cacheDir, onRequest: rec.onRequest });
    const m = await c2.getManifest(name('app'), single.digest);
    assert.deepEqual(m.body, single.bytes);
    assert.equal(rec.count('manifest'), 1);
  });

  it('offline: answers from the cache whatever its age, and fails with OFFLINE on a miss', async () => {
    const cacheDir = path.join(work, 'cache-offline');
    const online = client({ cacheDir });
    await online.resolve(name('app'), '1.0');
    await online.flush();

    const rec = recorder();
    const later = Date.now() + 24 * 3600_000;
    const offline = client({ cacheDir, offline: true, onRequest: rec.onRequest, clock: () => later });
    const r = await offline.resolve(name('app'), '1.0');
    assert.equal(r.digest, single.digest);
    assert.equal(r.fromCache, true);
    assert.ok(r.cacheAgeMs >= 24 * 3600_000 - 60_000);
    await assert.rejects(offline.resolve(name('app'), 'multi'), isCode('OFFLINE', /not in cache; run without --offline once/));
    await assert.rejects(offline.getManifest(name('app'), multi.digest), isCode('OFFLINE', /not in cache/));
    await assert.rejects(offline.getReferrers(name('app'), single.digest), isCode('OFFLINE'));
    assert.equal(rec.count(), 0);
  });

  it('shares one request among concurrent identical resolves', async () => {
    const rec = recorder();
    const c = client({ onRequest: rec.onRequest });
    const results = await Promise.all(Array.from({ length: 10 }, () => c.resolve(name('app'), 'multi')));
    assert.ok(results.every((r) => r.digest === multi.digest));
    assert.equal(rec.count('manifest'), 1);
    const manifests = await Promise.all(Array.from({ length: 5 }, () => c.getManifest(name('app'), multi.manifests[0].digest)));
    assert.ok(manifests.every((m) => m.body.equals(multi.manifests[0].bytes)));
    assert.equal(rec.count('manifest'), 2);
  });

  it('finds referrers through the tag schema fallback (this registry has no referrers API)', async () => {
    const subject = single.digest;
    const referrers = {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: multi.manifests[0].digest, size: multi.manifests[0].bytes.length, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
        { mediaType: OCI_MANIFEST, digest: multi.manifests[1].digest, size: multi.manifests[1].bytes.length, artifactType: 'application/spdx+json', annotations: { a: 'b' } },
        { mediaType: OCI_MANIFEST, digest: 'not-a-digest', size: 1 },
      ],
    };
    await seedManifest(reg.storageDir, 'app', `sha256-${subject.slice(7)}`, Buffer.from(JSON.stringify(referrers)));
    const rec = recorder();
    const c = client({ onRequest: rec.onRequest });
    const all = await c.getReferrers(name('app'), subject);
    assert.equal(all.source, 'tag-schema');
    assert.deepEqual(all.manifests.map((d) => d.digest), [multi.manifests[0].digest, multi.manifests[1].digest], 'malformed entries dropped');
    assert.deepEqual(all.manifests[1].annotations, { a: 'b' });
    assert.equal(rec.count('referrers'), 1, 'the API was tried first');

    const bundles = await c.getReferrers(name('app'), subject, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.deepEqual(bundles.manifests.map((d) => d.digest), [multi.manifests[0].digest]);

    const none = await c.getReferrers(name('app'), multi.digest);
    assert.deepEqual(none, { manifests: [], source: 'none' });
  });

  it('fetches blobs checked against their digest and size cap', async () => {
    const c = client();
    const layer = (JSON.parse(single.bytes.toString()).layers as Array<{ digest: string; size: number }>)[0];
    const blob = await c.getBlob(name('app'), layer.digest, 1024 * 1024);
    assert.equal(sha256(blob), layer.digest);
    await assert.rejects(client().getBlob(name('app'), layer.digest, layer.size - 1), isCode('TOO_LARGE'));
    await assert.rejects(c.getBlob(name('app'), sha256(Buffer.from('nope')), 1024), isCode('REGISTRY_NOT_FOUND', /blob/));
  });

  it('refuses content that does not hash to its digest (storage tampered behind the registry)', async () => {
    const real = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(Buffer.from('c')), size: 1 }, layers: [] }));
    const digest = await seedManifest(reg.storageDir, 'tampered', 'v1', real);
    const forged = Buffer.from(real.toString().replace('"layers":[]', '"layers":[ ]'));
    const hex = digest.slice(7);
    await writeFile(path.join(reg.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data'), forged);
    const c = client();
    await assert.rejects(c.getManifest(name('tampered'), digest), isCode('DIGEST_MISMATCH', new RegExp(reg.host)));
    await assert.rejects(c.getManifest(name('tampered'), 'v1'), isCode('DIGEST_MISMATCH'));
  });
});
