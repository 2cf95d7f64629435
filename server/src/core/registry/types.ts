// Contract between the registry client and its users (resolve/pin, signature discovery). No I/O here.

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ResolvedTag {
  /** `sha256:<hex>` of the manifest (or index) the tag points to now. */
  digest: string;
  mediaType: string;
  /** True when the answer came from the cache; `cacheAgeMs` says how old it is. */
  fromCache: boolean;
  cacheAgeMs: number;
}

export interface ManifestResult {
  digest: string;
  mediaType: string;
  /** Exact bytes as served; their sha256 equals `digest` (checked). */
  body: Buffer;
  /** Parsed JSON of `body`. */
  json: Record<string, unknown>;
}

export interface ReferrersResult {
  manifests: Descriptor[];
  /** Where they were found: the OCI referrers API or the referrers tag schema fallback (`sha256-<hex>`). */
  source: 'api' | 'tag-schema' | 'none';
}

/** Per-call options. */
export interface RequestOptions {
  signal?: AbortSignal;
  /**
   * Ignore cached answers that can go stale (tag → digest, referrer lists) and ask the registry; the fresh answer
   * replaces the cached one. Content addressed by digest is still served from the cache.
   */
  fresh?: boolean;
}

/** What the rest of the core needs from a registry. `name` is a fully qualified name, e.g. `docker.io/library/nginx`. */
export interface RegistryReader {
  resolve(name: string, tagOrDigest: string, opts?: RequestOptions): Promise<ResolvedTag>;
  getManifest(name: string, tagOrDigest: string, opts?: RequestOptions): Promise<ManifestResult>;
  /** A blob, refused over `maxBytes`, sha256 checked against `digest`. */
  getBlob(name: string, digest: string, maxBytes: number, opts?: RequestOptions): Promise<Buffer>;
  getReferrers(name: string, digest: string, artifactType?: string, opts?: RequestOptions): Promise<ReferrersResult>;
}
