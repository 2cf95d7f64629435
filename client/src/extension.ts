// Image Trust extension: a table of contents. Commands are registered first and answer "server not ready" cleanly.
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { BUSY_NOTIFICATION, SECTION, TREE_CHANGED_NOTIFICATION } from '../../server/src/protocol';
import { readSettings } from './config';
import { StatusDisplay } from './statusDisplay';
import { TrustTreeProvider } from './trustTree';
import { registerCommands } from './commands';

let client: LanguageClient | undefined;

/**
 * What `activate` returns (`vscode.extensions.getExtension('image-trust.image-trust').exports`): the trust tree's
 * data provider and the language server's state. The extension-host suite (test/electron) asserts through it.
 */
export interface ImageTrustApi {
  tree: TrustTreeProvider;
  /** `running` once the language server answered `initialize`; `failed` with the reason when it did not start. */
  languageServer(): { state: 'starting' | 'running' | 'failed'; reason?: string };
  /** The status bar item as shown now. */
  statusBar(): StatusDisplay['state'];
}

export async function activate(context: vscode.ExtensionContext): Promise<ImageTrustApi> {
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
      // GitHub Actions workflows get their own language id from the GitHub Actions extension.
      { scheme: 'file', language: 'github-actions-workflow' },
      // Dev containers: JSON with comments, by path (not every JSONC file).
      { scheme: 'file', pattern: '**/{.devcontainer.json,.devcontainer/devcontainer.json,.devcontainer/*/devcontainer.json}' },
      // Helm chart templates: the `helm` language id (Kubernetes extension), and `*.tpl` helpers, which have none.
      { scheme: 'file', language: 'helm' },
      { scheme: 'file', pattern: '**/templates/**/*.tpl' },
      // GitLab CI files (the GitLab Workflow extension gives them their own language id).
      { scheme: 'file', language: 'gitlab-ci' },
      // Files added to a kind with the imageTrust.files setting, whatever their language.
      ...Object.values(readSettings().files ?? {})
        .flat()
        .filter((glob): glob is string => typeof glob === 'string' && glob !== '')
        .map((glob) => ({ scheme: 'file', pattern: glob.startsWith('**/') || glob.startsWith('/') ? glob : `**/${glob}` })),
      { scheme: 'untitled', language: 'yaml' },
      { scheme: 'untitled', language: 'dockerfile' },
      { scheme: 'untitled', language: 'dockercompose' },
    ],
    synchronize: {
      configurationSection: SECTION,
      // The policy, and the trust lock (pinned digests in it are verified from it).
      // YAML files: admission policies (Kyverno, ClusterImagePolicy) changed outside the editor are read again.
      fileEvents: [vscode.workspace.createFileSystemWatcher('**/.image-trust.yaml'), vscode.workspace.createFileSystemWatcher('**/.image-trust.lock'), vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}')],
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
  let server: ReturnType<ImageTrustApi['languageServer']> = { state: 'starting' };
  const api: ImageTrustApi = { tree, languageServer: () => server, statusBar: () => status.state };
  try {
    await client.start();
  } catch (err) {
    // The status bar turns into an error with the reason in its tooltip and the output one click away; the
    // commands stay registered and answer "not ready".
    const reason = err instanceof Error ? err.message : String(err);
    server = { state: 'failed', reason };
    output.error(`The Image Trust language server did not start: ${reason}`);
    status.failed(`the language server did not start: ${reason}`);
    return api;
  }
  server = { state: 'running' };
  context.subscriptions.push(
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped && server.state === 'running') {
        server = { state: 'failed', reason: 'the language server stopped' };
        status.failed('the language server stopped (see the output for why)');
      }
    }),
    client.onNotification(TREE_CHANGED_NOTIFICATION, refreshViews),
    client.onNotification(BUSY_NOTIFICATION, (p: { busy: boolean }) => status.working(p.busy)),
  );
  status.working(false);
  refreshViews();
  return api;
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
