// A tiny in-memory RegistryReader for unit tests of signature discovery (not a registry mock for integration tests:
// those run against a real registry). Content-addressed like a registry; failures can be injected per reference.

import crypto from 'node:crypto';
import { ImageTrustError } from '../../server/src/core/errors';
import type { Descriptor, ManifestResult, ReferrersResult, RegistryReader, ResolvedTag } from '../../server/src/core/registry/types';
import type { CosignLayer } from '../../server/src/core/trust/cosign';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export function sha256(data: Buffer | string): string {
  return `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;
}

export class MemoryRegistry implements RegistryReader {
  private readonly manifests = new Map<string, Buffer>();
  private readonly tags = new Map<string, string>();
  private readonly blobs = new Map<string, Buffer>();
  private readonly referrers = new Map<string, Descriptor[]>();
  /** Errors thrown instead of answering, keyed by tag, digest or `referrers`. */
  readonly failures = new Map<string, ImageTrustError>();
  referrersSource: ReferrersResult['source'] = 'api';
  /** Every request, in order, for assertions on what was (not) fetched. */
  readonly requests: string[] = [];

  putBlob(data: Buffer): Descriptor {
    const digest = sha256(data);
    this.blobs.set(digest, data);
    return { mediaType: 'application/octet-stream', digest, size: data.length };
  }

  /** Stores a manifest (exact bytes) and optionally tags it; returns its descriptor. */
  putManifest(json: Record<string, unknown>, tag?: string): Descriptor {
    const body = Buffer.from(JSON.stringify(json));
    const digest = sha256(body);
    this.manifests.set(digest, body);
    if (tag) this.tags.set(tag, digest);
    return { mediaType: String(json.mediaType ?? OCI_MANIFEST), digest, size: body.length };
  }

  putRawManifest(body: Buffer): string {
    const digest = sha256(body);
    this.manifests.set(digest, body);
    return digest;
  }

  /** A manifest whose layers are the given blobs (with media types and annotations), like cosign writes. */
  putArtifact(layers: { mediaType: string; data: Buffer; annotations?: Record<string, string> }[], opts: { tag?: string; artifactType?: string; subject?: string } = {}): Descriptor {
    const config = this.putBlob(Buffer.from('{}'));
    const manifest: Record<string, unknown> = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
      layers: layers.map((l) => ({ ...this.putBlob(l.data), mediaType: l.mediaType, annotations: l.annotations })),
    };
    if (opts.artifactType) manifest.artifactType = opts.artifactType;
    const descriptor = this.putManifest(manifest, opts.tag);
    if (opts.subject) {
      const list = this.referrers.get(opts.subject) ?? [];
      list.push({ ...descriptor, artifactType: opts.artifactType });
      this.referrers.set(opts.subject, list);
    }
    return descriptor;
  }

  /** cosign's `.sig` manifest for `digest` from signature layers. */
  putCosignSignatures(digest: string, layers: CosignLayer[], suffix = 'sig'): Descriptor {
    return this.putArtifact(
      layers.map((l) => ({ mediaType: l.mediaType, data: l.payload, annotations: l.annotations })),
      { tag: `${digest.replace(':', '-')}.${suffix}` },
    );
  }

  async resolve(_name: string, ref: string): Promise<ResolvedTag> {
    const digest = this.lookup(ref);
    return { digest, mediaType: OCI_MANIFEST, fromCache: false, cacheAgeMs: 0 };
  }

  async getManifest(_name: string, ref: string): Promise<ManifestResult> {
    this.requests.push(`manifest ${ref}`);
    const digest = this.lookup(ref);
    const body = this.manifests.get(digest)!;
    const json = JSON.parse(body.toString()) as Record<string, unknown>;
    return { digest, mediaType: typeof json.mediaType === 'string' ? json.mediaType : OCI_MANIFEST, body, json };
  }

  async getBlob(_name: string, digest: string, maxBytes: number): Promise<Buffer> {
    this.requests.push(`blob ${digest}`);
    this.fail(digest);
    const blob = this.blobs.get(digest);
    if (!blob) throw new ImageTrustError('REGISTRY_NOT_FOUND', `blob ${digest} not found`);
    if (blob.length > maxBytes) throw new ImageTrustError('TOO_LARGE', `blob ${digest} is larger than ${maxBytes} bytes`);
    return blob;
  }

  async getReferrers(_name: string, digest: string): Promise<ReferrersResult> {
    this.requests.push(`referrers ${digest}`);
    this.fail('referrers');
    if (this.referrersSource === 'none') return { manifests: [], source: 'none' };
    return { manifests: this.referrers.get(digest) ?? [], source: this.referrersSource };
  }

  private lookup(ref: string): string {
    this.fail(ref);
    const digest = ref.startsWith('sha256:') ? ref : this.tags.get(ref);
    if (!digest || !this.manifests.has(digest)) throw new ImageTrustError('REGISTRY_NOT_FOUND', `manifest ${ref} not found`);
    return digest;
  }

  private fail(key: string): void {
    const failure = this.failures.get(key);
    if (failure) throw failure;
  }
}
