// A real LSP round trip: the bundled server as a child process over stdio, driven by a JSON-RPC client.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../support/cli';
import { LspSession } from '../support/lsp';

let lsp: LspSession;

before(async () => {
  // The client's settings: implicit-latest raised to error; offline, so no registry is asked.
  lsp = await LspSession.start({ rootPath: REPO_ROOT, settings: { severity: { 'implicit-latest': 'error' }, offline: true } });
});
after(() => lsp?.stop());

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
const uri = pathToFileURL(resolve(REPO_ROOT, 'virtual/deploy.yaml')).toString();

test('opening a Deployment publishes the expected diagnostics', async () => {
  await lsp.open(uri, DEPLOYMENT);
  const p = await lsp.diagnostics(uri, (d) => d.diagnostics.length > 0);
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
  const digest = '@sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';
  await lsp.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: 9, character: 27 }, end: { line: 9, character: 27 } }, text: digest }],
  });
  const p = await lsp.diagnostics(uri, (d) => d.version === 2);
  assert.deepEqual(p.diagnostics.map((d) => d.code), ['implicit-latest']);
});

test('a file that is not a manifest gets no diagnostics, and closing clears them', async () => {
  const other = pathToFileURL(resolve(REPO_ROOT, 'virtual/notes.yaml')).toString();
  await lsp.open(other, 'title: notes\nimage: nginx:1\n');
  const p = await lsp.diagnostics(other);
  assert.deepEqual(p.diagnostics, []);
  const count = lsp.published.length;
  await lsp.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  const cleared = await lsp.diagnostics(uri, (d) => lsp.published.indexOf(d) >= count);
  assert.deepEqual(cleared.diagnostics, []);
});
