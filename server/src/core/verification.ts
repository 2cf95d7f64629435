// Verifies each image reference under the trust policy and turns the outcome into policy findings. Fails closed:
// nothing is "verified" unless a trusted signer's signature over exactly that digest verified; a broken policy
// verifies nothing; "could not look" is an error, never "unsigned". Severity settings and suppression comments are
// applied later, once, by `assess.ts`.
import { createHash } from 'node:crypto';
import type { Finding, Severity } from './findings';
import { findException, matchRule, severityForMode, type AttestationRequirement as PolicyRequirement, type ExceptionInfo, type Policy, type PolicyLoadResult, type ResolvedRule, type ResolvedSigner } from './policy';
import type { RegistryReader } from './registry/types';
import { platformLabel, type Resolution } from './resolve';
import { isIndexMediaType, listIndexEntries, type IndexEntry } from './registry/platforms';
import { discoverSignatures, prepareTrust, publicGoodTrustedRoot, type DigestTrust, type DiscoveryResult, type PreparedTrust, type SignerSpec } from './trust';
import { verifyDiscovered } from './trust';
import { prepareSigner } from './trust/signers';
import { aggregateTrust, earliest, type AttestationResult } from './trust/status';
import type { ImageRef } from './types';
import { VerificationCache, verificationKey } from './verification-cache';

export { VerificationCache } from './verification-cache';

export interface PolicyOutcome {
  /** Rule name (`default` for the built-in one); null under a broken policy. */
  rule: string | null;
  mode: 'enforce' | 'audit' | 'off' | null;
  exception: { owner: string; reason: string; expires: string; daysLeft: number; active: boolean; message: string } | null;
  /** Why nothing could be judged (broken policy). */
  error?: string;
}

export interface ReferenceVerification {
  /** The digest whose signatures were checked (the pin, or what the tag points to now); null when none is known. */
  digest: string | null;
  trust: DigestTrust | null;
  policy: PolicyOutcome;
  /** Policy findings before severity settings and suppressions (`assess.ts` applies those). */
  findings: Finding[];
  /** When the trust result came from the verification cache, its age. */
  cacheAgeMs?: number;
}

function toSpec(s: ResolvedSigner): SignerSpec {
  // A key signer requires a transparency-log entry unless the policy opts out explicitly (`tlog: false`), as cosign.
  return s.type === 'key' ? { type: 'key', name: s.name, publicKeyPem: s.publicKeyPem, requireTlog: s.requireTlog ?? true } : s;
}

// ---------------------------------------------------------------------------------------------------------
// A policy compiled once per version: trust material, signers and requirements prepared once and reused for every
// reference, every attestation requirement and every platform (the trusted root's memoised anchors survive).

export interface CompiledRequirement {
  requirement: PolicyRequirement;
  index: number;
  trust: PreparedTrust;
}

export interface CompiledRule {
  rule: ResolvedRule;
  trust: PreparedTrust;
  requirements: CompiledRequirement[];
}

interface CompiledPolicy {
  trustedRootDigest: string;
  rules: WeakMap<ResolvedRule, CompiledRule | Error>;
  material?: PreparedTrust['material'];
}

const compiledPolicies = new WeakMap<Policy, CompiledPolicy>();

function compiledPolicy(policy: Policy): CompiledPolicy {
  let c = compiledPolicies.get(policy);
  if (!c) {
    const root = policy.trustedRoot?.json ?? publicGoodTrustedRoot();
    c = { trustedRootDigest: createHash('sha256').update(JSON.stringify(root)).digest('hex'), rules: new WeakMap() };
    compiledPolicies.set(policy, c);
  }
  return c;
}

/** sha256 of the trusted root the policy verifies keyless signatures with (part of every verification cache key). */
export function trustedRootDigest(policy: Policy): string {
  return compiledPolicy(policy).trustedRootDigest;
}

/**
 * The rule with its trust prepared. Throws (an ImageTrustError `POLICY_INVALID`) when its trust material is
 * unusable; the error is remembered, so a broken rule costs one attempt per policy version, not one per reference.
 */
export function compileRule(policy: Policy, rule: ResolvedRule): CompiledRule {
  const c = compiledPolicy(policy);
  const known = c.rules.get(rule);
  if (known instanceof Error) throw known;
  if (known) return known;
  try {
    c.material ??= prepareTrust([], policy.trustedRoot ? { trustedRoot: policy.trustedRoot.json } : {}).material;
    const material = c.material;
    const prepare = (signers: readonly ResolvedSigner[]): PreparedTrust => ({ signers: signers.map((s) => prepareSigner(toSpec(s))), material });
    const trust = prepare(rule.signers);
    const compiled: CompiledRule = {
      rule,
      trust,
      // A requirement without its own signers uses the rule's: the same prepared trust, so its results are reused.
      requirements: rule.attestations.map((requirement, index) => ({ requirement, index, trust: requirement.signers === rule.signers ? trust : prepare(requirement.signers) })),
    };
    c.rules.set(rule, compiled);
    return compiled;
  } catch (err) {
    c.rules.set(rule, err as Error);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------
// One digest under one rule

export interface VerifyDigestOptions {
  signal?: AbortSignal;
  /** Time at which certificates without a logged or timestamped time, and signature expiries, are checked. */
  now?: Date;
}

/**
 * Judges already-discovered signatures under a compiled rule: signatures with the rule's signers; each attestation
 * requirement with its own signers, satisfied on its own (two requirements of one predicate type both must hold,
 * whatever their order). No I/O.
 */
export function judgeDiscovered(discovery: DiscoveryResult, compiled: CompiledRule, opts: { now?: Date } = {}): DigestTrust {
  const entityOpts = opts.now ? { now: opts.now } : {};
  const base = verifyDiscovered(discovery, compiled.trust, [], entityOpts);
  const requiredTypes = new Set(compiled.requirements.map((r) => r.requirement.predicateType));
  // Attestations of types no requirement names are shown as checked with the rule's signers.
  const attestations: AttestationResult[] = base.attestations.filter((a) => !requiredTypes.has(a.predicateType));
  for (const req of compiled.requirements) {
    const own = req.trust === compiled.trust ? base : verifyDiscovered(discovery, req.trust, [], entityOpts);
    for (const a of own.attestations) if (a.predicateType === req.requirement.predicateType) attestations.push({ ...a, requirement: req.index });
  }
  return aggregateTrust({
    digest: discovery.digest,
    discoveryComplete: discovery.complete,
    discoveryErrors: summarizeErrors(discovery.errors),
    signatures: base.signatures,
    attestations,
    requirements: compiled.requirements.map((r) => ({ predicateType: r.requirement.predicateType, index: r.index })),
  });
}

/** Verify one digest under one rule: discover its signatures and attestations, then judge them. */
export async function verifyUnderRule(reader: RegistryReader, name: string, digest: string, compiled: CompiledRule, opts: VerifyDigestOptions = {}): Promise<DigestTrust> {
  const discovery: DiscoveryResult = await discoverSignatures(reader, name, digest, { signal: opts.signal });
  return judgeDiscovered(discovery, compiled, { now: opts.now });
}

/** Discovery errors for humans: offline cache misses collapse into one sentence; at most three others are listed. */
function summarizeErrors(errors: string[]): string[] {
  if (errors.length && errors.every((e) => e.includes('not in cache'))) return ['offline, and the signatures of this digest are not in the cache'];
  return errors.length > 3 ? [...errors.slice(0, 3), `and ${errors.length - 3} more`] : errors;
}

/** Nested indexes are followed this deep; deeper ones fail closed. */
const MAX_INDEX_DEPTH = 3;
/** More entries than this in one index are not verified one by one: the index fails closed. */
const MAX_INDEX_ENTRIES = 64;

function entryLabel(e: IndexEntry): string {
  return e.platform ? platformLabel(e.platform) : `entry ${e.digest.slice(0, 19)}… (no platform)`;
}

/**
 * `verifyPlatforms`: an index whose own signature does not verify still passes when every manifest it lists verifies
 * (what `cosign sign --recursive` produces). Every entry counts — one without a platform too, since containerd can
 * select it by its config's platform — except entries that are provably BuildKit attestation manifests. Nested
 * indexes are followed. Anything that cannot be listed or checked fails closed.
 */
async function withPlatforms(reader: RegistryReader, name: string, index: DigestTrust, compiled: CompiledRule, opts: VerifyDigestOptions, depth = 0): Promise<DigestTrust> {
  if (index.status === 'verified') return index;
  const notVerified = (reason: string): DigestTrust => ({ ...index, status: index.status === 'invalid' ? 'invalid' : 'error', reason: `${index.reason} ${reason}` });
  let listed;
  try {
    listed = await listIndexEntries(reader, name, index.digest, { signal: opts.signal });
  } catch (err) {
    return notVerified(`The platform manifests could not be listed: ${(err as Error).message}`);
  }
  if (!listed.isIndex) return index;
  if (listed.malformed > 0) return notVerified(`The index has ${listed.malformed} malformed entr${listed.malformed === 1 ? 'y' : 'ies'} that cannot be checked.`);
  const entries = listed.entries.filter((e) => !e.attestation);
  if (entries.length === 0) return index;
  if (entries.length > MAX_INDEX_ENTRIES) return notVerified(`The index lists ${entries.length} manifests; at most ${MAX_INDEX_ENTRIES} are verified one by one.`);
  const perEntry = await Promise.all(
    entries.map(async (e) => {
      let trust = await verifyUnderRule(reader, name, e.digest, compiled, opts);
      if (trust.status !== 'verified' && isIndexMediaType(e.mediaType)) {
        trust = depth + 1 < MAX_INDEX_DEPTH ? await withPlatforms(reader, name, trust, compiled, opts, depth + 1) : { ...trust, status: 'error', reason: `${trust.reason} Nested indexes deeper than ${MAX_INDEX_DEPTH} levels are not followed.` };
      }
      return { label: entryLabel(e), trust };
    }),
  );
  const label = <T extends { reason: string }>(x: T, platform: string): T => ({ ...x, reason: `${platform}: ${x.reason}` });
  const signatures = [...index.signatures, ...perEntry.flatMap((p) => p.trust.signatures.map((x) => label(x, p.label)))];
  const attestations = [...index.attestations, ...perEntry.flatMap((p) => p.trust.attestations.map((x) => label(x, p.label)))];
  const failing = perEntry.filter((p) => p.trust.status !== 'verified');
  if (failing.length === 0) {
    const validUntil = earliest(perEntry.map((p) => p.trust.validUntil));
    return { digest: index.digest, status: 'verified', signatures, attestations, reason: `Every platform manifest verified (${perEntry.map((p) => p.label).join(', ')}); the index itself: ${index.status}.`, ...(validUntil ? { validUntil } : {}) };
  }
  const worst = failing.find((p) => p.trust.status === 'invalid') ?? failing.find((p) => p.trust.status === 'error') ?? failing[0];
  return { digest: index.digest, status: index.status === 'invalid' ? 'invalid' : worst.trust.status, signatures, attestations, reason: `${index.reason} Platforms not verified: ${failing.map((p) => `${p.label} (${p.trust.status})`).join(', ')}.` };
}


/**
 * When a judgement must be made again: the trust verdict's own end (signature expiry, certificate notAfter) or the end
 * of the UTC day on which an applied exception expires, whichever comes first. For long-lived holders (the editor).
 */
export function verdictValidUntil(v: ReferenceVerification | null | undefined): string | undefined {
  if (!v) return undefined;
  const times: string[] = [];
  if (v.trust?.validUntil) times.push(v.trust.validUntil);
  const exc = v.policy.exception;
  if (exc) {
    // An active exception stops applying at the start of the day after `expires`; an expired one never returns.
    const [y, m, d] = exc.expires.split('-').map(Number);
    const end = Date.UTC(y, m - 1, d + 1);
    if (exc.active && Number.isFinite(end)) times.push(new Date(end).toISOString());
  }
  return earliest(times);
}

function exceptionOutcome(info: ExceptionInfo, active: boolean): NonNullable<PolicyOutcome['exception']> {
  return { owner: info.owner, reason: info.reason, expires: info.expires, daysLeft: info.daysLeft, active, message: info.message };
}

export interface VerifyReferenceOptions {
  now: Date;
  /** Workspace-relative path of the file (for scoped exceptions). */
  path?: string;
  cache?: VerificationCache;
  signal?: AbortSignal;
}

/**
 * Judge one reference under the policy. `resolution` supplies the digest of an unpinned reference (what its tag
 * points to now); without one, an unpinned reference cannot be verified and says so.
 */
export async function verifyReference(reader: RegistryReader, ref: ImageRef, resolution: Resolution | null, policyLoad: PolicyLoadResult, opts: VerifyReferenceOptions): Promise<ReferenceVerification | null> {
  const p = ref.parsed;
  if (!p || ref.status === 'invalid' || ref.status === 'templated') return null;
  if (policyLoad.broken || !policyLoad.policy) {
    return { digest: p.digest, trust: null, policy: { rule: null, mode: null, exception: null, error: 'the trust policy is invalid; fix .image-trust.yaml (nothing is verified under a broken policy)' }, findings: [] };
  }
  const policy = policyLoad.policy;
  const { rule } = matchRule(policy, p.name);
  const digest = p.digest ?? resolution?.tagDigest ?? null;
  const exc = findException(policy, { name: p.name, digest, path: opts.path }, opts.now);
  const outcome: PolicyOutcome = {
    rule: rule.name,
    mode: rule.mode,
    exception: exc.active ? exceptionOutcome(exc.active, true) : exc.expired ? exceptionOutcome(exc.expired, false) : null,
  };
  const result: ReferenceVerification = { digest, trust: null, policy: outcome, findings: [] };
  if (rule.mode === 'off') return result;

  if (digest) {
    let compiled: CompiledRule;
    try {
      compiled = compileRule(policy, rule);
    } catch (err) {
      return unusableTrustMaterial(ref, result, rule, err);
    }
    const key = verificationKey({ name: p.name, digest, policyHash: policyLoad.hash, rule: rule.name, trustedRootDigest: trustedRootDigest(policy) });
    const hit = opts.cache?.get(key, opts.now.getTime());
    if (hit) {
      result.trust = hit.trust;
      result.cacheAgeMs = hit.ageMs;
    } else {
      try {
        const vopts = { signal: opts.signal, now: opts.now };
        result.trust = await verifyUnderRule(reader, p.name, digest, compiled, vopts);
        if (rule.verifyPlatforms) result.trust = await withPlatforms(reader, p.name, result.trust, compiled, vopts);
      } catch (err) {
        return unusableTrustMaterial(ref, result, rule, err);
      }
      // Errors are not cached: the next look tries again.
      if (result.trust.status !== 'error') opts.cache?.set(key, result.trust);
    }
  }
  result.findings = policyFindings(ref, rule, result, resolution);
  return result;
}

/** Unusable trust material (a malformed trusted root, a bad key): nothing verifies; say why, fail closed. */
function unusableTrustMaterial(ref: ImageRef, result: ReferenceVerification, rule: ResolvedRule, err: unknown): ReferenceVerification {
  const message = `the trust material of the policy cannot be used: ${(err as Error).message}`;
  result.policy.error = message;
  const severity = severityForMode(rule.mode) ?? 'error';
  result.findings = [policyFinding(ref, rule, 'verify-failed', `Signatures of ${ref.parsed!.familiar} could not be checked: ${message}`, severity)];
  return result;
}

function policyFinding(ref: ImageRef, rule: ResolvedRule, code: string, message: string, severity: Severity): Finding {
  return { code, severity, message: `${message} (policy rule "${rule.name}", ${rule.mode})`, range: ref.range, ...(rule.mode === 'enforce' || rule.mode === 'audit' ? { mode: rule.mode } : {}) };
}

function policyFindings(ref: ImageRef, rule: ResolvedRule, v: ReferenceVerification, resolution: Resolution | null): Finding[] {
  const severity: Severity | null = severityForMode(rule.mode);
  if (!severity) return [];
  const out: Finding[] = [];
  const name = ref.parsed!.familiar;
  const add = (code: string, message: string) => out.push(policyFinding(ref, rule, code, message, severity));
  const exc = v.policy.exception;
  if (exc && !exc.active) add('exception-expired', `${name}: ${exc.message}; the exception no longer applies — renew it or fix the image.`);
  if (exc?.active) return out;
  if (rule.requireDigest && ref.status === 'unpinned') add('tag-not-allowed', `${name} must be pinned by digest under this policy.`);
  const needsSignature = rule.signers.length > 0 || rule.attestations.length > 0;
  if (!needsSignature) return out;
  const t = v.trust;
  if (!t) {
    const why = resolution?.error ? resolution.error.message : 'its digest is not known (pin it, or resolve the tag)';
    add('verify-failed', `Signatures of ${name} could not be checked: ${why}.`);
    return out;
  }
  const someSignatureVerified = t.signatures.some((s) => s.status === 'verified');
  switch (t.status) {
    case 'verified':
      break;
    case 'unsigned':
      add('unsigned', `${name} (${t.digest.slice(0, 19)}…) has no signature. ${t.reason}`);
      break;
    case 'untrusted':
      if (someSignatureVerified) add('missing-attestation', `${name}: ${t.reason}`);
      else add('untrusted-signer', `${name} is signed, but not by a signer this policy trusts: ${t.reason}`);
      break;
    case 'invalid':
      if (someSignatureVerified) add('missing-attestation', `${name}: ${t.reason}`);
      else add('invalid-signature', `${name} has an invalid signature: ${t.reason}`);
      break;
    case 'error':
      add(someSignatureVerified ? 'missing-attestation' : 'verify-failed', `${name}: verification could not complete: ${t.reason}`);
      break;
  }
  return out;
}
