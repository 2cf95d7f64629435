// A scan report: every file's references and findings, shared by the CLI formats (and later the tree view).
import { analyzeText } from './analyze';
import { problemFindings, referenceFindings, type Finding, type SeverityOverrides } from './findings';
import type { LineIndex } from './positions';
import type { FileKind, ImageRef } from './types';

export interface FileReport {
  /** Path as shown to the user (relative to the cwd, `/` separators). */
  path: string;
  absPath: string;
  kind: FileKind;
  refs: ImageRef[];
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

export function reportFile(path: string, absPath: string, text: string, kind: FileKind, overrides: SeverityOverrides = {}): FileReport {
  const { refs, lines, problems } = analyzeText(text, kind);
  const findings = [...refs.flatMap((r) => referenceFindings(r, overrides)), ...problemFindings(problems, overrides)].sort((a, b) => a.range.start - b.range.start);
  return { path, absPath, kind, refs, findings, lines };
}

/** Every place with findings: the scanned files, then the policy file when it has problems. */
export function findingSources(report: ScanReport): { path: string; lines: LineIndex; findings: Finding[] }[] {
  return report.policy ? [...report.files, report.policy] : report.files;
}
