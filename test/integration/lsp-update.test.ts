// The editor's trust-gated updates against a real registry: the tag-moved quick fix is "Update pin (same signer,
// 12 days old, 3 packages changed)" only for a candidate that verifies under the policy by the same signer and is old
// enough, and is withheld otherwise with the reason in the hover; "Update All Pins in Workspace" writes the accepted
// updates as one WorkspaceEdit. With a trust lock at the workspace root and the registry gone, an offline hover says
// "verified from lock, made <date>".
import assert from 'node:assert/strict';
import type crypto from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic, Hover } from 'vscode-languageserver-protocol';
import { runCli } from '../support/cli';
import { LspSession } from '../support/lsp';
import { buildImage, pushImage, startRegistry, writeDockerConfig, type ImageLayout, type TestRegistry } from '../support/registry';
import { requireRegistryTools } from '../support/requirements';
import { attachBundle, dsseBundle, inTotoStatement, keySigner, messageBundle, newKeyPair, publicKeyPem, SPDX_DOCUMENT } from '../support/signing';

const { skip } = requireRegistryTools();
const CREDS = { user: 'editor', pass: 'Editor-update-pass' };
const DAY = 86_400_000;

describe('editor: trust-gated Update pin, Update All Pins, verdicts from the trust lock', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let ws: string;
  let lsp: LspSession;
  const keyA = newKeyPair();
  const keyB = newKeyPair();
  const images: Record<string, ImageLayout> = {};
  let n = 0;

  async function publish(repo: string, version: string, opts: { daysOld: number; key: crypto.KeyPairKeyObjectResult; sbom?: string[] }): Promise<ImageLayout> {
    const layout = await buildImage(path.join(dir, 'layouts', `${n++}`), { seed: `${repo}/${version}`, created: new Date(Date.now() - opts.daysOld * DAY).toISOString() });
    await pushImage(layout, reg, `${repo}:1.0`);
    await attachBundle(reg, repo, layout.digest, await messageBundle(keySigner(opts.key), layout.bytes));
    if (opts.sbom) {
      const predicate = { spdxVersion: 'SPDX-2.3', packages: opts.sbom.map((p) => ({ name: p.split('@')[0], versionInfo: p.split('@')[1] })) };
      await attachBundle(reg, repo, layout.digest, await dsseBundle(keySigner(opts.key), inTotoStatement(`${reg.host}/${repo}`, layout.digest, SPDX_DOCUMENT, predicate)));
    }
    images[`${repo}/${version}`] = layout;
    return layout;
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-lsp-update-'));
    reg = await startRegistry({ auth: CREDS });
    // The language server reads credentials from the Docker config, as for a user.
    process.env.DOCKER_CONFIG = await writeDockerConfig(path.join(dir, 'docker'), { [reg.host]: CREDS });
    await publish('app/good', 'v1', { daysOld: 40, key: keyA, sbom: ['openssl@3.0.1', 'zlib@1.2.13', 'musl@1.2.3'] });
    await publish('app/good', 'v2', { daysOld: 12, key: keyA, sbom: ['openssl@3.0.2', 'zlib@1.2.13', 'busybox@1.36.1'] });
    await publish('app/rekey', 'v1', { daysOld: 40, key: keyA });
    await publish('app/rekey', 'v2', { daysOld: 12, key: keyB });
    ws = path.join(dir, 'ws');
    mkdirSync(ws);
    writeFileSync(path.join(ws, 'a.pub'), publicKeyPem(keyA.publicKey));
    writeFileSync(path.join(ws, 'b.pub'), publicKeyPem(keyB.publicKey));
    writeFileSync(path.join(ws, '.image-trust.yaml'), `version: 1\nrules:\n  - name: app\n    match: "${reg.host}/app/**"\n    mode: enforce\n    signers: [{ key: ./a.pub, tlog: false }, { key: ./b.pub, tlog: false }]\n`);
    writeFileSync(path.join(ws, 'deploy.yaml'), deployYaml());
    writeFileSync(path.join(ws, 'other.yaml'), `services:\n  web:\n    image: ${reg.host}/app/good:1.0@${images['app/good/v1'].digest}\n`);
    lsp = await LspSession.start({ rootPath: ws, initializationOptions: { cacheDir: path.join(dir, 'cache') }, settings: { updateMinAge: '7d' } });
  });
  after(async () => {
    await lsp?.stop();
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const uri = () => pathToFileURL(path.join(ws, 'deploy.yaml')).toString();
  const deployYaml = () =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: good\n      image: ${reg.host}/app/good:1.0@${images['app/good/v1'].digest}\n    - name: rekey\n      image: ${reg.host}/app/rekey:1.0@${images['app/rekey/v1'].digest}\n`;
  const actionsFor = async (d: Diagnostic) => (await lsp.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: uri() }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
  const hoverAt = async (line: number) => ((await lsp.conn.sendRequest('textDocument/hover', { textDocument: { uri: uri() }, position: { line, character: 20 } })) as Hover).contents as { value: string };

  test('the moved pins are judged in the background: an accepted candidate gets "Update pin (…)", a re-keyed one is withheld with the reason in the hover', async () => {
    const since = lsp.mark();
    await lsp.open(uri(), deployYaml());
    const p = await lsp.diagnostics(uri(), (d) => d.diagnostics.filter((x) => x.code === 'tag-moved').length === 2);
    // The update judgement runs after the diagnostics, inside the same busy period: the server says busy until the
    // moved pins are judged and their documents re-published.
    await lsp.idle(since, 60_000);
    const [good, rekey] = p.diagnostics.filter((d) => d.code === 'tag-moved');
    const goodActions = await actionsFor(good);
    assert.deepEqual(goodActions.map((a) => a.title), ['Update pin (same signer, 12 days old, 3 packages changed)', 'Keep pin (ignore on this line)']);
    const change = goodActions[0].edit!.documentChanges![0] as { textDocument: { version: number }; edits: { range: Diagnostic['range']; newText: string }[] };
    assert.equal(change.textDocument.version, 1);
    assert.deepEqual(change.edits.map((e) => e.newText), [images['app/good/v2'].digest], 'only the digest, and exactly the verified one');
    assert.deepEqual((await actionsFor(rekey)).map((a) => a.title), ['Keep pin (ignore on this line)'], 'withheld: no update action');
    const hover = (await hoverAt(rekey.range.start.line)).value;
    assert.match(hover, /⚠️ \*\*Update withheld\*\* \(`sha256:[0-9a-f]{12}…`\): the signer changed: the pin was signed by key sha256:[0-9a-f]{12}…, the candidate by key sha256:[0-9a-f]{12}…; refused unless --allow-signer-change/);
    const goodHover = (await hoverAt(good.range.start.line)).value;
    assert.match(goodHover, /✅ \*\*Update pin \(same signer, 12 days old, 3 packages changed\)\*\* to `sha256:[0-9a-f]{12}…` is available as a quick fix: /);
  });

  test('Update All Pins in Workspace: one WorkspaceEdit with every accepted update (open and unopened files), refused ones listed and untouched', async () => {
    const edits = lsp.appliedEdits.length;
    const result = (await lsp.conn.sendRequest('workspace/executeCommand', { command: 'imageTrust.server.updateWorkspace', arguments: [] })) as { updated: number; refused: { reference: string; reasons: string[] }[]; failed: unknown[]; applied: boolean; cancelled: boolean };
    assert.equal(result.updated, 2);
    assert.deepEqual(result.refused.map((r) => r.reference), [`${reg.host}/app/rekey:1.0@${images['app/rekey/v1'].digest}`]);
    assert.match(result.refused[0].reasons.join(' '), /the signer changed/);
    assert.deepEqual([result.applied, result.cancelled, result.failed], [true, false, []]);
    assert.equal(lsp.appliedEdits.length, edits + 1, 'one edit: one undo');
    const changes = (lsp.appliedEdits.at(-1) as { edit: { documentChanges: { textDocument: { uri: string; version: number | null }; edits: { newText: string }[] }[] } }).edit.documentChanges;
    const byFile = Object.fromEntries(changes.map((c) => [c.textDocument.uri.split('/').pop(), c]));
    assert.deepEqual(Object.keys(byFile).sort(), ['deploy.yaml', 'other.yaml']);
    assert.equal(byFile['deploy.yaml'].textDocument.version, 1);
    assert.equal(byFile['other.yaml'].textDocument.version, null);
    for (const c of changes) assert.deepEqual(c.edits.map((e) => e.newText), [images['app/good/v2'].digest]);
    await lsp.waitFor('the warning that lists the refused pin', () => lsp.messages.find((m) => m.includes('refused') && m.includes('app/rekey')));
    // The progress was shown (begin … end).
    assert.ok(lsp.notifications.some((x) => x.method === '$/progress' && (x.params as { value: { kind: string; title?: string } }).value.title === 'Image Trust: updating pins (verifying each new digest)'));
  });

  test('with .image-trust.lock at the workspace root and the registry stopped, an offline hover says "verified from lock, made <date>"', async () => {
    const locked = runCli(['lock', '--cache-dir', path.join(dir, 'cli-cache')], { cwd: ws, timeoutMs: 120_000 });
    assert.equal(locked.status, 0, locked.stdout + locked.stderr);
    await reg.stop();
    const offline = await LspSession.start({ rootPath: ws, initializationOptions: { cacheDir: path.join(dir, 'cache-offline') }, settings: { offline: true } });
    try {
      const since = offline.mark();
      await offline.open(uri(), deployYaml());
      await offline.idle(since);
      const hover = ((await offline.conn.sendRequest('textDocument/hover', { textDocument: { uri: uri() }, position: { line: 7, character: 20 } })) as Hover).contents as { value: string };
      assert.match(hover.value, /✅ Signatures: \*\*verified\*\* — Signed by \.\/a\.pub\. \(verified from lock, made \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\)/);
      assert.match(hover.value, /— \*\*pinned and verified\*\*/);
    } finally {
      await offline.stop();
    }
  });
});
