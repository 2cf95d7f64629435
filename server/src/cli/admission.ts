// `scan --admission`: evaluate the admission policies found among the scanned files (Kyverno, policy-controller) for
// every image reference of a Kubernetes manifest. Glue over core/admission; the findings are derived in core/assess.
import { realpathSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import type { AdmissionOutcome, AdmissionPolicySet, AdmissionResult } from '../core/admission/types';
import { isDenial, newResults, type EvaluatedReference } from '../core/admission/changes';
import { admissionTrustMaterial, evaluateAdmission, type AdmissionEnv } from '../core/admission/evaluate';
import { mayHoldAdmissionPolicies, readAdmissionPolicies } from '../core/admission/read';
import { ManifestResources } from '../core/admission/resource';
import { analyzeText } from '../core/analyze';
import { fileAtCommit, repoRelativePath, type WorkingTreeDiff } from '../core/changes';
import { admissionFacts } from '../core/facts';
import { detectKind } from '../core/kinds';
import type { LoadedPolicyFile } from '../core/policy-file';
import type { RegistryClient } from '../core/registry';
import type { FileReport, ScanReport } from '../core/report';
import type { Resolution } from '../core/resolve';
import type { ImageRef } from '../core/types';

export interface AdmissionFacts {
  set: AdmissionPolicySet;
  of: (ref: ImageRef) => AdmissionOutcome | null;
}

/** The Sigstore trust material admission uses: the trust policy's `trustedRoot`, else the public-good root. */
export function admissionMaterial(policy: LoadedPolicyFile): AdmissionEnv['material'] {
  return admissionTrustMaterial(policy.result.policy);
}

export async function evaluateReportAdmission(
  report: ScanReport,
  client: RegistryClient,
  resolutionOf: (ref: ImageRef) => Resolution | null,
  policy: LoadedPolicyFile,
  opts: { extraRefs?: (f: FileReport) => ImageRef[]; env?: AdmissionEnv } = {},
): Promise<AdmissionFacts> {
  const set = readAdmissionPolicies(report.files.filter((f) => f.kind === 'kubernetes').map((f) => ({ file: f.absPath, text: f.lines.text })));
  const results = new Map<ImageRef, AdmissionOutcome | null>();
  const env: AdmissionEnv = opts.env ?? { reader: client, material: admissionMaterial(policy), now: new Date() };
  env.digestOf ??= digestLookup(report.files.flatMap((f) => [...f.refs, ...(opts.extraRefs?.(f) ?? [])]), resolutionOf);
  await Promise.all(
    report.files
      .filter((f) => f.kind === 'kubernetes')
      .map(async (f) => {
        const refs = [...f.refs, ...(opts.extraRefs?.(f) ?? [])];
        if (refs.length === 0) return;
        const resources = new ManifestResources(f.lines.text);
        for (const ref of refs) results.set(ref, await evaluateAdmission(ref, resources.at(ref.range.start), set, resolutionOf(ref), env, resources.objectAt(ref.range.start)).catch(() => null));
      }),
  );
  return { set, of: (ref) => results.get(ref) ?? null };
}

/** The digests the references' tags resolved to, by the image as written (for the other images of a resource). */
export function digestLookup(refs: readonly ImageRef[], resolutionOf: (ref: ImageRef) => Resolution | null): (image: string) => string | null {
  const by = new Map<string, string>();
  for (const r of refs) {
    const d = r.parsed?.digest ?? resolutionOf(r)?.tagDigest;
    if (d && !by.has(r.reference)) by.set(r.reference, d);
  }
  return (image) => by.get(image) ?? null;
}

/** What `--admission --changed-since` found: every outcome (JSON), and the new results (the findings). */
export interface AdmissionChanges extends AdmissionFacts {
  /** The new results of a reference (changed or not) that are not "admitted"; empty when it has none. */
  newResultsOf: (ref: ImageRef) => AdmissionResult[];
  /** Unchanged references of a file that have new results (a policy, or the resource around them, changed). */
  unchangedWithNew: (f: FileReport) => ImageRef[];
  /** How many of the new results are denials, and how many of those are on unchanged references. */
  newDenials: number;
  onUnchanged: number;
}

interface BaseFile {
  /** Working-tree path relative to the repository root (for a deleted file: its path at the merge base). */
  path: string;
  text: string;
}

/**
 * Admission at the merge base vs the working tree (issue 11: `--changed-since` reports new denials only). The working
 * tree's side evaluates the changed references, plus the unchanged ones of changed files — and of every file when an
 * admission policy (or a ConfigMap, Secret) changed on either side, since a policy change can deny an image nobody
 * touched. The merge base's side reads the same files (renamed ones under their old name, deleted ones in the scanned
 * folders too) as they were at the merge base, with the merge base's policies. Both sides use one registry client
 * and one discovery per digest.
 */
export async function evaluateAdmissionChanges(
  report: ScanReport,
  gate: { unchangedRefs: (f: FileReport) => ImageRef[]; diff: WorkingTreeDiff; scanPaths: string[] },
  client: RegistryClient,
  resolutionOf: (ref: ImageRef) => Resolution | null,
  resolveMore: (refs: ImageRef[]) => Promise<void>,
  policy: LoadedPolicyFile,
): Promise<AdmissionChanges> {
  const { diff } = gate;
  const kube = report.files.filter((f) => f.kind === 'kubernetes');
  const relOf = (f: FileReport) => repoRelativePath(diff.repoRoot, f.absPath);
  // The merge base's side of every scanned Kubernetes file, and of deleted files inside the scanned paths.
  const base: BaseFile[] = [];
  let policiesChanged = false;
  for (const f of kube) {
    const rel = relOf(f);
    const d = rel === null ? undefined : diff.files.get(rel);
    if (rel === null) continue;
    if (!d) {
      base.push({ path: rel, text: f.lines.text });
      continue;
    }
    if (mayHoldAdmissionPolicies(f.lines.text)) policiesChanged = true;
    if (d.status === 'added' || d.status === 'untracked' || d.oldPath === null) continue;
    const text = await fileAtCommit(diff.repoRoot, diff.mergeBase, d.oldPath);
    if (text === null) continue;
    if (mayHoldAdmissionPolicies(text)) policiesChanged = true;
    base.push({ path: rel, text });
  }
  const roots = gate.scanPaths.map((p) => {
    try {
      return realpathSync(resolve(p));
    } catch {
      return resolve(p);
    }
  });
  const inScope = (rel: string) => {
    const abs = resolve(diff.repoRoot, rel);
    return roots.some((r) => abs === r || abs.startsWith(`${r}${sep}`));
  };
  for (const d of diff.files.values()) {
    if (d.status !== 'deleted' || !inScope(d.path)) continue;
    const text = await fileAtCommit(diff.repoRoot, diff.mergeBase, d.path);
    if (text === null || detectKind(d.path, text) !== 'kubernetes') continue;
    if (mayHoldAdmissionPolicies(text)) policiesChanged = true;
    base.push({ path: d.path, text });
  }
  // Which unchanged references can have a new denial: all of them when a policy changed, else those of changed files.
  const extra = (f: FileReport) => {
    const rel = relOf(f);
    return policiesChanged || (rel !== null && diff.files.has(rel)) ? gate.unchangedRefs(f) : [];
  };
  const baseAnalyses = base.map((b) => ({ ...b, refs: analyzeText(b.text, 'kubernetes').refs, resources: new ManifestResources(b.text) }));
  await resolveMore([...kube.flatMap(extra), ...baseAnalyses.flatMap((b) => b.refs)]);

  const env: AdmissionEnv = { reader: client, material: admissionMaterial(policy), now: new Date() };
  const current = await evaluateReportAdmission(report, client, resolutionOf, policy, { extraRefs: extra, env: { ...env, discoveries: (env.discoveries = new Map()) } });
  const baseEnv: AdmissionEnv = { ...env, digestOf: digestLookup(baseAnalyses.flatMap((b) => b.refs), resolutionOf) };
  const baseSet = readAdmissionPolicies(base.map((b) => ({ file: resolve(diff.repoRoot, b.path), text: b.text })));
  const baseSide: EvaluatedReference<null>[] = [];
  for (const b of baseAnalyses) {
    for (const ref of b.refs) {
      const resource = b.resources.at(ref.range.start);
      const outcome = await evaluateAdmission(ref, resource, baseSet, resolutionOf(ref), baseEnv, b.resources.objectAt(ref.range.start)).catch(() => null);
      baseSide.push({ item: null, site: { path: b.path, reference: ref.reference, resource }, outcome });
    }
  }
  const currentSide: EvaluatedReference<ImageRef>[] = [];
  const unchangedSet = new Set<ImageRef>();
  for (const f of kube) {
    const path = relOf(f) ?? relative(diff.repoRoot, f.absPath);
    for (const ref of [...f.refs, ...extra(f)]) {
      const outcome = current.of(ref);
      currentSide.push({ item: ref, site: { path, reference: ref.reference, resource: outcome?.resource ?? null }, outcome });
    }
    for (const ref of gate.unchangedRefs(f)) unchangedSet.add(ref);
  }
  const fresh = new Map(newResults(currentSide, baseSide).map((x) => [x.item, x.results]));
  const denials = (rs: AdmissionResult[]) => rs.filter(isDenial).length;
  return {
    ...current,
    newResultsOf: (ref) => fresh.get(ref) ?? [],
    unchangedWithNew: (f) => gate.unchangedRefs(f).filter((r) => fresh.has(r)),
    newDenials: [...fresh.values()].reduce((n, rs) => n + denials(rs), 0),
    onUnchanged: [...fresh].filter(([ref]) => unchangedSet.has(ref)).reduce((n, [, rs]) => n + denials(rs), 0),
  };
}

/**
 * JSON `admission[]` of one reference (public contract: engine, policy, rule, result, reason, expected, observed; the
 * shape is core/facts.ts's, the editor's tree shows the same). With `--changed-since`, `isNew` marks each result.
 */
export function admissionJson(outcome: AdmissionOutcome | null, pathOf: (abs: string) => string, isNew?: (r: AdmissionResult) => boolean): unknown[] {
  return admissionFacts(outcome, pathOf, isNew);
}
