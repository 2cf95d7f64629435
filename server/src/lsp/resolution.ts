// Background registry work for the editor: resolves the references of open documents off the typing path, keeps the
// answers, and tells the server which documents to re-publish. Glue over core/resolve.
import { createRegistryClient, type RegistryClient } from '../core/registry';
import { resolutionKey } from '../core/pinning';
import { resolveReference, type Resolution } from '../core/resolve';
import type { ImageRef } from '../core/types';
import type { PolicyLoadResult } from '../core/policy';
import { VerificationCache, verdictValidUntil, verifyReference, type ReferenceVerification } from '../core/verification';
import type { ImageTrustSettings } from '../protocol';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageKey, lockPolicyMismatch, parseLock, verifyFromLock, type TrustLock } from '../core/lock';
import { editorUpdateOptions, evaluateUpdate, type UpdateEvaluation } from '../core/update';

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
  /** The trust lock's path (`.image-trust.lock` at the workspace root), when there is a workspace. */
  lockFile?: () => string | undefined;
}

/** What the trust lock said about a reference's verification (shown in the hover). */
export type LockState = { state: 'locked'; lockedAt: string } | { state: 'policy-changed'; lockedAt: string; detail: string } | { state: 'unreadable'; detail: string };

export class ResolutionService {
  private client: RegistryClient;
  private readonly results = new Map<string, Resolution>();
  private readonly inFlight = new Map<string, Promise<Resolution | null>>();
  private timer: NodeJS.Timeout | undefined;
  private pending: { uri: string; ref: ImageRef }[] = [];
  private readonly verifications = new Map<string, ReferenceVerification | null>();
  private verificationCache: VerificationCache;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Trust-gated update evaluations of moved pins, by document and reference (`image-trust update`'s judgement). */
  private readonly updates = new Map<string, UpdateEvaluation>();
  /** Whether a verification came from the trust lock, by document and reference. */
  private readonly lockStates = new Map<string, LockState>();
  private lockCache: { stamp: string; lock: TrustLock | null; error?: string } | undefined;
  /** Number of background jobs running (for the status bar spinner). */
  busy = 0;
  /** Work is queued (waiting for the debounce) and holds one busy token. */
  private queued = false;

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
    this.updates.clear();
    this.lockStates.clear();
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

  /** The trust-gated update evaluation of a moved pin; undefined until it has been evaluated (or when not moved). */
  updateEvaluation(uri: string, ref: ImageRef): UpdateEvaluation | undefined {
    return ref.parsed ? this.updates.get(`${uri}\0${resolutionKey(ref)}`) : undefined;
  }

  /** Whether the reference's verification came from the trust lock (or why the lock was not used). */
  lockState(uri: string, ref: ImageRef): LockState | undefined {
    return ref.parsed ? this.lockStates.get(`${uri}\0${resolutionKey(ref)}`) : undefined;
  }

  /** The trust lock, read again whenever the file changes (size or time); null when there is none. */
  private currentLock(): { lock: TrustLock | null; error?: string } {
    const file = this.env.lockFile?.();
    if (!file) return { lock: null };
    let stamp: string;
    try {
      const st = statSync(file);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch {
      return { lock: null };
    }
    if (this.lockCache?.stamp !== stamp) {
      try {
        this.lockCache = { stamp, lock: parseLock(readFileSync(file, 'utf8')) };
      } catch (err) {
        this.lockCache = { stamp, lock: null, error: (err as Error).message };
      }
    }
    return this.lockCache;
  }

  /**
   * A pinned reference whose digest is in the trust lock, made under the policy in force, is verified from the lock:
   * the same verifier over the recorded material, at the current time, with no network. Otherwise undefined (the
   * registry is asked as usual), with the reason kept for the hover.
   */
  private async verifyFromLockIfLocked(uri: string, vkey: string, ref: ImageRef): Promise<ReferenceVerification | null | undefined> {
    const p = ref.parsed;
    if (!p?.digest || ref.status !== 'pinned') return undefined;
    const { lock, error } = this.currentLock();
    if (error) {
      this.lockStates.set(vkey, { state: 'unreadable', detail: error });
      return undefined;
    }
    const entry = lock?.images[imageKey(p.name, p.digest)];
    if (!lock || !entry) return undefined;
    const mismatch = lockPolicyMismatch(lock, this.env.policy());
    if (mismatch) {
      this.lockStates.set(vkey, { state: 'policy-changed', lockedAt: entry.lockedAt, detail: mismatch });
      return undefined;
    }
    this.lockStates.set(vkey, { state: 'locked', lockedAt: entry.lockedAt });
    const { verification } = await verifyFromLock(lock, ref, this.env.policy(), { now: new Date(), path: this.env.relativePath(uri) });
    return verification;
  }

  /**
   * Moved pins get the trust-gated update judgement in the background (after their diagnostics are published): the
   * quick fix and the hover show it. Not in Restricted Mode or offline: the candidate must be read from the registry.
   */
  private async evaluateMovedPins(items: { uri: string; ref: ImageRef; resolution: Resolution }[]): Promise<void> {
    if (items.length === 0 || this.settings.offline || !this.env.trusted) return;
    const keys = new Set<string>();
    this.begin();
    try {
      const ctx = { client: this.client, policy: this.env.policy(), now: new Date(), options: editorUpdateOptions(this.settings.updateMinAge) };
      await Promise.all(
        items.map(async ({ uri, ref, resolution }) => {
          const key = resolutionKey(ref);
          const e = await evaluateUpdate(ctx, ref, this.env.relativePath(uri), resolution).catch((err): UpdateEvaluation => ({ ref, state: 'failed', from: ref.parsed!.digest!, reason: (err as Error).message }));
          this.updates.set(`${uri}\0${key}`, e);
          keys.add(key);
        }),
      );
      await this.client.flush().catch(() => {});
    } finally {
      if (keys.size) this.onResolved(keys);
      this.end();
    }
  }

  /**
   * The busy signal (status bar spinner; tests wait on it): true from the moment work is queued, false only after the
   * documents it concerns were re-published (the end is deferred past the publishing that `onResolved` schedules).
   */
  private begin(): void {
    if (this.busy++ === 0) this.env.onBusy?.(true);
  }

  private end(): void {
    setImmediate(() => {
      if (--this.busy === 0) this.env.onBusy?.(false);
    });
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
    if (!this.queued) {
      this.queued = true;
      this.begin();
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), BACKGROUND_DELAY_MS);
  }

  private async drain(): Promise<void> {
    const batch = this.pending.splice(0);
    const keys = new Set<string>();
    const seen = new Set<string>();
    const moved: { uri: string; ref: ImageRef; resolution: Resolution }[] = [];
    // The busy token taken when the work was queued is this drain's.
    if (this.queued) this.queued = false;
    else this.begin();
    try {
      await Promise.all(
        batch.map(async ({ uri, ref }) => {
          const key = resolutionKey(ref);
          const vkey = `${uri}\0${key}`;
          if (seen.has(vkey) || this.verifications.has(vkey)) return;
          seen.add(vkey);
          keys.add(key);
          const resolution = await this.resolveNow(ref);
          if (resolution?.drift && ref.status === 'pinned' && ref.parsed?.tag !== null && !this.updates.has(vkey)) moved.push({ uri, ref, resolution });
          this.lockStates.delete(vkey);
          const fromLock = await this.verifyFromLockIfLocked(uri, vkey, ref).catch((err) => {
            this.env.log(`verification from the trust lock failed for ${ref.reference}: ${(err as Error).message}`);
            return undefined;
          });
          const v = fromLock !== undefined ? fromLock : await verifyReference(this.client, ref, resolution, this.env.policy(), {
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
      if (keys.size) this.onResolved(keys);
      void this.evaluateMovedPins(moved);
      this.end();
    }
  }

  /** Forget what is known about one reference (Re-verify), so the next look asks again. */
  forget(uri: string, ref: ImageRef): void {
    if (!ref.parsed) return;
    const key = resolutionKey(ref);
    this.results.delete(key);
    this.verifications.delete(`${uri}\0${key}`);
    this.updates.delete(`${uri}\0${key}`);
    this.lockStates.delete(`${uri}\0${key}`);
  }

  /** Forget verifications (the policy changed); resolutions stay. */
  clearVerifications(): void {
    this.verifications.clear();
    this.updates.clear();
    this.lockStates.clear();
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
    this.updates.clear();
    this.lockStates.clear();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
