// Verification results kept between looks (and, with a file, between runs of the CLI and sessions of the editor).
//
// How a cached "verified" could lie, and what stops it:
// - the policy, its key files or its trusted root changed → the key holds the policy hash and the trusted-root digest;
// - the tool changed (a verifier bug fixed in an upgrade) → the key holds the tool version;
// - what made it true stopped being true (a Notation signature's expiry, a certificate checked against "now" reached
//   its notAfter) → every entry carries `validUntil` and is dropped at that time;
// - a signature was added or removed → only `verified` is kept long; any other result is re-checked after `recheckMs`.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DigestTrust } from './trust';
import { TOOL_VERSION } from './version';

/** Bumped when the key or entry format changes: older files are ignored, never misread. */
const FILE_VERSION = 2;
const MAX_ENTRIES = 5000;

export interface VerificationKey {
  /** Canonical repository name (`ParsedReference.name`). */
  name: string;
  digest: string;
  policyHash: string;
  /** Rule whose signers and requirements were applied. */
  rule: string;
  /** sha256 of the Sigstore trusted root in use (the policy's own, or the bundled public-good one). */
  trustedRootDigest: string;
}

export function verificationKey(k: VerificationKey, toolVersion = TOOL_VERSION): string {
  return JSON.stringify([toolVersion, k.trustedRootDigest, k.policyHash, k.rule, k.name, k.digest]);
}

interface Entry {
  at: number;
  trust: DigestTrust;
}

export class VerificationCache {
  private entries = new Map<string, Entry>();
  private dirty = false;

  /**
   * A `verified` result is kept until its `validUntil` (or for as long as the key stays the same when it has none);
   * any other result may change when a signature is added, so it is kept for `recheckMs` only. With `file`, entries
   * persist between runs (written by `flush`).
   */
  constructor(private readonly opts: { file?: string; recheckMs?: number; clock?: () => number } = {}) {
    if (opts.file && existsSync(opts.file)) {
      try {
        const raw = JSON.parse(readFileSync(opts.file, 'utf8')) as { version?: number; entries?: [string, Entry][] };
        if (raw.version === FILE_VERSION && Array.isArray(raw.entries)) {
          this.entries = new Map(raw.entries.filter((e) => Array.isArray(e) && typeof e[0] === 'string' && isEntry(e[1])));
        }
      } catch {
        /* an unreadable cache is an empty cache */
      }
    }
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  /** The cached trust for `key` as of `now` (default: the cache's clock), or undefined when it must be checked again. */
  get(key: string, now: number = this.now()): { trust: DigestTrust; ageMs: number } | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const ageMs = this.now() - e.at;
    // Whichever of the verification time and the clock is later decides: a verdict is never stretched past validUntil.
    const expired = e.trust.validUntil !== undefined && !(Math.max(now, this.now()) < Date.parse(e.trust.validUntil));
    const stale = e.trust.status !== 'verified' && ageMs > (this.opts.recheckMs ?? 10 * 60_000);
    if (expired || stale || ageMs < 0) {
      this.entries.delete(key);
      this.dirty = true;
      return undefined;
    }
    return { trust: e.trust, ageMs };
  }

  set(key: string, trust: DigestTrust): void {
    this.entries.delete(key);
    this.entries.set(key, { at: this.now(), trust: withoutPackageLists(trust) });
    this.dirty = true;
  }

  /** Persist (atomically: temp file + rename); only the newest entries are kept. */
  flush(): void {
    if (!this.opts.file || !this.dirty) return;
    mkdirSync(dirname(this.opts.file), { recursive: true });
    const tmp = `${this.opts.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: FILE_VERSION, entries: [...this.entries].slice(-MAX_ENTRIES) }));
    renameSync(tmp, this.opts.file);
    this.dirty = false;
  }
}

/**
 * SBOM package lists (up to tens of thousands of names) are left out of cached results: the persisted cache stays
 * small, and what needs them (`image-trust update`'s package diff) verifies afresh, without the cache.
 */
function withoutPackageLists(trust: DigestTrust): DigestTrust {
  if (!trust.attestations.some((a) => a.summary?.fields.packages)) return trust;
  return {
    ...trust,
    attestations: trust.attestations.map((a) => {
      if (!a.summary?.fields.packages) return a;
      const { packages: _packages, packagesTruncated: _truncated, ...fields } = a.summary.fields;
      return { ...a, summary: { ...a.summary, fields } };
    }),
  };
}

function isEntry(v: unknown): v is Entry {
  const e = v as Entry | null;
  return !!e && typeof e.at === 'number' && !!e.trust && typeof e.trust.status === 'string' && typeof e.trust.digest === 'string' && (e.trust.validUntil === undefined || typeof e.trust.validUntil === 'string');
}
