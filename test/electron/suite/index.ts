// Runs inside the VS Code extension host (@vscode/test-electron loads this module and calls `run`). The runner
// (test/electron/runTests.ts) opened the e2e demo workspace, whose `deploy/web.yaml` references IMAGE_TRUST_E2E_IMAGE,
// pushed to a local registry with digest IMAGE_TRUST_E2E_DIGEST.
import assert from 'node:assert/strict';
import path from 'node:path';
import * as vscode from 'vscode';
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

test('the extension activates on a YAML manifest', async () => {
  await openManifest();
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed in the development host`);
  await eventually('activation', () => (ext.isActive ? true : undefined));
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
});

export async function run(): Promise<void> {
  assert.ok(IMAGE && DIGEST, 'IMAGE_TRUST_E2E_IMAGE and IMAGE_TRUST_E2E_DIGEST are set by test/electron/runTests.ts');
  await runRegistered();
}
