// Background registry work for the editor: resolves the references of open documents off the typing path, keeps the
// answers, and tells the server which documents to re-publish. Glue over core/resolve.
import { createRegistryClient, type RegistryClient } from '../core/registry';
import { resolutionKey } from '../core/pinning';
import { resolveReference, type Resolution } from '../core/resolve';
import type { ImageRef } from '../core/types';
import type { ImageTrustSettings } from '../protocol';

const BACKGROUND_DELAY_MS = 400;

export interface ResolutionEnvironment {
  cacheDir?: string;
  /** Network and credential helpers only in a trusted workspace. */
  trusted: boolean;
  log: (message: string) => void;
}

export class ResolutionService {
  private client: RegistryClient;
  private readonly results = new Map<string, Resolution>();
  private readonly inFlight = new Map<string, Promise<Resolution | null>>();
  private timer: NodeJS.Timeout | undefined;
  private pending: ImageRef[] = [];

  constructor(private settings: ImageTrustSettings, private readonly env: ResolutionEnvironment, private readonly onResolved: (keys: Set<string>) => void) {
    this.client = this.createClient();
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
    this.results.clear();
  }

  /** The known answer for a reference, if any. */
  get(ref: ImageRef): Resolution | undefined {
    return ref.parsed ? this.results.get(resolutionKey(ref)) : undefined;
  }

  /** Queue references for background resolution (debounced; never blocks the caller). */
  enqueue(refs: ImageRef[]): void {
    const wanted = refs.filter((r) => r.parsed && r.status !== 'invalid' && r.status !== 'templated' && !this.results.has(resolutionKey(r)));
    if (wanted.length === 0) return;
    this.pending.push(...wanted);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), BACKGROUND_DELAY_MS);
  }

  private async drain(): Promise<void> {
    const batch = this.pending.splice(0);
    const keys = new Set<string>();
    await Promise.all(
      batch.map(async (ref) => {
        const key = resolutionKey(ref);
        if (this.results.has(key) || keys.has(key)) return;
        keys.add(key);
        await this.resolveNow(ref);
      }),
    );
    await this.client.flush().catch((err) => this.env.log(`cache not saved: ${(err as Error).message}`));
    if (keys.size) this.onResolved(keys);
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
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
