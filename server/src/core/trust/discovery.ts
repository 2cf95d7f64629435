// Finds signatures and attestations of one image digest: cosign's tag scheme (`sha256-<hex>.sig/.att/.sbom`) and
// OCI referrers (API or tag-schema fallback). Every fetch is bounded; any failure other than "not found" makes the
// result incomplete, so that callers never read "unsigned" into "could not look".

import { ImageTrustError } from '../errors';
import type { Descriptor, RegistryReader } from '../registry/types';
import { isCosignAttestationLayer, isCosignSignatureLayer, type CosignLayer } from './cosign';
import type { NotationEnvelope } from './notation';
import type { FoundIn } from './status';

export const ARTIFACT_TYPES = {
  sigstoreBundlePrefix: 'application/vnd.dev.sigstore.bundle',
  notation: 'application/vnd.cncf.notary.signature',
  cosignSignature: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  cosignAttestation: 'application/vnd.dev.cosign.artifact.att.v1+json',
} as const;

export type DiscoveredItem =
  | { kind: 'cosign-signature'; layer: CosignLayer; foundIn: FoundIn; manifestDigest: string }
  | { kind: 'cosign-attestation'; layer: CosignLayer; foundIn: FoundIn; manifestDigest: string }
  | { kind: 'sigstore-bundle'; bundle: Buffer; foundIn: FoundIn; manifestDigest: string }
  /** `envelope` is absent when the manifest holds no single envelope layer; `problem` then says what it holds. */
  | { kind: 'notation'; envelope?: NotationEnvelope; problem?: string; foundIn: FoundIn; manifestDigest: string }
  /** Unsigned attachments (SBOM documents, other referrers): reported, never counted as signatures. */
  | { kind: 'artifact'; artifactType: string; foundIn: FoundIn; manifestDigest: string };

export interface DiscoveryResult {
  name: string;
  digest: string;
  items: DiscoveredItem[];
  /** The image manifest bytes, fetched when a message-signature bundle may need them. */
  subjectManifest?: Buffer;
  /** False when a place could not be searched or an artifact could not be read completely. */
  complete: boolean;
  errors: string[];
}

export interface DiscoveryOptions {
  signal?: AbortSignal;
  /** Largest signature layer or bundle read (default 1 MiB). */
  maxSignatureBytes?: number;
  /** Largest attestation layer read (default 8 MiB: SBOM attestations are big). */
  maxAttestationBytes?: number;
  /** Layers read per signature manifest (default 32). */
  maxLayers?: number;
  /** Referrers examined (default 64). */
  maxReferrers?: number;
}

const MIB = 1024 * 1024;
const PARALLEL_FETCHES = 4;

export async function discoverSignatures(reader: RegistryReader, name: string, digest: string, opts: DiscoveryOptions = {}): Promise<DiscoveryResult> {
  const result: DiscoveryResult = { name, digest, items: [], complete: true, errors: [] };
  const ctx: Context = {
    reader,
    name,
    result,
    signal: opts.signal,
    limits: {
      signatureBytes: opts.maxSignatureBytes ?? MIB,
      attestationBytes: opts.maxAttestationBytes ?? 8 * MIB,
      layers: opts.maxLayers ?? 32,
      referrers: opts.maxReferrers ?? 64,
    },
  };
  await Promise.all([searchCosignTags(ctx, digest), searchReferrers(ctx, digest)]);
  if (result.items.some((i) => i.kind === 'sigstore-bundle')) await fetchSubjectManifest(ctx, digest);
  return result;
}

interface Context {
  reader: RegistryReader;
  name: string;
  result: DiscoveryResult;
  signal?: AbortSignal;
  limits: { signatureBytes: number; attestationBytes: number; layers: number; referrers: number };
}

/** `sha256:<hex>` → `sha256-<hex>`, the tag cosign and the referrers fallback use. */
export function digestTag(digest: string): string {
  return digest.replace(':', '-');
}

async function searchCosignTags(ctx: Context, digest: string): Promise<void> {
  const base = digestTag(digest);
  await Promise.all([
    readCosignManifest(ctx, `${base}.sig`, 'cosign-tag'),
    readCosignManifest(ctx, `${base}.att`, 'cosign-tag'),
    readCosignManifest(ctx, `${base}.sbom`, 'cosign-tag'),
  ]);
}

/** Reads a cosign-style manifest (by tag or digest) and collects its signature and attestation layers. */
async function readCosignManifest(ctx: Context, tagOrDigest: string, foundIn: FoundIn): Promise<void> {
  let manifest;
  try {
    manifest = await ctx.reader.getManifest(ctx.name, tagOrDigest, { signal: ctx.signal });
  } catch (err) {
    if (!isNotFound(err)) incomplete(ctx, `${tagOrDigest}: ${message(err)}`);
    return;
  }
  const layers = descriptorsOf(manifest.json.layers);
  if (layers.length > ctx.limits.layers) incomplete(ctx, `${tagOrDigest}: ${layers.length} layers, only the first ${ctx.limits.layers} were read`);
  await mapLimited(layers.slice(0, ctx.limits.layers), async (layer) => {
    const signature = isCosignSignatureLayer(layer);
    const attestation = !signature && isCosignAttestationLayer(layer);
    if (!signature && !attestation) {
      if (tagOrDigest.endsWith('.sbom')) ctx.result.items.push({ kind: 'artifact', artifactType: layer.mediaType, foundIn, manifestDigest: manifest.digest });
      return;
    }
    const payload = await readBlob(ctx, layer, signature ? ctx.limits.signatureBytes : ctx.limits.attestationBytes, tagOrDigest);
    if (!payload) return;
    const cosignLayer: CosignLayer = { mediaType: layer.mediaType, payload, annotations: layer.annotations ?? {} };
    ctx.result.items.push({ kind: signature ? 'cosign-signature' : 'cosign-attestation', layer: cosignLayer, foundIn, manifestDigest: manifest.digest });
  });
}

async function searchReferrers(ctx: Context, digest: string): Promise<void> {
  let referrers;
  try {
    referrers = await ctx.reader.getReferrers(ctx.name, digest, undefined, { signal: ctx.signal });
  } catch (err) {
    if (!isNotFound(err)) incomplete(ctx, `referrers of ${digest}: ${message(err)}`);
    return;
  }
  if (referrers.source === 'none') return;
  const foundIn: FoundIn = referrers.source === 'api' ? 'referrers-api' : 'referrers-tag-schema';
  const all = referrers.manifests;
  if (all.length > ctx.limits.referrers) incomplete(ctx, `${all.length} referrers, only the first ${ctx.limits.referrers} were read`);
  await mapLimited(all.slice(0, ctx.limits.referrers), (descriptor) => readReferrer(ctx, descriptor, foundIn));
}

async function readReferrer(ctx: Context, descriptor: Descriptor, foundIn: FoundIn): Promise<void> {
  const artifactType = descriptor.artifactType ?? '';
  const manifestDigest = descriptor.digest;
  if (artifactType.startsWith(ARTIFACT_TYPES.sigstoreBundlePrefix)) return readBundleReferrer(ctx, descriptor, foundIn);
  if (artifactType === ARTIFACT_TYPES.notation) return readNotationReferrer(ctx, descriptor, foundIn);
  if (artifactType === ARTIFACT_TYPES.cosignSignature || artifactType === ARTIFACT_TYPES.cosignAttestation) {
    return readCosignManifest(ctx, manifestDigest, foundIn);
  }
  ctx.result.items.push({ kind: 'artifact', artifactType: artifactType || descriptor.mediaType, foundIn, manifestDigest });
}

/** cosign 3 / sigstore-go style: the bundle JSON is the (single) layer blob of the referrer manifest. */
async function readBundleReferrer(ctx: Context, descriptor: Descriptor, foundIn: FoundIn): Promise<void> {
  let manifest;
  try {
    manifest = await ctx.reader.getManifest(ctx.name, descriptor.digest, { signal: ctx.signal });
  } catch (err) {
    incomplete(ctx, `bundle ${descriptor.digest}: ${message(err)}`);
    return;
  }
  const layers = descriptorsOf(manifest.json.layers);
  const layer = layers.find((l) => l.mediaType.startsWith(ARTIFACT_TYPES.sigstoreBundlePrefix)) ?? (layers.length === 1 ? layers[0] : undefined);
  if (!layer) {
    incomplete(ctx, `bundle ${descriptor.digest}: no bundle layer in the manifest`);
    return;
  }
  const bundle = await readBlob(ctx, layer, ctx.limits.signatureBytes, descriptor.digest);
  if (bundle) ctx.result.items.push({ kind: 'sigstore-bundle', bundle, foundIn, manifestDigest: descriptor.digest });
}

/** Notary Project: the signature envelope (JWS or COSE) is the single layer blob of the signature manifest. */
async function readNotationReferrer(ctx: Context, descriptor: Descriptor, foundIn: FoundIn): Promise<void> {
  const manifestDigest = descriptor.digest;
  let manifest;
  try {
    manifest = await ctx.reader.getManifest(ctx.name, manifestDigest, { signal: ctx.signal });
  } catch (err) {
    incomplete(ctx, `Notation signature ${manifestDigest}: ${message(err)}`);
    return;
  }
  const layers = descriptorsOf(manifest.json.layers);
  if (layers.length !== 1) {
    const problem = `The Notation signature manifest holds ${layers.length} layers; exactly one signature envelope is expected.`;
    ctx.result.items.push({ kind: 'notation', problem, foundIn, manifestDigest });
    return;
  }
  const bytes = await readBlob(ctx, layers[0], ctx.limits.signatureBytes, `Notation signature ${manifestDigest}`);
  if (bytes) ctx.result.items.push({ kind: 'notation', envelope: { mediaType: layers[0].mediaType, bytes }, foundIn, manifestDigest });
}

async function fetchSubjectManifest(ctx: Context, digest: string): Promise<void> {
  try {
    ctx.result.subjectManifest = (await ctx.reader.getManifest(ctx.name, digest, { signal: ctx.signal })).body;
  } catch (err) {
    // Not a discovery gap: bundles that need the bytes report the error themselves.
    ctx.result.errors.push(`image manifest ${digest}: ${message(err)}`);
  }
}

async function readBlob(ctx: Context, layer: Descriptor, maxBytes: number, where: string): Promise<Buffer | undefined> {
  if (layer.size > maxBytes) {
    incomplete(ctx, `${where}: layer ${layer.digest} is ${layer.size} bytes, over the ${maxBytes}-byte limit`);
    return undefined;
  }
  try {
    return await ctx.reader.getBlob(ctx.name, layer.digest, maxBytes, { signal: ctx.signal });
  } catch (err) {
    incomplete(ctx, `${where}: layer ${layer.digest}: ${message(err)}`);
    return undefined;
  }
}

function descriptorsOf(value: unknown): Descriptor[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (d): d is Descriptor => typeof d === 'object' && d !== null && typeof d.mediaType === 'string' && typeof d.digest === 'string' && typeof d.size === 'number',
  );
}

function incomplete(ctx: Context, error: string): void {
  ctx.result.complete = false;
  ctx.result.errors.push(error);
}

function isNotFound(err: unknown): boolean {
  return err instanceof ImageTrustError && err.code === 'REGISTRY_NOT_FOUND';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs `fn` over `items`, at most PARALLEL_FETCHES at a time, keeping registry load bounded. */
async function mapLimited<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, items.length) }, worker));
}
