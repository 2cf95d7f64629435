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

/** BuildKit marks the attestation manifests it adds to an index with this annotation (and platform unknown/unknown). */
export const ATTESTATION_MANIFEST_ANNOTATION = 'vnd.docker.reference.type';

export interface IndexEntry {
  digest: string;
  mediaType: string;
  platform?: { os: string; architecture: string; variant?: string };
  /** Provably a BuildKit attestation manifest: the annotation says so and its platform is `unknown/unknown`. */
  attestation: boolean;
}

export interface IndexEntries {
  isIndex: boolean;
  entries: IndexEntry[];
  /** Entries that are not well-formed descriptors: a verifier cannot tell what they are, so they fail closed. */
  malformed: number;
}

/**
 * Every entry of an index, for verification. Unlike `resolvePlatforms` (what a user may pin), nothing is dropped
 * here: an entry without a platform can still be pulled (containerd matches it by its config's platform), so only
 * entries that are provably attestation manifests may be skipped by a caller.
 */
export async function listIndexEntries(reader: RegistryReader, name: string, digest: string, opts?: RequestOptions): Promise<IndexEntries> {
  const m = await reader.getManifest(name, digest, opts);
  if (!INDEX_TYPES.includes(m.mediaType) && !INDEX_TYPES.includes(String(m.json.mediaType))) return { isIndex: false, entries: [], malformed: 0 };
  if (!Array.isArray(m.json.manifests)) {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${name}@${digest}: index without a manifests list`);
  }
  const entries: IndexEntry[] = [];
  let malformed = 0;
  for (const item of m.json.manifests) {
    const d = toDescriptor(item);
    if (!d) {
      malformed++;
      continue;
    }
    const unknownPlatform = d.platform?.os === 'unknown' && d.platform.architecture === 'unknown';
    const attestation = unknownPlatform && d.annotations?.[ATTESTATION_MANIFEST_ANNOTATION] === 'attestation-manifest';
    entries.push({ digest: d.digest, mediaType: d.mediaType, ...(d.platform ? { platform: d.platform } : {}), attestation });
  }
  return { isIndex: true, entries, malformed };
}

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_TYPES.includes(mediaType);
}
