// One HTTP exchange with a registry (or its token service): hard total timeout, body-idle timeout, body size cap
// enforced while streaming, manual redirects that never carry credentials to another host or downgrade to plain
// HTTP. No retries and no auth here (see client.ts / auth.ts).

import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { ImageTrustError, type ImageTrustErrorCode } from '../errors';
import { plainHttpAllowed } from './hosts';

export type RequestKind = 'ping' | 'manifest' | 'blob' | 'referrers' | 'token';

/** What `onRequest` observers see: never headers, never a query string (it may carry account names). */
export interface RequestInfo {
  method: string;
  /** Scheme, host and path only. */
  url: string;
  host: string;
  kind: RequestKind;
}

export interface TransportOptions {
  /** Connect + whole exchange, per request. */
  timeoutMs: number;
  /** Longest silence allowed while the response body streams (slow-loris guard). */
  idleTimeoutMs: number;
  /** Connection pools (keep-alive); the https one carries the trusted CAs. */
  agents: { http: http.Agent; https: https.Agent };
  insecureRegistries: readonly string[];
  onRequest?: (info: RequestInfo) => void;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: URL;
  kind: RequestKind;
  headers?: Record<string, string>;
  /** Sent only to `url`'s own host; dropped when a redirect leaves it. */
  authorization?: string;
  body?: string;
  /** Successful bodies larger than this are refused (TOO_LARGE). */
  maxBytes: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Final URL after redirects. */
  url: URL;
}

/** A failure of the exchange itself (no HTTP status): says whether trying again could help. */
export class TransportError extends ImageTrustError {
  constructor(
    code: ImageTrustErrorCode,
    message: string,
    readonly retryable: boolean,
    /** The server does not speak TLS (a plain HTTP server behind an https:// URL). */
    readonly notTls = false,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

const MAX_REDIRECTS = 5;
/** Error bodies are only read for diagnostics; the rest is discarded. */
const MAX_ERROR_BODY = 64 * 1024;

export async function httpRequest(req: HttpRequest, opts: TransportOptions): Promise<HttpResponse> {
  let url = req.url;
  let method = req.method;
  let body = req.body;
  let authorization = req.authorization;
  const authHost = req.url.host;
  for (let hop = 0; ; hop++) {
    const res = await sendOnce({ ...req, url, method, body, authorization }, opts);
    const location = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
    if (hop >= MAX_REDIRECTS) {
      throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${authHost}: too many redirects (more than ${MAX_REDIRECTS})`);
    }
    const next = new URL(location, url);
    checkRedirectTarget(url, next, opts.insecureRegistries);
    // Credentials belong to the host they were issued for: never forward them elsewhere.
    if (next.host !== authHost) authorization = undefined;
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
    }
    url = next;
  }
}

function checkRedirectTarget(from: URL, to: URL, insecure: readonly string[]): void {
  const ok = to.protocol === 'https:' || (to.protocol === 'http:' && plainHttpAllowed(to.host, insecure));
  if (!ok) {
    throw new ImageTrustError(
      'REGISTRY_BAD_RESPONSE',
      `${from.host}: refused redirect to ${to.protocol}//${to.host} (only HTTPS, or plain HTTP to loopback/insecure registries)`,
    );
  }
}

function sendOnce(req: HttpRequest, opts: TransportOptions): Promise<HttpResponse> {
  const { url } = req;
  const host = url.host;
  opts.onRequest?.({ method: req.method, url: `${url.protocol}//${url.host}${url.pathname}`, host, kind: req.kind });
  if (req.signal?.aborted) return Promise.reject(req.signal.reason);
  const headers: Record<string, string> = { 'user-agent': 'image-trust', ...req.headers };
  if (req.authorization) headers.authorization = req.authorization;
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    let idleTimer: NodeJS.Timeout | undefined;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      request.destroy();
      reject(err);
    };
    const totalTimer = setTimeout(
      () => fail(new TransportError('TIMEOUT', `${host}: no complete answer within ${opts.timeoutMs} ms`, true)),
      opts.timeoutMs,
    );
    const onAbort = () => fail(req.signal!.reason);
    const cleanup = () => {
      clearTimeout(totalTimer);
      clearTimeout(idleTimer);
      req.signal?.removeEventListener('abort', onAbort);
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const secure = url.protocol === 'https:';
    const agent = secure ? opts.agents.https : opts.agents.http;
    const request = (secure ? https : http).request(url, { method: req.method, headers, agent }, (res) => {
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      const cap = ok ? req.maxBytes : MAX_ERROR_BODY;
      const declared = Number(res.headers['content-length']);
      if (ok && req.method !== 'HEAD' && Number.isFinite(declared) && declared > cap) {
        return fail(tooLarge(host, cap));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const armIdle = () => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(
          () => fail(new TransportError('TIMEOUT', `${host}: response body stalled for ${opts.idleTimeoutMs} ms`, true)),
          opts.idleTimeoutMs,
        );
      };
      const finish = () => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve({ status, headers: res.headers, body: Buffer.concat(chunks), url });
      };
      armIdle();
      res.on('data', (chunk: Buffer) => {
        armIdle();
        size += chunk.length;
        if (size > cap) {
          if (!ok) {
            // Error bodies are diagnostics only: keep what fits and hang up. Merely ignoring the rest kept an endless
            // error body streaming in forever (and the CLI process alive) after the request had been answered.
            finish();
            request.destroy();
            return;
          }
          return fail(tooLarge(host, cap));
        }
        chunks.push(chunk);
      });
      res.on('end', finish);
      res.on('error', (err) => fail(networkError(host, err)));
    });
    request.on('error', (err) => fail(networkError(host, err)));
    request.end(req.body);
  });
}

function tooLarge(host: string, cap: number): TransportError {
  return new TransportError('TOO_LARGE', `${host}: response body exceeds the ${cap}-byte limit; refused`, false);
}

const TLS_TRUST_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

function networkError(host: string, err: Error & { code?: string }): TransportError {
  const code = err.code ?? '';
  if (TLS_TRUST_CODES.test(code)) {
    return new TransportError(
      'REGISTRY_UNREACHABLE',
      `${host}: TLS certificate not trusted (${code}); add its CA with the caFile setting or NODE_EXTRA_CA_CERTS`,
      false,
      false,
      { cause: err },
    );
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL')) {
    const notTls = /wrong version number|packet length too long|http request/i.test(err.message);
    return new TransportError('REGISTRY_UNREACHABLE', `${host}: TLS handshake failed (${code})`, false, notTls, {
      cause: err,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new TransportError('REGISTRY_UNREACHABLE', `${host}: host name not found (${code})`, code === 'EAI_AGAIN', false, { cause: err });
  }
  return new TransportError('REGISTRY_UNREACHABLE', `${host}: connection failed (${code || err.message})`, true, false, {
    cause: err,
  });
}
