// Limits and hostile behaviour a real registry will not produce on demand: oversized and stalled bodies, rate
// limits, server errors, lying digests, redirects and token realms on other hosts, paging loops. Tiny local HTTP
// servers play the hostile registry; the happy paths are covered against a real registry elsewhere.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRegistryClient, staticCredentials, type RegistryOptions, type RequestInfo } from '../../server/src/core/registry';
import { ImageTrustError } from '../../server/src/core/errors';
import { rejectsWith, testClient as client } from '../support/registry-client';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const servers: http.Server[] = [];

/** A plain HTTP server on `address` (default 127.0.0.1); `/v2/` answers 200, everything else goes to `handler`. */
async function hostile(handler: Handler, address = '127.0.0.1'): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.url === '/v2/') return res.end('{}');
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return `${address}:${(server.address() as AddressInfo).port}`;
}

after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));
const DIGEST = sha(MANIFEST);
/** What a registry answers to HEAD on a manifest: its digest and media type. */
const HEAD_OK = { 'docker-content-digest': DIGEST, 'content-type': 'application/vnd.oci.image.manifest.v1+json' };


describe('registry client limits', () => {
  it('aborts a streamed body as soon as it crosses the manifest cap (no Content-Length)', async () => {
    let written = 0;
    let closed!: () => void;
    const done = new Promise<void>((r) => (closed = r));
    const host = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (written < 256 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', closed);
      pump();
    });
    await assert.rejects(client().getManifest(`${host}/big`, 'latest'), rejectsWith('TOO_LARGE', new RegExp(`${host}.*4194304-byte limit`)));
    await done;
    assert.ok(written < 64 * 1024 * 1024, `server wrote ${written} bytes before the client hung up`);
  });

  it('refuses a declared Content-Length over the cap without waiting for the body', async () => {
    const host = await hostile((_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('{'); // then nothing
    });
    const start = Date.now();
    await assert.rejects(client({ timeoutMs: 5000 }).getManifest(`${host}/big`, 'latest'), rejectsWith('TOO_LARGE'));
    assert.ok(Date.now() - start < 2000);
  });

  it('times out a body that stalls (slow loris) and a body that never completes', async () => {
    const stall = await hostile((_req, res) => {
      res.writeHead(200);
      res.write('{');
    });
    await assert.rejects(
      client({ idleTimeoutMs: 200, retry: { attempts: 1 } }).getManifest(`${stall}/slow`, 'latest'),
      rejectsWith('TIMEOUT', new RegExp(`${stall}: response body stalled for 200 ms`)),
    );
    const dribble = await hostile((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    });
    const start = Date.now();
    await assert.rejects(
      client({ timeoutMs: 400, idleTimeoutMs: 1000, retry: { attempts: 1 } }).getManifest(`${dribble}/slow`, 'latest'),
      rejectsWith('TIMEOUT', /no complete answer within 400 ms/),
    );
    assert.ok(Date.now() - start < 2000);
  });

  it('fails at once with REGISTRY_RATE_LIMITED when Retry-After is too long', async () => {
    let hits = 0;
    const host = await hostile((_req, res) => {
      hits++;
      res.writeHead(429, { 'retry-after': '3600' }).end();
    });
    const start = Date.now();
    await assert.rejects(client().resolve(`${host}/app`, '1'), rejectsWith('REGISTRY_RATE_LIMITED', new RegExp(`${host}: rate limit.*retry after 3600 s`)));
    assert.equal(hits, 1);
    assert.ok(Date.now() - start < 1000);
  });

  it('retries 503 and short Retry-After 429 with backoff, within the attempt bound', async () => {
    const answers = [503, 429, 200];
    const host = await hostile((_req, res) => {
      const status = answers.shift() ?? 500;
      if (status === 200) return res.writeHead(200, HEAD_OK).end();
      res.writeHead(status, status === 429 ? { 'retry-after': '0' } : {}).end();
    });
    const seen: RequestInfo[] = [];
    const r = await client({ onRequest: (i) => seen.push(i) }).resolve(`${host}/app`, '1');
    assert.equal(r.digest, DIGEST);
    assert.equal(seen.filter((i) => i.kind === 'manifest').length, 3);

    const down = await hostile((_req, res) => res.writeHead(503).end());
    const seenDown: RequestInfo[] = [];
    await assert.rejects(
      client({ onRequest: (i) => seenDown.push(i) }).resolve(`${down}/app`, '1'),
      rejectsWith('REGISTRY_UNREACHABLE', /HTTP 503 \(3 attempts\)/),
    );
    assert.equal(seenDown.filter((i) => i.kind === 'manifest').length, 3);
  });

  it('refuses a manifest whose bytes differ from the advertised digest', async () => {
    const other = sha('something else');
    const host = await hostile((req, res) => {
      // HEAD without a digest forces a GET; the GET lies about the digest.
      if (req.method === 'HEAD') return res.writeHead(200).end();
      res.writeHead(200, { 'docker-content-digest': other, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(MANIFEST);
    });
    await assert.rejects(client().resolve(`${host}/app`, '1'), rejectsWith('DIGEST_MISMATCH', new RegExp(`${host}.*${DIGEST}`)));
    await assert.rejects(client().getManifest(`${host}/app`, other), rejectsWith('DIGEST_MISMATCH'));
  });

  it('resolves by hashing the body when HEAD gives no digest', async () => {
    const host = await hostile((req, res) => {
      if (req.method === 'HEAD') return res.writeHead(200).end();
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(MANIFEST);
    });
    const r = await client().resolve(`${host}/app`, '1');
    assert.equal(r.digest, DIGEST);
    assert.equal(r.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    await assert.rejects(client().getManifest(`${host}/app`, 'sha256:short'), rejectsWith('INVALID_REFERENCE'));
  });

  it('never forwards credentials along a redirect to another host', async () => {
    const blob = Buffer.from('blob content');
    const seenByOther: Array<string | undefined> = [];
    const other = await hostile((req, res) => {
      seenByOther.push(req.headers.authorization);
      res.end(blob);
    }, '127.0.0.2');
    const basic = `Basic ${Buffer.from('bob:hunter2').toString('base64')}`;
    const host = await hostile((req, res) => {
      if (req.headers.authorization !== basic) return res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      res.writeHead(307, { location: `http://${other}/storage/blob?sig=1` }).end();
    });
    const seen: RequestInfo[] = [];
    const c = client({ credentials: staticCredentials({ [host]: { username: 'bob', password: 'hunter2' } }), onRequest: (i) => seen.push(i) });
    const got = await c.getBlob(`${host}/app`, sha(blob), 1024);
    assert.deepEqual(got, blob);
    assert.deepEqual(seenByOther, [undefined]);
    assert.ok(seen.every((i) => !i.url.includes('?')), 'no query strings reported');
  });

  it('refuses a redirect to plain HTTP on a non-loopback host', async () => {
    const host = await hostile((_req, res) => res.writeHead(302, { location: 'http://registry.example.com/x' }).end());
    await assert.rejects(client().getBlob(`${host}/app`, DIGEST, 1024), rejectsWith('REGISTRY_BAD_RESPONSE', /refused redirect to http:\/\/registry\.example\.com/));
  });

  it('asks a token realm on another host anonymously, and caches the token', async () => {
    const tokenRequests: Array<{ auth?: string; url: string }> = [];
    const realm = await hostile((req, res) => {
      tokenRequests.push({ auth: req.headers.authorization, url: req.url! });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ token: 'tok-123', expires_in: 300 }));
    }, '127.0.0.2');
    const host = await hostile((req, res) => {
      if (req.headers.authorization !== 'Bearer tok-123') {
        return res
          .writeHead(401, { 'www-authenticate': `Bearer realm="http://${realm}/token",service="reg, svc",scope="repository:app:pull"` })
          .end();
      }
      res.writeHead(200, HEAD_OK).end();
    });
    const c = client({ credentials: staticCredentials({ [host]: { username: 'bob', password: 'hunter2' } }) });
    assert.equal((await c.resolve(`${host}/app`, '1')).digest, DIGEST);
    assert.equal((await c.resolve(`${host}/app`, '2')).digest, DIGEST);
    assert.equal(tokenRequests.length, 1, 'token reused for the same scope');
    assert.equal(tokenRequests[0].auth, undefined, 'registry credentials not sent to a foreign realm');
    const q = new URL(tokenRequests[0].url, 'http://x').searchParams;
    assert.equal(q.get('service'), 'reg, svc');
    assert.equal(q.get('scope'), 'repository:app:pull');
  });

  it('sends credentials to a token realm on the registry host itself', async () => {
    let tokenAuth: string | undefined;
    let host = '';
    host = await hostile((req, res) => {
      if (req.url!.startsWith('/token')) {
        tokenAuth = req.headers.authorization;
        return res.end(JSON.stringify({ access_token: 'tok-abc' }));
      }
      if (req.headers.authorization !== 'Bearer tok-abc') {
        return res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="s"` }).end();
      }
      res.writeHead(200, HEAD_OK).end();
    });
    const c = client({ credentials: staticCredentials({ [host]: { username: 'bob', password: 'hunter2' } }) });
    assert.equal((await c.resolve(`${host}/app`, '1')).digest, DIGEST);
    assert.equal(tokenAuth, `Basic ${Buffer.from('bob:hunter2').toString('base64')}`);
  });

  it('exchanges an identity token (refresh token) with a POST to the realm', async () => {
    let form: URLSearchParams | undefined;
    let host = '';
    host = await hostile((req, res) => {
      if (req.url === '/token' && req.method === 'POST') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          form = new URLSearchParams(body);
          res.end(JSON.stringify({ access_token: 'tok-from-refresh', expires_in: 60 }));
        });
        return;
      }
      if (req.headers.authorization !== 'Bearer tok-from-refresh') {
        return res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="s",scope="repository:app:pull"` }).end();
      }
      res.writeHead(200, HEAD_OK).end();
    });
    const c = client({ credentials: staticCredentials({ [host]: { identityToken: 'refresh-me' } }) });
    assert.equal((await c.resolve(`${host}/app`, '1')).digest, DIGEST);
    assert.equal(form?.get('grant_type'), 'refresh_token');
    assert.equal(form?.get('refresh_token'), 'refresh-me');
    assert.equal(form?.get('scope'), 'repository:app:pull');
  });

  it('detects a referrers paging loop and bounds the number of referrers', async () => {
    const desc = (i: number) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(String(i)), size: 1, artifactType: 'x' });
    const loop = await hostile((req, res) => {
      res.writeHead(200, { link: `<${req.url}>; rel="next"`, 'content-type': 'application/vnd.oci.image.index.v1+json' });
      res.end(JSON.stringify({ schemaVersion: 2, manifests: [desc(1)] }));
    });
    await assert.rejects(client().getReferrers(`${loop}/app`, DIGEST), rejectsWith('REGISTRY_BAD_RESPONSE', /loop/));
    const many = await hostile((_req, res) => {
      res.end(JSON.stringify({ schemaVersion: 2, manifests: Array.from({ length: 11 }, (_, i) => desc(i)) }));
    });
    await assert.rejects(client({ maxReferrers: 10 }).getReferrers(`${many}/app`, DIGEST), rejectsWith('TOO_LARGE', /more than 10 referrers/));
    const r = await client({ maxReferrers: 11 }).getReferrers(`${many}/app`, DIGEST);
    assert.equal(r.source, 'api');
    assert.equal(r.manifests.length, 11);
  });

  it('keeps at most concurrencyPerHost requests in flight per host', async () => {
    let active = 0;
    let peak = 0;
    const host = await hostile((_req, res) => {
      active++;
      peak = Math.max(peak, active);
      setTimeout(() => {
        active--;
        res.writeHead(200, HEAD_OK).end();
      }, 50);
    });
    const c = client({ concurrencyPerHost: 2 });
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((t) => c.resolve(`${host}/app`, t)));
    assert.equal(peak, 2);
  });
});
