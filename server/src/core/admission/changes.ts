// New admission denials of a change (`scan --admission --changed-since REF`): admission is evaluated at the merge base
// (its manifests with its policies) and in the working tree (with the working tree's policies); a denial is new when
// the merge base has no denial of the same image, in the same resource of the same file, by the same policy (and
// Kyverno rule). So a changed reference that is denied is reported, and so is an unchanged reference that a changed
// policy (or a changed namespace, label, kind around it) now denies; a denial that was already there is not. The other
// results that are not "admitted" (audit violation, error, not evaluated) are compared the same way, each with its
// own kind: a change that makes an image unverifiable is not hidden behind "no new denial". Pure.
import type { AdmissionOutcome, AdmissionResult, ResourceInfo } from './types';

/** Where an evaluated reference is: the working-tree path (also for the merge base's side), the image as written. */
export interface AdmissionSite {
  path: string;
  reference: string;
  resource: ResourceInfo | null;
}

export interface EvaluatedReference<T> {
  item: T;
  site: AdmissionSite;
  outcome: AdmissionOutcome | null;
}

/** Whether the cluster would refuse the image for this result (Enforce/enforce, or no-match-policy deny). */
export function isDenial(r: AdmissionResult): boolean {
  return r.result === 'denied' || (r.result === 'no-policy-matched' && r.reason === 'admission-no-match' && /no-match-policy is deny/.test(r.message));
}

/** What kind of "not admitted" a result is; null when it admits. */
function kindOf(r: AdmissionResult): string | null {
  if (isDenial(r)) return 'denied';
  return r.result === 'admitted' || (r.result === 'no-policy-matched' && r.reason === null) ? null : r.result;
}

/**
 * What identifies "the same result" on both sides. policy-controller's deciding authority is not part of it: which
 * authority is named can change with the policy while the image stays denied by the same ClusterImagePolicy.
 */
function resultKey(site: AdmissionSite, r: AdmissionResult, kind: string): string {
  const res = site.resource;
  return JSON.stringify([site.path, site.reference, res?.kind ?? null, res?.namespace ?? 'default', res?.name ?? null, r.engine, r.policy, r.engine === 'kyverno' ? r.rule : null, kind]);
}

/**
 * The working tree's results that are not "admitted" and that the merge base does not have (same kind: a denial, an
 * audit violation, an error, not evaluated), per reference (only references with some).
 */
export function newResults<T>(current: readonly EvaluatedReference<T>[], base: readonly EvaluatedReference<unknown>[]): { item: T; results: AdmissionResult[] }[] {
  const before = new Map<string, number>();
  for (const b of base) {
    for (const r of b.outcome?.results ?? []) {
      const kind = kindOf(r);
      if (kind === null) continue;
      const k = resultKey(b.site, r, kind);
      before.set(k, (before.get(k) ?? 0) + 1);
    }
  }
  const out: { item: T; results: AdmissionResult[] }[] = [];
  for (const c of current) {
    const fresh: AdmissionResult[] = [];
    for (const r of c.outcome?.results ?? []) {
      const kind = kindOf(r);
      if (kind === null) continue;
      const k = resultKey(c.site, r, kind);
      const n = before.get(k) ?? 0;
      // Counted: two identical references in one resource, one of them new, leave one new denial.
      if (n > 0) before.set(k, n - 1);
      else fresh.push(r);
    }
    if (fresh.length) out.push({ item: c.item, results: fresh });
  }
  return out;
}
