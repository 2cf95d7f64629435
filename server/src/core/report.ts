// A scan report: every file's references and findings, shared by the CLI formats (and later the tree view).
import { analyzeText } from './analyze';
import { assessFile, type AssessmentSettings, type ReferenceFacts } from './assess';
import type { PolicyProblem } from './admission/types';
import type { Finding } from './findings';
import type { LineIndex } from './positions';
import type { FileKind, ImageRef, OffsetRange } from './types';

export interface FileReport {
  /** Path as shown to the user (relative to the cwd, `/` separators). */
  path: string;
  absPath: string;
  kind: FileKind;
  refs: ImageRef[];
  /** YAML documents that could not be read (each becomes an `unreadable-yaml` finding). */
  problems: { message: string; range: OffsetRange; code?: string }[];
  /** The findings as assessed last (`assessReport` recomputes them once the registry and signatures have answered). */
  findings: Finding[];
  lines: LineIndex;
}

export interface Notice {
  path: string;
  message: string;
}

/** Diagnostics of the trust policy file itself (a broken policy). */
export interface PolicyFileReport {
  path: string;
  absPath: string;
  lines: LineIndex;
  findings: Finding[];
}

export interface ScanReport {
  files: FileReport[];
  policy?: PolicyFileReport;
  /** Files skipped (too large, binary, unknown kind) and per-file failures: shown, never fatal. */
  notices: Notice[];
}

export function reportFile(path: string, absPath: string, text: string, kind: FileKind, settings: AssessmentSettings = {}): FileReport {
  const { refs, lines, problems } = analyzeText(text, kind);
  const file = { path, absPath, kind, refs, problems, lines, findings: [] as Finding[] };
  file.findings = assessFile(file, () => ({}), settings);
  return file;
}

/**
 * Re-assess every file with what the registry and the signatures said (one judgement: `assess.ts`);
 * `admissionProblemsOf` gives the problems of the admission policies a file holds (`--admission`).
 */
export function assessReport(report: ScanReport, factsOf: (ref: ImageRef) => ReferenceFacts, settings: AssessmentSettings = {}, admissionProblemsOf?: (f: FileReport) => readonly PolicyProblem[]): void {
  for (const f of report.files) f.findings = assessFile({ ...f, admissionProblems: admissionProblemsOf?.(f) }, factsOf, settings);
}

/** Every place with findings: the scanned files, then the policy file when it has problems. */
export function findingSources(report: ScanReport): { path: string; lines: LineIndex; findings: Finding[] }[] {
  return report.policy ? [...report.files, report.policy] : report.files;
}
