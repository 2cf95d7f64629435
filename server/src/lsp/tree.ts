// Data for the trust tree (`imageTrust/tree`), from the per-document analyses.
import type { TreeResult } from '../protocol';
import type { DocumentAnalysis } from './documents';

export function buildTree(docs: DocumentAnalysis[]): TreeResult {
  const files = docs
    .filter((d) => d.kind && d.analysis && d.analysis.refs.length > 0)
    .sort((a, b) => a.uri.localeCompare(b.uri))
    .map((d) => ({
      uri: d.uri,
      kind: d.kind!,
      references: d.analysis!.refs.map((r) => ({
        uri: d.uri,
        range: d.lines.rangeOf(r.range),
        text: r.text,
        reference: r.reference,
        name: r.parsed?.name ?? null,
        familiar: r.parsed?.familiar ?? null,
        tag: r.parsed?.tag ?? null,
        digest: r.parsed?.digest ?? null,
        status: r.status,
        findings: d.findings
          .filter((f) => f.range.start === r.range.start && f.range.end === r.range.end)
          .map((f) => ({ code: f.code, severity: f.severity, message: f.message })),
      })),
    }));
  return { files };
}
