// Registry client auth and TLS against real registries: htpasswd (Basic) with Docker config credentials and
// credential helpers, and HTTPS with a throwaway test CA.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRegistryClient, type RequestInfo } from '../../server/src/core/registry';
import { ImageTrustError } from '../../server/src/core/errors';
import { buildImage, pushImage, startRegistry, writeDockerConfig, type ImageLayout, type TestRegistry } from '../support/registry';
import { requireRegistryTools } from '../support/requirements';

const { skip } = requireRegistryTools();
const USER = 'alice';
const PASS = 'S3cret-pass-word';

function unauthorizedWithout(secret: string, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ImageTrustError, String(err));
    assert.equal(err.code, 'REGISTRY_UNAUTHORIZED', err.message);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes(secret), 'password must not appear in the message');
    assert.ok(!err.message.includes(Buffer.from(`${USER}:${secret}`).toString('base64')), 'nor its base64 form');
    return true;
  };
}

describe('registry client: htpasswd auth with Docker config credentials', { skip }, () => {
  let reg: TestRegistry;
  let work: string;
  let image: ImageLayout;
  const savedPath = process.env.PATH;
  const savedDockerConfig = process.env.DOCKER_CONFIG;

  before(async () => {
    reg = await startRegistry({ auth: { user: USER, pass: PASS } });
    work = await mkdtemp(path.join(os.tmpdir(), 'image-trust-authtest-'));
    image = await buildImage(path.join(work, 'img'), { seed: 'auth' });
    await pushImage(image, reg, 'private/app:1');
  });

  after(async () => {
    process.env.PATH = savedPath;
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedDockerConfig;
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('authenticates with credentials from config.json in DOCKER_CONFIG', async () => {
    process.env.DOCKER_CONFIG = await writeDockerConfig(path.join(work, 'cfg-good'), { [reg.host]: { user: USER, pass: PASS } });
    try {
      const requests: RequestInfo[] = [];
      const c = createRegistryClient({ onRequest: (r) => requests.push(r) });
      const r = await c.resolve(`${reg.host}/private/app`, '1');
      assert.equal(r.digest, image.digest);
      const m = await c.getManifest(`${reg.host}/private/app`, image.digest);
      assert.deepEqual(m.body, image.bytes);
      // One 401 for the first manifest request; afterwards Basic credentials are sent up front.
      assert.equal(requests.filter((x) => x.kind === 'manifest').length, 3);
    } finally {
      delete process.env.DOCKER_CONFIG;
    }
  });

  it('also reads a config directory given as an option, with an https:// key', async () => {
    const dir = await writeDockerConfig(path.join(work, 'cfg-url'), { [`https://${reg.host}/v1/`]: { user: USER, pass: PASS } });
    const c = createRegistryClient({ dockerConfigDir: dir });
    assert.equal((await c.resolve(`${reg.host}/private/app`, '1')).digest, image.digest);
  });

  it('wrong credentials: REGISTRY_UNAUTHORIZED naming the host, never the password', async () => {
    const wrong = 'wrong-Pa55word';
    const dir = await writeDockerConfig(path.join(work, 'cfg-bad'), { [reg.host]: { user: USER, pass: wrong } });
    const c = createRegistryClient({ dockerConfigDir: dir });
    await assert.rejects(c.resolve(`${reg.host}/private/app`, '1'), unauthorizedWithout(wrong, new RegExp(`${reg.host}.*credentials.*rejected`)));
  });

  it('no credentials: REGISTRY_UNAUTHORIZED telling the user to log in', async () => {
    const dir = await writeDockerConfig(path.join(work, 'cfg-none'), {});
    const c = createRegistryClient({ dockerConfigDir: dir });
    await assert.rejects(c.resolve(`${reg.host}/private/app`, '1'), unauthorizedWithout(PASS, /no credentials found.*docker login/));
  });

  it('runs a credential helper only when helpers are allowed', async () => {
    const bin = path.join(work, 'bin');
    const marker = path.join(work, 'helper-ran');
    await mkdir(bin, { recursive: true });
    const helper = path.join(bin, 'docker-credential-itest');
    await writeFile(
      helper,
      `#!/bin/sh\n[ "$1" = get ] || exit 1\nread url\necho "$url" > '${marker}'\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASS}"}' "$url"\n`,
    );
    await chmod(helper, 0o755);
    process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
    const dir = path.join(work, 'cfg-helper');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ credHelpers: { [reg.host]: 'itest' } }));

    const untrusted = createRegistryClient({ dockerConfigDir: dir, allowCredentialHelpers: false });
    await assert.rejects(untrusted.resolve(`${reg.host}/private/app`, '1'), unauthorizedWithout(PASS, /no credentials found/));
    await assert.rejects(stat(marker), 'the helper must not have run');

    const trusted = createRegistryClient({ dockerConfigDir: dir, allowCredentialHelpers: true });
    assert.equal((await trusted.resolve(`${reg.host}/private/app`, '1')).digest, image.digest);
    await stat(marker);
  });
});

describe('registry client: TLS registry with a test CA', { skip }, () => {
  let reg: TestRegistry;
  let work: string;
  let image: ImageLayout;

  before(async () => {
    reg = await startRegistry({ tls: true });
    work = await mkdtemp(path.join(os.tmpdir(), 'image-trust-tlstest-'));
    image = await buildImage(path.join(work, 'img'), { seed: 'tls' });
    await pushImage(image, reg, 'secure/app:1');
  });

  after(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('resolves over HTTPS when the CA is given with caFile', async () => {
    assert.ok(reg.url.startsWith('https://'));
    const requests: RequestInfo[] = [];
    const c = createRegistryClient({ caFile: reg.caFile, credentials: { get: async () => undefined }, onRequest: (r) => requests.push(r) });
    assert.equal((await c.resolve(`${reg.host}/secure/app`, '1')).digest, image.digest);
    assert.ok(requests.length > 0 && requests.every((r) => r.url.startsWith('https://')), 'never fell back to plain HTTP');
  });

  it('fails with a clear TLS error without the CA (and does not fall back to HTTP)', async () => {
    const requests: RequestInfo[] = [];
    const c = createRegistryClient({ credentials: { get: async () => undefined }, onRequest: (r) => requests.push(r) });
    await assert.rejects(c.resolve(`${reg.host}/secure/app`, '1'), (err: unknown) => {
      assert.ok(err instanceof ImageTrustError);
      assert.equal(err.code, 'REGISTRY_UNREACHABLE');
      assert.match(err.message, new RegExp(`${reg.host}: TLS certificate not trusted .*caFile`));
      return true;
    });
    assert.ok(requests.every((r) => r.url.startsWith('https://')));
  });

  it('reports an unreadable CA file as such', async () => {
    const c = createRegistryClient({ caFile: path.join(work, 'missing.pem'), credentials: { get: async () => undefined } });
    await assert.rejects(c.resolve(`${reg.host}/secure/app`, '1'), (err: unknown) => {
      assert.ok(err instanceof ImageTrustError);
      assert.equal(err.code, 'IO_ERROR');
      assert.match(err.message, /cannot read CA file .*missing\.pem/);
      return true;
    });
  });
});
