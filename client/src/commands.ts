// Command registrations (palette, tree context menu). Each answers cleanly when the server is not running yet.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SECTION } from '../../server/src/protocol';
import type { TreeNode, TrustTreeProvider } from './trustTree';

export interface CommandContext {
  client: () => LanguageClient | undefined;
  tree: TrustTreeProvider;
  output: vscode.OutputChannel;
}

export const STARTER_POLICY = `# Image Trust policy — see docs/policy.md of the Image Trust extension.
# Rules are matched in order against the full image name (docker.io/library/nginx); the first match wins.
# mode: enforce → errors, audit → warnings, off → nothing.
version: 1
rules:
  # - name: production
  #   match: ["registry.example.com/prod/**"]
  #   mode: enforce
  #   requireDigest: true
  #   signers:
  #     - key: ./keys/cosign.pub
  #     - keyless:
  #         issuer: https://token.actions.githubusercontent.com
  #         subjectRegExp: 'https://github\\.com/example/.*'
  #   attestations:
  #     - predicateType: https://slsa.dev/provenance/v1
  - name: everything-else
    match: ["**"]
    mode: audit
    requireDigest: false
exceptions: []
  # - image: registry.example.com/prod/legacy@sha256:…
  #   reason: vendor image, unsigned until Q3
  #   owner: team-platform
  #   expires: 2026-12-31
`;

export function registerCommands(context: vscode.ExtensionContext, ctx: CommandContext): void {
  const register = (id: string, fn: (...args: any[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  const server = async (command: string, ...args: unknown[]): Promise<unknown> => {
    const c = ctx.client();
    if (!c || !c.isRunning()) {
      void vscode.window.showWarningMessage('Image Trust: the language server is not ready yet; try again in a moment.');
      return undefined;
    }
    return c.sendRequest('workspace/executeCommand', { command, arguments: args });
  };
  const report = (r: unknown) => {
    const res = r as { pinned: number; alreadyPinned: number; failed: unknown[] } | undefined;
    if (res && !res.failed.length) void vscode.window.setStatusBarMessage(`Image Trust: pinned ${res.pinned}, ${res.alreadyPinned} already pinned`, 5000);
  };

  register('imageTrust.refresh', async () => {
    await server('imageTrust.server.refresh');
    await ctx.tree.refresh();
  });
  register('imageTrust.showOutput', () => ctx.output.show());
  register('imageTrust.toggleProblemsOnly', () => {
    ctx.tree.problemsOnly = !ctx.tree.problemsOnly;
    void ctx.tree.refresh();
  });
  register('imageTrust.toggleGrouping', () => {
    ctx.tree.groupByImage = !ctx.tree.groupByImage;
    void ctx.tree.refresh();
  });
  register('imageTrust.pinAllInFile', async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return void vscode.window.showInformationMessage('Image Trust: open a manifest, Dockerfile or values file first.');
    report(await server('imageTrust.server.pinFile', { uri: editor.document.uri.toString() }));
  });
  register('imageTrust.pinAllInWorkspace', async () => report(await server('imageTrust.server.pinWorkspace')));
  // Trust-gated: only moved pins whose new digest verifies, by the same signer, old enough (the server says why not).
  register('imageTrust.updateAllPins', async () => {
    const res = (await server('imageTrust.server.updateWorkspace')) as { updated: number; upToDate: number; refused: unknown[]; failed: unknown[]; cancelled: boolean } | undefined;
    if (res && !res.cancelled && !res.refused.length && !res.failed.length) void vscode.window.setStatusBarMessage(`Image Trust: updated ${res.updated} pin(s), ${res.upToDate} up to date`, 5000);
  });
  register('imageTrust.verifyAtCursor', async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    const ok = await server('imageTrust.server.verify', { uri: editor.document.uri.toString(), position: editor.selection.active });
    if (!ok) return void vscode.window.showInformationMessage('Image Trust: place the cursor on an image reference.');
    setTimeout(() => void vscode.commands.executeCommand('editor.action.showHover'), 1500);
  });
  register('imageTrust.openPolicy', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return void vscode.window.showInformationMessage('Image Trust: open a folder to keep a trust policy in it.');
    const rel = vscode.workspace.getConfiguration(SECTION).get<string>('policyPath') ?? '.image-trust.yaml';
    const uri = vscode.Uri.joinPath(folder.uri, rel);
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      await vscode.workspace.fs.writeFile(uri, Buffer.from(STARTER_POLICY, 'utf8'));
    }
    await vscode.window.showTextDocument(uri);
  });
  // A starter policy from the workspace's images (the server reads them as `image-trust init` does); never written
  // over an existing policy. Returns { created, uri } (the extension-host suite checks it).
  register('imageTrust.initPolicy', async (arg?: { verify?: boolean }) => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      void vscode.window.showInformationMessage('Image Trust: open a folder to keep a trust policy in it.');
      return { created: false };
    }
    const rel = vscode.workspace.getConfiguration(SECTION).get<string>('policyPath') || '.image-trust.yaml';
    const uri = vscode.Uri.joinPath(folder.uri, rel);
    const exists = async () => vscode.workspace.fs.stat(uri).then(() => true, () => false);
    const refuse = () => {
      // Not awaited: the command answers at once; the button opens the existing policy.
      void vscode.window.showWarningMessage(`Image Trust: ${rel} already exists; a starter policy is never written over it.`, 'Open It').then((open) => {
        if (open) void vscode.window.showTextDocument(uri);
      });
      return { created: false, uri: uri.toString() };
    };
    if (await exists()) return refuse();
    let verify = arg?.verify;
    if (verify === undefined) {
      const picked = await vscode.window.showQuickPick(
        [
          { label: 'From the images in this workspace', description: 'no network', verify: false },
          { label: 'Also check signatures', description: 'asks the registries; proposes the signers seen (commented)', verify: true },
        ],
        { title: 'Image Trust: Create Trust Policy from Workspace' },
      );
      if (!picked) return { created: false };
      verify = picked.verify;
    }
    const result = (await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Image Trust: reading the workspace\'s images…' },
      () => server('imageTrust.server.initPolicy', { verify, policyPath: rel }),
    )) as { text: string | null; repositories: number; requireDigest: number; proposedSigners: number; verifySkipped?: string } | undefined;
    if (!result?.text) return { created: false };
    // Checked again: the file may have appeared while the registries were asked.
    if (await exists()) return refuse();
    await vscode.workspace.fs.writeFile(uri, Buffer.from(result.text, 'utf8'));
    await vscode.window.showTextDocument(uri);
    const signers = verify ? (result.verifySkipped ? ` Signatures not checked: ${result.verifySkipped}.` : ` ${result.proposedSigners} signer(s) proposed, commented.`) : '';
    void vscode.window.showInformationMessage(`Image Trust: wrote ${rel} — ${result.repositories} rule(s) in audit mode, ${result.requireDigest} with requireDigest.${signers} Review it, then commit it.`);
    return { created: true, uri: uri.toString() };
  });
  register('imageTrust.openExample', async (relative?: string) => {
    if (!relative || relative.includes('..')) return;
    await vscode.window.showTextDocument(vscode.Uri.joinPath(context.extensionUri, 'examples', relative), { preview: false });
  });
  // Tree context menu.
  const refOf = (node: TreeNode | undefined) => (node && node.type === 'ref' ? node.ref : undefined);
  register('imageTrust.tree.pin', async (node?: TreeNode) => {
    const ref = refOf(node);
    if (!ref) return;
    await vscode.window.showTextDocument(vscode.Uri.parse(ref.uri), { preview: false });
    report(await server('imageTrust.server.pinReference', { uri: ref.uri, position: ref.range.start }));
  });
  register('imageTrust.tree.copyDigest', async (node?: TreeNode) => {
    const ref = refOf(node) ?? (node?.type === 'digest' ? node.ref : undefined);
    const digest = ref?.digest ?? ref?.resolvedDigest;
    if (digest) await vscode.env.clipboard.writeText(digest);
  });
  register('imageTrust.tree.copyReference', async (node?: TreeNode) => {
    const ref = refOf(node);
    if (!ref?.name) return;
    const digest = ref.digest ?? ref.resolvedDigest;
    await vscode.env.clipboard.writeText(`${ref.name}${ref.tag ? `:${ref.tag}` : ''}${digest ? `@${digest}` : ''}`);
  });
  register('imageTrust.tree.reverify', async (node?: TreeNode) => {
    const ref = refOf(node);
    if (ref) await server('imageTrust.server.verify', { uri: ref.uri, position: ref.range.start });
  });
  register('imageTrust.tree.openPolicyRule', () => vscode.commands.executeCommand('imageTrust.openPolicy'));
}
