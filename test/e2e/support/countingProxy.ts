// A reverse proxy on 127.0.0.1 in front of a test registry that records every request it receives. Workspaces name
// images by the proxy's host, so "did the editor ask the registry?" becomes a count — and the same proxy proves it
// would have seen the requests, once the editor is allowed to make them.
//
//   const proxy = await startCountingProxy(registry.url);
//   … `${proxy.host}/demo/app:1.0` …
//   proxy.requests   // ['GET /v2/', 'HEAD /v2/demo/app/manifests/1.0', …]
//   await proxy.stop();
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const UPSTREAM_TIMEOUT_MS = 10_000;

export interface CountingProxy {
  /** `127.0.0.1:<port>`, for image references. */
  host: string;
  /** `METHOD path` of every request received, in order. */
  readonly requests: readonly string[];
  stop(): Promise<void>;
}

/** Starts the proxy in front of `upstream` (an `http://` registry URL). */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  if (target.protocol !== 'http:') throw new Error(`the counting proxy forwards to plain HTTP only, not ${upstream}`);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const forward = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, timeout: UPSTREAM_TIMEOUT_MS, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('timeout', () => forward.destroy(new Error('upstream timed out')));
    forward.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`counting proxy: ${err.message}`);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
