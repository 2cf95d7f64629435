// Referrers (OCI 1.1): reading the index the referrers API or the tag-schema fallback returns, and paging.

import { ImageTrustError } from '../errors';
import { isDigest } from './digest';
import type { RepositoryLocation } from './hosts';
import type { HttpResponse } from './http';
import type { Descriptor, Platform } from './types';

/** The fallback tag holding a subject's referrers: `sha256-<hex>` (hex cut to 64 characters, per the spec). */
export function referrersTag(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return `${algorithm}-${hex.slice(0, 64)}`;
}

/** Descriptors of an OCI index body, keeping well-formed ones (and only `artifactType` ones when asked). */
export function parseReferrersIndex(host: string, body: Buffer, artifactType?: string): Descriptor[] {
  let json: { manifests?: unknown };
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${host}: referrers answer is not JSON`);
  }
  if (!json || typeof json !== 'object' || !Array.isArray(json.manifests)) {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${host}: referrers answer is not an image index`);
  }
  const out: Descriptor[] = [];
  for (const item of json.manifests) {
    const d = toDescriptor(item);
    if (d && (!artifactType || d.artifactType === artifactType)) out.push(d);
  }
  return out;
}

/** A descriptor with the fields this tool relies on checked; anything malformed is dropped (never trusted). */
export function toDescriptor(item: unknown): Descriptor | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const o = item as Record<string, unknown>;
  if (typeof o.mediaType !== 'string' || typeof o.digest !== 'string' || !isDigest(o.digest)) return undefined;
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) return undefined;
  const d: Descriptor = { mediaType: o.mediaType, digest: o.digest, size: o.size };
  if (typeof o.artifactType === 'string') d.artifactType = o.artifactType;
  if (o.annotations && typeof o.annotations === 'object') {
    const annotations = Object.entries(o.annotations as Record<string, unknown>).filter(([, v]) => typeof v === 'string');
    d.annotations = Object.fromEntries(annotations) as Record<string, string>;
  }
  const platform = toPlatform(o.platform);
  if (platform) d.platform = platform;
  return d;
}

function toPlatform(value: unknown): Platform | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const p = value as Record<string, unknown>;
  if (typeof p.os !== 'string' || typeof p.architecture !== 'string') return undefined;
  return typeof p.variant === 'string' ? { os: p.os, architecture: p.architecture, variant: p.variant } : { os: p.os, architecture: p.architecture };
}

/**
 * The next page of a paged referrers answer (`Link: <…>; rel="next"`), as a path under `/v2/<repo>/`. Links that
 * leave the registry host or the repository's referrers endpoint are refused.
 */
export function nextPageUrl(loc: RepositoryLocation, res: HttpResponse): string | undefined {
  const header = res.headers.link;
  const links = Array.isArray(header) ? header.join(', ') : header;
  if (!links) return undefined;
  const m = /<([^>]*)>\s*;[^,]*\brel="?next"?/i.exec(links);
  if (!m) return undefined;
  const next = new URL(m[1], res.url);
  const prefix = `/v2/${loc.repository}/referrers/`;
  if (next.host !== res.url.host || !next.pathname.startsWith(prefix)) {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${loc.host}: referrers paging link leaves the repository; refused`);
  }
  return `referrers/${next.pathname.slice(prefix.length)}${next.search}`;
}
