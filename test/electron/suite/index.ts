// Runs inside the VS Code extension host (@vscode/test-electron loads this module and calls `run`). The runner
// (test/electron/runTests.ts) opened the e2e demo workspace, whose `deploy/web.yaml` references IMAGE_TRUST_E2E_IMAGE,
// pushed to a local registry with digest IMAGE_TRUST_E2E_DIGEST. Everything is asserted through the `vscode` API
// and the extension's exported API (`ImageTrustApi`: the trust tree's provider, the language server and status bar);
// the starter policy the init command writes is read with the core's own policy loader.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ImageTrustApi } from '../../../client/src/extension';
import { loadPolicy } from '../../../server/src/core/policy';
import type { TreeNode } from '../../../client/src/trustTree';
import { eventually, runRegistered, test } from './harness';

const IMAGE = process.env.IMAGE_TRUST_E2E_IMAGE ?? '';
const DIGEST = process.env.IMAGE_TRUST_E2E_DIGEST ?? '';
const EXTENSION_ID = 'image-trust.image-trust';

function workspaceFile(rel: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the runner opens a workspace folder');
  return vscode.Uri.file(path.join(folder.uri.fsPath, rel));
}

async function openManifest(): Promise<{ doc: vscode.TextDocument; position: vscode.Position }> {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('deploy/web.yaml'));
  await vscode.window.showTextDocument(doc);
  const offset = doc.getText().indexOf(IMAGE);
  assert.ok(offset >= 0, `deploy/web.yaml references ${IMAGE}`);
  return { doc, position: doc.positionAt(offset + IMAGE.indexOf('/') + 2) };
}

function imageTrustDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'image-trust');
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

function api(): ImageTrustApi {
  const ext = vscode.extensions.getExtension<ImageTrustApi>(EXTENSION_ID);
  assert.ok(ext?.isActive && ext.exports, `${EXTENSION_ID} is active and exports its API`);
  return ext.exports;
}

/** The tree item of the `web` reference in deploy/web.yaml, once `accept` takes it (the tree refreshes on its own). */
async function webTreeItem(what: string, accept: (item: vscode.TreeItem) => boolean): Promise<vscode.TreeItem> {
  const tree = api().tree;
  return eventually(what, async () => {
    await tree.refresh();
    const files = tree.getChildren();
    const file = files.find((n): n is Extract<TreeNode, { type: 'file' }> => n.type === 'file' && n.file.uri.endsWith('/deploy/web.yaml'));
    const ref = file && tree.getChildren(file).find((n) => n.type === 'ref' && (n.ref.reference === IMAGE || n.ref.reference.startsWith(`${IMAGE}@`)));
    if (!ref) return undefined;
    const item = tree.getTreeItem(ref);
    return accept(item) ? item : undefined;
  });
}

const tooltipText = (item: vscode.TreeItem) => (typeof item.tooltip === 'string' ? item.tooltip : item.tooltip?.value ?? '');

test('the extension activates on a YAML manifest and its language server runs', async () => {
  await openManifest();
  const ext = vscode.extensions.getExtension<ImageTrustApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed in the development host`);
  // activate() resolves once activation finished (it rejects if activation threw).
  await ext.activate();
  const server = ext.exports.languageServer();
  const status = ext.exports.statusBar();
  // On failure the message shows the status bar as the user sees it (the harness test checks its error state).
  const seen = `status bar: ${status.text} — ${status.tooltip} (error state: ${status.error})`;
  assert.equal(server.state, 'running', `the language server is running; it is ${server.state}: ${server.reason ?? 'no reason given'}; ${seen}`);
  assert.equal(status.error, false, seen);
}, { critical: true });

test('every contributed command is registered', async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
  assert.ok(contributed.length >= 10, `package.json contributes commands: ${contributed.join(', ')}`);
  const registered = new Set(await vscode.commands.getCommands(true));
  const missing = contributed.filter((c) => !registered.has(c));
  assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
});

test('a tag-only reference gets an image-trust diagnostic', async () => {
  const { doc } = await openManifest();
  const diags = await eventually(`an unpinned-tag diagnostic on ${IMAGE}`, () => {
    const found = imageTrustDiagnostics(doc.uri).filter((d) => doc.getText(d.range) === IMAGE && d.message.includes('pinned only by the tag'));
    return found.length ? found : undefined;
  });
  assert.equal(diags.length, 1, diags.map((d) => d.message).join('\n'));
  assert.equal(String(typeof diags[0]!.code === 'object' ? diags[0]!.code.value : diags[0]!.code), 'unpinned-tag');
});

test('the hover shows the image and the digest its tag resolves to', async () => {
  const { doc, position } = await openManifest();
  const text = await eventually('a hover with the resolved digest', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, position);
    const t = hoverText(hovers ?? []);
    return t.includes(DIGEST.slice(0, 'sha256:'.length + 12)) ? t : undefined;
  });
  assert.ok(text.includes(IMAGE), text);
  assert.match(text, /not pinned/i, text);
});

test('the trust tree shows the short image name, its registry, and the full reference in the tooltip', async () => {
  await openManifest();
  const item = await webTreeItem('the web reference in the trust tree', () => true);
  const shortName = IMAGE.slice(IMAGE.lastIndexOf('/') + 1); // web:1.0
  const registry = IMAGE.slice(0, IMAGE.lastIndexOf('/')); // 127.0.0.1:<port>/demo
  assert.equal(item.label, shortName);
  assert.equal(item.description, `${registry} · not pinned`);
  assert.ok(tooltipText(item).includes(IMAGE), `the tooltip holds the full reference: ${tooltipText(item)}`);
  assert.equal(item.contextValue, 'imageTrust.ref.unpinned');
});

test('the quick fix pins the reference to the registry digest', async () => {
  const { doc, position } = await openManifest();
  const fix = await eventually('a "Pin to sha256:" quick fix', async () => {
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, new vscode.Range(position, position));
    return actions?.find((a) => a.title.startsWith('Pin to sha256:'));
  });
  assert.ok(fix.edit, `"${fix.title}" carries an edit`);
  assert.ok(await vscode.workspace.applyEdit(fix.edit), 'the editor applies the edit');
  assert.ok(doc.getText().includes(`${IMAGE}@${DIGEST}`), doc.getText());
  await eventually('the diagnostic gone', () =>
    imageTrustDiagnostics(doc.uri).some((d) => d.message.includes(`${IMAGE} is pinned only by the tag`)) ? undefined : true);
  // The tree follows: the reference is pinned, its description names the digest.
  const registry = IMAGE.slice(0, IMAGE.lastIndexOf('/'));
  await webTreeItem('the pinned web reference, its digest in the description', (item) => item.description === `${registry} · ${DIGEST.slice(0, 19)}`);
});

test('Create Trust Policy from Workspace never overwrites the workspace\'s policy', async () => {
  const policy = workspaceFile('.image-trust.yaml').fsPath;
  const before = readFileSync(policy, 'utf8');
  const result = await vscode.commands.executeCommand<{ created: boolean }>('imageTrust.initPolicy', { verify: false });
  assert.equal(result?.created, false);
  assert.equal(readFileSync(policy, 'utf8'), before);
});

test('Create Trust Policy from Workspace writes a starter policy that loads without diagnostics', async () => {
  const config = vscode.workspace.getConfiguration('imageTrust');
  await config.update('policyPath', 'starter-policy.yaml', vscode.ConfigurationTarget.Workspace);
  const file = workspaceFile('starter-policy.yaml').fsPath;
  try {
    const result = await vscode.commands.executeCommand<{ created: boolean; uri: string }>('imageTrust.initPolicy', { verify: false });
    assert.equal(result?.created, true);
    assert.equal(vscode.Uri.parse(result.uri).fsPath, file);
    const text = readFileSync(file, 'utf8');
    const loaded = loadPolicy(text, { policyPath: file, readFile: (p) => readFileSync(p, 'utf8') });
    assert.deepEqual(loaded.diagnostics.map((d) => d.message), [], text);
    const registry = IMAGE.slice(0, IMAGE.indexOf('/'));
    const rule = (repo: string) => loaded.policy?.rules.find((r) => r.name === `${registry}/${repo}`);
    // On disk demo/web still has its tag (the quick fix edited the open document only); demo/signed is pinned.
    assert.equal(rule('demo/web')?.requireDigest, false, text);
    assert.equal(rule('demo/signed')?.requireDigest, true, text);
    assert.ok(loaded.policy?.rules.every((r) => r.mode === 'audit'), text);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file, 'the new policy is opened');
  } finally {
    await config.update('policyPath', undefined, vscode.ConfigurationTarget.Workspace);
    rmSync(file, { force: true });
  }
});

export async function run(): Promise<void> {
  assert.ok(IMAGE && DIGEST, 'IMAGE_TRUST_E2E_IMAGE and IMAGE_TRUST_E2E_DIGEST are set by test/electron/runTests.ts');
  assert.ok(existsSync(workspaceFile('deploy/web.yaml').fsPath), 'the demo workspace is open');
  await runRegistered();
}
