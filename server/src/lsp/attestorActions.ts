// Code action "Add an attestor for this signer" (issue 11): on an image whose signature verifies but whom no attestor
// accepts, write the observed keyless subject + issuer into the policy that refused it — the Kyverno attestor set,
// the policy-controller keyless authority, or the `.image-trust.yaml` rule — as a minimal insertion
// (core/admission/attestor-edit). Offered only when re-evaluating with the edited policy admits the image (verifies
// it, for `.image-trust.yaml`), so the action never promises what it does not do. Glue: the judgement stays in core.
import { pathToFileURL } from 'node:url';
import { CodeActionKind, type CodeAction, type CodeActionParams, type TextEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { applyInsertions, kyvernoAttestorEdit, policyControllerIdentityEdit, trustPolicySignerEdit, type Insertion, type KeylessSigner } from '../core/admission/attestor-edit';
import type { AdmissionOutcome, AdmissionResult } from '../core/admission/types';
import { LineIndex } from '../core/positions';
import { loadPolicy } from '../core/policy';
import type { LoadedPolicyFile } from '../core/policy-file';
import type { RegistryReader } from '../core/registry/types';
import type { Resolution } from '../core/resolve';
import type { ImageRef } from '../core/types';
import { verifyReference, type ReferenceVerification } from '../core/verification';
import { readFileSync } from 'node:fs';
import type { AdmissionService } from './admission';
import type { DocumentAnalysis } from './documents';

export const ADD_ATTESTOR_TITLE = 'Add an attestor for this signer';

export interface AttestorActionDeps {
  admission: AdmissionService;
  /** The text of an open document, by URI (edits of an open policy are versioned against it). */
  openDocument: (uri: string) => TextDocument | undefined;
  admissionOf: (ref: ImageRef) => AdmissionOutcome | null | undefined;
  verificationOf: (ref: ImageRef) => ReferenceVerification | null | undefined;
  resolutionOf: (ref: ImageRef) => Resolution | undefined;
  policy: () => LoadedPolicyFile;
  registry: () => RegistryReader;
  relativePath: (uri: string) => string;
}

const shortSubject = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}…` : s);

function edits(text: string, insertions: readonly Insertion[]): TextEdit[] {
  const lines = new LineIndex(text);
  return insertions.map((i) => {
    const at = lines.positionAt(i.at);
    return { range: { start: at, end: at }, newText: i.text };
  });
}

function workspaceEdit(uri: string, doc: TextDocument | undefined, text: string, insertions: readonly Insertion[]) {
  // Versioned against the open document (VS Code refuses a stale edit); null: the file as it is on disk.
  return { documentChanges: [{ textDocument: { uri, version: doc ? doc.version : null }, edits: edits(text, insertions) }] };
}

function signersOf(r: AdmissionResult): KeylessSigner[] {
  const seen = new Set<string>();
  return (r.observedSigners ?? []).filter((s) => {
    const k = `${s.subject}\0${s.issuer}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Actions for the admission policies that refused an observed signer of `ref`. */
async function admissionActions(doc: TextDocument, analysis: DocumentAnalysis, ref: ImageRef, deps: AttestorActionDeps): Promise<CodeAction[]> {
  const outcome = deps.admissionOf(ref);
  const out: CodeAction[] = [];
  for (const r of outcome?.results ?? []) {
    if ((r.result !== 'denied' && r.result !== 'audit') || !r.fixTarget || !r.observedSigners?.length) continue;
    const file = r.fixTarget.site.file;
    const text = deps.admission.policyText(file);
    if (text === undefined) continue;
    for (const signer of signersOf(r)) {
      const edit = r.fixTarget.kind === 'kyverno-attestor-set' ? kyvernoAttestorEdit(text, r.fixTarget, signer) : policyControllerIdentityEdit(text, r.fixTarget, signer);
      if ('error' in edit) continue;
      const after = await deps.admission.simulate(doc.uri, analysis.version, analysis.lines.text, ref, file, applyInsertions(text, edit.insertions));
      const same = after?.results.find((x) => x.engine === r.engine && x.policy === r.policy && (r.engine !== 'kyverno' || x.rule === r.rule));
      if (same?.result !== 'admitted') continue;
      const uri = pathToFileURL(file).toString();
      out.push({
        title: `${ADD_ATTESTOR_TITLE} (${shortSubject(signer.subject)}) to ${r.policy}${r.rule && r.engine === 'kyverno' ? `, rule ${r.rule}` : ''}`,
        kind: CodeActionKind.QuickFix,
        edit: workspaceEdit(uri, deps.openDocument(uri), text, edit.insertions),
      });
    }
  }
  return out;
}

/** The action for `.image-trust.yaml`: the keyless signer of an `untrusted` signature, into the rule that matched. */
async function trustPolicyAction(doc: TextDocument, ref: ImageRef, deps: AttestorActionDeps): Promise<CodeAction[]> {
  const v = deps.verificationOf(ref);
  const rule = v?.policy.rule;
  const loaded = deps.policy();
  if (!v?.trust || v.trust.status !== 'untrusted' || !rule || loaded.text === null || !loaded.path) return [];
  const observed = v.trust.signatures.filter((s) => s.status === 'untrusted' && s.signer && s.issuer && s.reason.startsWith('Signed by'));
  const out: CodeAction[] = [];
  const seen = new Set<string>();
  for (const s of observed) {
    const signer = { subject: s.signer!, issuer: s.issuer! };
    if (seen.has(`${signer.subject}\0${signer.issuer}`)) continue;
    seen.add(`${signer.subject}\0${signer.issuer}`);
    const edit = trustPolicySignerEdit(loaded.text, rule, signer);
    if ('error' in edit) continue;
    const newText = applyInsertions(loaded.text, edit.insertions);
    const policy = loadPolicy(newText, { policyPath: loaded.path, readFile: (f) => readFileSync(f, 'utf8') });
    const after = await verifyReference(deps.registry(), ref, deps.resolutionOf(ref) ?? null, policy, { now: new Date(), path: deps.relativePath(doc.uri) }).catch(() => null);
    if (after?.trust?.status !== 'verified') continue;
    const uri = pathToFileURL(loaded.path).toString();
    out.push({
      title: `${ADD_ATTESTOR_TITLE} (${shortSubject(signer.subject)}) to .image-trust.yaml, rule ${rule}`,
      kind: CodeActionKind.QuickFix,
      edit: workspaceEdit(uri, deps.openDocument(uri), loaded.text, edit.insertions),
    });
  }
  return out;
}

/** Every "Add an attestor for this signer" action for the diagnostics of the request. */
export async function attestorActions(params: CodeActionParams, doc: TextDocument, analysis: DocumentAnalysis, deps: AttestorActionDeps): Promise<CodeAction[]> {
  const out: CodeAction[] = [];
  const done = new Set<ImageRef>();
  for (const d of params.context.diagnostics) {
    if (d.source !== 'image-trust') continue;
    const code = String(d.code);
    if (code !== 'admission-denied' && code !== 'admission-audit' && code !== 'untrusted-signer') continue;
    const start = doc.offsetAt(d.range.start);
    const end = doc.offsetAt(d.range.end);
    const ref = analysis.analysis?.refs.find((r) => r.range.start === start && r.range.end === end);
    if (!ref) continue;
    const trust = code === 'untrusted-signer';
    // One reference's admission results answer all its admission diagnostics at once.
    if (!trust && done.has(ref)) continue;
    if (!trust) done.add(ref);
    const actions = trust ? await trustPolicyAction(doc, ref, deps) : await admissionActions(doc, analysis, ref, deps);
    for (const a of actions) out.push({ ...a, diagnostics: [d] });
  }
  return out;
}
