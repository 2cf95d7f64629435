// Credentials never reach an output. A run that really used credentials — a temporary DOCKER_CONFIG with a user and
// password, a token realm that issues a recognizable token — against a registry that also misbehaves in the ways most
// likely to leak (error bodies and headers echoing the Authorization it received, credentials rejected, access
// forbidden, a token service refusing the login) is scanned for the password, the base64 `user:pass`, the token and
// the word "Authorization": in `image-trust scan --resolve --verify` text, JSON and SARIF (stdout and stderr), and in
// everything the language server says (diagnostics, hovers, code actions, the tree, log and show messages).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerResponse, IncomingMessage } from 'node:http';
import { basicAuth, HostileRegistry, imageManifest, json, manifest, OCI_MANIFEST, requireAuth, sha256, spawnCli, type Route } from '../support/hostile-registry';
import { LspSession } from '../support/lsp';
import { writeDockerConfig } from '../support/registry';

const USER = 'deploy-bot';
const PASS = 'Pa55-w0rd-for-secrets-test';
const TOKEN = 'tkn-SeCrEt-7f3a9c1e5b';
const BASIC = basicAuth(USER, PASS);
const SECRETS: [string, RegExp][] = [
  ['password', new RegExp(PASS)],
  ['base64 user:pass', new RegExp(Buffer.from(`${USER}:${PASS}`).toString('base64').replace(/[+/=]/g, '\\$&'))],
  ['token', new RegExp(TOKEN)],
  ['Authorization', /authorization/i],
];

function assertNoSecrets(where: string, text: string): void {
  for (const [what, pattern] of SECRETS) assert.doesNotMatch(text, pattern, `${what} leaked in ${where}`);
}

/** A hostile error answer that repeats the credentials it was sent, in its body and in a header. */
function echoAuth(status: number): Route {
  return (req: IncomingMessage, res: ServerResponse) => {
    const auth = String(req.headers.authorization);
    res.writeHead(status, { 'content-type': 'application/json', warning: `199 - "you sent Authorization: ${auth}"` });
    res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: `Authorization: ${auth} (${PASS})`, detail: auth }] }));
  };
}

let work: string;
let reg: HostileRegistry;
let refusing: HostileRegistry;
let dockerConfig: string;
const MANIFEST = imageManifest('secrets');
const DIGEST = sha256(MANIFEST);

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'image-trust-secrets-'));
  reg = await HostileRegistry.start();
  refusing = await HostileRegistry.start('127.0.0.2');
  // Token realm on the registry host: the user's credentials go there, and a recognizable token comes back.
  reg.on('GET', '/token', requireAuth(BASIC, 'Basic realm="token"', json(200, { token: TOKEN, expires_in: 300 })));
  const authed = (route: Route) => requireAuth(`Bearer ${TOKEN}`, `Bearer realm="http://${reg.host}/token",service="reg"`, route);
  reg.on('*', /^\/v2\/.*/, authed(echoAuth(404)));
  reg.on('*', /^\/v2\/app\/manifests\/(1|sha256:.*)$/, authed(manifest(MANIFEST, OCI_MANIFEST)));
  reg.on('*', /^\/v2\/app\/manifests\/sha256-.*/, authed(echoAuth(404)));
  reg.on('*', /^\/v2\/broken\/.*/, authed(echoAuth(400)));
  reg.on('*', /^\/v2\/denied\/.*/, (req, res, body) => (req.headers.authorization === `Bearer ${TOKEN}` ? echoAuth(401)(req, res, body) : authed(json(200, {}))(req, res, body)));
  reg.on('*', /^\/v2\/forbidden\/.*/, authed(echoAuth(403)));
  // A second registry whose token service refuses the login, echoing what it got.
  refusing.on('GET', '/token', echoAuth(401));
  refusing.on('*', /^\/v2\/.+/, requireAuth('never', `Bearer realm="http://${refusing.host}/token",service="r"`, json(200, {})));

  dockerConfig = await writeDockerConfig(join(work, 'docker'), { [reg.host]: { user: USER, pass: PASS }, [refusing.host]: { user: USER, pass: PASS } });
  writeFileSync(
    join(work, '.image-trust.yaml'),
    `version: 1\nrules:\n  - name: signed\n    match: ["${reg.host}/**", "${refusing.host}/**"]\n    mode: enforce\n    signers:\n      - keyless: { issuer: https://issuer.example.com, subjectRegExp: '.*' }\n`,
  );
  const images = [`${reg.host}/app:1`, `${reg.host}/app@${DIGEST}`, `${reg.host}/missing:1`, `${reg.host}/broken:1`, `${reg.host}/denied:1`, `${reg.host}/forbidden:1`, `${refusing.host}/app:1`];
  writeFileSync(join(work, 'deploy.yaml'), `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n${images.map((im, i) => `    - name: c${i}\n      image: ${im}\n`).join('')}`);
});

after(async () => {
  await reg?.stop();
  await refusing?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The run really used the credentials: the realm saw Basic, the registry saw the token. */
function assertCredentialsWereUsed(): void {
  assert.ok(reg.requests.some((q) => q.path === '/token' && q.authorization === BASIC), 'the token realm received the Basic credentials');
  assert.ok(reg.requests.some((q) => q.authorization === `Bearer ${TOKEN}`), 'the registry received the token');
  assert.ok(refusing.requests.some((q) => q.path === '/token' && q.authorization === BASIC), 'the refusing realm was asked with them');
}

describe('secrets in CLI output', () => {
  for (const format of ['text', 'json', 'sarif']) {
    it(`scan --resolve --verify --format ${format}`, async () => {
      const r = await spawnCli(['scan', '--resolve', '--verify', '--format', format, '--cache-dir', join(work, `cache-${format}`), 'deploy.yaml'], {
        cwd: work,
        env: { DOCKER_CONFIG: dockerConfig },
        timeoutMs: 60_000,
      });
      assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
      assertCredentialsWereUsed();
      // It got somewhere with them: the digest was resolved and the failures were reported.
      assert.match(r.stdout, new RegExp(DIGEST.slice(7, 30)));
      if (format === 'json') {
        const errors = JSON.parse(r.stdout).references.map((x: { resolveError?: string }) => x.resolveError ?? '');
        assert.ok(errors.some((e: string) => /rejected/.test(e)), 'the rejected credentials are reported');
        assert.ok(errors.some((e: string) => /token service/.test(e)), 'the refusing token service is reported');
      }
      assertNoSecrets(`${format} stdout`, r.stdout);
      assertNoSecrets(`${format} stderr`, r.stderr);
    });
  }
});

describe('secrets in the language server', () => {
  let lsp: LspSession;
  const logs: string[] = [];
  const savedDockerConfig = process.env.DOCKER_CONFIG;

  before(async () => {
    process.env.DOCKER_CONFIG = dockerConfig; // inherited by the server process
    lsp = await LspSession.start({ rootPath: work, initializationOptions: { cacheDir: join(work, 'cache-lsp') } });
    lsp.conn.onNotification('window/logMessage', (p: { message: string }) => {
      logs.push(p.message);
    });
  });

  after(async () => {
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedDockerConfig;
    await lsp?.stop();
  });

  it('diagnostics, hovers, code actions, the tree and log messages never carry them', async () => {
    const uri = pathToFileURL(join(work, 'deploy.yaml')).toString();
    const text = readFileSync(join(work, 'deploy.yaml'), 'utf8');
    const since = lsp.mark();
    await lsp.open(uri, text);
    // Wait for the background resolution to come back with the registry's failures, and for the work to settle.
    const published = await lsp.diagnostics(uri, (p) => p.diagnostics.filter((d) => d.code === 'resolve-failed').length >= 4, 30_000);
    await lsp.idle(since, 30_000);
    assertCredentialsWereUsed();

    const outputs: [string, unknown][] = [['diagnostics', lsp.published.filter((p) => p.uri === uri)], ['first complete diagnostics', published]];
    const lines = text.split('\n');
    for (const [line, content] of lines.entries()) {
      const col = content.indexOf('image: ');
      if (col === -1) continue;
      const position = { line, character: col + 'image: '.length + 2 };
      outputs.push([`hover line ${line}`, await lsp.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position })]);
      outputs.push([
        `code actions line ${line}`,
        await lsp.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: { start: position, end: position }, context: { diagnostics: [] } }),
      ]);
    }
    outputs.push(['tree', await lsp.conn.sendRequest('imageTrust/tree', {})]);
    outputs.push(['log messages', logs], ['show messages', lsp.messages]);

    assert.ok(logs.some((m) => m.includes(reg.host)), 'the server logged its registry requests');
    assert.ok(outputs.some(([what, v]) => what.startsWith('hover') && v !== null), 'hovers answered');
    for (const [what, value] of outputs) assertNoSecrets(what, JSON.stringify(value));
  });
});

describe('an untrusted workspace contacts no registry', () => {
  let lsp: LspSession;
  const savedDockerConfig = process.env.DOCKER_CONFIG;

  before(async () => {
    process.env.DOCKER_CONFIG = dockerConfig;
    lsp = await LspSession.start({ rootPath: work, initializationOptions: { cacheDir: join(work, 'cache-untrusted'), workspaceTrusted: false } });
  });

  after(async () => {
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedDockerConfig;
    await lsp?.stop();
  });

  it('a document naming a registry gets diagnostics, and the registry sees no request (so no credentials)', async () => {
    const before = reg.count() + refusing.count();
    const uri = pathToFileURL(join(work, 'untrusted', 'deploy.yaml')).toString();
    const since = lsp.mark();
    await lsp.open(uri, readFileSync(join(work, 'deploy.yaml'), 'utf8'));
    const p = await lsp.diagnostics(uri, (x) => x.diagnostics.length > 0);
    assert.ok(p.diagnostics.some((d) => d.code === 'unpinned-tag'));
    // The background work (cache only in Restricted Mode) starts and ends: the server says so.
    await lsp.idle(since, 30_000);
    assert.equal(reg.count() + refusing.count(), before);
  });
});
