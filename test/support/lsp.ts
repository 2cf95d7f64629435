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
import { BUSY_NOTIFICATION, TREE_CHANGED_NOTIFICATION, TREE_REQUEST, type TreeResult } from '../../server/src/protocol';
import { REPO_ROOT } from './cli';

export interface LspOptions {
  settings?: Record<string, unknown>;
  rootPath?: string;
  initializationOptions?: Record<string, unknown>;
  /** Answers `workspace/applyEdit` (default: accept and record). */
  onApplyEdit?: (params: unknown) => { applied: boolean; failureReason?: string };
}

/** One notification from the server, in arrival order. */
export interface ServerNotification {
  method: string;
  params: unknown;
}

/** The methods recorded in `LspSession.notifications` (and waited on with `notification()`, `idle()`). */
const RECORDED = ['textDocument/publishDiagnostics', 'window/showMessage', 'window/logMessage', '$/progress', BUSY_NOTIFICATION, TREE_CHANGED_NOTIFICATION];

const DEFAULT_WAIT_MS = 15_000;

/**
 * Waits are driven by what the server sends, never by sleeping: every wait re-checks its condition when a
 * notification arrives and fails after its timeout with a message naming what it waited for.
 *
 *   const since = lsp.mark();
 *   await lsp.open(uri, text);
 *   await lsp.idle(since);                        // background registry/verification work started and finished
 *   await lsp.diagnostics(uri, (p) => …);         // the publication the test is after
 */
export class LspSession {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly appliedEdits: unknown[] = [];
  /** Texts of `window/showMessage` notifications and `window/showMessageRequest` requests, in arrival order. */
  readonly messages: string[] = [];
  /** Every notification of the methods in RECORDED, in arrival order (`mark()` is an index into it). */
  readonly notifications: ServerNotification[] = [];
  private readonly wakers = new Set<() => void>();
  private constructor(readonly server: ChildProcess, readonly conn: ProtocolConnection) {}

  static async start(opts: LspOptions = {}): Promise<LspSession> {
    const server = spawn(process.execPath, [resolve(REPO_ROOT, 'dist/server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const conn = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    const s = new LspSession(server, conn);
    for (const method of RECORDED) conn.onNotification(method, (params: unknown) => s.record(method, params));
    conn.onRequest('window/workDoneProgress/create', () => null);
    // showWarningMessage and friends arrive as requests: their text is recorded in `messages` too.
    conn.onRequest('window/showMessageRequest', (params: { message: string }) => {
      s.messages.push(params.message);
      for (const wake of [...s.wakers]) wake();
      return null;
    });
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

  private record(method: string, params: unknown): void {
    this.notifications.push({ method, params });
    if (method === 'textDocument/publishDiagnostics') this.published.push(params as PublishDiagnosticsParams);
    if (method === 'window/showMessage') this.messages.push((params as { message: string }).message);
    for (const wake of [...this.wakers]) wake();
  }

  /** The current end of `notifications`: pass it as `since` to wait only for what the server sends from now on. */
  mark(): number {
    return this.notifications.length;
  }

  /**
   * Resolves with `probe`'s first defined answer, checked now and on every notification the server sends; rejects
   * after `timeoutMs` with "timed out … waiting for <what>" and `detail()` (what the server did send).
   */
  waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = DEFAULT_WAIT_MS, detail?: () => string): Promise<T> {
    return new Promise<T>((resolvePromise, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        this.wakers.delete(wake);
        clearTimeout(timer);
        fn();
      };
      const wake = () => {
        let hit: T | undefined;
        try {
          hit = probe();
        } catch (err) {
          finish(() => reject(err));
          return;
        }
        if (hit !== undefined) finish(() => resolvePromise(hit));
      };
      timer = setTimeout(() => {
        const extra = detail ? `; ${detail()}` : '';
        const exited = this.server.exitCode !== null ? ` (the server exited with ${this.server.exitCode})` : '';
        finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${exited}${extra}`)));
      }, timeoutMs);
      this.wakers.add(wake);
      wake();
    });
  }

  /** Resolves with the params of the first `method` notification at index ≥ `since` that matches `predicate`. */
  notification<P>(method: string, predicate: (params: P) => boolean = () => true, opts: { since?: number; timeoutMs?: number; what?: string } = {}): Promise<P> {
    const since = opts.since ?? 0;
    return this.waitFor(
      opts.what ?? `a ${method} notification${predicate.length ? ' matching the predicate' : ''}`,
      () => this.notifications.slice(since).find((n) => n.method === method && predicate(n.params as P))?.params as P | undefined,
      opts.timeoutMs,
      () => `${method} received since #${since}: ${JSON.stringify(this.notifications.slice(since).filter((n) => n.method === method).map((n) => n.params)).slice(0, 2000)}`,
    );
  }

  /** Resolves with the latest publication for `uri` matching `predicate` (already received or future). */
  diagnostics(uri: string, predicate: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<PublishDiagnosticsParams> {
    return this.waitFor(
      `matching diagnostics for ${uri}`,
      () => [...this.published].reverse().find((p) => p.uri === uri && predicate(p)),
      timeoutMs,
      () => {
        const last = [...this.published].reverse().find((p) => p.uri === uri);
        return last ? `the last of ${this.published.filter((p) => p.uri === uri).length} publication(s) for it: ${JSON.stringify(last.diagnostics.map((d) => [d.code, d.message])).slice(0, 2000)}` : 'none was published for it';
      },
    );
  }

  /** Whether the server's last BUSY_NOTIFICATION said it was busy. */
  get busy(): boolean {
    const last = [...this.notifications].reverse().find((n) => n.method === BUSY_NOTIFICATION);
    return (last?.params as { busy: boolean } | undefined)?.busy === true;
  }

  /**
   * Background registry/verification work started after `since` (a `busy: true` at index ≥ since) and the server
   * is idle again (its last busy notification says `busy: false`). Take `since = mark()` before the action that
   * queues the work, while the server is idle: the server starts that work ~400 ms later and, when work overlaps,
   * sends one busy:true/false pair for all of it. The diagnostics that work produces are published right after
   * `busy: false` — wait for them with `diagnostics()`.
   */
  idle(since: number, timeoutMs = 30_000): Promise<void> {
    return this.waitFor(
      `the server's background work started after #${since} to finish (${BUSY_NOTIFICATION} busy:true, then busy:false)`,
      () => {
        const started = this.notifications.findIndex((n, i) => i >= since && n.method === BUSY_NOTIFICATION && (n.params as { busy: boolean }).busy);
        return started !== -1 && !this.busy ? (true as const) : undefined;
      },
      timeoutMs,
      () => `busy notifications since #${since}: ${JSON.stringify(this.notifications.slice(since).filter((n) => n.method === BUSY_NOTIFICATION).map((n) => n.params))}`,
    ).then(() => undefined);
  }

  /**
   * The `imageTrust/tree` answer once `predicate` accepts it: asked now, and again after each treeChanged
   * notification (the server's signal that the tree data changed), within `timeoutMs` overall.
   */
  async tree(predicate: (tree: TreeResult) => boolean = () => true, opts: { timeoutMs?: number; what?: string } = {}): Promise<TreeResult> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const since = this.mark();
      const tree = (await this.conn.sendRequest(TREE_REQUEST)) as TreeResult;
      if (predicate(tree)) return tree;
      try {
        await this.notification(TREE_CHANGED_NOTIFICATION, () => true, { since, timeoutMs: Math.max(deadline - Date.now(), 0) });
      } catch {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a tree matching the predicate'}; the last tree: ${JSON.stringify(tree).slice(0, 3000)}`);
      }
    }
  }

  async open(uri: string, text: string, languageId = 'yaml', version = 1): Promise<void> {
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  async stop(): Promise<void> {
    let bound: NodeJS.Timeout | undefined;
    try {
      // Bounded: a wedged server must not hang the suite's teardown; it is killed below either way.
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => (bound = setTimeout(r, 2000)))]);
      await this.conn.sendNotification('exit');
    } catch {
      /* already gone */
    } finally {
      clearTimeout(bound);
    }
    this.conn.dispose();
    this.server.kill();
  }
}
