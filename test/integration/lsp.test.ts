// A real LSP round trip: the bundled server as a child process over stdio, driven by a JSON-RPC client.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { REPO_ROOT } from '../support/cli';

let server: ChildProcess;
let conn: ProtocolConnection;
const published: PublishDiagnosticsParams[] = [];
const waiters: (() => void)[] = [];

function nextDiagnostics(uri: string, predicate: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 10_000) {
  return new Promise<PublishDiagnosticsParams>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms`)), timeoutMs);
    const check = () => {
      const hit = published.find((p) => p.uri === uri && predicate(p));
      if (!hit) return false;
      clearTimeout(timer);
      resolvePromise(hit);
      return true;
    };
    const waiter = () => {
      if (!check()) waiters.push(waiter);
    };
    if (!check()) waiters.push(waiter);
  });
}

before(async () => {
  server = spawn(process.execPath, [resolve(REPO_ROOT, 'dist/server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  conn = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push(p);
    for (const w of waiters.splice(0)) w();
  });
  conn.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => ({ severity: { 'implicit-latest': 'error' }, offline: true })));
  conn.listen();
  const init = await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(REPO_ROOT).toString(),
    workspaceFolders: [{ uri: pathToFileURL(REPO_ROOT).toString(), name: 'repo' }],
    capabilities: { workspace: { configuration: true } },
  });
  assert.ok((init as { capabilities: object }).capabilities);
  await conn.sendNotification('initialized', {});
});

after(async () => {
  try {
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
  } catch {
    /* the server may already be gone */
  }
  conn?.dispose();
  server?.kill();
});

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.25
        - name: tools
          image: busybox
        - name: pinned
          image: redis:7@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`;

test('opening a Deployment publishes the expected diagnostics', async () => {
  const uri = pathToFileURL(resolve(REPO_ROOT, 'virtual/deploy.yaml')).toString();
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: DEPLOYMENT } });
  const p = await nextDiagnostics(uri, (d) => d.diagnostics.length > 0);
  const diags = p.diagnostics.map((d) => ({ code: d.code, severity: d.severity, line: d.range.start.line, start: d.range.start.character, end: d.range.end.character, source: d.source }));
  assert.deepEqual(diags, [
    { code: 'unpinned-tag', severity: 2, line: 9, start: 17, end: 27, source: 'image-trust' },
    // the client's settings raised implicit-latest to error (1)
    { code: 'implicit-latest', severity: 1, line: 11, start: 17, end: 24, source: 'image-trust' },
  ]);
  assert.match(String(p.diagnostics[0].message), /nginx:1\.25.*tag "1\.25"/);
  assert.match(p.diagnostics[0].codeDescription!.href, /docs\/rules\.md#unpinned-tag$/);
});

test('an incremental edit that pins the reference clears its diagnostic', async () => {
  const uri = pathToFileURL(resolve(REPO_ROOT, 'virtual/deploy.yaml')).toString();
  published.length = 0;
  const digest = '@sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';
  await conn.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: 9, character: 27 }, end: { line: 9, character: 27 } }, text: digest }],
  });
  const p = await nextDiagnostics(uri, (d) => d.version === 2);
  assert.deepEqual(p.diagnostics.map((d) => d.code), ['implicit-latest']);
});

test('a file that is not a manifest gets no diagnostics, and closing clears them', async () => {
  const other = pathToFileURL(resolve(REPO_ROOT, 'virtual/notes.yaml')).toString();
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: other, languageId: 'yaml', version: 1, text: 'title: image: nginx\nimage: nginx:1\n' } });
  const p = await nextDiagnostics(other);
  assert.deepEqual(p.diagnostics, []);
  const uri = pathToFileURL(resolve(REPO_ROOT, 'virtual/deploy.yaml')).toString();
  published.length = 0;
  await conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  const cleared = await nextDiagnostics(uri);
  assert.deepEqual(cleared.diagnostics, []);
});
