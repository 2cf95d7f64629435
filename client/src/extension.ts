// Image Trust extension: a table of contents. Commands are registered first and answer "server not ready" cleanly.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { BUSY_NOTIFICATION, SECTION, TREE_CHANGED_NOTIFICATION } from '../../server/src/protocol';
import { readSettings } from './config';
import { StatusDisplay } from './statusDisplay';
import { TrustTreeProvider } from './trustTree';
import { registerCommands } from './commands';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Image Trust', { log: true });
  const tree = new TrustTreeProvider(() => client);
  const status = new StatusDisplay();
  context.subscriptions.push(output, status, vscode.window.createTreeView('imageTrust.tree', { treeDataProvider: tree, showCollapseAll: true }));
  registerCommands(context, { client: () => client, tree, output });

  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'file', language: 'dockerfile' },
      // VS Code gives compose files their own language id.
      { scheme: 'file', language: 'dockercompose' },
      { scheme: 'file', pattern: '**/{Dockerfile,Containerfile,*.Dockerfile,*.Containerfile,Dockerfile.*,Containerfile.*}' },
      { scheme: 'untitled', language: 'yaml' },
      { scheme: 'untitled', language: 'dockerfile' },
      { scheme: 'untitled', language: 'dockercompose' },
    ],
    synchronize: {
      configurationSection: SECTION,
      fileEvents: vscode.workspace.createFileSystemWatcher('**/.image-trust.yaml'),
    },
    initializationOptions: {
      settings: readSettings(),
      // Restricted mode: extraction and diagnostics only — no registry, no credential helpers.
      workspaceTrusted: vscode.workspace.isTrusted,
      cacheDir: vscode.Uri.joinPath(context.globalStorageUri, 'registry-cache').fsPath,
    },
    outputChannel: output,
  };
  client = new LanguageClient('imageTrust', 'Image Trust', serverOptions, clientOptions);
  status.working(true);
  let refreshTimer: NodeJS.Timeout | undefined;
  const refreshViews = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      await tree.refresh();
      status.update(tree.current);
    }, 200);
  };
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      void vscode.window.showInformationMessage('Image Trust: reload the window to let it contact registries in this workspace.');
    }),
  );
  await client.start();
  context.subscriptions.push(
    client.onNotification(TREE_CHANGED_NOTIFICATION, refreshViews),
    client.onNotification(BUSY_NOTIFICATION, (p: { busy: boolean }) => status.working(p.busy)),
  );
  status.working(false);
  refreshViews();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
