// Asks the registry what each reference's tag points to now: the digest to pin, the platforms of an index, and for
// pinned references whether the tag moved under the pin or the pinned digest is gone. Compares like with like: a pin
// to one platform's manifest that is still inside the tag's current index is not drift.
import { ImageTrustError } from './errors';
import type { Finding } from './findings';
import { RULES } from './findings';
import { findPlatform, resolvePlatforms, type PlatformManifest } from './registry/platforms';
import type { RegistryClient } from './registry/client';
import type { ImageRef } from './types';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Resolution {
  /** What the tag (or implicit `latest`) points to now; absent for digest-only references. */
  tagDigest?: string;
  tagMediaType?: string;
  /** Platforms of the tag's index (empty when the tag names a single manifest). */
  platforms: PlatformManifest[];
  /** For pinned references: the pinned digest exists in the repository. */
  digestExists?: boolean;
  /** For pinned references with a tag: the tag now names different bytes than the pin (like compared with like). */
  drift?: boolean;
  /** The pin names one platform's manifest inside the tag's index. */
  pinnedPlatform?: PlatformManifest;
  /** The digest a pin should be updated to (same kind as the pin: index for index, same platform for platform). */
  updateDigest?: string;
  fromCache: boolean;
  cacheAgeMs: number;
  error?: { code: string; message: string };
}

export function platformLabel(p: PlatformSpec): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

export function parsePlatform(s: string): PlatformSpec {
  const [os, architecture, variant] = s.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

function failure(err: unknown): Resolution {
  const e = err instanceof ImageTrustError ? err : new ImageTrustError('REGISTRY_BAD_RESPONSE', String((err as Error)?.message ?? err));
  return { platforms: [], fromCache: false, cacheAgeMs: 0, error: { code: e.code, message: e.message } };
}

/** Resolve one reference. Never throws: failures are returned in `error`. Templated/invalid refs are not asked. */
export async function resolveReference(client: RegistryClient, ref: ImageRef, opts: { signal?: AbortSignal } = {}): Promise<Resolution | null> {
  const p = ref.parsed;
  if (!p || ref.status === 'templated' || ref.status === 'invalid') return null;
  try {
    const out: Resolution = { platforms: [], fromCache: true, cacheAgeMs: 0 };
    if (p.tag !== null || !p.digest) {
      const tag = await client.resolve(p.name, p.tag ?? 'latest', opts);
      out.tagDigest = tag.digest;
      out.tagMediaType = tag.mediaType;
      out.fromCache = tag.fromCache;
      out.cacheAgeMs = tag.cacheAgeMs;
      if (isIndexType(tag.mediaType)) out.platforms = (await resolvePlatforms(client, p.name, tag.digest, opts)).platforms;
    }
    if (p.digest) {
      if (out.tagDigest === p.digest) {
        out.digestExists = true;
        out.drift = false;
      } else {
        out.digestExists = await client.manifestExists(p.name, p.digest, opts);
        if (out.tagDigest && out.digestExists) {
          out.pinnedPlatform = out.platforms.find((pl) => pl.digest === p.digest);
          out.drift = !out.pinnedPlatform;
          if (out.drift) out.updateDigest = await samePlatformDigest(client, p.name, p.digest, out, opts);
        } else if (out.tagDigest) {
          out.drift = true;
          out.updateDigest = out.tagDigest;
        }
      }
    }
    return out;
  } catch (err) {
    return failure(err);
  }
}

function isIndexType(mediaType: string): boolean {
  return mediaType === 'application/vnd.oci.image.index.v1+json' || mediaType === 'application/vnd.docker.distribution.manifest.list.v2+json';
}

/**
 * The digest an outdated pin should move to, keeping its kind: an index pin moves to the new index; a pin to one
 * platform's manifest moves to the same platform's manifest in the new index (replacing a platform pin with an index
 * digest breaks builds that relied on it).
 */
async function samePlatformDigest(client: RegistryClient, name: string, pinned: string, r: Resolution, opts: { signal?: AbortSignal }): Promise<string | undefined> {
  if (!r.tagDigest) return undefined;
  const pinnedManifest = await client.getManifest(name, pinned, opts);
  if (isIndexType(pinnedManifest.mediaType) || r.platforms.length === 0) return r.tagDigest;
  const configDigest = (pinnedManifest.json.config as { digest?: string } | undefined)?.digest;
  if (!configDigest) return undefined;
  const config = JSON.parse((await client.getBlob(name, configDigest, 1024 * 1024, opts)).toString('utf8')) as { os?: string; architecture?: string; variant?: string };
  if (!config.os || !config.architecture) return undefined;
  return findPlatform(r.platforms, { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })?.digest;
}

/** The digest a "pin" should write for this reference: the index by default, or one platform's manifest. */
export function pinTarget(r: Resolution, platform?: PlatformSpec): { digest: string } | { error: string } {
  if (r.error) return { error: r.error.message };
  if (!r.tagDigest) return { error: 'no tag to resolve' };
  if (!platform) return { digest: r.tagDigest };
  if (r.platforms.length === 0) return { digest: r.tagDigest };
  const hit = findPlatform(r.platforms, platform);
  if (!hit) return { error: `no ${platformLabel(platform)} image (the tag offers ${r.platforms.map(platformLabel).join(', ')})` };
  return { digest: hit.digest };
}

function short(d: string | null | undefined): string {
  return d ? `${d.slice(0, 19)}…` : '?';
}

/** Findings that need the registry (tag-moved, digest-not-found, resolve-failed, single-platform-pin), before settings. */
export function resolutionFindings(ref: ImageRef, r: Resolution | null): Finding[] {
  if (!r || !ref.parsed) return [];
  const out: Finding[] = [];
  const add = (code: string, message: string) => {
    out.push({ code, severity: RULES[code]?.defaultSeverity ?? 'warning', message, range: ref.range });
  };
  const name = ref.parsed.familiar;
  if (r.error) {
    // Offline by choice: a cache miss is not news. Stay calm.
    if (r.error.code === 'OFFLINE') return out;
    add('resolve-failed', `Could not check ${name}: ${r.error.message}`);
    return out;
  }
  if (ref.parsed.digest && r.digestExists === false) {
    const hint = r.tagDigest ? ` (the tag ${ref.parsed.tag ?? 'latest'} points to ${short(r.tagDigest)})` : '';
    add('digest-not-found', `The pinned digest ${short(ref.parsed.digest)} does not exist in ${ref.parsed.name}; pulling this image will fail. Pin a digest that exists${hint}.`);
  } else if (r.drift) {
    add('tag-moved', `The tag ${ref.parsed.tag} of ${ref.parsed.name} now points to ${short(r.tagDigest)}, not the pinned ${short(ref.parsed.digest)}. An unexpected move may be a swapped image: check why before updating the pin.`);
  }
  if (r.pinnedPlatform && r.platforms.length > 1) {
    const others = r.platforms.filter((p) => p.digest !== r.pinnedPlatform!.digest).map(platformLabel);
    add('single-platform-pin', `${name} is pinned to the ${platformLabel(r.pinnedPlatform)} image only, while the tag is a multi-platform index; the pin gives up ${others.join(', ')}.`);
  }
  return out;
}
