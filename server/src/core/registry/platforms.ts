// Platform manifests of an image index: what a multi-platform tag offers (for pinning to one platform, and for
// noticing that a digest pins a single platform of a multi-platform image).

import { ImageTrustError } from '../errors';
import { toDescriptor } from './referrers';
import { MEDIA_TYPES, type RegistryReader, type RequestOptions } from './types';

export interface PlatformManifest {
  os: string;
  architecture: string;
  variant?: string;
  digest: string;
  mediaType: string;
}

export interface PlatformsResult {
  /** True when the digest names an index (OCI index or Docker manifest list). */
  isIndex: boolean;
  mediaType: string;
  /** The index's platform manifests, without attestation entries (`unknown/unknown`); empty for a single manifest. */
  platforms: PlatformManifest[];
}

const INDEX_TYPES: string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList];

export async function resolvePlatforms(reader: RegistryReader, name: string, digest: string, opts?: RequestOptions): Promise<PlatformsResult> {
  const m = await reader.getManifest(name, digest, opts);
  if (!INDEX_TYPES.includes(m.mediaType)) return { isIndex: false, mediaType: m.mediaType, platforms: [] };
  if (!Array.isArray(m.json.manifests)) {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${name}@${digest}: index without a manifests list`);
  }
  const platforms: PlatformManifest[] = [];
  for (const item of m.json.manifests) {
    const d = toDescriptor(item);
    // BuildKit stores attestations in the index as `unknown/unknown` entries: they are not runnable platforms.
    if (!d?.platform || d.platform.os === 'unknown' || d.platform.architecture === 'unknown') continue;
    platforms.push({ ...d.platform, digest: d.digest, mediaType: d.mediaType });
  }
  return { isIndex: true, mediaType: m.mediaType, platforms };
}

/** The entry of `platforms` matching `wanted` (variant compared only when asked for). */
export function findPlatform(platforms: PlatformManifest[], wanted: { os: string; architecture: string; variant?: string }): PlatformManifest | undefined {
  return platforms.find(
    (p) => p.os === wanted.os && p.architecture === wanted.architecture && (wanted.variant === undefined || p.variant === wanted.variant),
  );
}
