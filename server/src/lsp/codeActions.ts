// Quick fixes: pin to digest (index, or one platform), update a moved pin, keep a pin (ignore), pin all in file.
import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic, type TextEdit as LspTextEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { pinEdit } from '../core/edits';
import { pinTarget, platformLabel } from '../core/resolve';
import { ignoreEdit } from '../core/suppressions';
import { updateTitle } from '../core/update';
import type { ImageRef } from '../core/types';
import type { DocumentAnalysis } from './documents';
import type { ResolutionService } from './resolution';

export const PIN_REFERENCE_COMMAND = 'imageTrust.server.pinReference';
export const PIN_FILE_COMMAND = 'imageTrust.server.pinFile';
export const PIN_WORKSPACE_COMMAND = 'imageTrust.server.pinWorkspace';
export const REFRESH_COMMAND = 'imageTrust.server.refresh';
export const VERIFY_COMMAND = 'imageTrust.server.verify';
export const UPDATE_WORKSPACE_COMMAND = 'imageTrust.server.updateWorkspace';

const PIN_CODES = new Set(['unpinned-tag', 'implicit-latest']);

function shortDigest(d: string): string {
  return `${d.slice(0, 19)}…`;
}

function keeps(ref: ImageRef): string {
  // A dev container Feature's digest replaces its tag (the dev container CLI refuses both).
  if (ref.pin?.type === 'inline' && ref.pin.dropTag) return ref.parsed?.tag ? ` (replaces tag ${ref.parsed.tag})` : '';
  return ref.parsed?.tag ? ` (keeps tag ${ref.parsed.tag})` : '';
}

function refAt(analysis: DocumentAnalysis, doc: TextDocument, d: Diagnostic): ImageRef | undefined {
  const start = doc.offsetAt(d.range.start);
  const end = doc.offsetAt(d.range.end);
  return analysis.analysis?.refs.find((r) => r.range.start === start && r.range.end === end);
}

function versionedEdit(doc: TextDocument, edits: LspTextEdit[]) {
  // A versioned edit: VS Code refuses it if the document changed since, so an edit is never misapplied.
  return { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits }] };
}

export function codeActions(params: CodeActionParams, doc: TextDocument, analysis: DocumentAnalysis, resolutions: ResolutionService): CodeAction[] {
  const actions: CodeAction[] = [];
  const text = doc.getText();
  for (const d of params.context.diagnostics) {
    if (d.source !== 'image-trust') continue;
    const ref = refAt(analysis, doc, d);
    if (!ref || !analysis.kind) continue;
    const r = resolutions.get(ref);
    if (PIN_CODES.has(String(d.code)) && ref.pin) {
      const target = r ? pinTarget(r) : undefined;
      const edit = target && 'digest' in target ? pinEdit(text, ref, target.digest) : null;
      if (edit && target && 'digest' in target) {
        actions.push({
          title: `Pin to ${shortDigest(target.digest)}${keeps(ref)}`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          isPreferred: true,
          edit: versionedEdit(doc, [{ range: { start: doc.positionAt(edit.range.start), end: doc.positionAt(edit.range.end) }, newText: edit.newText }]),
        });
        for (const p of r?.platforms ?? []) {
          const e = pinEdit(text, ref, p.digest);
          if (!e) continue;
          actions.push({
            title: `Pin to the ${platformLabel(p)} image only: ${shortDigest(p.digest)}`,
            kind: CodeActionKind.QuickFix,
            diagnostics: [d],
            edit: versionedEdit(doc, [{ range: { start: doc.positionAt(e.range.start), end: doc.positionAt(e.range.end) }, newText: e.newText }]),
          });
        }
      } else {
        actions.push({
          title: `Pin to digest${keeps(ref)}`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          isPreferred: true,
          command: { title: 'Pin to digest', command: PIN_REFERENCE_COMMAND, arguments: [{ uri: doc.uri, version: doc.version, start: ref.range.start, end: ref.range.end }] },
        });
      }
    }
    // A moved pin is updated only to a candidate the trust-gated judgement accepted (core/update.ts: verifies under
    // the policy, same signer, old enough, same kind and platform), and only to exactly the digest it judged. Until it
    // is judged, or when it was refused, there is no update action: the hover says why.
    const update = d.code === 'tag-moved' && ref.pin ? resolutions.updateEvaluation(doc.uri, ref) : undefined;
    if (update?.state === 'candidate' && update.decision === 'accepted' && update.to) {
      const e = pinEdit(text, ref, update.to);
      if (e) {
        actions.push({
          title: updateTitle(update),
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          edit: versionedEdit(doc, [{ range: { start: doc.positionAt(e.range.start), end: doc.positionAt(e.range.end) }, newText: e.newText }]),
        });
      }
    }
    if (d.code === 'tag-moved' || PIN_CODES.has(String(d.code))) {
      const code = String(d.code);
      const ig = ignoreEdit(analysis.kind, analysis.lines, ref.range.end, code);
      actions.push({
        title: code === 'tag-moved' ? 'Keep pin (ignore on this line)' : `Keep the tag on purpose (ignore ${code} on this line)`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        edit: versionedEdit(doc, [{ range: { start: doc.positionAt(ig.at), end: doc.positionAt(ig.at) }, newText: ig.text }]),
      });
    }
  }
  const unpinned = analysis.analysis?.refs.filter((x) => x.status === 'unpinned' && x.pin) ?? [];
  if (unpinned.length > 1 || (unpinned.length === 1 && params.context.only?.some((k) => k.startsWith(CodeActionKind.Source)))) {
    actions.push({
      title: `Pin all images in this file (${unpinned.length})`,
      kind: `${CodeActionKind.Source}.pinAll.imageTrust`,
      command: { title: 'Pin all images in this file', command: PIN_FILE_COMMAND, arguments: [{ uri: doc.uri }] },
    });
  }
  return actions;
}
