// `scan --changed-since REF`, the pre-merge gate: narrows a scan to what the working tree adds or changes relative to
// the merge base of REF and HEAD, and lists the policy exceptions the change adds (reviewers must see those).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { addedExceptions, diffWorkingTree, repoRelativePath, selectChanged, type AddedException, type ChangedSinceSummary, type WorkingTreeDiff } from '../core/changes';
import { LineIndex } from '../core/positions';
import type { FileReport, ScanReport } from '../core/report';
import type { ImageRef } from '../core/types';

const DEFAULT_POLICY = '.image-trust.yaml';

export interface ChangedSinceGate {
  /** Every scanned file, with only the changed references and their findings. */
  report: ScanReport;
  unchangedRefs: (file: FileReport) => ImageRef[];
  changedCount: number;
  summary: ChangedSinceSummary;
  /** The diff itself (`--admission` reads the merge base's manifests and policies through it). */
  diff: WorkingTreeDiff;
}

/**
 * `scanPath` (the first path given to scan) names the repository to diff: scanning `../other-repo` compares that
 * repository, not the current folder's. The policy path resolves from `cwd`, as for --verify.
 */
export async function applyChangedSince(scanned: ScanReport, ref: string, scanPath: string, policyPath: string | undefined, cwd: string): Promise<ChangedSinceGate> {
  const anchor = resolve(cwd, scanPath);
  const diff = await diffWorkingTree(existsSync(anchor) && statSync(anchor).isDirectory() ? anchor : dirname(anchor), ref);
  const selection = selectChanged(scanned, diff);
  const policyAbs = resolve(cwd, policyPath ?? DEFAULT_POLICY);
  let exceptionsAdded: AddedException[] = [];
  const policyRel = existsSync(policyAbs) ? repoRelativePath(diff.repoRoot, policyAbs) : null;
  if (policyRel !== null) {
    const text = readFileSync(policyAbs, 'utf8').replace(/^\uFEFF/, '');
    exceptionsAdded = addedExceptions(text, diff.files.get(policyRel), new LineIndex(text));
  }
  return { ...selection, summary: { ref, mergeBase: diff.mergeBase, exceptionsAdded }, diff };
}

/** One line per added exception: who owns it and until when, so a reviewer can question it. */
export function describeAddedException(e: AddedException): string {
  const missing = '(not given)';
  return `${e.image ?? missing} — owner ${e.owner ?? missing}, expires ${e.expires ?? missing}: ${e.reason ?? missing}`;
}

/** The text-format lines appended after the regular summary. */
export function changedSinceText(gate: ChangedSinceGate): string {
  const { ref, mergeBase, exceptionsAdded } = gate.summary;
  const totalRefs = gate.report.files.reduce((n, f) => n + f.refs.length + gate.unchangedRefs(f).length, 0);
  const out = [`Changed since ${ref} (merge base ${mergeBase.slice(0, 12)}): ${gate.changedCount} of ${totalRefs} image reference(s) added or changed; only their findings are reported.`];
  const adm = gate.summary.admission;
  if (adm) out.push(`Admission: ${adm.newDenials} new denial(s) compared with the merge base${adm.onUnchanged ? `, ${adm.onUnchanged} of them on unchanged references (a policy or the resource around them changed)` : ''}; denials the merge base already had are not reported.`);
  if (exceptionsAdded.length) {
    out.push(`${exceptionsAdded.length} policy exception(s) added or changed:`);
    for (const e of exceptionsAdded) out.push(`  ${describeAddedException(e)}`);
  }
  return `${out.join('\n')}\n`;
}
