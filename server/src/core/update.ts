// Trust-gated digest updates (`image-trust update`, the editor's "Update pin"): a reference pinned as `tag@digest`
// whose tag moved is updated only when the candidate (the tag's new digest, of the same kind as the pin) verifies
// under the policy with the same verifier as every other check (`verifyReference`), is signed by the same signer as
// the current pin (unless the caller allows a change), is old enough (`minAgeMs`), and stays the same kind of pin
// (index → index, one platform → the same platform). Every decision says why and what changed.
//
// How could this accept an update it should not? Each gate fails closed:
// - the candidate is judged by `verifyReference` on exactly the digest that is written (`to`), without the
//   verification cache (a fresh look), and only `verified` passes: exceptions, audit rules without signers, a
//   broken policy or an `off` rule never make a candidate acceptable;
// - "same signer" needs a verified signature of the current pin and of the candidate by one identity (key
//   fingerprint, keyless subject + issuer, …); a pin without a verified signer has no signer to be the same as, so it
//   is refused unless the caller allows a signer change;
// - an age that cannot be read, or that is implausible (before 2013, such as the 1970 of reproducible builds, or in
//   the future), is unknown, and an unknown age fails a minimum age; times come only from content bound to the digest
//   (config, manifest annotations) or from provenance that verified, and the youngest one counts;
// - anything that cannot be read (manifest, config, registry error) refuses the candidate.
import type { Resolution } from './resolve';
import { platformLabel, resolveReference, type PlatformSpec } from './resolve';
import type { PolicyLoadResult } from './policy';
import type { RegistryClient } from './registry/client';
import { isIndexMediaType, listIndexEntries } from './registry/platforms';
import type { RegistryReader } from './registry/types';
import { pinEdit, type TextEdit } from './edits';
import { resolutionKey } from './pinning';
import type { AttestationResult, DigestTrust } from './trust';
import type { SbomPackage } from './trust/attestations';
import { describeIdentity, identityKey, type SignerIdentity } from './trust/status';
import type { ImageRef } from './types';
import { verifyReference, type ReferenceVerification } from './verification';

// ---------------------------------------------------------------------------------------------------------------
// Durations

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--min-age`: a whole number and a unit, `30m`, `12h`, `7d`, `2w`; `0` means no minimum. Undefined when malformed. */
export function parseMinAge(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  const m = /^(\d{1,6})([mhdw])$/.exec(t);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/** A duration for people: `45 min`, `5 hours`, `12 days`. */
export function formatDuration(ms: number): string {
  if (ms < 3_600_000) return `${Math.max(0, Math.floor(ms / 60_000))} min`;
  if (ms < 2 * 86_400_000) {
    const h = Math.floor(ms / 3_600_000);
    return `${h} hour${h === 1 ? '' : 's'}`;
  }
  return `${Math.floor(ms / 86_400_000)} days`;
}

// ---------------------------------------------------------------------------------------------------------------
// What an image says about itself: kind, platform, creation times

export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
/** No container image predates Docker's first release (March 2013): an earlier time is a placeholder (1970, 1980). */
export const EARLIEST_PLAUSIBLE = Date.parse('2013-03-13T00:00:00Z');
/** Clocks differ a little; a creation time further in the future than this is implausible. */
export const FUTURE_SLACK_MS = 5 * 60_000;
/** Platform manifests of an index whose configs are read for their creation time. */
const MAX_INDEX_CONFIGS = 16;
const MAX_CONFIG_BYTES = 1024 * 1024;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A creation time the image (or its provenance) claims, and where it was read. */
export interface TimeClaim {
  /** Where it was read, e.g. `config created`, `config created (linux/arm64)`, `annotation org.opencontainers.image.created`, `provenance build finished`. */
  source: string;
  value: string;
}

export interface ImageDescription {
  digest: string;
  kind: 'index' | 'manifest';
  mediaType: string;
  /** The platform of a single manifest (from its config); undefined for an index or when the config names none. */
  platform?: PlatformSpec;
  claims: TimeClaim[];
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

async function readConfig(reader: RegistryReader, name: string, manifestJson: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const digest = str(rec(manifestJson.config).digest);
  if (!digest) throw new Error('the manifest names no config');
  const bytes = await reader.getBlob(name, digest, MAX_CONFIG_BYTES, { signal });
  try {
    return rec(JSON.parse(bytes.toString('utf8')));
  } catch {
    throw new Error(`the config ${digest.slice(0, 19)}… is not JSON`);
  }
}

function platformOf(config: Record<string, unknown>): PlatformSpec | undefined {
  const os = str(config.os);
  const architecture = str(config.architecture);
  if (!os || !architecture) return undefined;
  const variant = str(config.variant);
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * Reads what the image bytes say (every read checked against its digest by the reader): index or single manifest,
 * the platform of a manifest, and the creation times in its config(s) and annotations. Throws when something
 * cannot be read: a candidate that cannot be described is refused.
 */
export async function describeImage(reader: RegistryReader, name: string, digest: string, signal?: AbortSignal): Promise<ImageDescription> {
  const m = await reader.getManifest(name, digest, { signal });
  const claims: TimeClaim[] = [];
  const annotation = str(rec(m.json.annotations)[CREATED_ANNOTATION]);
  if (annotation) claims.push({ source: `annotation ${CREATED_ANNOTATION}`, value: annotation });
  const index = isIndexMediaType(m.mediaType) || isIndexMediaType(String(m.json.mediaType));
  if (!index) {
    const config = await readConfig(reader, name, m.json, signal);
    const created = str(config.created);
    if (created) claims.unshift({ source: 'config created', value: created });
    const platform = platformOf(config);
    return { digest, kind: 'manifest', mediaType: m.mediaType, ...(platform ? { platform } : {}), claims };
  }
  const listed = await listIndexEntries(reader, name, digest, { signal });
  const entries = listed.entries.filter((e) => !e.attestation && !isIndexMediaType(e.mediaType)).slice(0, MAX_INDEX_CONFIGS);
  for (const e of entries) {
    const pm = await reader.getManifest(name, e.digest, { signal });
    const config = await readConfig(reader, name, pm.json, signal);
    const created = str(config.created);
    const label = e.platform ? platformLabel(e.platform) : platformLabel(platformOf(config) ?? { os: '?', architecture: '?' });
    if (created) claims.push({ source: `config created (${label})`, value: created });
  }
  return { digest, kind: 'index', mediaType: m.mediaType, claims };
}

/** One claimed time, judged. */
export interface AgeSource extends TimeClaim {
  /** The time, when it is readable and plausible; null otherwise (`note` says why). */
  time: string | null;
  note?: string;
}

export interface ImageAge {
  /** The youngest plausible claimed time; null when none is (the age is unknown). */
  time: string | null;
  ageMs: number | null;
  /** The source of `time`. */
  source: string | null;
  sources: AgeSource[];
}

/**
 * The age of an image from its claimed creation times: the youngest plausible one counts (one old-looking field
 * cannot make a new image look old). Unreadable times and implausible ones — before 2013 (reproducible builds write
 * 1970), or in the future — are listed with the reason and do not count; with none left the age is unknown.
 */
export function ageOf(claims: readonly TimeClaim[], now: Date): ImageAge {
  const sources: AgeSource[] = claims.map((c) => {
    if (!RFC3339.test(c.value.trim())) return { ...c, time: null, note: 'not an RFC 3339 time' };
    const ms = Date.parse(c.value.trim());
    if (Number.isNaN(ms)) return { ...c, time: null, note: 'not a valid time' };
    if (ms < EARLIEST_PLAUSIBLE) return { ...c, time: null, note: 'implausible: before 2013 (a placeholder, such as the 1970 of reproducible builds)' };
    if (ms > now.getTime() + FUTURE_SLACK_MS) return { ...c, time: null, note: 'implausible: in the future' };
    return { ...c, time: new Date(ms).toISOString() };
  });
  let best: AgeSource | undefined;
  for (const s of sources) if (s.time !== null && (!best || Date.parse(s.time) > Date.parse(best.time!))) best = s;
  if (!best) return { time: null, ageMs: null, source: null, sources };
  return { time: best.time, ageMs: Math.max(0, now.getTime() - Date.parse(best.time!)), source: best.source, sources };
}

/** `12 days old (config created 2025-01-02T03:04:05.000Z)`, or `age unknown (…why…)`. */
export function describeAge(age: ImageAge): string {
  if (age.ageMs !== null) return `${formatDuration(age.ageMs)} old (${age.source} ${age.time})`;
  if (age.sources.length === 0) return 'age unknown (no creation time: no config created, no org.opencontainers.image.created annotation, no verified provenance with a build finish time)';
  return `age unknown (${age.sources.map((s) => `${s.source} ${s.value}: ${s.note}`).join('; ')})`;
}

// ---------------------------------------------------------------------------------------------------------------
// What the verified attestations say

export interface ProvenanceFacts {
  builder: string | null;
  repository: string | null;
  commit: string | null;
}

export interface SbomFacts {
  format: string;
  kind: 'spdx' | 'cyclonedx';
  packages: SbomPackage[];
  truncated: boolean;
}

/** The package diff of two SBOMs, by package name; a name listed with several versions compares the sets. */
export interface SbomDiff {
  oldFormat: string;
  newFormat: string;
  added: { name: string; version: string | null }[];
  removed: { name: string; version: string | null }[];
  changed: { name: string; from: string | null; to: string | null }[];
  /** added + removed + changed. */
  total: number;
  /** True when an SBOM listed more packages than are kept: the diff may miss changes. */
  incomplete: boolean;
}

function versionsByName(packages: readonly SbomPackage[]): Map<string, string | null> {
  const byName = new Map<string, Set<string>>();
  for (const p of packages) {
    const set = byName.get(p.name) ?? new Set<string>();
    if (p.version !== undefined) set.add(p.version);
    byName.set(p.name, set);
  }
  return new Map([...byName].map(([n, v]) => [n, v.size ? [...v].sort().join(', ') : null]));
}

export function diffSboms(oldSbom: SbomFacts, newSbom: SbomFacts): SbomDiff {
  const before = versionsByName(oldSbom.packages);
  const after = versionsByName(newSbom.packages);
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const added = [...after].filter(([n]) => !before.has(n)).map(([name, version]) => ({ name, version })).sort(byName);
  const removed = [...before].filter(([n]) => !after.has(n)).map(([name, version]) => ({ name, version })).sort(byName);
  const changed = [...after]
    .filter(([n, v]) => before.has(n) && before.get(n) !== v)
    .map(([name, to]) => ({ name, from: before.get(name) ?? null, to }))
    .sort(byName);
  return { oldFormat: oldSbom.format, newFormat: newSbom.format, added, removed, changed, total: added.length + removed.length + changed.length, incomplete: oldSbom.truncated || newSbom.truncated };
}

function verifiedAttestations(trust: DigestTrust | null | undefined): AttestationResult[] {
  return (trust?.attestations ?? []).filter((a) => a.status === 'verified' && a.summary);
}

export function provenanceOf(trust: DigestTrust | null | undefined): ProvenanceFacts | null {
  const a = verifiedAttestations(trust).find((x) => x.summary!.kind === 'slsa-provenance-v1' || x.summary!.kind === 'slsa-provenance-v0.2');
  if (!a) return null;
  const f = a.summary!.fields;
  return { builder: f.builderId ?? null, repository: f.sourceRepository ?? null, commit: f.sourceCommit ?? null };
}

/** Verified SBOMs, SPDX first. */
export function sbomsOf(trust: DigestTrust | null | undefined): SbomFacts[] {
  const out: SbomFacts[] = [];
  for (const a of verifiedAttestations(trust)) {
    const kind = a.summary!.kind;
    if (kind !== 'spdx' && kind !== 'cyclonedx') continue;
    const f = a.summary!.fields;
    out.push({ format: f.sbomFormat ?? kind, kind, packages: f.packages ?? [], truncated: f.packagesTruncated ?? false });
  }
  return out.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'spdx' ? -1 : 1));
}

/** SBOM attestations that are present but did not verify: never compared, but said. */
function unverifiedSbomCount(trust: DigestTrust | null | undefined): number {
  return (trust?.attestations ?? []).filter((a) => a.status !== 'verified' && (a.summary?.kind === 'spdx' || a.summary?.kind === 'cyclonedx')).length;
}

export function vulnerabilitiesOf(trust: DigestTrust | null | undefined): number | null {
  const a = verifiedAttestations(trust).find((x) => x.summary!.kind === 'vulnerability-scan' && x.summary!.fields.vulnerabilityCount !== undefined);
  return a ? a.summary!.fields.vulnerabilityCount! : null;
}

/** Identities of the image signatures that verified (attestation signers do not count), without repeats. */
export function verifiedSigners(trust: DigestTrust | null | undefined): SignerIdentity[] {
  const seen = new Map<string, SignerIdentity>();
  for (const s of trust?.signatures ?? []) if (s.status === 'verified' && s.identity) seen.set(identityKey(s.identity), s.identity);
  return [...seen.values()];
}

// ---------------------------------------------------------------------------------------------------------------
// One side of an update (the current pin, or the candidate), and the judgement

export interface ImageSide {
  digest: string;
  description: ImageDescription | null;
  /** Why the image could not be described (manifest or config unreadable). */
  describeError?: string;
  verification: ReferenceVerification | null;
  signers: SignerIdentity[];
  age: ImageAge;
  provenance: ProvenanceFacts | null;
  sboms: SbomFacts[];
  unverifiedSboms: number;
  vulnerabilities: number | null;
}

/** Builds one side from what was read and verified; the age adds a verified provenance's build finish time. */
export function imageSide(digest: string, description: ImageDescription | null, verification: ReferenceVerification | null, now: Date, describeError?: string): ImageSide {
  const trust = verification?.trust ?? null;
  const claims = [...(description?.claims ?? [])];
  const finished = verifiedAttestations(trust).find((a) => a.summary!.fields.buildFinishedOn)?.summary!.fields.buildFinishedOn;
  if (finished) claims.push({ source: 'provenance build finished', value: finished });
  return {
    digest,
    description,
    ...(describeError ? { describeError } : {}),
    verification,
    signers: verifiedSigners(trust),
    age: ageOf(claims, now),
    provenance: provenanceOf(trust),
    sboms: sbomsOf(trust),
    unverifiedSboms: unverifiedSbomCount(trust),
    vulnerabilities: vulnerabilitiesOf(trust),
  };
}

export interface UpdateOptions {
  /** The candidate must be at least this old; undefined: no minimum (the age is still shown). */
  minAgeMs?: number;
  /** As written by the user (`7d`), for messages. */
  minAgeText?: string;
  /** Accept a candidate signed by another (trusted) signer, or a pin that had no verified signer. */
  allowSignerChange: boolean;
  /** A minimum age was asked for but cannot be read: every candidate is refused (fail closed), saying why. */
  minAgeError?: string;
}

/**
 * The editor's options from the setting `imageTrust.updateMinAge` (never a signer change there). A value that is not
 * a duration does not mean "no minimum": it refuses every candidate until it is fixed.
 */
export function editorUpdateOptions(minAge: string): UpdateOptions {
  const text = minAge.trim();
  if (!text) return { allowSignerChange: false };
  const ms = parseMinAge(text);
  if (ms === undefined) return { allowSignerChange: false, minAgeError: `the setting imageTrust.updateMinAge is "${text}", not a duration (30m, 12h, 7d, 2w): nothing is updated until it is fixed` };
  return { allowSignerChange: false, ...(ms > 0 ? { minAgeMs: ms, minAgeText: text } : {}) };
}

export type SignerStatus = 'same' | 'changed' | 'unknown';

export interface SignerComparison {
  status: SignerStatus;
  /** Identities, described: the current pin's and the candidate's verified signers. */
  old: string[];
  new: string[];
  /** The identities both share (when `same`). */
  shared: string[];
}

export interface UpdateJudgement {
  decision: 'accepted' | 'refused';
  /** Every gate that failed (refused), or what passed (accepted), one sentence each. */
  reasons: string[];
  signer: SignerComparison;
  sbomDiff: SbomDiff | null;
  /** Why there is no SBOM diff, when there is none. */
  sbomNote?: string;
}

function compareSigners(old: ImageSide, candidate: ImageSide): SignerComparison {
  const oldKeys = new Map(old.signers.map((i) => [identityKey(i), i]));
  const shared = candidate.signers.filter((i) => oldKeys.has(identityKey(i)));
  const status: SignerStatus = old.signers.length === 0 || candidate.signers.length === 0 ? 'unknown' : shared.length > 0 ? 'same' : 'changed';
  return { status, old: old.signers.map(describeIdentity), new: candidate.signers.map(describeIdentity), shared: shared.map(describeIdentity) };
}

function sameKindAndPlatform(old: ImageSide, candidate: ImageSide): string | null {
  if (!old.description) return `the current pin cannot be read (${old.describeError ?? 'unknown error'}), so its kind and platform cannot be compared`;
  if (!candidate.description) return `the candidate cannot be read (${candidate.describeError ?? 'unknown error'})`;
  const o = old.description;
  const c = candidate.description;
  if (o.kind === 'index' && c.kind !== 'index') return 'the pin is a multi-platform index, the candidate a single-platform manifest: an index pin stays an index pin';
  if (o.kind !== 'index' && c.kind === 'index') return 'the pin is a single-platform manifest, the candidate a multi-platform index: a platform pin stays a pin of the same platform';
  if (o.kind === 'manifest') {
    if (!o.platform || !c.platform) return 'the platform of the pin or of the candidate is not named in its config, so the same platform cannot be shown';
    const same = o.platform.os === c.platform.os && o.platform.architecture === c.platform.architecture && (o.platform.variant ?? '') === (c.platform.variant ?? '');
    if (!same) return `the pin is a ${platformLabel(o.platform)} image, the candidate ${platformLabel(c.platform)}: a platform pin stays a pin of the same platform`;
  }
  return null;
}

function notVerifiedReason(v: ReferenceVerification | null): string {
  if (!v) return 'it could not be verified';
  if (v.policy.error) return v.policy.error;
  if (!v.trust) return v.policy.mode === 'off' ? `policy rule "${v.policy.rule}" is off, so nothing is verified` : 'its signatures could not be checked';
  return `${v.trust.status}: ${v.trust.reason}`;
}

/** The decision for one candidate, from both sides. Pure: every input was read before. */
export function judgeUpdate(old: ImageSide, candidate: ImageSide, opts: UpdateOptions): UpdateJudgement {
  const refusals: string[] = [];
  const passed: string[] = [];
  const kind = sameKindAndPlatform(old, candidate);
  if (kind) refusals.push(kind);
  else passed.push(candidate.description!.kind === 'index' ? 'an index like the pin' : `the same platform as the pin (${platformLabel(candidate.description!.platform!)})`);

  const cv = candidate.verification;
  const candidateVerified = !!cv && !cv.policy.error && cv.trust?.status === 'verified';
  if (candidateVerified) passed.push(`verifies under policy rule "${cv!.policy.rule}" (${cv!.trust!.reason})`);
  else {
    const ruleHint = cv?.policy.rule === 'default' ? ' (no policy rule matches this image, so no signer is trusted: add one to .image-trust.yaml)' : '';
    refusals.push(`the candidate does not verify under the policy: ${notVerifiedReason(cv)}${ruleHint}`);
  }

  const signer = compareSigners(old, candidate);
  if (old.signers.length === 0) {
    const ov = old.verification;
    const why = ov?.policy.error ?? (ov?.trust ? `${ov.trust.status}: ${ov.trust.reason}` : 'its signatures could not be checked');
    const text = `the current pin has no verified signer (${why}), so "the same signer" cannot be established`;
    if (opts.allowSignerChange) passed.push(`${text}; accepted with --allow-signer-change`);
    else refusals.push(`${text}; refused (fail closed) unless --allow-signer-change`);
  } else if (candidateVerified) {
    if (signer.status === 'same') passed.push(`the same signer as the pin (${signer.shared.join(', ')})`);
    else if (signer.status === 'changed') {
      const text = `the signer changed: the pin was signed by ${signer.old.join(', ')}, the candidate by ${signer.new.join(', ')}`;
      if (opts.allowSignerChange) passed.push(`${text}; accepted with --allow-signer-change`);
      else refusals.push(`${text}; refused unless --allow-signer-change`);
    } else refusals.push('the candidate has no verified signature whose signer is known');
  }

  const age = candidate.age;
  if (opts.minAgeError) refusals.push(opts.minAgeError);
  else if (opts.minAgeMs !== undefined && opts.minAgeMs > 0) {
    const min = opts.minAgeText ?? formatDuration(opts.minAgeMs);
    if (age.ageMs === null) refusals.push(`its ${describeAge(age)}, and --min-age ${min} needs a known age`);
    else if (age.ageMs < opts.minAgeMs) refusals.push(`it is ${describeAge(age)}: younger than --min-age ${min}`);
    else passed.push(`${describeAge(age)}, at least --min-age ${min}`);
  }

  const { sbomDiff, sbomNote } = compareSboms(old, candidate);
  return refusals.length
    ? { decision: 'refused', reasons: refusals, signer, sbomDiff, ...(sbomNote ? { sbomNote } : {}) }
    : { decision: 'accepted', reasons: passed, signer, sbomDiff, ...(sbomNote ? { sbomNote } : {}) };
}

function compareSboms(old: ImageSide, candidate: ImageSide): { sbomDiff: SbomDiff | null; sbomNote?: string } {
  if (!old.sboms.length || !candidate.sboms.length) {
    const unverified = old.unverifiedSboms + candidate.unverifiedSboms;
    const which = !old.sboms.length && !candidate.sboms.length ? 'neither image has' : !old.sboms.length ? 'the current pin has no' : 'the candidate has no';
    return { sbomDiff: null, sbomNote: `no package diff: ${which} verified SBOM attestation (SPDX or CycloneDX)${unverified ? `; ${unverified} SBOM(s) present but not verified were not compared` : ''}` };
  }
  const pairKind = old.sboms.find((o) => candidate.sboms.some((c) => c.kind === o.kind))?.kind;
  const o = pairKind ? old.sboms.find((s) => s.kind === pairKind)! : old.sboms[0];
  const c = pairKind ? candidate.sboms.find((s) => s.kind === pairKind)! : candidate.sboms[0];
  return { sbomDiff: diffSboms(o, c), ...(pairKind ? {} : { sbomNote: `the SBOMs have different formats (${o.format} and ${c.format}); packages are compared by name` }) };
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluating references against the registry

export type UpdateEvaluation =
  /** The tag still names the pinned bytes (or the pinned platform inside its index). */
  | { ref: ImageRef; state: 'up-to-date' }
  /** Not a `tag@digest` pin, or not checkable (templated, invalid). */
  | { ref: ImageRef; state: 'not-applicable'; reason: string }
  /** The registry could not be asked: nothing is concluded. */
  | { ref: ImageRef; state: 'failed'; reason: string; from: string }
  | UpdateCandidate;

export interface UpdateCandidate extends UpdateJudgement {
  ref: ImageRef;
  state: 'candidate';
  from: string;
  /** The digest the pin would be updated to; null when the tag's new index has no image of the pinned platform. */
  to: string | null;
  old: ImageSide;
  candidate: ImageSide | null;
  /** The edit that writes `to` (accepted candidates only). */
  edit?: TextEdit;
}

export interface UpdateContext {
  client: RegistryClient;
  policy: PolicyLoadResult;
  now: Date;
  options: UpdateOptions;
  signal?: AbortSignal;
}

function withDigest(ref: ImageRef, digest: string): ImageRef {
  return { ...ref, status: 'pinned', parsed: { ...ref.parsed!, digest } };
}

async function side(ctx: UpdateContext, ref: ImageRef, digest: string, path: string | undefined): Promise<ImageSide> {
  const name = ref.parsed!.name;
  let description: ImageDescription | null = null;
  let describeError: string | undefined;
  try {
    description = await describeImage(ctx.client, name, digest, ctx.signal);
  } catch (err) {
    describeError = (err as Error).message;
  }
  // A fresh look (no verification cache): an update is a deliberate decision on what the registry holds now.
  const verification = await verifyReference(ctx.client, withDigest(ref, digest), null, ctx.policy, { now: ctx.now, path, signal: ctx.signal }).catch(() => null);
  return imageSide(digest, description, verification, ctx.now, describeError);
}

/**
 * Evaluates the update of one reference: asks the registry where its tag points now and, when it moved, judges the
 * candidate. `resolution` may be given when already known (the editor's background resolution).
 */
export async function evaluateUpdate(ctx: UpdateContext, ref: ImageRef, path?: string, known?: Resolution | null): Promise<UpdateEvaluation> {
  const p = ref.parsed;
  if (!p || ref.status === 'templated' || ref.status === 'invalid') return { ref, state: 'not-applicable', reason: ref.status === 'invalid' ? `invalid reference: ${ref.error}` : 'built from a template or variable' };
  if (ref.status !== 'pinned' || !p.digest) return { ref, state: 'not-applicable', reason: 'not pinned (image-trust pin pins it)' };
  if (p.tag === null) return { ref, state: 'not-applicable', reason: 'pinned by digest only: no tag to follow' };
  if (!ref.pin) return { ref, state: 'not-applicable', reason: 'cannot be edited in place' };
  const r = known ?? (await resolveReference(ctx.client, ref, { signal: ctx.signal }));
  if (!r) return { ref, state: 'not-applicable', reason: 'not checkable' };
  if (r.error) return { ref, state: 'failed', from: p.digest, reason: `the registry could not be asked: ${r.error.message}` };
  if (!r.drift) return { ref, state: 'up-to-date' };
  const old = await side(ctx, ref, p.digest, path);
  const to = r.updateDigest ?? null;
  if (!to) {
    return {
      ref,
      state: 'candidate',
      from: p.digest,
      to: null,
      old,
      candidate: null,
      decision: 'refused',
      reasons: [`the tag ${p.tag} now points to ${r.tagDigest?.slice(0, 19)}…, which has no image of the pinned platform: a platform pin stays a pin of the same platform`],
      signer: { status: 'unknown', old: old.signers.map(describeIdentity), new: [], shared: [] },
      sbomDiff: null,
    };
  }
  const candidate = await side(ctx, ref, to, path);
  return { ref, state: 'candidate', from: p.digest, to, old, candidate, ...judgeUpdate(old, candidate, ctx.options) };
}

export interface EvaluateManyOptions {
  pathOf?: (ref: ImageRef) => string | undefined;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Evaluates every `tag@digest` reference once per distinct (name, tag, digest), and gives each reference its own
 * evaluation (its own edit, in its own text). Aborted work ends as `failed`.
 */
export async function evaluateUpdates(ctx: UpdateContext, refs: readonly ImageRef[], opts: EvaluateManyOptions = {}): Promise<Map<ImageRef, UpdateEvaluation>> {
  const distinct = new Map<string, ImageRef>();
  const out = new Map<ImageRef, UpdateEvaluation>();
  for (const ref of refs) {
    if (ref.parsed && ref.status === 'pinned' && ref.parsed.tag !== null) {
      if (!distinct.has(resolutionKey(ref))) distinct.set(resolutionKey(ref), ref);
    }
  }
  const byKey = new Map<string, UpdateEvaluation>();
  let done = 0;
  opts.onProgress?.(0, distinct.size);
  await Promise.all(
    [...distinct].map(async ([key, ref]) => {
      const e = ctx.signal?.aborted
        ? ({ ref, state: 'failed', from: ref.parsed!.digest!, reason: 'cancelled' } as const)
        : await evaluateUpdate(ctx, ref, opts.pathOf?.(ref)).catch((err): UpdateEvaluation => ({ ref, state: 'failed', from: ref.parsed!.digest!, reason: (err as Error).message }));
      byKey.set(key, e);
      opts.onProgress?.(++done, distinct.size);
    }),
  );
  for (const ref of refs) {
    const e = ref.parsed && ref.status === 'pinned' && ref.parsed.tag !== null ? byKey.get(resolutionKey(ref)) : undefined;
    out.set(ref, e ? { ...e, ref } : await evaluateUpdate(ctx, ref));
  }
  return out;
}

/** The minimal edits of the accepted candidates of one document (`pinEdit`: only the digest changes). */
export function updateEdits(text: string, evaluations: Iterable<UpdateEvaluation>): Map<ImageRef, TextEdit> {
  const edits = new Map<ImageRef, TextEdit>();
  for (const e of evaluations) {
    if (e.state !== 'candidate' || e.decision !== 'accepted' || !e.to) continue;
    const edit = pinEdit(text, e.ref, e.to);
    if (edit) edits.set(e.ref, edit);
  }
  return edits;
}

/** The editor's quick-fix title: `Update pin (same signer, 12 days old, 3 packages changed)`. */
export function updateTitle(c: UpdateCandidate): string {
  const parts = [c.signer.status === 'same' ? 'same signer' : c.signer.status === 'changed' ? 'signer changed' : 'signer unknown'];
  parts.push(c.candidate?.age.ageMs != null ? `${formatDuration(c.candidate.age.ageMs)} old` : 'age unknown');
  if (c.sbomDiff) parts.push(`${c.sbomDiff.total} package${c.sbomDiff.total === 1 ? '' : 's'} changed`);
  return `Update pin (${parts.join(', ')})`;
}
