// `scan --resolve` / `--verify` and `tree`: ask registries about every reference once, verify under the policy, and
// re-assess every file with what they said (the judgement itself is core/assess.ts; the JSON fields core/facts.ts).
import { assessAdmission, type AssessmentSettings } from '../core/assess';
import { resolutionFacts, verificationFacts } from '../core/facts';
import { resolveMany, resolutionKey } from '../core/pinning';
import type { LoadedPolicyFile } from '../core/policy-file';
import { assessReport, type FileReport, type ScanReport } from '../core/report';
import type { Resolution } from '../core/resolve';
import type { ImageRef } from '../core/types';
import type { CliOptions } from './args';
import { cliRegistryClient } from './registry';
import { addVerification } from './verify';
import { NO_PROGRESS, type Progress } from './progress';
import { admissionJson, evaluateAdmissionChanges, evaluateReportAdmission } from './admission';
import type { ChangedSinceGate } from './changed-since';
import { displayPath } from './paths';

export interface ResolutionExtras {
  enforceFailed: boolean;
  referenceFields: (f: FileReport, ref: ImageRef) => Record<string, unknown>;
  /** With --admission --changed-since: the admission results of an unchanged reference that has new denials. */
  unchangedFields?: (f: FileReport, ref: ImageRef) => Record<string, unknown>;
}

/** Resolve (and with --verify, verify) every reference once, then re-assess the report; gives the JSON fields. */
export async function addResolution(report: ScanReport, opts: CliOptions, policy: LoadedPolicyFile, settings: AssessmentSettings, progress: Progress = NO_PROGRESS, gate?: ChangedSinceGate): Promise<ResolutionExtras> {
  const client = cliRegistryClient(opts);
  const refs = report.files.flatMap((f) => f.refs);
  const resolutions = await resolveMany(client, refs, { onProgress: (done, total) => progress.update('resolving', done, total) });
  const of = (ref: ImageRef): Resolution | null => (ref.parsed ? resolutions.get(resolutionKey(ref)) ?? null : null);
  const verified = opts.verify ? await addVerification(report, opts, client, of, policy, settings, { onProgress: (done, total) => progress.update('verifying', done, total) }) : undefined;
  // --admission --changed-since: new results only (the merge base evaluated too, unchanged references where needed).
  const resolveMore = async (more: ImageRef[]) => {
    for (const [k, v] of await resolveMany(client, more.filter((r) => r.parsed && !resolutions.has(resolutionKey(r))))) resolutions.set(k, v);
  };
  const changes = opts.admission && gate ? await evaluateAdmissionChanges(report, { ...gate, scanPaths: opts.paths }, client, of, resolveMore, policy) : undefined;
  const admission = changes ?? (opts.admission ? await evaluateReportAdmission(report, client, of, policy) : undefined);
  await client.flush();
  // The judgement sees the facts it reports on: with --changed-since only what is new (denials, audit, errors).
  const admissionOf = (ref: ImageRef) => {
    const outcome = admission?.of(ref);
    return changes && outcome ? { ...outcome, results: changes.newResultsOf(ref) } : outcome;
  };
  // The admission policy files' own problems (malformed, not evaluated) are findings of those files.
  const problemsOf = admission ? (f: FileReport) => admission.set.problems.filter((p) => p.site.file === f.absPath) : undefined;
  assessReport(report, (ref) => ({ resolution: of(ref), verification: verified?.of(ref), admission: admissionOf(ref) }), settings, problemsOf);
  if (changes) {
    for (const f of report.files) {
      const denied = changes.unchangedWithNew(f);
      if (denied.length === 0) continue;
      f.findings = [...f.findings, ...denied.flatMap((ref) => assessAdmission(ref, admissionOf(ref), settings))].sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
    }
    gate!.summary.admission = { newDenials: changes.newDenials, onUnchanged: changes.onUnchanged };
  }
  const admissionFields = (ref: ImageRef) => {
    if (!admission) return {};
    const fresh = changes?.newResultsOf(ref);
    return { admission: admissionJson(admission.of(ref), (p) => displayPath(p), fresh ? (r) => fresh.includes(r) : undefined) };
  };
  return {
    enforceFailed: verified?.enforceFailed(report) ?? false,
    referenceFields: (_f: FileReport, ref: ImageRef): Record<string, unknown> => {
      const fields = resolutionFacts(ref, of(ref));
      const withTrust = verified ? { ...fields, ...verificationFacts(verified.of(ref)) } : { ...fields };
      return { ...withTrust, ...admissionFields(ref) };
    },
    unchangedFields: (f: FileReport, ref: ImageRef): Record<string, unknown> => (changes?.unchangedWithNew(f).includes(ref) ? admissionFields(ref) : {}),
  };
}
