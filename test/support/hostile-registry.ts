// A registry that misbehaves on purpose: a tiny node:http server on 127.0.0.1 (or another loopback address) whose
// routes each answer the way a test asks — lying digests, endless or dribbled bodies, silence, redirects to other
// hosts, rate limits. It records every request it receives (method, path, Authorization header) so tests can assert
// what a client sent, and `stop()` closes every connection it holds.
//
//   const reg = await HostileRegistry.start();
//   reg.on('GET', '/v2/app/manifests/1', endlessBody(200));
//   ...
//   after(() => reg.stop());

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLI_BIN } from './cli';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path with the query string. */
  url: string;
  authorization?: string;
  /** Request body (token POSTs). */
  body: string;
}

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

interface RouteEntry {
  method: string;
  path: string | RegExp;
  handle: Route;
}

export class HostileRegistry {
  readonly requests: RecordedRequest[] = [];
  private readonly routes: RouteEntry[] = [];
  private stopped = false;

  private constructor(
    private readonly server: http.Server,
    /** `127.0.0.1:<port>`: the registry part of image names. */
    readonly host: string,
  ) {}

  /** Starts on an ephemeral port. `/v2/` answers 200 `{}`; unrouted requests get a registry-style 404. */
  static async start(address = '127.0.0.1'): Promise<HostileRegistry> {
    let registry: HostileRegistry | undefined;
    const server = http.createServer((req, res) => registry!.dispatch(req, res));
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    registry = new HostileRegistry(server, `${address}:${(server.address() as AddressInfo).port}`);
    registry.on('GET', '/v2/', json(200, {}));
    return registry;
  }

  /** Routes `method` (`*` for any) on `path` (exact path without query, or a RegExp) to `handle`; later routes win. */
  on(method: string, path: string | RegExp, handle: Route): this {
    this.routes.unshift({ method, path, handle });
    return this;
  }

  /** Requests received so far that satisfy `predicate`. */
  count(predicate: (r: RecordedRequest) => boolean = () => true): number {
    return this.requests.filter(predicate).length;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private dispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    const method = req.method ?? 'GET';
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      if (body.length < 64 * 1024) body += chunk;
    });
    req.on('end', () => {
      this.requests.push({ method, path, url, authorization: req.headers.authorization, body });
      const route = this.routes.find(
        (r) => (r.method === '*' || r.method === method) && (typeof r.path === 'string' ? r.path === path : r.path.test(path)),
      );
      if (route) route.handle(req, res, body);
      else json(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'unknown' }] })(req, res, body);
    });
  }
}

// ---- what a route can do ------------------------------------------------------------------------------------------

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A small, valid OCI image manifest; `seed` makes its digest distinct. */
export function imageManifest(seed: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(`config ${seed}`), size: 2 },
      layers: [],
    }),
  );
}

/** Answers with a JSON body (HEAD gets the headers only). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Route {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return (req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };
}

/**
 * Serves manifest `bytes` for HEAD and GET with the given media type, advertising `advertised` as its
 * Docker-Content-Digest (the true digest unless a test makes it lie; `null` sends none).
 */
export function manifest(bytes: Buffer, mediaType: string, advertised: string | null = sha256(bytes)): Route {
  return (req, res) => {
    const headers: Record<string, string> = { 'content-type': mediaType, 'content-length': String(bytes.length) };
    if (advertised !== null) headers['docker-content-digest'] = advertised;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };
}

/** How many body bytes a streaming route has written, and whether the client hung up. */
export interface StreamStats {
  written: number;
  closed: boolean;
  /** Called once, when the client hangs up. */
  onClose?: () => void;
}

/** StreamStats with a wait for the hang-up itself (the connection's close event), bounded by `timeoutMs`. */
export function streamStats(): StreamStats & { hungUp(timeoutMs: number): Promise<void> } {
  let closed!: () => void;
  const done = new Promise<void>((resolve) => (closed = resolve));
  const stats = {
    written: 0,
    closed: false,
    onClose: () => closed(),
    async hungUp(timeoutMs: number): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the client did not hang up within ${timeoutMs} ms (${stats.written} bytes written)`)), timeoutMs);
      });
      try {
        await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return stats;
}

/** A chunked body that never ends: writes as fast as the client reads until it disconnects. */
export function endlessBody(status: number, stats: StreamStats = { written: 0, closed: false }): Route {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    res.on('close', () => {
      stats.closed = true;
      stats.onClose?.();
    });
    const pump = () => {
      while (!stats.closed) {
        stats.written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  };
}

/** Headers at once, then one body byte every `intervalMs` (slow loris), forever. */
export function slowLoris(intervalMs: number, status = 200, stats: StreamStats = { written: 0, closed: false }): Route {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': OCI_MANIFEST });
    const timer = setInterval(() => {
      stats.written++;
      res.write(' ');
    }, intervalMs);
    res.on('close', () => {
      stats.closed = true;
      clearInterval(timer);
      stats.onClose?.();
    });
  };
}

/** Accepts the request and never answers (the connection stays open until the client gives up or `stop()`). */
export function neverAnswer(): Route {
  return () => {};
}

export function redirect(status: number, location: string): Route {
  return (_req, res) => {
    res.writeHead(status, { location, 'content-length': '0' });
    res.end();
  };
}

/** `401` with a challenge unless the request carries `expected` as its Authorization; then `next`. */
export function requireAuth(expected: string, challenge: string, next: Route): Route {
  return (req, res, body) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED' }] }));
      return;
    }
    next(req, res, body);
  };
}

export function basicAuth(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

// ---- running the CLI against it -----------------------------------------------------------------------------------

export interface AsyncCliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/**
 * Runs the built CLI without blocking this process (the hostile registry lives in it, so `spawnSync` would
 * deadlock). `timeoutMs` is a safety net: the CLI is killed and `status` is null when it is exceeded.
 */
export function spawnCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<AsyncCliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}
