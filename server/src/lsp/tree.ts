// Data for the trust tree (`imageTrust/tree`) and the status bar, from the per-document analyses and what the
// background work has learned. The CLI's `tree` command renders the same shape.
import type { Finding } from '../core/findings';
import { resolutionFacts, verificationFacts, type AdmissionFact } from '../core/facts';
import type { Resolution } from '../core/resolve';
import type { ReferenceVerification } from '../core/verification';
import type { TreeReference, TreeResult } from '../protocol';
import type { LineIndex } from '../core/positions';
import type { ImageRef } from '../core/types';
import type { DocumentAnalysis } from './documents';
import type { ResolutionService } from './resolution';

export interface BranchComparison {
  ref: string | null;
  error?: string;
  /** Whether the reference is added or changed on this branch (null: comparison off or unknown file). */
  changed: (uri: string, ref: ImageRef, lines: LineIndex) => boolean | null;
}

/** The admission facts of a reference (issue 11): undefined while being evaluated, null when they do not apply. */
export type AdmissionOf = (d: DocumentAnalysis, ref: ImageRef) => { facts: AdmissionFact[] } | null | undefined;

export function buildTree(docs: DocumentAnalysis[], resolutions: ResolutionService, findingsOf: (uri: string, d: DocumentAnalysis) => Finding[], branch: BranchComparison, admissionOf: AdmissionOf = () => null): TreeResult {
  const files = docs
    .filter((d) => d.kind && d.analysis && d.analysis.refs.length > 0)
    .sort((a, b) => a.uri.localeCompare(b.uri))
    .map((d) => {
      const findings = findingsOf(d.uri, d);
      return {
        uri: d.uri,
        kind: d.kind!,
        references: d.analysis!.refs.map((r): TreeReference => {
          const res = resolutions.get(r);
          const v = resolutions.verification(d.uri, r);
          const own = findings.filter((f) => f.range.start === r.range.start && f.range.end === r.range.end);
          return {
            uri: d.uri,
            range: d.lines.rangeOf(r.range),
            text: r.text,
            reference: r.reference,
            name: r.parsed?.name ?? null,
            familiar: r.parsed?.familiar ?? null,
            tag: r.parsed?.tag ?? null,
            digest: r.parsed?.digest ?? null,
            status: r.status,
            findings: own.map((f) => ({ code: f.code, severity: f.severity, message: f.message })),
            ...treeFacts(r, res, v),
            changed: branch.changed(d.uri, r, d.lines),
            admission: admissionFactsOf(admissionOf(d, r)),
            summary: [r.status, v?.trust ? `signatures ${v.trust.status}` : null, own[0]?.message].filter(Boolean).join(' · '),
          };
        }),
      };
    });
  return { files, compareWith: branch.ref, ...(branch.error ? { compareError: branch.error } : {}) };
}

/** The trust facts of one reference, in the core's one shape (the CLI's JSON renders the same). */
function treeFacts(r: ImageRef, res: Resolution | undefined, v: ReferenceVerification | null | undefined) {
  const rf = resolutionFacts(r, res);
  return { resolvedDigest: rf.resolvedDigest, platforms: rf.platforms ?? [], ...verificationFacts(v) };
}

function admissionFactsOf(a: { facts: AdmissionFact[] } | null | undefined): AdmissionFact[] | null {
  return a === undefined ? null : a === null ? [] : a.facts;
}
