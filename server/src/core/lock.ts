// The trust lock (`.image-trust.lock`): for every pinned digest, the registry objects its verification read — the
// signature manifests, the signature payloads and Sigstore bundles (with their certificates and transparency-log
// proofs), Notation envelopes, attestations, referrer lists, and "not found" answers — so that `scan --verify
// --locked` and the editor verify again, offline, with the same code (`verifyReference` over a RegistryReader backed
// by the lock) and reach the same verdicts as online. Deterministic, sorted JSON: reviewable in a pull request.
//
// How could a lock make something "verified" that is not?
// - The recorded verdict is for people only: it is never read back as a result. Every verdict is derived again from
//   the recorded bytes, by the verifier, under the policy in force now and at the current time (certificate and
//   Notation expiry as online).
// - The lock is content-addressed: a manifest or blob whose bytes do not hash to its digest is refused
//   (DIGEST_MISMATCH), so an edited lock can only lose material (→ not verified), never forge it.
// - A reference whose digest has no entry is verified against nothing (→ error) and gets a `not-in-lock` finding; a
//   lock made under another policy or trusted root gets `lock-policy-changed`. Neither is ever a pass.
import { ImageTrustError } from './errors';
import type { Finding } from './findings';
import { RULES } from './findings';
import type { PolicyLoadResult } from './policy';
import { isDigest, matchesDigest } from './registry/digest';
import type { Descriptor, ManifestResult, ReferrersResult, RegistryReader, RequestOptions, ResolvedTag } from './registry/types';
import type { DigestTrust } from './trust';
import type { SignerIdentity } from './trust/status';
import type { ImageRef } from './types';
import { trustedRootDigest, verifyReference, type ReferenceVerification } from './verification';
import { TOOL_VERSION } from './version';

export const LOCK_FILE = '.image-trust.lock';
export const LOCK_VERSION = 1;

/** Exact bytes: as text when they are UTF-8 that round-trips (JSON documents: reviewable), else base64. */
export type LockedBytes = { mediaType?: string; text: string } | { mediaType?: string; base64: string };

/** What the registry answered while one image was verified. `null`: it answered "not found". */
export interface LockedObjects {
  /** Manifests by digest. */
  manifests: Record<string, LockedBytes | null>;
  /** Blobs by digest (signature payloads, bundles, envelopes, attestations, configs). */
  blobs: Record<string, LockedBytes | null>;
  /** Tags (cosign's `sha256-<hex>.sig/.att/.sbom`, the referrers tag schema) → the digest they named. */
  tags: Record<string, string | null>;
  /** Referrer lists by subject digest. */
  referrers: Record<string, { source: ReferrersResult['source']; manifests: Descriptor[] } | null>;
}

/** The verdict when the lock was made: for reviewers, never read back as a result. */
export interface LockedVerdict {
  status: DigestTrust['status'];
  reason: string;
  validUntil: string | null;
  signatures: { status: string; type: string; signer: string | null; identity: SignerIdentity | null; logIndex: number | null; integratedTime: number | null; foundIn: string }[];
  attestations: { predicateType: string; status: string; signer: string | null; summary: string | null }[];
}

export interface LockedImage {
  name: string;
  digest: string;
  /** The policy rule that applied. */
  rule: string | null;
  /** When this entry was made (kept while the entry does not change). */
  lockedAt: string;
  verdict: LockedVerdict;
  objects: LockedObjects;
}

export interface TrustLock {
  lockVersion: 1;
  /** When the lock was made (kept while its content does not change). */
  created: string;
  tool: string;
  /** sha256 of the policy text (and key files) the lock was made under (`PolicyLoadResult.hash`). */
  policy: { hash: string };
  /** sha256 of the Sigstore trusted root in use. */
  trustedRoot: { sha256: string };
  /** Keyed `<canonical name>@<digest>`. */
  images: Record<string, LockedImage>;
}

export function imageKey(name: string, digest: string): string {
  return `${name}@${digest}`;
}

function emptyObjects(): LockedObjects {
  return { manifests: {}, blobs: {}, tags: {}, referrers: {} };
}

function lockedBytes(bytes: Buffer, mediaType?: string): LockedBytes {
  const text = bytes.toString('utf8');
  const media = mediaType ? { mediaType } : {};
  return Buffer.from(text, 'utf8').equals(bytes) ? { ...media, text } : { ...media, base64: bytes.toString('base64') };
}

function bytesOf(b: LockedBytes): Buffer {
  return 'text' in b ? Buffer.from(b.text, 'utf8') : Buffer.from(b.base64, 'base64');
}

function isNotFound(err: unknown): boolean {
  return err instanceof ImageTrustError && err.code === 'REGISTRY_NOT_FOUND';
}

// ---------------------------------------------------------------------------------------------------------------
// Recording (online) and replaying (offline)

/** Passes every request to `inner` and records the answer (or "not found"): what the lock keeps for one image. */
export class RecordingReader implements RegistryReader {
  readonly objects: LockedObjects = emptyObjects();
  constructor(private readonly inner: RegistryReader) {}

  resolve(name: string, tagOrDigest: string, opts?: RequestOptions): Promise<ResolvedTag> {
    return this.inner.resolve(name, tagOrDigest, opts);
  }

  async getManifest(name: string, tagOrDigest: string, opts?: RequestOptions): Promise<ManifestResult> {
    try {
      const m = await this.inner.getManifest(name, tagOrDigest, opts);
      this.objects.manifests[m.digest] = lockedBytes(m.body, m.mediaType);
      if (!isDigest(tagOrDigest)) this.objects.tags[tagOrDigest] = m.digest;
      return m;
    } catch (err) {
      if (isNotFound(err)) {
        if (isDigest(tagOrDigest)) this.objects.manifests[tagOrDigest] = null;
        else this.objects.tags[tagOrDigest] = null;
      }
      throw err;
    }
  }

  async getBlob(name: string, digest: string, maxBytes: number, opts?: RequestOptions): Promise<Buffer> {
    try {
      const b = await this.inner.getBlob(name, digest, maxBytes, opts);
      this.objects.blobs[digest] = lockedBytes(b);
      return b;
    } catch (err) {
      if (isNotFound(err)) this.objects.blobs[digest] = null;
      throw err;
    }
  }

  async getReferrers(name: string, digest: string, artifactType?: string, opts?: RequestOptions): Promise<ReferrersResult> {
    try {
      const r = await this.inner.getReferrers(name, digest, artifactType, opts);
      if (!artifactType) this.objects.referrers[digest] = { source: r.source, manifests: r.manifests };
      return r;
    } catch (err) {
      if (isNotFound(err) && !artifactType) this.objects.referrers[digest] = null;
      throw err;
    }
  }
}

/**
 * A registry that answers from recorded objects only: no network. Every manifest and blob is checked against its
 * digest; what was never recorded fails with NOT_IN_LOCK (discovery then reports "could not look", never "unsigned").
 */
export class LockReader implements RegistryReader {
  constructor(private readonly objects: LockedObjects, private readonly label = 'the trust lock') {}

  private missing(what: string): ImageTrustError {
    return new ImageTrustError('NOT_IN_LOCK', `${what} is not in ${this.label} (verify online, or run image-trust lock)`);
  }

  private manifest(name: string, digest: string): ManifestResult {
    const entry = this.objects.manifests[digest];
    if (entry === null) throw new ImageTrustError('REGISTRY_NOT_FOUND', `manifest ${digest} not found (recorded in ${this.label})`);
    if (entry === undefined) throw this.missing(`manifest ${digest} of ${name}`);
    const body = bytesOf(entry);
    if (!matchesDigest(body, digest)) throw new ImageTrustError('DIGEST_MISMATCH', `${this.label} holds bytes for manifest ${digest} that do not hash to it (the lock was edited)`);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `manifest ${digest} in ${this.label} is not JSON`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `manifest ${digest} in ${this.label} is not a JSON object`);
    const j = json as Record<string, unknown>;
    const mediaType = entry.mediaType ?? (typeof j.mediaType === 'string' ? j.mediaType : 'application/vnd.oci.image.manifest.v1+json');
    return { digest, mediaType, body, json: j };
  }

  private tag(name: string, tag: string): string {
    const digest = this.objects.tags[tag];
    if (digest === null) throw new ImageTrustError('REGISTRY_NOT_FOUND', `${name}:${tag} not found (recorded in ${this.label})`);
    if (digest === undefined) throw this.missing(`${name}:${tag}`);
    return digest;
  }

  async resolve(name: string, tagOrDigest: string): Promise<ResolvedTag> {
    const m = this.manifest(name, isDigest(tagOrDigest) ? tagOrDigest : this.tag(name, tagOrDigest));
    return { digest: m.digest, mediaType: m.mediaType, fromCache: true, cacheAgeMs: 0 };
  }

  async getManifest(name: string, tagOrDigest: string): Promise<ManifestResult> {
    return this.manifest(name, isDigest(tagOrDigest) ? tagOrDigest : this.tag(name, tagOrDigest));
  }

  async getBlob(name: string, digest: string, maxBytes: number): Promise<Buffer> {
    const entry = this.objects.blobs[digest];
    if (entry === null) throw new ImageTrustError('REGISTRY_NOT_FOUND', `blob ${digest} not found (recorded in ${this.label})`);
    if (entry === undefined) throw this.missing(`blob ${digest} of ${name}`);
    const body = bytesOf(entry);
    if (body.length > maxBytes) throw new ImageTrustError('TOO_LARGE', `blob ${digest} in ${this.label} is larger than ${maxBytes} bytes`);
    if (!matchesDigest(body, digest)) throw new ImageTrustError('DIGEST_MISMATCH', `${this.label} holds bytes for blob ${digest} that do not hash to it (the lock was edited)`);
    return body;
  }

  async getReferrers(name: string, digest: string, artifactType?: string): Promise<ReferrersResult> {
    const entry = this.objects.referrers[digest];
    if (entry === null) throw new ImageTrustError('REGISTRY_NOT_FOUND', `referrers of ${digest} not found (recorded in ${this.label})`);
    if (entry === undefined) throw this.missing(`the referrers of ${name}@${digest}`);
    const manifests = artifactType ? entry.manifests.filter((m) => m.artifactType === artifactType) : entry.manifests;
    return { source: entry.source, manifests };
  }
}

/**
 * The reader that verifies `name@digest` from the lock: the objects of every entry of that repository (a platform
 * manifest's material may have been recorded under its index), or nothing at all when the digest has no entry of its
 * own — then verification fails closed ("not in the trust lock").
 */
export function lockReaderFor(lock: TrustLock, name: string, digest: string): LockReader {
  if (!lock.images[imageKey(name, digest)]) return new LockReader(emptyObjects());
  const merged = emptyObjects();
  for (const image of Object.values(lock.images)) {
    if (image.name !== name) continue;
    for (const part of ['manifests', 'blobs', 'tags', 'referrers'] as const) {
      for (const [k, v] of Object.entries(image.objects[part])) {
        // A real answer wins over a "not found" recorded by another entry.
        const target = merged[part] as Record<string, unknown>;
        if (target[k] === undefined || target[k] === null) target[k] = v;
      }
    }
  }
  return new LockReader(merged);
}

// ---------------------------------------------------------------------------------------------------------------
// Making a lock

function verdictOf(v: ReferenceVerification | null): LockedVerdict {
  const t = v?.trust;
  return {
    status: t?.status ?? 'error',
    reason: v?.policy.error ?? t?.reason ?? 'not verified',
    validUntil: t?.validUntil ?? null,
    signatures: (t?.signatures ?? []).map((s) => ({
      status: s.status,
      type: s.type,
      signer: s.signer ?? null,
      identity: s.identity ?? null,
      logIndex: s.logIndex ?? null,
      integratedTime: s.integratedTime ?? null,
      foundIn: s.foundIn,
    })),
    attestations: (t?.attestations ?? []).map((a) => ({ predicateType: a.predicateType, status: a.status, signer: a.signer ?? null, summary: a.summary?.summary ?? null })),
  };
}

export interface LockedReference {
  entry: LockedImage;
  verification: ReferenceVerification | null;
}

/**
 * Verifies one pinned reference online, without the verification cache (every object must be read to be recorded),
 * and returns its lock entry.
 */
export async function lockReference(reader: RegistryReader, ref: ImageRef, policy: PolicyLoadResult, opts: { now: Date; path?: string; signal?: AbortSignal }): Promise<LockedReference> {
  const p = ref.parsed;
  if (!p?.digest || ref.status !== 'pinned') throw new ImageTrustError('USAGE', `${ref.reference} is not pinned by digest`);
  const recorder = new RecordingReader(reader);
  const verification = await verifyReference(recorder, ref, null, policy, { now: opts.now, path: opts.path, signal: opts.signal });
  return {
    verification,
    entry: { name: p.name, digest: p.digest, rule: verification?.policy.rule ?? null, lockedAt: opts.now.toISOString(), verdict: verdictOf(verification), objects: recorder.objects },
  };
}

/** The trusted-root digest a policy verifies with ('' for a broken policy, which verifies nothing). */
export function lockTrustedRoot(policy: PolicyLoadResult): string {
  return policy.policy && !policy.broken ? trustedRootDigest(policy.policy) : '';
}

/**
 * The lock of `entries`. Times stay as they were in `previous` for what did not change, so running `lock` twice
 * writes the same bytes.
 */
export function buildLock(entries: readonly LockedImage[], policy: PolicyLoadResult, now: Date, previous?: TrustLock | null): TrustLock {
  const images: Record<string, LockedImage> = {};
  for (const e of entries) {
    const key = imageKey(e.name, e.digest);
    const before = previous?.images[key];
    images[key] = before && sameExceptTime(before, e) ? { ...e, lockedAt: before.lockedAt } : e;
  }
  const lock: TrustLock = {
    lockVersion: LOCK_VERSION,
    created: now.toISOString(),
    tool: `image-trust ${TOOL_VERSION}`,
    policy: { hash: policy.hash },
    trustedRoot: { sha256: lockTrustedRoot(policy) },
    images,
  };
  if (previous && serializeLock({ ...lock, created: previous.created, tool: previous.tool }) === serializeLock(previous)) return previous;
  return lock;
}

function sameExceptTime(a: LockedImage, b: LockedImage): boolean {
  return canonicalJson({ ...a, lockedAt: '' }) === canonicalJson({ ...b, lockedAt: '' });
}

// ---------------------------------------------------------------------------------------------------------------
// The file

/** JSON with object keys sorted at every level (arrays keep their order), two-space indent. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function serializeLock(lock: TrustLock): string {
  return `${canonicalJson(lock)}\n`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a lock file; throws ImageTrustError('PARSE_ERROR') naming what is wrong. */
export function parseLock(text: string): TrustLock {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ImageTrustError('PARSE_ERROR', `the trust lock is not JSON: ${(err as Error).message}`);
  }
  const bad = (what: string) => new ImageTrustError('PARSE_ERROR', `the trust lock is malformed: ${what}`);
  if (!isRecord(json)) throw bad('not a JSON object');
  if (json.lockVersion !== LOCK_VERSION) throw bad(`lockVersion is ${JSON.stringify(json.lockVersion)}, this tool reads version ${LOCK_VERSION}`);
  if (typeof json.created !== 'string' || !isRecord(json.policy) || typeof json.policy.hash !== 'string' || !isRecord(json.trustedRoot) || typeof json.trustedRoot.sha256 !== 'string' || !isRecord(json.images)) {
    throw bad('created, policy.hash, trustedRoot.sha256 and images are required');
  }
  for (const [key, image] of Object.entries(json.images)) {
    if (!isRecord(image) || typeof image.name !== 'string' || typeof image.digest !== 'string' || key !== imageKey(image.name, image.digest)) throw bad(`images["${key}"] must name its own name and digest`);
    if (typeof image.lockedAt !== 'string' || !isRecord(image.verdict) || !isRecord(image.objects)) throw bad(`images["${key}"] needs lockedAt, verdict and objects`);
    const o = image.objects;
    if (!isRecord(o.manifests) || !isRecord(o.blobs) || !isRecord(o.tags) || !isRecord(o.referrers)) throw bad(`images["${key}"].objects needs manifests, blobs, tags and referrers`);
    for (const part of [o.manifests, o.blobs]) {
      for (const [d, b] of Object.entries(part)) {
        if (b !== null && !(isRecord(b) && (typeof b.text === 'string' || typeof b.base64 === 'string'))) throw bad(`images["${key}"]: object ${d} has neither text nor base64`);
      }
    }
    for (const [d, r] of Object.entries(o.referrers)) {
      if (r !== null && !(isRecord(r) && typeof r.source === 'string' && Array.isArray(r.manifests))) throw bad(`images["${key}"]: referrers of ${d} are malformed`);
    }
  }
  return json as unknown as TrustLock;
}

// ---------------------------------------------------------------------------------------------------------------
// What the lock says about one reference, and the findings (applied by core/assess.ts)

export type LockFact =
  | { state: 'locked'; lockedAt: string }
  | { state: 'not-in-lock'; reason: string }
  | { state: 'policy-changed'; lockedAt: string; detail: string };

/** Why this lock does not match the policy in force ('' when it does). */
export function lockPolicyMismatch(lock: TrustLock, policy: PolicyLoadResult): string {
  if (lock.policy.hash !== policy.hash) return 'the lock was made under another trust policy (.image-trust.yaml or its key files changed since)';
  const root = lockTrustedRoot(policy);
  if (lock.trustedRoot.sha256 !== root) return 'the lock was made with another Sigstore trusted root';
  return '';
}

export function lockFactFor(lock: TrustLock, ref: ImageRef, policy: PolicyLoadResult): LockFact | null {
  const p = ref.parsed;
  if (!p || ref.status === 'templated' || ref.status === 'invalid') return null;
  if (!p.digest) return { state: 'not-in-lock', reason: `${p.familiar} is not pinned by digest, and the trust lock vouches only for digests` };
  const entry = lock.images[imageKey(p.name, p.digest)];
  if (!entry) return { state: 'not-in-lock', reason: `${p.name}@${p.digest.slice(0, 19)}… is not in the trust lock, so nothing vouches for it offline (run image-trust lock)` };
  const mismatch = lockPolicyMismatch(lock, policy);
  return mismatch ? { state: 'policy-changed', lockedAt: entry.lockedAt, detail: mismatch } : { state: 'locked', lockedAt: entry.lockedAt };
}

/**
 * `not-in-lock` and `lock-policy-changed` findings. `--locked` is a gate the user chose: like an `enforce` policy
 * finding, these are never lowered or silenced by settings or suppression comments (`mode: 'enforce'`), since anyone
 * who can edit a manifest could otherwise wave an unlocked image through.
 */
export function lockFindings(ref: ImageRef, fact: LockFact | null | undefined): Finding[] {
  if (!fact || fact.state === 'locked') return [];
  if (fact.state === 'not-in-lock') {
    return [{ code: 'not-in-lock', severity: RULES['not-in-lock'].defaultSeverity, mode: 'enforce', range: ref.range, message: `${fact.reason}. A reference verified with --locked must be in .image-trust.lock.` }];
  }
  return [{
    code: 'lock-policy-changed',
    severity: RULES['lock-policy-changed'].defaultSeverity,
    mode: 'enforce',
    range: ref.range,
    message: `${fact.detail}: its verdicts were derived again under the current policy, but the lock must be made again (image-trust lock) and reviewed.`,
  }];
}

/** Verifies one reference from the lock (offline, no cache), with the lock fact. */
export async function verifyFromLock(lock: TrustLock, ref: ImageRef, policy: PolicyLoadResult, opts: { now: Date; path?: string }): Promise<{ verification: ReferenceVerification | null; fact: LockFact | null }> {
  const fact = lockFactFor(lock, ref, policy);
  const p = ref.parsed;
  if (!fact || !p) return { verification: null, fact };
  const reader = p.digest ? lockReaderFor(lock, p.name, p.digest) : new LockReader(emptyObjects());
  const verification = await verifyReference(reader, ref, null, policy, { now: opts.now, path: opts.path });
  return { verification, fact };
}
