// `--format json`: a public contract (schemaVersion 1). Fields may be added, never renamed or removed.
import { findingSources, type ScanReport } from '../../core/report';
import type { ImageRef } from '../../core/types';
import type { FileReport } from '../../core/report';

function jsonReference(file: FileReport, ref: ImageRef, extra: Record<string, unknown>) {
  return {
    path: file.path,
    kind: file.kind,
    range: file.lines.rangeOf(ref.range),
    text: ref.text,
    name: ref.parsed?.name ?? null,
    tag: ref.parsed?.tag ?? null,
    digest: ref.parsed?.digest ?? null,
    status: ref.status,
    // Added fields (schemaVersion 1 stays valid): the assembled reference and where it was found.
    reference: ref.reference,
    context: ref.context ?? null,
    ...extra,
  };
}

export interface JsonExtras {
  /** Per reference extra fields (resolve/verify results), keyed by the ref object. */
  referenceFields?: (file: FileReport, ref: ImageRef) => Record<string, unknown>;
}

export function formatJson(report: ScanReport, extras: JsonExtras = {}): string {
  const references = report.files.flatMap((f) => f.refs.map((r) => jsonReference(f, r, extras.referenceFields?.(f, r) ?? {})));
  const diagnostics = findingSources(report).flatMap((f) =>
    f.findings.map((d) => ({ path: f.path, range: f.lines.rangeOf(d.range), severity: d.severity, code: d.code, message: d.message })),
  );
  const notices = report.notices;
  return `${JSON.stringify({ schemaVersion: 1, references, diagnostics, notices }, null, 2)}\n`;
}
