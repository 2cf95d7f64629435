// The pure decisions of core/resolve.ts, on in-memory Resolution values (no registry): which registry findings a
// reference gets and what they say, which digest a pin writes, and the platform notation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classify } from '../../server/src/core/analyze';
import type { PlatformManifest } from '../../server/src/core/registry/platforms';
import { parsePlatform, pinTarget, platformLabel, resolutionFindings, type Resolution } from '../../server/src/core/resolve';
import type { ImageRef } from '../../server/src/core/types';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const D = (c: string) => `sha256:${c.repeat(64)}`;
const PIN = D('a');
const NOW = D('b');
const AMD = D('c');
const ARM = D('d');
const ARMV7 = D('e');
const ARMV6 = D('f');
const short = (d: string) => `${d.slice(0, 19)}…`;

const amd64: PlatformManifest = { os: 'linux', architecture: 'amd64', digest: AMD, mediaType: OCI_MANIFEST };
const arm64: PlatformManifest = { os: 'linux', architecture: 'arm64', digest: ARM, mediaType: OCI_MANIFEST };
const armv7: PlatformManifest = { os: 'linux', architecture: 'arm', variant: 'v7', digest: ARMV7, mediaType: OCI_MANIFEST };
const armv6: PlatformManifest = { os: 'linux', architecture: 'arm', variant: 'v6', digest: ARMV6, mediaType: OCI_MANIFEST };

function ref(reference: string, templated = false): ImageRef {
  return classify({ kind: 'compose', range: { start: 7, end: 7 + reference.length }, text: reference, reference, templated });
}

function res(over: Partial<Resolution> = {}): Resolution {
  return { platforms: [], fromCache: false, cacheAgeMs: 0, ...over };
}

describe('resolutionFindings', () => {
  test('tag-moved: tag, repository, both digests shortened, the advice; default warning at the reference', () => {
    const r = ref(`ghcr.io/acme/api:2.1@${PIN}`);
    assert.deepEqual(resolutionFindings(r, res({ tagDigest: NOW, digestExists: true, drift: true, updateDigest: NOW })), [
      {
        code: 'tag-moved',
        severity: 'warning',
        message: `The tag 2.1 of ghcr.io/acme/api now points to ${short(NOW)}, not the pinned ${short(PIN)}. An unexpected move may be a swapped image: check why before updating the pin.`,
        range: r.range,
      },
    ]);
  });

  test('digest-not-found: the missing digest, the repository, what the tag points to now; error', () => {
    const r = ref(`nginx:1.25@${PIN}`);
    assert.deepEqual(resolutionFindings(r, res({ tagDigest: NOW, digestExists: false, drift: true, updateDigest: NOW })), [
      {
        code: 'digest-not-found',
        severity: 'error',
        message: `The pinned digest ${short(PIN)} does not exist in docker.io/library/nginx; pulling this image will fail. Pin a digest that exists (the tag 1.25 points to ${short(NOW)}).`,
        range: r.range,
      },
    ]);
  });

  test(
    'digest-not-found on a digest-only reference does not talk about a tag it never had',
    () => {
      const [f] = resolutionFindings(ref(`nginx@${PIN}`), res({ digestExists: false }));
      assert.equal(f.code, 'digest-not-found');
      assert.doesNotMatch(f.message, /\?\)/);
      assert.doesNotMatch(f.message, /the tag latest points to/);
    },
  );

  test('resolve-failed: the familiar name and the registry’s reason; information', () => {
    const r = ref('localhost:5000/team/app:dev');
    assert.deepEqual(resolutionFindings(r, res({ error: { code: 'REGISTRY_UNREACHABLE', message: 'localhost:5000: connection refused' } })), [
      { code: 'resolve-failed', severity: 'information', message: 'Could not check localhost:5000/team/app:dev: localhost:5000: connection refused', range: r.range },
    ]);
  });

  test('resolve-failed is the only finding when the answer is an error, whatever else the object says', () => {
    const found = resolutionFindings(ref(`nginx:1.25@${PIN}`), res({ error: { code: 'REGISTRY_RATE_LIMITED', message: 'toomanyrequests' }, digestExists: false, drift: true }));
    assert.deepEqual(found.map((f) => f.code), ['resolve-failed']);
  });

  test('single-platform-pin: the pinned platform and every platform given up, in index order; information', () => {
    const r = ref(`nginx:1.25@${ARM}`);
    const found = resolutionFindings(r, res({ tagDigest: NOW, platforms: [amd64, arm64, armv7], digestExists: true, drift: false, pinnedPlatform: arm64 }));
    assert.deepEqual(found, [
      {
        code: 'single-platform-pin',
        severity: 'information',
        message: 'nginx:1.25@sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd is pinned to the linux/arm64 image only, while the tag is a multi-platform index; the pin gives up linux/amd64, linux/arm/v7.',
        range: r.range,
      },
    ]);
  });

  test('a pinned platform of a one-platform index is not single-platform-pin (nothing is given up)', () => {
    assert.deepEqual(resolutionFindings(ref(`nginx:1.25@${AMD}`), res({ tagDigest: NOW, platforms: [amd64], digestExists: true, drift: false, pinnedPlatform: amd64 })), []);
  });

  test('digest-not-found wins over tag-moved (one finding, the one that breaks the pull)', () => {
    const found = resolutionFindings(ref(`nginx:1.25@${PIN}`), res({ tagDigest: NOW, digestExists: false, drift: true }));
    assert.deepEqual(found.map((f) => f.code), ['digest-not-found']);
  });

  test('OFFLINE is calm: no finding at all', () => {
    assert.deepEqual(resolutionFindings(ref('nginx:1.25'), res({ error: { code: 'OFFLINE', message: 'offline and not cached' } })), []);
    assert.deepEqual(resolutionFindings(ref(`nginx:1.25@${PIN}`), res({ error: { code: 'OFFLINE', message: 'offline and not cached' } })), []);
  });

  test('nothing to say: no resolution, an unparsed reference, a pin in agreement, an unpinned tag that resolved', () => {
    assert.deepEqual(resolutionFindings(ref('nginx:1.25'), null), []);
    assert.deepEqual(resolutionFindings(ref('${IMAGE}', true), res({ error: { code: 'REGISTRY_UNREACHABLE', message: 'x' } })), []);
    assert.deepEqual(resolutionFindings(ref('Nginx'), res({ error: { code: 'REGISTRY_UNREACHABLE', message: 'x' } })), []);
    assert.deepEqual(resolutionFindings(ref(`nginx:1.25@${NOW}`), res({ tagDigest: NOW, digestExists: true, drift: false })), []);
    assert.deepEqual(resolutionFindings(ref('nginx:1.25'), res({ tagDigest: NOW, platforms: [amd64, arm64] })), []);
  });
});

describe('pinTarget', () => {
  const index = res({ tagDigest: NOW, platforms: [amd64, arm64, armv6, armv7] });

  test('by default the tag’s digest: the whole index', () => {
    assert.deepEqual(pinTarget(index), { digest: NOW });
  });

  test('a platform: that platform’s manifest', () => {
    assert.deepEqual(pinTarget(index, { os: 'linux', architecture: 'arm64' }), { digest: ARM });
    assert.deepEqual(pinTarget(index, { os: 'linux', architecture: 'amd64' }), { digest: AMD });
  });

  test('a variant is matched exactly when given; without one the first entry of that architecture', () => {
    assert.deepEqual(pinTarget(index, { os: 'linux', architecture: 'arm', variant: 'v7' }), { digest: ARMV7 });
    assert.deepEqual(pinTarget(index, { os: 'linux', architecture: 'arm', variant: 'v6' }), { digest: ARMV6 });
    assert.deepEqual(pinTarget(index, { os: 'linux', architecture: 'arm' }), { digest: ARMV6 });
  });

  test('a platform the index does not offer: an error listing what it offers', () => {
    assert.deepEqual(pinTarget(index, { os: 'linux', architecture: 's390x' }), {
      error: 'no linux/s390x image (the tag offers linux/amd64, linux/arm64, linux/arm/v6, linux/arm/v7)',
    });
    assert.deepEqual(pinTarget(index, { os: 'windows', architecture: 'amd64' }), {
      error: 'no windows/amd64 image (the tag offers linux/amd64, linux/arm64, linux/arm/v6, linux/arm/v7)',
    });
    assert.deepEqual(pinTarget(index, { os: 'linux', architecture: 'arm', variant: 'v8' }), {
      error: 'no linux/arm/v8 image (the tag offers linux/amd64, linux/arm64, linux/arm/v6, linux/arm/v7)',
    });
  });

  test('a tag naming a single manifest: its digest, with or without a platform asked', () => {
    const single = res({ tagDigest: NOW, platforms: [] });
    assert.deepEqual(pinTarget(single), { digest: NOW });
    assert.deepEqual(pinTarget(single, { os: 'linux', architecture: 'arm64' }), { digest: NOW });
  });

  test('an errored resolution: its message; nothing resolved: "no tag to resolve"', () => {
    assert.deepEqual(pinTarget(res({ tagDigest: NOW, error: { code: 'REGISTRY_UNAUTHORIZED', message: 'ghcr.io: unauthorized' } })), { error: 'ghcr.io: unauthorized' });
    assert.deepEqual(pinTarget(res({ digestExists: true })), { error: 'no tag to resolve' });
    assert.deepEqual(pinTarget(res(), { os: 'linux', architecture: 'amd64' }), { error: 'no tag to resolve' });
  });
});

describe('platformLabel and parsePlatform', () => {
  test('labels: os/arch, with the variant when there is one', () => {
    assert.equal(platformLabel({ os: 'linux', architecture: 'amd64' }), 'linux/amd64');
    assert.equal(platformLabel({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'linux/arm/v7');
    assert.equal(platformLabel({ os: 'linux', architecture: 'arm64', variant: '' }), 'linux/arm64');
    assert.equal(platformLabel(armv6), 'linux/arm/v6');
  });

  test('parse: two or three parts; no variant key when there is none', () => {
    assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
    assert.ok(!('variant' in parsePlatform('linux/amd64')));
    assert.deepEqual(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(parsePlatform('windows/amd64'), { os: 'windows', architecture: 'amd64' });
  });

  test('round trip: label(parse(s)) === s', () => {
    for (const s of ['linux/amd64', 'linux/arm64', 'linux/arm/v6', 'linux/arm64/v8', 'windows/amd64']) assert.equal(platformLabel(parsePlatform(s)), s);
  });

  test('a parsed platform finds its pin target', () => {
    const index = res({ tagDigest: NOW, platforms: [amd64, armv7] });
    assert.deepEqual(pinTarget(index, parsePlatform('linux/arm/v7')), { digest: ARMV7 });
  });
});
