// The one judgement: which findings a reference gets. Extraction findings (what the text says), resolution findings
// (what the registry says) and policy findings (what the signatures say under the trust policy) are derived here,
// then severity settings and suppression comments are applied as one final filter. The language server, the CLI
// (`scan`, `tree`, every `--format`) and the tests call this; none of them merges findings itself.
import { admissionFindings, policyProblemFindings } from './admission/findings';
import type { AdmissionOutcome, PolicyProblem } from './admission/types';
import { problemFindings, referenceFindings, type Finding, type Severity, type SeverityOverrides } from './findings';
import { lockFindings, type LockFact } from './lock';
import { resolutionFindings, type Resolution } from './resolve';
import { isSuppressed } from './suppressions';
import type { ImageRef, OffsetRange } from './types';
import type { ReferenceVerification } from './verification';

/** What the registry and the signatures said about one reference; absent facts mean "not asked (yet)". */
export interface ReferenceFacts {
  resolution?: Resolution | null;
  verification?: ReferenceVerification | null;
  /** With admission policies in the workspace: what Kyverno / policy-controller would decide (issue 11). */
  admission?: AdmissionOutcome | null;
  /** With `scan --locked`: what the trust lock says about the reference (absent otherwise). */
  lock?: LockFact | null;
}

/**
 * Severity settings, by precedence: the user's (editor setting `imageTrust.severity`, CLI `--severity`) over the
 * policy file's `severity:` block over each rule's default.
 */
export interface AssessmentSettings {
  severity?: SeverityOverrides;
  policySeverity?: SeverityOverrides;
}

const RANK: Record<Severity, number> = { hint: 0, information: 1, warning: 2, error: 3 };

/**
 * The final filter for one finding. A finding of an `enforce` policy rule is the policy's decision: settings may raise
 * it but never lower or silence it, and suppression comments do not apply (a policy exception, with an owner and an
 * expiry, is the way to accept it). Everything else follows the settings and the line's suppression comment.
 */
export function applySettings(f: Finding, ignored: string[] | undefined, settings: AssessmentSettings): Finding | null {
  const setting = settings.severity?.[f.code] ?? settings.policySeverity?.[f.code];
  if (f.mode === 'enforce') {
    if (setting === undefined || setting === 'off' || RANK[setting] <= RANK[f.severity]) return f;
    return { ...f, severity: setting };
  }
  if (isSuppressed(ignored, f.code)) return null;
  if (setting === undefined) return f;
  if (setting === 'off') return null;
  return setting === f.severity ? f : { ...f, severity: setting };
}

function byPosition(a: Finding, b: Finding): number {
  return a.range.start - b.range.start || a.range.end - b.range.end;
}

/** Every finding of one reference, settings applied. */
export function assessReference(ref: ImageRef, facts: ReferenceFacts, settings: AssessmentSettings = {}): Finding[] {
  const raw = [
    ...referenceFindings(ref),
    ...resolutionFindings(ref, facts.resolution ?? null),
    ...(facts.verification?.findings ?? []),
    ...admissionFindings(ref, facts.admission),
    ...lockFindings(ref, facts.lock),
  ];
  const out: Finding[] = [];
  for (const f of raw) {
    const kept = applySettings(f, ref.ignored, settings);
    if (kept) out.push(kept);
  }
  return out;
}

/**
 * Only the admission findings of one reference, settings applied: `scan --admission --changed-since` reports the new
 * denials of references the change did not touch (a policy changed), and nothing else about them.
 */
export function assessAdmission(ref: ImageRef, admission: AdmissionOutcome | null | undefined, settings: AssessmentSettings = {}): Finding[] {
  return admissionFindings(ref, admission)
    .map((f) => applySettings(f, ref.ignored, settings))
    .filter((f): f is Finding => f !== null);
}

export interface AssessableFile {
  refs: readonly ImageRef[];
  /**
   * Parts of the file that could not be read (unreadable YAML documents) or are ambiguous (duplicate keys), with the
   * rules a suppression comment on their line names (`ignored`).
   */
  problems?: readonly { message: string; range: OffsetRange; code?: string; ignored?: string[] }[];
  /** Findings about the file as a whole (too large, analysis failed). */
  fileFindings?: readonly Finding[];
  /** When the file holds admission policies: their problems (malformed, not evaluated), with ranges in this file. */
  admissionProblems?: readonly PolicyProblem[];
}

/** Every finding of one file, in document order. */
export function assessFile(file: AssessableFile, factsOf: (ref: ImageRef) => ReferenceFacts, settings: AssessmentSettings = {}): Finding[] {
  const problems = file.problems ?? [];
  const fileLevel = [
    ...(file.fileFindings ?? []).map((f) => applySettings(f, undefined, settings)),
    ...problemFindings([...problems]).map((f, i) => applySettings(f, problems[i].ignored, settings)),
    ...policyProblemFindings(file.admissionProblems ?? []).map((f) => applySettings(f, undefined, settings)),
  ].filter((f): f is Finding => f !== null);
  return [...file.refs.flatMap((r) => assessReference(r, factsOf(r), settings)), ...fileLevel].sort(byPosition);
}
