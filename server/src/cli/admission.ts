// `scan --admission`: evaluate the admission policies found among the scanned files (Kyverno, policy-controller) for
// every image reference of a Kubernetes manifest. Glue over core/admission; the findings are derived in core/assess.
import type { AdmissionOutcome, AdmissionPolicySet, AdmissionResult } from '../core/admission/types';
import { evaluateAdmission, type AdmissionEnv } from '../core/admission/evaluate';
import { readAdmissionPolicies } from '../core/admission/read';
import { ManifestResources } from '../core/admission/resource';
import type { Finding } from '../core/findings';
import type { LoadedPolicyFile } from '../core/policy-file';
import type { RegistryClient } from '../core/registry';
import type { FileReport, ScanReport } from '../core/report';
import type { Resolution } from '../core/resolve';
import { prepareTrust } from '../core/trust';
import { trustMaterialFromRoot } from '../core/trust/signers';
import type { ImageRef } from '../core/types';

export interface AdmissionFacts {
  set: AdmissionPolicySet;
  of: (ref: ImageRef) => AdmissionOutcome | null;
}

/** The Sigstore trust material admission uses: the trust policy's `trustedRoot`, else the public-good root. */
export function admissionMaterial(policy: LoadedPolicyFile): AdmissionEnv['material'] {
  const root = policy.result.policy?.trustedRoot?.json;
  return root !== undefined ? trustMaterialFromRoot(root) : prepareTrust([]).material;
}

export async function evaluateReportAdmission(report: ScanReport, client: RegistryClient, resolutionOf: (ref: ImageRef) => Resolution | null, policy: LoadedPolicyFile): Promise<AdmissionFacts> {
  const set = readAdmissionPolicies(report.files.filter((f) => f.kind === 'kubernetes').map((f) => ({ file: f.absPath, text: f.lines.text })));
  const results = new Map<ImageRef, AdmissionOutcome | null>();
  const env: AdmissionEnv = { reader: client, material: admissionMaterial(policy), now: new Date() };
  await Promise.all(
    report.files
      .filter((f) => f.kind === 'kubernetes' && f.refs.length > 0)
      .map(async (f) => {
        const resources = new ManifestResources(f.lines.text);
        for (const ref of f.refs) results.set(ref, await evaluateAdmission(ref, resources.at(ref.range.start), set, resolutionOf(ref), env).catch(() => null));
      }),
  );
  return { set, of: (ref) => results.get(ref) ?? null };
}

/** The policy files' own problems (malformed, not evaluated), as findings of those files. */
export function admissionPolicyFindings(report: ScanReport, set: AdmissionPolicySet): void {
  for (const p of set.problems) {
    const file = report.files.find((f: FileReport) => f.absPath === p.site.file);
    if (!file) continue;
    const message = `Admission policy: ${p.message}`;
    const f: Finding = p.severity === 'information'
      ? { code: 'admission-not-evaluated', severity: p.severity, message, range: p.site.range }
      : { code: 'admission-policy-invalid', severity: p.severity, message, range: p.site.range };
    file.findings.push(f);
    file.findings.sort((a, b) => a.range.start - b.range.start);
  }
}

/** JSON `admission[]` of one reference (public contract: engine, policy, rule, result, reason, expected, observed). */
export function admissionJson(outcome: AdmissionOutcome | null, pathOf: (abs: string) => string): unknown[] {
  return (outcome?.results ?? []).map((r: AdmissionResult) => ({
    engine: r.engine,
    policy: r.policy,
    rule: r.rule,
    result: r.result,
    reason: r.reason,
    message: r.message,
    expected: r.expected,
    observed: r.observed,
    rewrite: r.rewrite,
    policyFile: r.site.file ? pathOf(r.site.file) : null,
  }));
}
