// The OCI registry client: resolves tags to digests, fetches manifests, blobs and referrers, with auth, retries,
// per-host concurrency limits, shared in-flight requests and a tag/content cache (optionally persisted, usable
// offline). Every manifest or blob body it returns has been checked against its digest.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { ImageTrustError } from '../errors';
import { isTag } from '../reference';
import { Authenticator } from './auth';
import { RegistryCache } from './cache';
import { dockerConfigCredentials, type CredentialSource } from './credentials';
import { digestOf, isDigest, matchesDigest } from './digest';
import { locateRepository, plainHttpAllowed, type RepositoryLocation } from './hosts';
import { httpRequest, TransportError, type HttpRequest, type HttpResponse, type RequestInfo, type RequestKind, type TransportOptions } from './http';
import { HostLimiter } from './limiter';
import { referrersTag, parseReferrersIndex, nextPageUrl } from './referrers';
import { backoffMs, delayForResponse, isRetryableError, isRetryableStatus, parseRetryAfter, sleep, type RetryPolicy } from './retry';
import {
  MEDIA_TYPES,
  type ManifestResult,
  type ReferrersResult,
  type RegistryReader,
  type RequestOptions,
  type ResolvedTag,
} from './types';

export interface RegistryOptions {
  /** Where credentials come from. Default: Docker's config.json (see `dockerConfigDir`, `allowCredentialHelpers`). */
  credentials?: CredentialSource;
  /** Directory of Docker's `config.json` for the default credential source. Default `$DOCKER_CONFIG` or `~/.docker`. */
  dockerConfigDir?: string;
  /**
   * Let the default credential source run `docker-credential-*` helpers (`credsStore`, `credHelpers`). Default
   * false: only trusted contexts should run programs named by configuration.
   */
  allowCredentialHelpers?: boolean;
  /** Hosts (with port) that may be reached over plain HTTP besides loopback. TLS is still verified when used. */
  insecureRegistries?: string[];
  /** Extra PEM CA bundles trusted for registry TLS, on top of Node's roots and NODE_EXTRA_CA_CERTS. */
  caFile?: string | string[];
  /** Connect + whole exchange, per request. Default 15 s. */
  timeoutMs?: number;
  /** Longest silence while a body streams. Default 10 s. */
  idleTimeoutMs?: number;
  /** Largest manifest accepted. Default 4 MiB. */
  maxManifestBytes?: number;
  /** Attempts (default 3), first backoff (default 250 ms), longest Retry-After waited for (default 10 s). */
  retry?: Partial<RetryPolicy>;
  /** Requests in flight per registry host. Default 8. */
  concurrencyPerHost?: number;
  /** How long a tag → digest (or referrer list) answer is reused. Default 10 min. */
  tagTtlMs?: number;
  /** Persist the cache here (tag index + content by digest) so later runs can skip the network. */
  cacheDir?: string;
  /** Answer only from the cache; a miss fails with OFFLINE. Cached tags are used whatever their age. */
  offline?: boolean;
  /** Most referrer descriptors accepted for one subject. Default 1000. */
  maxReferrers?: number;
  /** Called before every HTTP request (token and redirect requests included). Never sees headers or queries. */
  onRequest?: (info: RequestInfo) => void;
  /** Clock for cache ages (tests). Default Date.now. */
  clock?: () => number;
}

export interface RegistryClient extends RegistryReader {
  /** Whether a manifest with this digest exists in the repository (404 → false; other failures throw). */
  manifestExists(name: string, digest: string, opts?: RequestOptions): Promise<boolean>;
  /** Writes the tag index of the persisted cache (content files are written as they arrive). */
  flush(): Promise<void>;
}

export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(', ');
const KNOWN_MANIFEST_TYPES: string[] = Object.values(MEDIA_TYPES);
const DEFAULT_MAX_MANIFEST = 4 * 1024 * 1024;
/** Blobs up to this size are kept in the cache (signature payloads, attestations, configs). */
const MAX_CACHED_BLOB = 4 * 1024 * 1024;
const MAX_REFERRER_PAGES = 20;

export function createRegistryClient(options: RegistryOptions = {}): RegistryClient {
  return new OciRegistryClient(options);
}

interface Fetched {
  result: ManifestResult;
  fromCache: boolean;
  cacheAgeMs: number;
}

class OciRegistryClient implements RegistryClient {
  private readonly retry: RetryPolicy;
  private readonly limiter: HostLimiter;
  private readonly cache: RegistryCache;
  private readonly auth: Authenticator;
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Scheme of each loopback/insecure host, found once by a ping. */
  private readonly schemes = new Map<string, Promise<'https' | 'http'>>();
  private readonly insecure: readonly string[];
  private readonly clock: () => number;
  private transport: Promise<TransportOptions> | undefined;

  constructor(private readonly options: RegistryOptions) {
    this.retry = { attempts: 3, baseDelayMs: 250, maxRetryAfterMs: 10_000, ...options.retry };
    this.limiter = new HostLimiter(options.concurrencyPerHost ?? 8);
    this.cache = new RegistryCache(options.cacheDir);
    this.insecure = (options.insecureRegistries ?? []).map((h) => h.toLowerCase());
    this.clock = options.clock ?? Date.now;
    const credentials =
      options.credentials ??
      dockerConfigCredentials({ configDir: options.dockerConfigDir, allowCredentialHelpers: options.allowCredentialHelpers ?? false });
    this.auth = new Authenticator(credentials, (req) => this.send(req), this.insecure, this.clock);
  }

  // ---- RegistryReader -------------------------------------------------------------------------------------------

  async resolve(name: string, tagOrDigest: string, opts: RequestOptions = {}): Promise<ResolvedTag> {
    const loc = locateRepository(name);
    if (isDigestRef(tagOrDigest)) {
      checkDigest(name, tagOrDigest);
      const f = await this.manifestByDigest(loc, tagOrDigest, opts.signal);
      return { digest: f.result.digest, mediaType: f.result.mediaType, fromCache: f.fromCache, cacheAgeMs: f.cacheAgeMs };
    }
    const tag = checkTag(name, tagOrDigest);
    const key = tagKey(loc, tag);
    const cached = await this.cache.getTag(key);
    if (cached && this.usable(cached.at, opts)) {
      return { digest: cached.digest, mediaType: cached.mediaType, fromCache: true, cacheAgeMs: this.age(cached.at) };
    }
    this.requireOnline(`${loc.host}/${loc.repository}:${tag}`);
    return this.share(`resolve ${key}`, opts.signal, () => this.resolveTagOnline(loc, tag));
  }

  async getManifest(name: string, tagOrDigest: string, opts: RequestOptions = {}): Promise<ManifestResult> {
    const loc = locateRepository(name);
    if (isDigestRef(tagOrDigest)) {
      checkDigest(name, tagOrDigest);
      return (await this.manifestByDigest(loc, tagOrDigest, opts.signal)).result;
    }
    const tag = checkTag(name, tagOrDigest);
    const cached = await this.cache.getTag(tagKey(loc, tag));
    if (cached && this.usable(cached.at, opts)) return (await this.manifestByDigest(loc, cached.digest, opts.signal)).result;
    this.requireOnline(`${loc.host}/${loc.repository}:${tag}`);
    return this.share(`manifest ${tagKey(loc, tag)}`, opts.signal, () => this.manifestByTagOnline(loc, tag));
  }

  async getBlob(name: string, digest: string, maxBytes: number, opts: RequestOptions = {}): Promise<Buffer> {
    const loc = locateRepository(name);
    checkDigest(name, digest);
    const cached = await this.cache.getObject(digest);
    if (cached) {
      if (cached.length > maxBytes) throw tooLarge(loc.host, `blob ${digest}`, maxBytes);
      return cached;
    }
    this.requireOnline(`blob ${digest} of ${loc.host}/${loc.repository}`);
    const body = await this.share(`blob ${loc.host}/${loc.repository}@${digest} ${maxBytes}`, opts.signal, async () => {
      const res = await this.registryRequest(loc, { method: 'GET', path: `blobs/${digest}`, kind: 'blob', maxBytes });
      expectOk(loc, res, `blob ${digest}`);
      if (!matchesDigest(res.body, digest)) throw mismatch(loc.host, `blob ${digest}`, digestOf(res.body, digest));
      if (res.body.length <= MAX_CACHED_BLOB) await this.cache.putObject(digest, res.body);
      return res.body;
    });
    return body;
  }

  async getReferrers(name: string, digest: string, artifactType?: string, opts: RequestOptions = {}): Promise<ReferrersResult> {
    const loc = locateRepository(name);
    checkDigest(name, digest);
    const key = `${loc.host}/${loc.repository}@${digest}${artifactType ? `?artifactType=${artifactType}` : ''}`;
    const cached = await this.cache.getReferrers(key);
    if (cached && this.usable(cached.at, opts)) return { manifests: cached.manifests, source: cached.source };
    this.requireOnline(`referrers of ${loc.host}/${loc.repository}@${digest}`);
    return this.share(`referrers ${key}`, opts.signal, async () => {
      const result = await this.referrersOnline(loc, digest, artifactType);
      await this.cache.setReferrers(key, { ...result, at: this.clock() });
      return result;
    });
  }

  async manifestExists(name: string, digest: string, opts: RequestOptions = {}): Promise<boolean> {
    const loc = locateRepository(name);
    checkDigest(name, digest);
    if (await this.cache.getObject(digest)) return true;
    this.requireOnline(`manifest ${digest} of ${loc.host}/${loc.repository}`);
    return this.share(`exists ${loc.host}/${loc.repository}@${digest}`, opts.signal, async () => {
      const res = await this.registryRequest(loc, { method: 'HEAD', path: `manifests/${digest}`, kind: 'manifest', accept: MANIFEST_ACCEPT });
      if (res.status === 404) return false;
      expectOk(loc, res, `manifest ${digest}`);
      const advertised = headerDigest(res);
      if (advertised && advertised !== digest) throw mismatch(loc.host, `manifest ${digest}`, advertised);
      return true;
    });
  }

  flush(): Promise<void> {
    return this.cache.flush();
  }

  // ---- manifests and tags ---------------------------------------------------------------------------------------

  private async resolveTagOnline(loc: RepositoryLocation, tag: string): Promise<ResolvedTag> {
    const res = await this.registryRequest(loc, { method: 'HEAD', path: `manifests/${tag}`, kind: 'manifest', accept: MANIFEST_ACCEPT });
    const ok = res.status >= 200 && res.status < 300;
    const digest = ok ? headerDigest(res) : undefined;
    const mediaType = contentType(res);
    if (res.status === 405 || (ok && (!digest || !mediaType || !KNOWN_MANIFEST_TYPES.includes(mediaType)))) {
      // No usable HEAD answer: fetch the manifest, hash it and read its type ourselves.
      const m = await this.manifestByTagOnline(loc, tag);
      return { digest: m.digest, mediaType: m.mediaType, fromCache: false, cacheAgeMs: 0 };
    }
    expectOk(loc, res, `${loc.repository}:${tag}`);
    await this.cache.setTag(tagKey(loc, tag), { digest: digest!, mediaType: mediaType!, at: this.clock() });
    return { digest: digest!, mediaType: mediaType!, fromCache: false, cacheAgeMs: 0 };
  }

  private async manifestByTagOnline(loc: RepositoryLocation, tag: string): Promise<ManifestResult> {
    const what = `${loc.repository}:${tag}`;
    const res = await this.fetchManifestBody(loc, tag, what);
    const advertised = headerDigest(res);
    const digest = advertised ?? digestOf(res.body);
    if (!matchesDigest(res.body, digest)) throw mismatch(loc.host, `manifest ${what} (advertised ${digest})`, digestOf(res.body, digest));
    const result = toManifestResult(loc, digest, res.body, contentType(res));
    await this.cache.putObject(digest, res.body);
    await this.cache.setTag(tagKey(loc, tag), { digest, mediaType: result.mediaType, at: this.clock() });
    return result;
  }

  private async manifestByDigest(loc: RepositoryLocation, digest: string, signal?: AbortSignal): Promise<Fetched> {
    const cached = await this.cache.getObject(digest);
    if (cached) return { result: toManifestResult(loc, digest, cached, undefined), fromCache: true, cacheAgeMs: 0 };
    this.requireOnline(`manifest ${digest} of ${loc.host}/${loc.repository}`);
    const result = await this.share(`manifest ${loc.host}/${loc.repository}@${digest}`, signal, async () => {
      const res = await this.fetchManifestBody(loc, digest, `manifest ${digest}`);
      if (!matchesDigest(res.body, digest)) throw mismatch(loc.host, `manifest ${digest}`, digestOf(res.body, digest));
      const m = toManifestResult(loc, digest, res.body, contentType(res));
      await this.cache.putObject(digest, res.body);
      return m;
    });
    return { result, fromCache: false, cacheAgeMs: 0 };
  }

  private async fetchManifestBody(loc: RepositoryLocation, ref: string, what: string): Promise<HttpResponse> {
    const res = await this.registryRequest(loc, {
      method: 'GET',
      path: `manifests/${ref}`,
      kind: 'manifest',
      accept: MANIFEST_ACCEPT,
      maxBytes: this.options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST,
    });
    expectOk(loc, res, isDigest(ref) ? `manifest ${ref} (digest not found in ${loc.repository})` : what);
    return res;
  }

  // ---- referrers ------------------------------------------------------------------------------------------------

  private async referrersOnline(loc: RepositoryLocation, digest: string, artifactType?: string): Promise<ReferrersResult> {
    const max = this.options.maxReferrers ?? 1000;
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    let path: string | undefined = `referrers/${digest}${query}`;
    const seen = new Set<string>();
    const manifests: ReferrersResult['manifests'] = [];
    for (let page = 0; path; page++) {
      if (seen.has(path) || page >= MAX_REFERRER_PAGES) {
        throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${loc.host}: referrers list of ${digest} pages in a loop or too many pages`);
      }
      seen.add(path);
      const res = await this.registryRequest(loc, {
        method: 'GET',
        path,
        kind: 'referrers',
        accept: MEDIA_TYPES.ociIndex,
        maxBytes: this.options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST,
      });
      if (page === 0 && [404, 405, 501].includes(res.status)) return this.referrersFromTagSchema(loc, digest, artifactType, max);
      expectOk(loc, res, `referrers of ${digest}`);
      // A registry that ignored the filter does not say it applied it: filter here.
      const filtered = String(res.headers['oci-filters-applied'] ?? '').split(',').map((s) => s.trim()).includes('artifactType');
      manifests.push(...parseReferrersIndex(loc.host, res.body, filtered ? undefined : artifactType));
      if (manifests.length > max) throw tooManyReferrers(loc.host, digest, max);
      path = nextPageUrl(loc, res);
    }
    return { manifests, source: 'api' };
  }

  private async referrersFromTagSchema(loc: RepositoryLocation, digest: string, artifactType: string | undefined, max: number): Promise<ReferrersResult> {
    let index: ManifestResult;
    try {
      index = await this.manifestByTagOnline(loc, referrersTag(digest));
    } catch (err) {
      if (err instanceof ImageTrustError && err.code === 'REGISTRY_NOT_FOUND') return { manifests: [], source: 'none' };
      throw err;
    }
    const manifests = parseReferrersIndex(loc.host, index.body, artifactType);
    if (manifests.length > max) throw tooManyReferrers(loc.host, digest, max);
    return { manifests, source: 'tag-schema' };
  }

  // ---- requests -------------------------------------------------------------------------------------------------

  /** A request to a repository's API, authenticated as its challenges require. */
  private async registryRequest(
    loc: RepositoryLocation,
    req: { method: 'GET' | 'HEAD'; path: string; kind: RequestKind; accept?: string; maxBytes?: number },
  ): Promise<HttpResponse> {
    const scope = `repository:${loc.repository}:pull`;
    const send = (authorization?: string) =>
      this.sendToRegistry(loc.host, {
        method: req.method,
        path: `/v2/${loc.repository}/${req.path}`,
        kind: req.kind,
        headers: req.accept ? { accept: req.accept } : undefined,
        authorization,
        maxBytes: req.maxBytes ?? 64 * 1024,
      });
    let res = await send(this.auth.cached(loc.host, scope)?.authorization);
    if (res.status !== 401) {
      if (res.status === 403) throw unauthorized(loc.host, res.status, undefined);
      return res;
    }
    const answer = await this.auth.respond(loc.host, scope, res.headers['www-authenticate']);
    if (!answer) throw unauthorized(loc.host, res.status, false);
    res = await send(answer.authorization);
    if (res.status === 401 || res.status === 403) {
      this.auth.forget(loc.host, scope);
      throw unauthorized(loc.host, res.status, answer.withCredentials);
    }
    return res;
  }

  private async sendToRegistry(host: string, req: Omit<HttpRequest, 'url'> & { path: string }): Promise<HttpResponse> {
    const scheme = await this.schemeFor(host);
    return this.send({ ...req, url: new URL(`${scheme}://${host}${req.path}`) });
  }

  /**
   * https, except for a loopback/insecure host whose `/v2/` ping shows it does not speak TLS (then http). A TLS
   * server with an untrusted certificate is an error, never a reason to fall back.
   */
  private schemeFor(host: string): Promise<'https' | 'http'> {
    if (!plainHttpAllowed(host, this.insecure)) return Promise.resolve('https');
    let scheme = this.schemes.get(host);
    if (!scheme) {
      scheme = this.send({ method: 'GET', url: new URL(`https://${host}/v2/`), kind: 'ping', maxBytes: 64 * 1024 }).then(
        () => 'https' as const,
        (err) => {
          if (err instanceof TransportError && err.notTls) return 'http' as const;
          this.schemes.delete(host);
          throw err;
        },
      );
      this.schemes.set(host, scheme);
    }
    return scheme;
  }

  /** One logical request: concurrency-limited per host, retried on 429/5xx/network failures with backoff. */
  private async send(req: HttpRequest): Promise<HttpResponse> {
    const transport = await this.transportOptions();
    const host = req.url.host;
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.retry.attempts - 1;
      let res: HttpResponse;
      try {
        res = await this.limiter.run(host, () => httpRequest(req, transport));
      } catch (err) {
        if (last || !isRetryableError(err)) throw withAttempts(err, attempt + 1);
        await sleep(backoffMs(this.retry, attempt), req.signal);
        continue;
      }
      if (!isRetryableStatus(res.status)) return res;
      if (last) return finalStatus(host, res, attempt + 1);
      await sleep(delayForResponse(host, res, this.retry, attempt), req.signal);
    }
  }

  private transportOptions(): Promise<TransportOptions> {
    this.transport ??= loadCa(this.options.caFile).then((ca) => ({
      timeoutMs: this.options.timeoutMs ?? 15_000,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 10_000,
      // Idle keep-alive sockets are unref'd by Node, so they never hold the process open.
      agents: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true, ca }) },
      insecureRegistries: this.insecure,
      onRequest: this.options.onRequest,
    }));
    return this.transport;
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  /** Callers sharing a key share one promise; each may still stop waiting through its own signal. */
  private share<T>(key: string, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    let p = this.inflight.get(key) as Promise<T> | undefined;
    if (!p) {
      p = run().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return signal ? raceAbort(p, signal) : p;
  }

  private usable(at: number, opts: RequestOptions): boolean {
    if (this.options.offline) return true;
    return !opts.fresh && this.age(at) < (this.options.tagTtlMs ?? 10 * 60_000);
  }

  private age(at: number): number {
    return Math.max(this.clock() - at, 0);
  }

  private requireOnline(what: string): void {
    if (this.options.offline) {
      throw new ImageTrustError('OFFLINE', `${what}: not in cache; run without --offline once`);
    }
  }
}

// ---- pure helpers ---------------------------------------------------------------------------------------------

function tagKey(loc: RepositoryLocation, tag: string): string {
  return `${loc.host}/${loc.repository}:${tag}`;
}

function isDigestRef(ref: string): boolean {
  return ref.includes(':');
}

function checkTag(name: string, tag: string): string {
  if (!isTag(tag)) throw new ImageTrustError('INVALID_REFERENCE', `${name}: "${tag}" is not a valid tag`);
  return tag;
}

function checkDigest(name: string, digest: string): void {
  if (!isDigest(digest)) throw new ImageTrustError('INVALID_REFERENCE', `${name}: "${digest}" is not a valid digest`);
}

function headerDigest(res: HttpResponse): string | undefined {
  const value = res.headers['docker-content-digest'];
  const d = (Array.isArray(value) ? value[0] : value)?.trim();
  return d && isDigest(d) ? d : undefined;
}

function contentType(res: HttpResponse): string | undefined {
  const value = res.headers['content-type'];
  return value ? value.split(';')[0].trim() : undefined;
}

/** Media type from the body when it says (authoritative: it is covered by the digest), else the header, else shape. */
function toManifestResult(loc: RepositoryLocation, digest: string, body: Buffer, served: string | undefined): ManifestResult {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${loc.host}: manifest ${digest} of ${loc.repository} is not JSON`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${loc.host}: manifest ${digest} of ${loc.repository} is not a JSON object`);
  }
  const obj = json as Record<string, unknown>;
  const mediaType =
    typeof obj.mediaType === 'string'
      ? obj.mediaType
      : served && KNOWN_MANIFEST_TYPES.includes(served)
        ? served
        : Array.isArray(obj.manifests)
          ? MEDIA_TYPES.ociIndex
          : MEDIA_TYPES.ociManifest;
  return { digest, mediaType, body, json: obj };
}

function expectOk(loc: RepositoryLocation, res: HttpResponse, what: string): void {
  if (res.status >= 200 && res.status < 300) return;
  const where = `${loc.host}/${loc.repository}`;
  if (res.status === 404) {
    const code = registryErrorCode(res.body);
    throw new ImageTrustError('REGISTRY_NOT_FOUND', `${loc.host}: ${what} not found in ${where}${code ? ` (${code})` : ''}`);
  }
  throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${loc.host}: unexpected HTTP ${res.status} for ${what}`);
}

/** The registry's error code (`MANIFEST_UNKNOWN`…) if the body carries one; never its free-text message. */
function registryErrorCode(body: Buffer): string | undefined {
  try {
    const code = JSON.parse(body.toString('utf8'))?.errors?.[0]?.code;
    return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function finalStatus(host: string, res: HttpResponse, attempts: number): never {
  if (res.status === 429) {
    const after = parseRetryAfter(res.headers['retry-after']);
    const hint = after !== undefined ? ` after ${Math.ceil(after / 1000)} s` : ' later';
    throw new ImageTrustError('REGISTRY_RATE_LIMITED', `${host}: rate limit reached (${attempts} attempts); retry${hint}`);
  }
  throw new ImageTrustError('REGISTRY_UNREACHABLE', `${host}: server error HTTP ${res.status} (${attempts} attempts)`);
}

function withAttempts(err: unknown, attempts: number): unknown {
  if (err instanceof TransportError && err.retryable && attempts > 1) {
    return new ImageTrustError(err.code, `${err.message} (${attempts} attempts)`, { cause: err });
  }
  return err;
}

function unauthorized(host: string, status: number, withCredentials: boolean | undefined): ImageTrustError {
  const reason =
    withCredentials === undefined
      ? `access denied (HTTP ${status})`
      : withCredentials
        ? `the stored credentials for ${host} were rejected (HTTP ${status}); run \`docker login ${host}\` again`
        : `authentication required and no credentials found for ${host} (HTTP ${status}); run \`docker login ${host}\``;
  return new ImageTrustError('REGISTRY_UNAUTHORIZED', `${host}: ${reason}`);
}

function mismatch(host: string, what: string, actual: string): ImageTrustError {
  return new ImageTrustError('DIGEST_MISMATCH', `${host}: ${what}: content hashes to ${actual}; refusing it`);
}

function tooLarge(host: string, what: string, max: number): ImageTrustError {
  return new ImageTrustError('TOO_LARGE', `${host}: ${what} is larger than ${max} bytes; refused`);
}

function tooManyReferrers(host: string, digest: string, max: number): ImageTrustError {
  return new ImageTrustError('TOO_LARGE', `${host}: more than ${max} referrers for ${digest}; refused`);
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Node's roots + NODE_EXTRA_CA_CERTS + the configured files (passing `ca` would otherwise replace them all). */
async function loadCa(caFile: string | string[] | undefined): Promise<string[] | undefined> {
  const files = caFile === undefined ? [] : Array.isArray(caFile) ? caFile : [caFile];
  if (files.length === 0) return undefined;
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  const pems: string[] = [...tls.rootCertificates];
  for (const file of extra ? [extra, ...files] : files) {
    try {
      pems.push(await readFile(file, 'utf8'));
    } catch (err) {
      if (file === extra) continue; // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS
      throw new ImageTrustError('IO_ERROR', `cannot read CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
  }
  return pems;
}
