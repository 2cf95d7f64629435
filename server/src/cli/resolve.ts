// `scan --resolve` / `--verify` and `tree`: ask registries about every reference once, verify under the policy, and
// re-assess every file with what they said (the judgement itself is core/assess.ts; the JSON fields core/facts.ts).
import type { AssessmentSettings } from '../core/assess';
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
import { admissionJson, admissionPolicyFindings, evaluateReportAdmission } from './admission';
import { displayPath } from './paths';

/** Resolve (and with --verify, verify) every reference once, then re-assess the report; gives the JSON fields. */
export async function addResolution(report: ScanReport, opts: CliOptions, policy: LoadedPolicyFile, settings: AssessmentSettings, progress: Progress = NO_PROGRESS) {
  const client = cliRegistryClient(opts);
  const refs = report.files.flatMap((f) => f.refs);
  const resolutions = await resolveMany(client, refs, { onProgress: (done, total) => progress.update('resolving', done, total) });
  const of = (ref: ImageRef): Resolution | null => (ref.parsed ? resolutions.get(resolutionKey(ref)) ?? null : null);
  const verified = opts.verify ? await addVerification(report, opts, client, of, policy, settings, { onProgress: (done, total) => progress.update('verifying', done, total) }) : undefined;
  const admission = opts.admission ? await evaluateReportAdmission(report, client, of, policy) : undefined;
  await client.flush();
  assessReport(report, (ref) => ({ resolution: of(ref), verification: verified?.of(ref), admission: admission?.of(ref) }), settings);
  if (admission) admissionPolicyFindings(report, admission.set);
  return {
    enforceFailed: verified?.enforceFailed(report) ?? false,
    referenceFields: (_f: FileReport, ref: ImageRef): Record<string, unknown> => {
      const fields = resolutionFacts(ref, of(ref));
      const withTrust = verified ? { ...fields, ...verificationFacts(verified.of(ref)) } : { ...fields };
      return admission ? { ...withTrust, admission: admissionJson(admission.of(ref), (p) => displayPath(p)) } : withTrust;
    },
  };
}
