// `--format codequality`: a GitLab Code Quality report (the Code Climate issue subset GitLab reads), so findings show
// in the merge request's Code Quality widget and the changes view. Fingerprints are the SARIF ones (fingerprint.ts):
// stable across runs and line moves, which is how GitLab tells new findings from ones already on the target branch.
import type { Finding, Severity } from '../../core/findings';
import { findingSources, type ScanReport } from '../../core/report';
import { RULES } from '../../core/rules';
import { Fingerprints } from './fingerprint';

export type CodeQualitySeverity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';

export interface CodeQualityIssue {
  type: 'issue';
  engine_name: 'image-trust';
  check_name: string;
  description: string;
  categories: string[];
  severity: CodeQualitySeverity;
  fingerprint: string;
  location: { path: string; lines: { begin: number; end: number } };
}

const BY_SEVERITY: Record<Severity, CodeQualitySeverity> = { hint: 'info', information: 'info', warning: 'minor', error: 'major' };

/**
 * GitLab's five levels from ours: hint/information → info, warning → minor, error → major; an error an `enforce`
 * policy rule raised (the gate the policy owner set) → critical; an invalid signature at error (the bytes are not
 * what was signed: a sign of tampering) → blocker.
 */
export function codeQualitySeverity(d: Finding): CodeQualitySeverity {
  if (d.severity === 'error' && d.code === 'invalid-signature') return 'blocker';
  if (d.severity === 'error' && d.mode === 'enforce') return 'critical';
  return BY_SEVERITY[d.severity];
}

export function codeQualityIssues(report: ScanReport): CodeQualityIssue[] {
  const fingerprints = new Fingerprints();
  return findingSources(report).flatMap((f) =>
    f.findings.map((d): CodeQualityIssue => {
      const range = f.lines.rangeOf(d.range);
      const trust = RULES[d.code]?.policyRule === true;
      return {
        type: 'issue',
        engine_name: 'image-trust',
        check_name: d.code,
        description: d.message,
        categories: [trust ? 'Security' : 'Bug Risk'],
        severity: codeQualitySeverity(d),
        fingerprint: fingerprints.of(f.path, f.lines.text, d.code, d.range.start, d.range.end),
        location: { path: f.path, lines: { begin: range.start.line + 1, end: range.end.line + 1 } },
      };
    }),
  );
}

export function formatCodeQuality(report: ScanReport): string {
  return `${JSON.stringify(codeQualityIssues(report), null, 2)}\n`;
}
