// Test bed: a real OCI registry (Debian's `docker-registry`, distribution 2.8) on 127.0.0.1, images built as OCI
// layouts in JS and pushed with `skopeo`, and manifests seeded straight into the registry's storage.
//
//   describe('…', requireRegistryTools(), () => {        // ./requirements: skip locally, fail under CI=true
//     let reg: TestRegistry;
//     before(async () => { reg = await startRegistry({ auth: { user: 'u', pass: 'p' }, tls: true }); });
//     after(() => reg?.stop());
//     it('…', async () => {
//       const layout = await buildImage(tmpDir, { seed: 'a', platforms: [{ os: 'linux', architecture: 'amd64' }] });
//       const digest = await pushImage(layout, reg, 'app:1.0', { creds: { user: 'u', pass: 'p' } });
//     });
//   });
//
// Everything binds to 127.0.0.1; every wait is bounded; `stop()` kills the process it started and removes its files.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { missingTools, REGISTRY_TOOLS } from './requirements';

// ---- tools ------------------------------------------------------------------------------------------------------
// Which programs the test bed needs, and what a suite does without them, live in ./requirements (REGISTRY_TOOLS,
// requireRegistryTools: skipped locally with the reason, a failure under CI=true).

/** Why registry tests cannot run here (each missing program and how to install it), or undefined. */
export function registryToolsSkipReason(): string | undefined {
  const reason = missingTools(REGISTRY_TOOLS);
  return reason && `registry test bed unavailable: ${reason}`;
}

/** Throws with the skip reason when the test bed's programs are missing. */
export function assertToolsAvailable(): void {
  const reason = registryToolsSkipReason();
  if (reason) throw new Error(reason);
}

// ---- registry ---------------------------------------------------------------------------------------------------

export interface BasicCreds {
  user: string;
  pass: string;
}

export interface RegistryStartOptions {
  /** Require these credentials (htpasswd, Basic auth challenge). */
  auth?: BasicCreds;
  /** Serve HTTPS with a certificate for 127.0.0.1 signed by a fresh test CA (`caFile`). */
  tls?: boolean;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`: use as the registry part of image names. */
  host: string;
  /** `http://127.0.0.1:<port>` or `https://…`. */
  url: string;
  /** Storage root of the registry (see `seedManifest`). */
  storageDir: string;
  /** PEM of the CA that signed the server certificate (TLS only). */
  caFile?: string;
  auth?: BasicCreds;
  /** Kills the registry and removes its temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startRegistry(options: RegistryStartOptions = {}): Promise<TestRegistry> {
  assertToolsAvailable();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'image-trust-registry-'));
  try {
    const storageDir = path.join(dir, 'data');
    await mkdir(storageDir);
    const tls = options.tls ? await makeTestCertificates(dir) : undefined;
    if (options.auth) {
      const out = await run('htpasswd', ['-Bbn', options.auth.user, options.auth.pass]);
      await writeFile(path.join(dir, 'htpasswd'), out);
    }
    // The port is picked by binding port 0 first; another process could grab it before the registry does, so retry.
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const host = `127.0.0.1:${port}`;
      await writeFile(path.join(dir, 'config.yml'), registryConfig(storageDir, host, dir, options.auth !== undefined, tls));
      // stderr goes to a file, not a pipe: a pipe is drained only while this process's event loop runs, and a test
      // that blocks it (spawnSync of the CLI) would let the registry fill the pipe with its log and hang mid-request.
      const logFile = path.join(dir, `registry-${attempt}.log`);
      const log = openSync(logFile, 'w');
      const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', log] });
      closeSync(log);
      const stderr = logTail(logFile);
      const url = `${tls ? 'https' : 'http'}://${host}`;
      const ca = tls ? await readFile(tls.caFile, 'utf8') : undefined;
      try {
        await waitUntilServing(child, url, ca, stderr);
      } catch (err) {
        await killAndWait(child);
        if (attempt < 2 && /address already in use/i.test(stderr())) continue;
        throw err;
      }
      let stopped = false;
      return {
        host,
        url,
        storageDir,
        caFile: tls?.caFile,
        auth: options.auth,
        async stop() {
          if (stopped) return;
          stopped = true;
          await killAndWait(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function registryConfig(storageDir: string, host: string, dir: string, auth: boolean, tls?: TestCertificates): string {
  return [
    'version: 0.1',
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(storageDir)} }, delete: { enabled: true } }`,
    tls
      ? `http: { addr: ${host}, tls: { certificate: ${JSON.stringify(tls.certFile)}, key: ${JSON.stringify(tls.keyFile)} } }`
      : `http: { addr: ${host} }`,
    'log: { level: warn }',
    auth ? `auth: { htpasswd: { realm: test, path: ${JSON.stringify(path.join(dir, 'htpasswd'))} } }` : '',
    '',
  ].join('\n');
}

/** A port on 127.0.0.1 nothing listens on right now (bound, then released): for servers to start, or to fail on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The last few KiB of the registry's log, for error messages. */
function logTail(file: string): () => string {
  return () => {
    try {
      return readFileSync(file, 'utf8').slice(-4096);
    } catch {
      return '';
    }
  };
}

async function waitUntilServing(child: ChildProcess, url: string, ca: string | undefined, stderr: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}): ${stderr().trim()}`);
    }
    const status = await probe(`${url}/v2/`, ca).catch(() => 0);
    if (status === 200 || status === 401) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not answer ${url}/v2/ within ${START_TIMEOUT_MS} ms: ${stderr().trim()}`);
}

function probe(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { ca, timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

// ---- TLS --------------------------------------------------------------------------------------------------------

interface TestCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 (SAN IP:127.0.0.1, DNS:localhost) signed by it. */
async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const p = (f: string) => path.join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=image-trust test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(p('server.ext'), [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    '',
  ].join('\n'));
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p('server.pem'), '-days', '2', '-extfile', p('server.ext')]);
  return { caFile: p('ca.pem'), certFile: p('server.pem'), keyFile: p('server.key') };
}

// ---- images -----------------------------------------------------------------------------------------------------

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface TestPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageSpec {
  /** Files of the single layer (path → content). */
  files?: Record<string, string | Buffer>;
  /** Makes otherwise identical images differ: written to `/seed` in the layer. */
  seed?: string;
  /** Build a multi-platform image (an OCI index listing one manifest per platform). */
  platforms?: TestPlatform[];
  /** Reference name inside the layout (`index.json` annotation). Default `latest`. */
  refName?: string;
  /** The config's `created` time (every platform's config), as written. Default: none (no `created` field). */
  created?: string;
  /** Annotations of the top-level manifest (or of the index of a multi-platform image). */
  annotations?: Record<string, string>;
}

export interface ImageLayout {
  /** The OCI layout directory. */
  dir: string;
  refName: string;
  /** Digest of the top-level manifest (single platform) or index (multi-platform). */
  digest: string;
  mediaType: string;
  /** Exact bytes of that manifest or index. */
  bytes: Buffer;
  /** The platform manifests (one entry without `platform` for a single-platform image). */
  manifests: Array<{ digest: string; platform?: TestPlatform; bytes: Buffer }>;
}

/** Writes an OCI image layout into `dir` (created if needed): layers, configs, manifests, index.json, oci-layout. */
export async function buildImage(dir: string, spec: ImageSpec = {}): Promise<ImageLayout> {
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const putBlob = async (bytes: Buffer) => {
    const digest = sha256(bytes);
    await writeFile(path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
    return { digest, size: bytes.length };
  };
  const targets: Array<TestPlatform | undefined> = spec.platforms?.length ? spec.platforms : [undefined];
  const manifests: ImageLayout['manifests'] = [];
  for (const platform of targets) {
    const files: Record<string, string | Buffer> = { ...spec.files };
    if (spec.seed !== undefined) files.seed = spec.seed;
    if (platform) files.platform = platformString(platform);
    const tar = makeTar(files);
    const layer = await putBlob(gzipSync(tar, { level: 9 }));
    const config = await putBlob(json({
      architecture: platform?.architecture ?? 'amd64',
      os: platform?.os ?? 'linux',
      ...(platform?.variant ? { variant: platform.variant } : {}),
      ...(spec.created !== undefined ? { created: spec.created } : {}),
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
    }));
    const bytes = json({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, ...config },
      layers: [{ mediaType: OCI_LAYER_GZIP, ...layer }],
      ...(spec.annotations && !spec.platforms?.length ? { annotations: spec.annotations } : {}),
    });
    const { digest } = await putBlob(bytes);
    manifests.push({ digest, platform, bytes });
  }
  const refName = spec.refName ?? 'latest';
  let top: { digest: string; mediaType: string; bytes: Buffer };
  if (spec.platforms?.length) {
    const bytes = json({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: manifests.map((m) => ({ mediaType: OCI_MANIFEST, digest: m.digest, size: m.bytes.length, platform: m.platform })),
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
    });
    top = { ...(await putBlob(bytes)), mediaType: OCI_INDEX, bytes };
  } else {
    top = { digest: manifests[0].digest, mediaType: OCI_MANIFEST, bytes: manifests[0].bytes };
  }
  await writeFile(path.join(dir, 'oci-layout'), json({ imageLayoutVersion: '1.0.0' }));
  await writeFile(path.join(dir, 'index.json'), json({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [{
      mediaType: top.mediaType,
      digest: top.digest,
      size: top.bytes.length,
      annotations: { 'org.opencontainers.image.ref.name': refName },
    }],
  }));
  return { dir, refName, digest: top.digest, mediaType: top.mediaType, bytes: top.bytes, manifests };
}

/**
 * Pushes a layout to `registry` as `repo:tag` with skopeo (all platforms, digests preserved) and returns the digest
 * the registry serves for the tag, after checking it equals the digest of the layout's bytes.
 */
export async function pushImage(layout: ImageLayout, registry: TestRegistry, repoTag: string, opts: { creds?: BasicCreds } = {}): Promise<string> {
  const creds = opts.creds ?? registry.auth;
  const policy = path.join(layout.dir, '..', `.skopeo-policy-${path.basename(layout.dir)}.json`);
  await writeFile(policy, json({ default: [{ type: 'insecureAcceptAnything' }] }));
  try {
    await run('skopeo', [
      '--policy', policy,
      'copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false',
      ...(layout.mediaType === OCI_INDEX ? ['--all'] : []),
      ...(creds ? ['--dest-creds', `${creds.user}:${creds.pass}`] : []),
      `oci:${layout.dir}:${layout.refName}`,
      `docker://${registry.host}/${repoTag}`,
    ]);
  } finally {
    await rm(policy, { force: true });
  }
  const [repo, tag] = splitRepoTag(repoTag);
  const served = await headManifest(registry, repo, tag, creds);
  if (served !== layout.digest) throw new Error(`pushed ${repoTag}: registry serves ${served}, layout has ${layout.digest}`);
  return served;
}

/** `Docker-Content-Digest` the registry answers for HEAD `/v2/<repo>/manifests/<ref>` (undefined on 404). */
export async function headManifest(registry: TestRegistry, repo: string, ref: string, creds = registry.auth): Promise<string | undefined> {
  const ca = registry.caFile ? await readFile(registry.caFile, 'utf8') : undefined;
  const lib = registry.url.startsWith('https:') ? https : http;
  const headers: Record<string, string> = {
    accept: [OCI_INDEX, OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', '),
  };
  if (creds) headers.authorization = `Basic ${Buffer.from(`${creds.user}:${creds.pass}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = lib.request(`${registry.url}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers, ca, timeout: 5000, agent: false }, (res) => {
      res.resume();
      if (res.statusCode === 404) return resolve(undefined);
      if (res.statusCode !== 200) return reject(new Error(`HEAD ${repo}:${ref} → HTTP ${res.statusCode}`));
      resolve(String(res.headers['docker-content-digest']));
    });
    req.on('timeout', () => req.destroy(new Error('HEAD timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Places `manifestBytes` in the registry's storage as `repo:tag` (and by digest) without its blobs — for manifests
 * whose blobs we do not have (a registry refuses to accept those by push). Verified with distribution 2.8 both
 * before start and while the registry runs, for a tag it has not served yet (it caches tag lookups only briefly;
 * to move an existing tag, seed before `startRegistry` or push instead). Returns the manifest digest.
 */
export async function seedManifest(storageDir: string, repo: string, tag: string, manifestBytes: Buffer): Promise<string> {
  const digest = sha256(manifestBytes);
  const hex = digest.slice('sha256:'.length);
  const v2 = path.join(storageDir, 'docker', 'registry', 'v2');
  const manifests = path.join(v2, 'repositories', repo, '_manifests');
  const put = async (file: string, content: string | Buffer) => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  };
  await put(path.join(v2, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data'), manifestBytes);
  await put(path.join(manifests, 'revisions', 'sha256', hex, 'link'), digest);
  await put(path.join(manifests, 'tags', tag, 'index', 'sha256', hex, 'link'), digest);
  await put(path.join(manifests, 'tags', tag, 'current', 'link'), digest);
  return digest;
}

/** A Docker config directory (for `DOCKER_CONFIG` / `dockerConfigDir`) holding `auths` for the given hosts. */
export async function writeDockerConfig(dir: string, auths: Record<string, BasicCreds>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const entries = Object.fromEntries(
    Object.entries(auths).map(([host, c]) => [host, { auth: Buffer.from(`${c.user}:${c.pass}`).toString('base64') }]),
  );
  await writeFile(path.join(dir, 'config.json'), json({ auths: entries }));
  return dir;
}

// ---- small helpers ----------------------------------------------------------------------------------------------

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function platformString(p: TestPlatform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function splitRepoTag(repoTag: string): [string, string] {
  const colon = repoTag.lastIndexOf(':');
  if (colon <= 0 || repoTag.slice(colon).includes('/')) throw new Error(`expected repo:tag, got ${repoTag}`);
  return [repoTag.slice(0, colon), repoTag.slice(colon + 1)];
}

/** Runs a program without a shell, bounded in time; rejects with its stderr on failure. */
function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args[0]} failed: ${stderr.toString().trim() || err.message}`));
      else resolve(stdout.toString());
    });
  });
}

/** A minimal ustar archive of regular files (mode 0644, mtime 0: byte-for-byte reproducible). */
export function makeTar(files: Record<string, string | Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const name of Object.keys(files).sort()) {
    const content = Buffer.isBuffer(files[name]) ? (files[name] as Buffer) : Buffer.from(files[name] as string);
    if (Buffer.byteLength(name) > 100) throw new Error(`tar: name too long: ${name}`);
    const header = Buffer.alloc(512);
    header.write(name, 0, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

