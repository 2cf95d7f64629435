// `image-trust update`: trust-gated digest updates of `tag@digest` pins whose tag moved (the judgement is
// core/update.ts). Accepted candidates are written with the same minimal edits as `pin` (only the digest changes),
// atomically; a file whose candidates are all refused is not touched. Text, JSON (schemaVersion 1: fields are added,
// never renamed or removed) or Markdown (a pull-request body).
import { analyzeText } from '../core/analyze';
import { applyEdits } from '../core/edits';
import type { LineIndex } from '../core/positions';
import { platformLabel } from '../core/resolve';
import type { RegistryClient } from '../core/registry';
import type { ImageRef } from '../core/types';
import { describeAge, evaluateUpdates, updateEdits, type ImageAge, type ImageSide, type UpdateCandidate, type UpdateEvaluation } from '../core/update';
import { walk } from '../core/workspace';
import type { CliOptions } from './args';
import { codeSpan, escapeMarkdown } from './format/markdown';
import { displayPath } from './paths';
import { writeAtomically } from './pin';
import { loadCliPolicy } from './verify';
import { NO_PROGRESS, type Progress } from './progress';

export interface UpdatedFile {
  path: string;
  lines: LineIndex;
  evaluations: UpdateEvaluation[];
  /** Accepted candidates whose edit was written (or would be, with --dry-run). */
  written: Set<ImageRef>;
}

export interface UpdateRun {
  files: UpdatedFile[];
  counts: { checked: number; updated: number; refused: number; failed: number; upToDate: number };
  dryRun: boolean;
  minAge: string | null;
  allowSignerChange: boolean;
}

/** Evaluates every pin under `opts.paths` and writes the accepted updates (unless --dry-run). */
export async function runUpdate(opts: CliOptions, client: RegistryClient, now = new Date(), progress: Progress = NO_PROGRESS): Promise<UpdateRun> {
  const policy = loadCliPolicy(opts);
  const walked = walk(opts.paths, { forceKind: opts.kind });
  const analyzed = walked.files.map((f) => ({ file: f, analysis: analyzeText(f.text, f.kind), path: displayPath(f.absPath) }));
  const pathOf = new Map<ImageRef, string>();
  for (const a of analyzed) for (const r of a.analysis.refs) pathOf.set(r, a.path);
  const refs = analyzed.flatMap((a) => a.analysis.refs);
  const ctx = {
    client,
    policy: policy.result,
    now,
    options: { allowSignerChange: opts.allowSignerChange, ...(opts.minAge ? { minAgeMs: opts.minAge.ms, minAgeText: opts.minAge.text } : {}) },
  };
  const evaluations = await evaluateUpdates(ctx, refs, { pathOf: (r) => pathOf.get(r), onProgress: (done, total) => progress.update('checking pins', done, total) });
  progress.end();
  await client.flush();
  const run: UpdateRun = {
    files: [],
    counts: { checked: 0, updated: 0, refused: 0, failed: 0, upToDate: 0 },
    dryRun: opts.dryRun,
    minAge: opts.minAge?.text ?? null,
    allowSignerChange: opts.allowSignerChange,
  };
  for (const { file, analysis, path } of analyzed) {
    const own = analysis.refs.map((r) => evaluations.get(r)!).filter((e) => e.state !== 'not-applicable');
    const edits = updateEdits(file.text, own);
    for (const e of own) {
      run.counts.checked++;
      if (e.state === 'up-to-date') run.counts.upToDate++;
      else if (e.state === 'failed') run.counts.failed++;
      else if (e.state === 'candidate' && e.decision === 'accepted' && edits.has(e.ref)) run.counts.updated++;
      else if (e.state === 'candidate' && e.decision === 'refused') run.counts.refused++;
    }
    // Only accepted candidates have edits: a file whose candidates are all refused (or failed) is never written.
    if (edits.size && !opts.dryRun) writeAtomically(file.absPath, (file.hadBom ? '\uFEFF' : '') + applyEdits(file.text, [...edits.values()]));
    if (own.length) run.files.push({ path, lines: analysis.lines, evaluations: own, written: new Set(edits.keys()) });
  }
  return run;
}

/** Exit status as for `pin`: 1 when any candidate was refused or could not be checked, else 0. */
export function updateExitCode(run: UpdateRun): number {
  return run.counts.refused + run.counts.failed > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Facts shared by every format

function where(f: UpdatedFile, e: UpdateEvaluation): string {
  const p = f.lines.positionAt(e.ref.range.start);
  return `${f.path}:${p.line + 1}:${p.character + 1}`;
}

function nameOf(e: UpdateEvaluation): string {
  const p = e.ref.parsed;
  return p ? `${p.familiar.replace(/@.*$/, '')}` : e.ref.reference;
}

function stateOf(f: UpdatedFile, e: UpdateEvaluation): 'accepted' | 'refused' | 'failed' | 'up-to-date' {
  if (e.state === 'up-to-date') return 'up-to-date';
  if (e.state === 'candidate') return e.decision === 'accepted' && f.written.has(e.ref) ? 'accepted' : 'refused';
  return 'failed';
}

function provenanceText(p: ImageSide['provenance']): string {
  if (!p) return 'none verified';
  return `${p.repository ?? '(no source repository)'}${p.commit ? `@${p.commit}` : ''}`;
}

function kindText(s: ImageSide | null): string | null {
  const d = s?.description;
  if (!d) return null;
  return d.kind === 'index' ? 'multi-platform index' : d.platform ? `${platformLabel(d.platform)} image` : 'single-platform image';
}

function sbomLines(c: UpdateCandidate, indent: string): string[] {
  const d = c.sbomDiff;
  if (!d) return [`${indent}packages: ${c.sbomNote ?? 'no SBOM to compare'}`];
  const format = d.oldFormat === d.newFormat ? d.oldFormat : `${d.oldFormat} → ${d.newFormat}`;
  const out = [`${indent}packages (${format}): ${d.total} changed: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} version changed${d.incomplete ? ' (incomplete: an SBOM lists more packages than are compared)' : ''}`];
  for (const a of d.added) out.push(`${indent}  + ${a.name}${a.version ? ` ${a.version}` : ''}`);
  for (const r of d.removed) out.push(`${indent}  - ${r.name}${r.version ? ` ${r.version}` : ''}`);
  for (const x of d.changed) out.push(`${indent}  ~ ${x.name} ${x.from ?? '(no version)'} → ${x.to ?? '(no version)'}`);
  if (c.sbomNote && d) out.push(`${indent}  (${c.sbomNote})`);
  return out;
}

function vulnText(c: UpdateCandidate): string {
  const o = c.old.vulnerabilities;
  const n = c.candidate?.vulnerabilities ?? null;
  if (o === null && n === null) return 'no verified vulnerability attestation';
  return `${o ?? 'none attested'} → ${n ?? 'none attested'} (from verified vulnerability attestations)`;
}

// ---------------------------------------------------------------------------------------------------------------
// Text

export function formatUpdateText(run: UpdateRun): string {
  const out: string[] = [];
  for (const f of run.files) {
    for (const e of f.evaluations) {
      const state = stateOf(f, e);
      if (state === 'up-to-date') continue;
      const head = `${where(f, e)}: `;
      if (e.state === 'failed') {
        out.push(`${head}failed ${nameOf(e)}: ${e.reason}`);
        continue;
      }
      if (e.state !== 'candidate') continue;
      const verb = state === 'accepted' ? (run.dryRun ? 'would update' : 'updated') : 'refused';
      out.push(`${head}${verb} ${nameOf(e)}`);
      out.push(`    ${e.from} → ${e.to ?? '(no candidate of the pinned platform)'}`);
      out.push(state === 'accepted' ? '    why: accepted:' : '    why refused:');
      for (const r of e.reasons) out.push(`      - ${r}`);
      const kinds = [kindText(e.old), kindText(e.candidate)];
      if (kinds[0] || kinds[1]) out.push(`    kind: ${kinds[0] ?? '?'} → ${kinds[1] ?? '?'}`);
      out.push(`    age: ${describeAge(e.old.age)} → ${e.candidate ? describeAge(e.candidate.age) : '?'}`);
      out.push(`    signer: ${e.signer.status}${e.signer.status === 'same' ? ` (${e.signer.shared.join(', ')})` : ` (pin: ${e.signer.old.join(', ') || 'no verified signer'}; candidate: ${e.signer.new.join(', ') || 'no verified signer'})`}`);
      out.push(`    provenance: ${provenanceText(e.old.provenance)} → ${provenanceText(e.candidate?.provenance ?? null)}`);
      out.push(...sbomLines(e, '    '));
      out.push(`    vulnerabilities: ${vulnText(e)}`);
    }
    const refused = f.evaluations.filter((e) => stateOf(f, e) === 'refused' || stateOf(f, e) === 'failed').length;
    if (refused && f.written.size === 0) out.push(`${f.path}: left untouched: no candidate in it was accepted`);
  }
  const c = run.counts;
  const verb = run.dryRun ? 'to update' : 'updated';
  out.push(`${c.checked} tag@digest pin(s) checked: ${c.updated} ${verb}, ${c.refused} refused, ${c.failed} failed, ${c.upToDate} up to date.${run.minAge ? ` Minimum age ${run.minAge}.` : ''}`);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON (schemaVersion 1)

function ageJson(a: ImageAge | undefined) {
  if (!a) return null;
  return { time: a.time, ageMs: a.ageMs, source: a.source, sources: a.sources.map((s) => ({ source: s.source, value: s.value, time: s.time, note: s.note ?? null })) };
}

function verificationJson(s: ImageSide | null) {
  const v = s?.verification;
  if (!v) return null;
  return { rule: v.policy.rule, mode: v.policy.mode, status: v.trust?.status ?? 'error', reason: v.policy.error ?? v.trust?.reason ?? 'not verified' };
}

export function formatUpdateJson(run: UpdateRun): string {
  const updates = run.files.flatMap((f) =>
    f.evaluations.map((e) => {
      const base = {
        path: f.path,
        range: f.lines.rangeOf(e.ref.range),
        text: e.ref.text,
        reference: e.ref.reference,
        name: e.ref.parsed?.name ?? null,
        tag: e.ref.parsed?.tag ?? null,
        state: stateOf(f, e),
        from: e.ref.parsed?.digest ?? null,
      };
      if (e.state !== 'candidate') return { ...base, to: null, written: false, reasons: e.state === 'failed' ? [e.reason] : [] };
      return {
        ...base,
        to: e.to,
        written: f.written.has(e.ref) && !run.dryRun,
        reasons: e.reasons,
        kind: { old: kindText(e.old), new: kindText(e.candidate) },
        signer: e.signer,
        age: { old: ageJson(e.old.age), new: ageJson(e.candidate?.age) },
        verification: { old: verificationJson(e.old), new: verificationJson(e.candidate) },
        provenance: { old: e.old.provenance, new: e.candidate?.provenance ?? null },
        sbom: e.sbomDiff ? { ...e.sbomDiff, note: e.sbomNote ?? null } : { note: e.sbomNote ?? null },
        vulnerabilities: { old: e.old.vulnerabilities, new: e.candidate?.vulnerabilities ?? null },
      };
    }),
  );
  const files = run.files.map((f) => ({ path: f.path, written: f.written.size > 0 && !run.dryRun, updated: f.written.size }));
  return `${JSON.stringify({ schemaVersion: 1, dryRun: run.dryRun, minAge: run.minAge, allowSignerChange: run.allowSignerChange, updates, files, summary: run.counts }, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown: a pull-request body. Everything from the repository or the registry is escaped.

function mdAge(a: ImageAge | undefined): string {
  return a ? escapeMarkdown(describeAge(a)) : '?';
}

export function formatUpdateMarkdown(run: UpdateRun): string {
  const accepted: { f: UpdatedFile; e: UpdateCandidate }[] = [];
  const refused: { f: UpdatedFile; e: UpdateEvaluation }[] = [];
  for (const f of run.files) {
    for (const e of f.evaluations) {
      const s = stateOf(f, e);
      if (s === 'accepted' && e.state === 'candidate') accepted.push({ f, e });
      else if (s === 'refused' || s === 'failed') refused.push({ f, e });
    }
  }
  const out: string[] = [`## Image Trust: ${accepted.length} image pin(s) updated`, ''];
  out.push(
    `Each update moves a \`tag@digest\` pin to where its tag points now, and only because the new image verifies under the trust policy, is signed by the same signer as the pin${run.allowSignerChange ? ' (or another trusted signer: `--allow-signer-change`)' : ''}${run.minAge ? ` and is at least ${escapeMarkdown(run.minAge)} old` : ''}.`,
    '',
  );
  if (accepted.length) {
    out.push('| image | where | old → new | age | signer | packages |', '| --- | --- | --- | --- | --- | --- |');
    for (const { f, e } of accepted) {
      const pkgs = e.sbomDiff ? `${e.sbomDiff.total} changed` : 'no SBOM diff';
      out.push(`| ${codeSpan(nameOf(e), true)} | ${codeSpan(where(f, e), true)} | ${codeSpan(`${e.from.slice(0, 19)}…`, true)} → ${codeSpan(`${e.to!.slice(0, 19)}…`, true)} | ${escapeMarkdown(e.candidate?.age.ageMs != null ? describeAge(e.candidate.age).replace(/ \(.*$/, '') : 'unknown')} | ${e.signer.status} | ${pkgs} |`);
    }
    out.push('');
    for (const { f, e } of accepted) {
      out.push(`### ${codeSpan(nameOf(e), false)} in ${codeSpan(where(f, e), false)}`, '');
      out.push(`- **Digest:** ${codeSpan(e.from, false)} → ${codeSpan(e.to!, false)}`);
      out.push(`- **Age:** ${mdAge(e.old.age)} → ${mdAge(e.candidate?.age)}`);
      out.push(`- **Signer:** ${e.signer.status}${e.signer.shared.length ? ` (${escapeMarkdown(e.signer.shared.join(', '))})` : e.signer.new.length ? ` (${escapeMarkdown(e.signer.new.join(', '))})` : ''}`);
      out.push(`- **Provenance:** ${codeSpan(provenanceText(e.old.provenance), false)} → ${codeSpan(provenanceText(e.candidate?.provenance ?? null), false)}`);
      const d = e.sbomDiff;
      if (d) {
        out.push(`- **Packages** (${escapeMarkdown(d.oldFormat === d.newFormat ? d.oldFormat : `${d.oldFormat} → ${d.newFormat}`)}): ${d.total} changed — ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} version changed${d.incomplete ? ' (incomplete)' : ''}`);
        if (d.total) {
          out.push('', '  <details><summary>Package changes</summary>', '');
          for (const a of d.added) out.push(`  - added ${codeSpan(a.name, false)}${a.version ? ` ${codeSpan(a.version, false)}` : ''}`);
          for (const r of d.removed) out.push(`  - removed ${codeSpan(r.name, false)}${r.version ? ` ${codeSpan(r.version, false)}` : ''}`);
          for (const x of d.changed) out.push(`  - ${codeSpan(x.name, false)} ${codeSpan(x.from ?? '(no version)', false)} → ${codeSpan(x.to ?? '(no version)', false)}`);
          out.push('', '  </details>', '');
        }
      } else out.push(`- **Packages:** ${escapeMarkdown(e.sbomNote ?? 'no SBOM to compare')}`);
      out.push(`- **Vulnerabilities:** ${escapeMarkdown(vulnText(e))}`);
      out.push(`- **Why accepted:** ${e.reasons.map(escapeMarkdown).join('; ')}`, '');
    }
  }
  if (refused.length) {
    out.push(`### Not updated (${refused.length})`, '');
    for (const { f, e } of refused) {
      const why = e.state === 'candidate' ? e.reasons : e.state === 'failed' ? [e.reason] : [];
      const to = e.state === 'candidate' && e.to ? ` (candidate ${codeSpan(`${e.to.slice(0, 19)}…`, false)})` : '';
      out.push(`- ${codeSpan(nameOf(e), false)} in ${codeSpan(where(f, e), false)}${to}: ${why.map(escapeMarkdown).join('; ')}`);
    }
    out.push('');
  }
  const c = run.counts;
  out.push(`${c.checked} pin(s) checked: ${c.updated} updated, ${c.refused} refused, ${c.failed} failed, ${c.upToDate} up to date. Generated by \`image-trust update\`.`);
  return `${out.join('\n')}\n`;
}
