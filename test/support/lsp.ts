// Drives the bundled language server (dist/server.js) over stdio with a real JSON-RPC client, as an editor would.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { REPO_ROOT } from './cli';

export interface LspOptions {
  settings?: Record<string, unknown>;
  rootPath?: string;
  initializationOptions?: Record<string, unknown>;
  /** Answers `workspace/applyEdit` (default: accept and record). */
  onApplyEdit?: (params: unknown) => { applied: boolean; failureReason?: string };
}

export class LspSession {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly appliedEdits: unknown[] = [];
  readonly messages: string[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly server: ChildProcess, readonly conn: ProtocolConnection) {}

  static async start(opts: LspOptions = {}): Promise<LspSession> {
    const server = spawn(process.execPath, [resolve(REPO_ROOT, 'dist/server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const conn = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    const s = new LspSession(server, conn);
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      s.published.push(p);
      for (const w of s.waiters.splice(0)) w();
    });
    conn.onNotification('window/showMessage', (p: unknown) => {
      s.messages.push((p as { message: string }).message);
    });
    conn.onNotification('window/logMessage', () => {});
    conn.onNotification('$/progress', () => {});
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onRequest('window/showMessageRequest', () => null);
    conn.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => opts.settings ?? {}));
    conn.onRequest('workspace/applyEdit', (params: unknown) => {
      s.appliedEdits.push(params);
      return opts.onApplyEdit ? opts.onApplyEdit(params) : { applied: true };
    });
    conn.listen();
    const root = opts.rootPath ? pathToFileURL(opts.rootPath).toString() : null;
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: root,
      workspaceFolders: root ? [{ uri: root, name: 'ws' }] : null,
      capabilities: { workspace: { configuration: true, applyEdit: true, workspaceEdit: { documentChanges: true } }, window: { workDoneProgress: true } },
      initializationOptions: opts.initializationOptions,
    });
    await conn.sendNotification('initialized', {});
    return s;
  }

  /** Resolves with the first publication for `uri` matching `predicate` (already received or future). */
  diagnostics(uri: string, predicate: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 15_000): Promise<PublishDiagnosticsParams> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        const hit = [...this.published].reverse().find((p) => p.uri === uri && predicate(p));
        if (!hit) return false;
        clearTimeout(timer);
        resolvePromise(hit);
        return true;
      };
      const waiter = () => {
        if (!check()) this.waiters.push(waiter);
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  async open(uri: string, text: string, languageId = 'yaml', version = 1): Promise<void> {
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.conn.sendNotification('exit');
    } catch {
      /* already gone */
    }
    this.conn.dispose();
    this.server.kill();
  }
}
