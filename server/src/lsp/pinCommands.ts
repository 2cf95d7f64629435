// Server commands that resolve and then edit: pin one reference (progress if slower than 0.5 s), pin all in a file,
// pin all in the workspace (one WorkspaceEdit = one undo, n/total progress, cancellable; failures listed, untouched).
import { pathToFileURL } from 'node:url';
import type { Connection, TextDocuments, WorkDoneProgressServerReporter, WorkspaceEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeText } from '../core/analyze';
import { planPins, resolutionKey } from '../core/pinning';
import type { Resolution } from '../core/resolve';
import { LineIndex } from '../core/positions';
import type { FileKind, ImageRef } from '../core/types';
import { walk } from '../core/workspace';
import type { DocumentAnalyses } from './documents';
import type { ResolutionService } from './resolution';

const PROGRESS_AFTER_MS = 500;

export interface PinResult {
  pinned: number;
  alreadyPinned: number;
  failed: { reference: string; uri: string; line: number; reason: string }[];
  applied: boolean;
}

export interface Target {
  uri: string;
  /** Version of an open document (its edit is versioned); null for a file on disk. */
  version: number | null;
  text: string;
  kind: FileKind;
  refs: ImageRef[];
  lines: LineIndex;
}

export class PinCommands {
  constructor(
    private readonly connection: Connection,
    private readonly documents: TextDocuments<TextDocument>,
    private readonly analyses: DocumentAnalyses,
    private readonly resolutions: ResolutionService,
    private readonly workspaceRoots: () => string[],
  ) {}

  private openTarget(uri: string): Target | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const a = this.analyses.analyze(uri, doc.version, doc.getText());
    if (!a.analysis || !a.kind) return undefined;
    return { uri, version: doc.version, text: doc.getText(), kind: a.kind, refs: a.analysis.refs, lines: a.lines };
  }

  /** Progress that only appears when the work takes longer than half a second. */
  private async withLateProgress<T>(title: string, work: (report: (done: number, total: number) => void, signal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    let reporter: WorkDoneProgressServerReporter | undefined;
    let last = { done: 0, total: 0 };
    const timer = setTimeout(async () => {
      try {
        reporter = await this.connection.window.createWorkDoneProgress();
        reporter.begin(title, 0, `${last.done}/${last.total}`, true);
        reporter.token.onCancellationRequested(() => abort.abort());
      } catch {
        /* the client does not support progress */
      }
    }, PROGRESS_AFTER_MS);
    try {
      return await work((done, total) => {
        last = { done, total };
        reporter?.report(total ? Math.round((done / total) * 100) : 0, `${done}/${total}`);
      }, abort.signal);
    } finally {
      clearTimeout(timer);
      reporter?.done();
    }
  }

  private async resolveAll(refs: ImageRef[], report: (d: number, t: number) => void, signal: AbortSignal): Promise<Map<string, Resolution | null>> {
    const distinct = new Map<string, ImageRef>();
    for (const r of refs) if (r.parsed && r.status === 'unpinned') distinct.set(resolutionKey(r), r);
    const out = new Map<string, Resolution | null>();
    let done = 0;
    report(0, distinct.size);
    await Promise.all(
      [...distinct].map(async ([key, ref]) => {
        out.set(key, signal.aborted ? null : await this.resolutions.resolveNow(ref, signal));
        report(++done, distinct.size);
      }),
    );
    return out;
  }

  private async pinTargets(targets: Target[], title: string, only?: ImageRef): Promise<PinResult> {
    const result: PinResult = { pinned: 0, alreadyPinned: 0, failed: [], applied: false };
    const refs = only ? [only] : targets.flatMap((t) => t.refs);
    const resolutions = await this.withLateProgress(title, (report, signal) => this.resolveAll(refs, report, signal));
    const edit: WorkspaceEdit = { documentChanges: [] };
    for (const t of targets) {
      const outcomes = planPins(t.text, only ? [only] : t.refs, resolutions);
      const edits = [];
      for (const o of outcomes) {
        if (o.result === 'pinned') {
          result.pinned++;
          edits.push({ range: t.lines.rangeOf(o.edit.range), newText: o.edit.newText });
        } else if (o.result === 'already-pinned') result.alreadyPinned++;
        else if (o.result === 'failed') {
          result.failed.push({ reference: o.ref.reference, uri: t.uri, line: t.lines.positionAt(o.ref.range.start).line, reason: o.reason });
        }
      }
      if (edits.length) edit.documentChanges!.push({ textDocument: { uri: t.uri, version: t.version }, edits });
    }
    if (edit.documentChanges!.length) {
      const applied = await this.connection.workspace.applyEdit({ label: title, edit });
      result.applied = applied.applied;
      if (!applied.applied) {
        result.failed.push({ reference: '*', uri: '', line: 0, reason: applied.failureReason ?? 'the editor refused the edit (a document changed meanwhile?)' });
      }
    }
    if (result.failed.length) {
      const list = result.failed.slice(0, 10).map((f) => `${f.reference}: ${f.reason}`).join('; ');
      void this.connection.window.showWarningMessage(`Image Trust pinned ${result.pinned}; ${result.failed.length} could not be pinned and were left untouched: ${list}`);
    }
    return result;
  }

  /** Pin one reference, named by offsets + version (quick fix) or by an LSP position (tree, palette). */
  async pinReference(args: { uri: string; version?: number; start?: number; end?: number; position?: { line: number; character: number } }): Promise<PinResult> {
    const t = this.openTarget(args.uri);
    const at = t && args.position ? t.lines.offsetAt(args.position) : undefined;
    const ref = t?.refs.find((r) => (at !== undefined ? r.range.start <= at && at <= r.range.end : r.range.start === args.start && r.range.end === args.end));
    if (!t || (args.version !== undefined && t.version !== args.version) || !ref) {
      return { pinned: 0, alreadyPinned: 0, failed: [{ reference: '?', uri: args.uri, line: 0, reason: 'the document changed; try the quick fix again' }], applied: false };
    }
    return this.pinTargets([t], `Pinning ${ref.parsed?.familiar ?? ref.reference}`, ref);
  }

  async pinFile(args: { uri: string }): Promise<PinResult> {
    const t = this.openTarget(args.uri);
    if (!t) return { pinned: 0, alreadyPinned: 0, failed: [], applied: false };
    return this.pinTargets([t], 'Pinning images in this file');
  }

  async pinWorkspace(): Promise<PinResult> {
    return this.pinTargets(this.workspaceTargets(), 'Pinning images in the workspace');
  }

  /** Every file of the workspace with image references: open documents (versioned) first, then files on disk. */
  workspaceTargets(): Target[] {
    const targets = new Map<string, Target>();
    for (const doc of this.documents.all()) {
      const t = this.openTarget(doc.uri);
      if (t) targets.set(doc.uri, t);
    }
    const roots = this.workspaceRoots();
    if (roots.length) {
      for (const f of walk(roots).files) {
        const uri = pathToFileURL(f.absPath).toString();
        if (targets.has(uri)) continue; // an open document wins over the file on disk
        const a = analyzeText(f.text, f.kind);
        targets.set(uri, { uri, version: null, text: f.text, kind: f.kind, refs: a.refs, lines: a.lines });
      }
    }
    return [...targets.values()];
  }
}
