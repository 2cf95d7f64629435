// "Image Trust: Update All Pins in Workspace": every `tag@digest` pin whose tag moved is judged as `image-trust update`
// judges it (core/update.ts: verifies under the policy, same signer, at least imageTrust.updateMinAge old, same kind
// and platform); the accepted ones are written as one WorkspaceEdit (one undo), with progress, cancellable (a
// cancelled run changes nothing). Refused candidates are listed with their reasons and left untouched.
import type { Connection, WorkDoneProgressServerReporter, WorkspaceEdit } from 'vscode-languageserver';
import type { PolicyLoadResult } from '../core/policy';
import { editorUpdateOptions, evaluateUpdates, updateEdits, type UpdateEvaluation } from '../core/update';
import type { ImageRef } from '../core/types';
import type { ImageTrustSettings } from '../protocol';
import type { PinCommands, Target } from './pinCommands';
import type { ResolutionService } from './resolution';

export interface UpdateResult {
  updated: number;
  refused: { reference: string; uri: string; line: number; reasons: string[] }[];
  failed: { reference: string; uri: string; line: number; reason: string }[];
  upToDate: number;
  applied: boolean;
  cancelled: boolean;
}

export class UpdateCommands {
  constructor(
    private readonly connection: Connection,
    private readonly pins: PinCommands,
    private readonly resolutions: ResolutionService,
    private readonly env: { policy: () => PolicyLoadResult; settings: () => ImageTrustSettings; relativePath: (uri: string) => string; trusted: boolean },
  ) {}

  async updateWorkspace(): Promise<UpdateResult> {
    const result: UpdateResult = { updated: 0, refused: [], failed: [], upToDate: 0, applied: false, cancelled: false };
    const settings = this.env.settings();
    if (!this.env.trusted || settings.offline) {
      void this.connection.window.showInformationMessage('Image Trust: updating pins asks the registry, which is off here (offline or Restricted Mode).');
      return result;
    }
    const targets = this.pins.workspaceTargets();
    const targetOf = new Map<ImageRef, Target>();
    for (const t of targets) for (const r of t.refs) targetOf.set(r, t);
    const abort = new AbortController();
    let reporter: WorkDoneProgressServerReporter | undefined;
    try {
      reporter = await this.connection.window.createWorkDoneProgress();
      reporter.begin('Image Trust: updating pins (verifying each new digest)', 0, '', true);
      reporter.token.onCancellationRequested(() => abort.abort());
    } catch {
      /* the client does not support progress */
    }
    let evaluations: Map<ImageRef, UpdateEvaluation>;
    try {
      const ctx = { client: this.resolutions.registry, policy: this.env.policy(), now: new Date(), options: editorUpdateOptions(settings.updateMinAge), signal: abort.signal };
      evaluations = await evaluateUpdates(ctx, targets.flatMap((t) => t.refs), {
        pathOf: (r) => this.env.relativePath(targetOf.get(r)!.uri),
        onProgress: (done, total) => reporter?.report(total ? Math.round((done / total) * 100) : 0, `${done}/${total} moved or pinned images checked`),
      });
    } finally {
      reporter?.done();
    }
    if (abort.signal.aborted) {
      result.cancelled = true;
      return result;
    }
    const edit: WorkspaceEdit = { documentChanges: [] };
    for (const t of targets) {
      const own = t.refs.map((r) => evaluations.get(r)).filter((e): e is UpdateEvaluation => !!e);
      const edits = updateEdits(t.text, own);
      for (const e of own) {
        const line = t.lines.positionAt(e.ref.range.start).line;
        if (e.state === 'up-to-date') result.upToDate++;
        else if (e.state === 'failed') result.failed.push({ reference: e.ref.reference, uri: t.uri, line, reason: e.reason });
        else if (e.state === 'candidate' && edits.has(e.ref)) result.updated++;
        else if (e.state === 'candidate') result.refused.push({ reference: e.ref.reference, uri: t.uri, line, reasons: e.reasons });
      }
      if (edits.size) edit.documentChanges!.push({ textDocument: { uri: t.uri, version: t.version }, edits: [...edits.values()].map((x) => ({ range: t.lines.rangeOf(x.range), newText: x.newText })) });
    }
    if (edit.documentChanges!.length) {
      const applied = await this.connection.workspace.applyEdit({ label: 'Update pins (trust-gated)', edit });
      result.applied = applied.applied;
      if (!applied.applied) result.failed.push({ reference: '*', uri: '', line: 0, reason: applied.failureReason ?? 'the editor refused the edit (a document changed meanwhile?)' });
    }
    if (result.refused.length || result.failed.length) {
      const list = [...result.refused.map((r) => `${r.reference}: ${r.reasons.join('; ')}`), ...result.failed.map((f) => `${f.reference}: ${f.reason}`)].slice(0, 10).join(' — ');
      void this.connection.window.showWarningMessage(`Image Trust updated ${result.updated} pin(s); ${result.refused.length} refused and ${result.failed.length} not checked, left untouched: ${list}`);
    }
    return result;
  }
}
