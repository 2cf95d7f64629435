// Verifies each image reference under the trust policy and turns the outcome into findings. Fails closed: nothing
// is "verified" unless a trusted signer's signature over exactly that digest verified; a broken policy verifies
// nothing; "could not look" is an error, never "unsigned".
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Finding, Severity } from './findings';
import { findException, matchRule, severityForMode, type ExceptionInfo, type PolicyLoadResult, type ResolvedRule, type ResolvedSigner } from './policy';
import type { RegistryReader } from './registry/types';
import { platformLabel, type Resolution } from './resolve';
import { resolvePlatforms } from './registry/platforms';
import { isSuppressed } from './suppressions';
import { discoverSignatures, prepareTrust, type DigestTrust, type DiscoveryResult, type SignerSpec } from './trust';
import { verifyDiscovered } from './trust';
import { aggregateTrust, type AttestationResult } from './trust/status';
import type { ImageRef } from './types';

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
  findings: Finding[];
  /** When the trust result came from the verification cache, its age. */
  cacheAgeMs?: number;
}

function toSpec(s: ResolvedSigner): SignerSpec {
  // A key signer requires a transparency-log entry unless the policy opts out explicitly (`tlog: false`), as cosign.
  return s.type === 'key' ? { type: 'key', name: s.name, publicKeyPem: s.publicKeyPem, requireTlog: s.requireTlog ?? true } : s;
}

/** Verification results kept per (digest, policy hash): content-addressed inputs, so they stay valid. */
export class VerificationCache {
  private entries = new Map<string, { at: number; trust: DigestTrust }>();
  private dirty = false;

  /**
   * A `verified` result is kept as long as the policy is unchanged (signatures over a digest do not stop verifying);
   * any other result may change when a signature is added, so it is kept for `recheckMs` only. With `file`, entries
   * persist between runs (written by `flush`).
   */
  constructor(
    private readonly opts: { file?: string; recheckMs?: number; clock?: () => number } = {},
  ) {
    if (opts.file && existsSync(opts.file)) {
      try {
        const raw = JSON.parse(readFileSync(opts.file, 'utf8')) as { version?: number; entries?: [string, { at: number; trust: DigestTrust }][] };
        if (raw.version === 1 && Array.isArray(raw.entries)) this.entries = new Map(raw.entries);
      } catch {
        /* an unreadable cache is an empty cache */
      }
    }
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  get(key: string): { trust: DigestTrust; ageMs: number } | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const ageMs = this.now() - e.at;
    if (e.trust.status !== 'verified' && ageMs > (this.opts.recheckMs ?? 10 * 60_000)) return undefined;
    return { trust: e.trust, ageMs };
  }

  set(key: string, trust: DigestTrust): void {
    this.entries.set(key, { at: this.now(), trust });
    this.dirty = true;
  }

  /** Persist (atomically: temp file + rename). */
  flush(): void {
    if (!this.opts.file || !this.dirty) return;
    mkdirSync(dirname(this.opts.file), { recursive: true });
    const tmp = `${this.opts.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, entries: [...this.entries].slice(-5000) }));
    renameSync(tmp, this.opts.file);
    this.dirty = false;
  }
}

/** Verify one digest under one rule: signatures with the rule's signers, each required attestation with its own. */
export async function verifyUnderRule(reader: RegistryReader, name: string, digest: string, rule: ResolvedRule, trustedRoot: unknown, opts: { signal?: AbortSignal } = {}): Promise<DigestTrust> {
  const material = trustedRoot ? { trustedRoot } : {};
  const discovery: DiscoveryResult = await discoverSignatures(reader, name, digest, opts);
  const base = verifyDiscovered(discovery, prepareTrust(rule.signers.map(toSpec), material), []);
  let attestations: AttestationResult[] = base.attestations;
  for (const req of rule.attestations) {
    const own = verifyDiscovered(discovery, prepareTrust(req.signers.map(toSpec), material), []);
    attestations = [...attestations.filter((a) => a.predicateType !== req.predicateType), ...own.attestations.filter((a) => a.predicateType === req.predicateType)];
  }
  return aggregateTrust({
    digest,
    discoveryComplete: discovery.complete,
    discoveryErrors: summarizeErrors(discovery.errors),
    signatures: base.signatures,
    attestations,
    requirements: rule.attestations.map((a) => ({ predicateType: a.predicateType })),
  });
}

/** Discovery errors for humans: offline cache misses collapse into one sentence; at most three others are listed. */
function summarizeErrors(errors: string[]): string[] {
  if (errors.length && errors.every((e) => e.includes('not in cache'))) return ['offline, and the signatures of this digest are not in the cache'];
  return errors.length > 3 ? [...errors.slice(0, 3), `and ${errors.length - 3} more`] : errors;
}

/**
 * `verifyPlatforms`: an index whose own signature does not verify still passes when every platform manifest in it
 * verifies (what `cosign sign --recursive` produces). The platform results are listed, each naming its platform.
 */
async function withPlatforms(reader: RegistryReader, name: string, index: DigestTrust, rule: ResolvedRule, trustedRoot: unknown, opts: { signal?: AbortSignal }): Promise<DigestTrust> {
  if (index.status === 'verified') return index;
  let listed;
  try {
    listed = await resolvePlatforms(reader, name, index.digest, opts);
  } catch (err) {
    return { ...index, status: index.status === 'invalid' ? 'invalid' : 'error', reason: `${index.reason} The platform manifests could not be listed: ${(err as Error).message}` };
  }
  const { isIndex, platforms } = listed;
  if (!isIndex || platforms.length === 0) return index;
  const perPlatform = await Promise.all(platforms.map(async (p) => ({ label: platformLabel(p), trust: await verifyUnderRule(reader, name, p.digest, rule, trustedRoot, opts) })));
  const label = <T extends { reason: string }>(x: T, platform: string): T => ({ ...x, reason: `${platform}: ${x.reason}` });
  const signatures = [...index.signatures, ...perPlatform.flatMap((p) => p.trust.signatures.map((x) => label(x, p.label)))];
  const attestations = [...index.attestations, ...perPlatform.flatMap((p) => p.trust.attestations.map((x) => label(x, p.label)))];
  const failing = perPlatform.filter((p) => p.trust.status !== 'verified');
  if (failing.length === 0) {
    return { digest: index.digest, status: 'verified', signatures, attestations, reason: `Every platform manifest verified (${perPlatform.map((p) => p.label).join(', ')}); the index itself: ${index.status}.` };
  }
  const worst = failing.find((p) => p.trust.status === 'invalid') ?? failing.find((p) => p.trust.status === 'error') ?? failing[0];
  return { digest: index.digest, status: index.status === 'invalid' ? 'invalid' : worst.trust.status, signatures, attestations, reason: `${index.reason} Platforms not verified: ${failing.map((p) => `${p.label} (${p.trust.status})`).join(', ')}.` };
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

  const needsSignature = rule.signers.length > 0 || rule.attestations.length > 0;
  if (digest) {
    const key = `${digest}\0${p.name}\0${policyLoad.hash}\0${rule.name}`;
    const hit = opts.cache?.get(key);
    if (hit) {
      result.trust = hit.trust;
      result.cacheAgeMs = hit.ageMs;
    } else {
      try {
        result.trust = await verifyUnderRule(reader, p.name, digest, rule, policy.trustedRoot?.json, { signal: opts.signal });
        if (rule.verifyPlatforms) result.trust = await withPlatforms(reader, p.name, result.trust, rule, policy.trustedRoot?.json, { signal: opts.signal });
      } catch (err) {
        // Unusable trust material (a malformed trusted root, a bad key): nothing verifies; say why, fail closed.
        const message = `the trust material of the policy cannot be used: ${(err as Error).message}`;
        result.policy.error = message;
        const severity = severityForMode(rule.mode) ?? 'error';
        result.findings = [{ code: 'verify-failed', severity, message: `Signatures of ${p.familiar} could not be checked: ${message}.`, range: ref.range }];
        return result;
      }
      // Errors are not cached: the next look tries again.
      if (result.trust.status !== 'error') opts.cache?.set(key, result.trust);
    }
  }
  result.findings = policyFindings(ref, rule, result, resolution);
  return result;
}

function policyFindings(ref: ImageRef, rule: ResolvedRule, v: ReferenceVerification, resolution: Resolution | null): Finding[] {
  const severity: Severity | null = severityForMode(rule.mode);
  if (!severity) return [];
  const out: Finding[] = [];
  const name = ref.parsed!.familiar;
  const add = (code: string, message: string, sev: Severity = severity) => {
    if (isSuppressed(ref.ignored, code)) return;
    out.push({ code, severity: sev, message: `${message} (policy rule "${rule.name}", ${rule.mode})`, range: ref.range });
  };
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
