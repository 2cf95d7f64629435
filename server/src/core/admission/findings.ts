// Admission facts → findings (called by core/assess.ts, the one judgement). A denial by an Enforce/enforce policy is
// `admission-denied` (error), an Audit/warn violation `admission-audit` (warning), a rule that could not be evaluated
// because of the registry `admission-error`, anything not evaluated `admission-not-evaluated`. Admitted: no finding.
import type { Finding } from '../findings';
import type { ImageRef } from '../types';
import type { AdmissionOutcome, AdmissionResult, PolicyProblem } from './types';

const ENGINE: Record<AdmissionResult['engine'], string> = { kyverno: 'Kyverno', 'policy-controller': 'policy-controller' };

export function admissionCode(r: AdmissionResult): { code: string; severity: Finding['severity'] } | null {
  switch (r.result) {
    case 'admitted':
      return null;
    case 'denied':
      return { code: 'admission-denied', severity: 'error' };
    case 'audit':
      return { code: 'admission-audit', severity: 'warning' };
    case 'no-policy-matched':
      // no-match-policy: deny refuses the image, warn admits it with a warning.
      return /no-match-policy is deny/.test(r.message) ? { code: 'admission-denied', severity: 'error' } : { code: 'admission-audit', severity: 'warning' };
    case 'error':
      return { code: 'admission-error', severity: 'warning' };
    case 'not-evaluated':
      return { code: 'admission-not-evaluated', severity: 'information' };
  }
}

/** One line naming engine, policy and rule: `Kyverno ClusterPolicy/require-signed, rule verify`. */
export function admissionSource(r: AdmissionResult): string {
  return `${ENGINE[r.engine]} ${r.policy}${r.rule ? `, ${r.engine === 'kyverno' ? 'rule' : 'authority'} ${r.rule}` : ''}`;
}

export function admissionFindings(ref: ImageRef, outcome: AdmissionOutcome | null | undefined): Finding[] {
  if (!outcome) return [];
  const out: Finding[] = [];
  for (const r of outcome.results) {
    const c = admissionCode(r);
    if (!c) continue;
    const detail = [r.expected ? `expected ${r.expected}` : '', r.observed ? `observed ${r.observed}` : ''].filter(Boolean).join('; ');
    const message = `Admission (${admissionSource(r)}): ${r.message}${detail ? ` — ${detail}` : ''}${r.reason ? ` [${r.reason}]` : ''}`;
    out.push({ code: c.code, severity: c.severity, message, range: ref.range });
  }
  return out;
}

/**
 * Problems of the admission policy files themselves (malformed: `admission-policy-invalid`; a feature that is not
 * evaluated: `admission-not-evaluated`), as findings of the policy file, for the file whose path is `file`.
 */
export function policyProblemFindings(problems: readonly PolicyProblem[]): Finding[] {
  return problems.map((p): Finding => {
    const message = `Admission policy: ${p.message}`;
    return p.severity === 'information'
      ? { code: 'admission-not-evaluated', severity: p.severity, message, range: p.site.range }
      : { code: 'admission-policy-invalid', severity: p.severity, message, range: p.site.range };
  });
}
