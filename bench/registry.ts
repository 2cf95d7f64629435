// Resolve 500 distinct tags pushed to a local registry (Debian's docker-registry) against a floor measured in the
// same run: the same 500 HEADs with the same concurrency, issued by a bare loop with Node's fetch. Target ≤ 1.3×;
// a warm second run makes 0 requests in < 50 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRegistryClient } from '../server/src/core/registry';
import { MANIFEST_ACCEPT } from '../server/src/core/registry/client';
import { buildImage, pushImage, registryToolsSkipReason, startRegistry, OCI_MANIFEST } from '../test/support/registry';
import { ratio, row, verdict } from './util';

const TAGS = 500;
const CONCURRENCY = 8;

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

export async function benchRegistry(): Promise<void> {
  console.log(`Registry: resolve ${TAGS} distinct tags (concurrency ${CONCURRENCY} per host)`);
  const skip = registryToolsSkipReason();
  if (skip) return row('registry', 'skipped', skip);
  const dir = mkdtempSync(join(tmpdir(), 'image-trust-bench-'));
  const reg = await startRegistry();
  try {
    const layout = await buildImage(join(dir, 'layout'), { seed: 'bench' });
    await pushImage(layout, reg, 'bench/app:base');
    const manifest = JSON.parse(layout.bytes.toString('utf8'));
    const tags = Array.from({ length: TAGS }, (_, i) => `t${i}`);
    // 500 distinct manifests (one annotation differs) over the same blobs, each under its own tag.
    await pool(tags, CONCURRENCY, async (tag) => {
      const body = JSON.stringify({ ...manifest, annotations: { 'bench.tag': tag } });
      const res = await fetch(`${reg.url}/v2/bench/app/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': OCI_MANIFEST }, body });
      if (res.status !== 201) throw new Error(`PUT ${tag}: HTTP ${res.status}`);
    });

    const floorStart = performance.now();
    await pool(tags, CONCURRENCY, async (tag) => {
      const res = await fetch(`${reg.url}/v2/bench/app/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
      if (!res.headers.get('docker-content-digest')) throw new Error('no digest');
    });
    const floor = performance.now() - floorStart;

    const cacheDir = join(dir, 'cache');
    let requests = 0;
    const cold = createRegistryClient({ cacheDir, concurrencyPerHost: CONCURRENCY, onRequest: () => requests++ });
    const t0 = performance.now();
    const digests = await Promise.all(tags.map((t) => cold.resolve(`${reg.host}/bench/app`, t)));
    const coldMs = performance.now() - t0;
    await cold.flush();
    if (new Set(digests.map((d) => d.digest)).size !== TAGS) throw new Error('expected 500 distinct digests');
    const coldRequests = requests;

    requests = 0;
    const warm = createRegistryClient({ cacheDir, concurrencyPerHost: CONCURRENCY, onRequest: () => requests++ });
    const t1 = performance.now();
    await Promise.all(tags.map((t) => warm.resolve(`${reg.host}/bench/app`, t)));
    const warmMs = performance.now() - t1;

    row(`cold: ${TAGS} resolves (${coldRequests} requests incl. the /v2/ ping)`, `${coldMs.toFixed(1)} ms`);
    row(`floor: ${TAGS} HEADs, bare fetch loop`, `${floor.toFixed(1)} ms`);
    row('cold ratio', ratio(coldMs, floor), `target ≤ 1.3×  ${verdict(coldMs / floor <= 1.3)}`);
    row(`warm second run (new client, same cache dir): ${requests} requests`, `${warmMs.toFixed(1)} ms`, `target 0 requests, < 50 ms  ${verdict(requests === 0 && warmMs < 50)}`);
  } finally {
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
