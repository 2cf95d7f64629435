// Background registry work for the editor: resolves the references of open documents off the typing path, keeps the
// answers, and tells the server which documents to re-publish. Glue over core/resolve.
import { createRegistryClient, type RegistryClient } from '../core/registry';
import { resolutionKey } from '../core/pinning';
import { resolveReference, type Resolution } from '../core/resolve';
import type { ImageRef } from '../core/types';
import type { PolicyLoadResult } from '../core/policy';
import { VerificationCache, verdictValidUntil, verifyReference, type ReferenceVerification } from '../core/verification';
import type { ImageTrustSettings } from '../protocol';
import { join } from 'node:path';

const BACKGROUND_DELAY_MS = 400;

export interface ResolutionEnvironment {
  cacheDir?: string;
  /** The trust policy in force now (reloaded by the server when the file changes). */
  policy: () => PolicyLoadResult;
  /** Workspace-relative path of a document, for path-scoped exceptions. */
  relativePath: (uri: string) => string;
  /** Background work started (true) or all of it finished (false): the status bar's spinner. */
  onBusy?: (busy: boolean) => void;
  /** Network and credential helpers only in a trusted workspace. */
  trusted: boolean;
  log: (message: string) => void;
}

export class ResolutionService {
  private client: RegistryClient;
  private readonly results = new Map<string, Resolution>();
  private readonly inFlight = new Map<string, Promise<Resolution | null>>();
  private timer: NodeJS.Timeout | undefined;
  private pending: { uri: string; ref: ImageRef }[] = [];
  private readonly verifications = new Map<string, ReferenceVerification | null>();
  private verificationCache: VerificationCache;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Number of background jobs running (for the status bar spinner). */
  busy = 0;

  constructor(private settings: ImageTrustSettings, private readonly env: ResolutionEnvironment, private readonly onResolved: (keys: Set<string>) => void) {
    this.client = this.createClient();
    this.verificationCache = this.createVerificationCache();
  }

  private createVerificationCache(): VerificationCache {
    const file = this.env.cacheDir ? join(this.env.cacheDir, 'verifications.json') : undefined;
    return new VerificationCache({ file, recheckMs: this.settings.cacheTtlMinutes * 60_000 });
  }

  private createClient(): RegistryClient {
    const s = this.settings;
    return createRegistryClient({
      cacheDir: this.env.cacheDir,
      // Restricted mode (untrusted workspace): cache only, no credential helpers.
      offline: s.offline || !this.env.trusted,
      allowCredentialHelpers: this.env.trusted,
      insecureRegistries: s.insecureRegistries,
      caFile: s.caFile || undefined,
      tagTtlMs: s.cacheTtlMinutes * 60_000,
      concurrencyPerHost: s.concurrency,
      onRequest: (info) => this.env.log(`${info.method} ${info.host} ${info.kind}`),
    });
  }

  get registry(): RegistryClient {
    return this.client;
  }

  updateSettings(settings: ImageTrustSettings): void {
    this.settings = settings;
    this.client = this.createClient();
    this.verificationCache = this.createVerificationCache();
    this.results.clear();
    this.verifications.clear();
  }

  /** The known answer for a reference, if any. */
  get(ref: ImageRef): Resolution | undefined {
    return ref.parsed ? this.results.get(resolutionKey(ref)) : undefined;
  }

  /** The verification of a reference in a document, if known. */
  verification(uri: string, ref: ImageRef): ReferenceVerification | null | undefined {
    if (!ref.parsed) return undefined;
    const vkey = `${uri}\0${resolutionKey(ref)}`;
    const v = this.verifications.get(vkey);
    // A verdict past its validUntil (signature expiry, certificate notAfter, an exception's last day) is no verdict:
    // it is checked again.
    const until = verdictValidUntil(v);
    if (until !== undefined && !(Date.now() < Date.parse(until))) {
      this.verifications.delete(vkey);
      return undefined;
    }
    return v;
  }

  /** At a verdict's validUntil, forget it and re-publish, so an open editor never shows an expired "verified". */
  private expireAt(vkey: string, key: string, validUntil: string | undefined): void {
    if (validUntil === undefined) return;
    const ms = Math.min(Math.max(Date.parse(validUntil) - Date.now(), 0) + 50, 2 ** 31 - 1);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (verdictValidUntil(this.verifications.get(vkey)) !== validUntil) return;
      this.verifications.delete(vkey);
      this.onResolved(new Set([key]));
    }, Number.isNaN(ms) ? 0 : ms);
    timer.unref?.();
    this.timers.add(timer);
  }

  /** Queue references for background resolution and verification (debounced; never blocks the caller). */
  enqueue(uri: string, refs: ImageRef[]): void {
    const wanted = refs.filter((r) => r.parsed && r.status !== 'invalid' && r.status !== 'templated' && !this.verifications.has(`${uri}\0${resolutionKey(r)}`));
    if (wanted.length === 0) return;
    this.pending.push(...wanted.map((ref) => ({ uri, ref })));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), BACKGROUND_DELAY_MS);
  }

  private async drain(): Promise<void> {
    const batch = this.pending.splice(0);
    const keys = new Set<string>();
    const seen = new Set<string>();
    if (this.busy++ === 0) this.env.onBusy?.(true);
    try {
      await Promise.all(
        batch.map(async ({ uri, ref }) => {
          const key = resolutionKey(ref);
          const vkey = `${uri}\0${key}`;
          if (seen.has(vkey) || this.verifications.has(vkey)) return;
          seen.add(vkey);
          keys.add(key);
          const resolution = await this.resolveNow(ref);
          const v = await verifyReference(this.client, ref, resolution, this.env.policy(), {
            now: new Date(),
            path: this.env.relativePath(uri),
            cache: this.verificationCache,
          }).catch((err) => {
            this.env.log(`verification failed for ${ref.reference}: ${(err as Error).message}`);
            return null;
          });
          this.verifications.set(vkey, v);
          this.expireAt(vkey, key, verdictValidUntil(v));
        }),
      );
      await this.client.flush().catch((err) => this.env.log(`cache not saved: ${(err as Error).message}`));
      try {
        this.verificationCache.flush();
      } catch (err) {
        this.env.log(`verification cache not saved: ${(err as Error).message}`);
      }
    } finally {
      if (--this.busy === 0) this.env.onBusy?.(false);
    }
    if (keys.size) this.onResolved(keys);
  }

  /** Forget what is known about one reference (Re-verify), so the next look asks again. */
  forget(uri: string, ref: ImageRef): void {
    if (!ref.parsed) return;
    const key = resolutionKey(ref);
    this.results.delete(key);
    this.verifications.delete(`${uri}\0${key}`);
  }

  /** Forget verifications (the policy changed); resolutions stay. */
  clearVerifications(): void {
    this.verifications.clear();
  }

  /** Resolve one reference now (quick fix), sharing any request already in flight. */
  async resolveNow(ref: ImageRef, signal?: AbortSignal): Promise<Resolution | null> {
    if (!ref.parsed) return null;
    const key = resolutionKey(ref);
    const known = this.results.get(key);
    if (known && !known.error) return known;
    let p = this.inFlight.get(key);
    if (!p) {
      p = resolveReference(this.client, ref, { signal }).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    const r = await p;
    if (r) this.results.set(key, r);
    return r;
  }

  /** Forget answers so the next look asks again (Refresh). */
  clear(): void {
    this.results.clear();
    this.verifications.clear();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
