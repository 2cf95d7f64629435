// `--format json`: a public contract (schemaVersion 1). Fields may be added, never renamed or removed.
import { findingSources, type ScanReport } from '../../core/report';
import type { ImageRef } from '../../core/types';
import type { FileReport } from '../../core/report';
import type { ChangedSinceSummary } from '../../core/changes';

export function jsonReference(file: FileReport, ref: ImageRef, extra: Record<string, unknown> = {}) {
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
    // Added (issue 12): present, and true, only for a reference read leniently from YAML the parser refused.
    ...(ref.lenient ? { lenient: true } : {}),
    ...extra,
  };
}

export interface JsonExtras {
  /** Per reference extra fields (resolve/verify results), keyed by the ref object. */
  referenceFields?: (file: FileReport, ref: ImageRef) => Record<string, unknown>;
  /** With `--changed-since`: extra fields of an unchanged reference (`--admission`: its new denials). */
  unchangedFields?: (file: FileReport, ref: ImageRef) => Record<string, unknown>;
  /**
   * `--changed-since`: the report holds the changed references; the unchanged ones are listed too, in document
   * order, each reference with `changed: true|false`, plus a top-level `changedSince` object.
   */
  changedSince?: { unchangedRefs: (file: FileReport) => ImageRef[]; summary: ChangedSinceSummary };
}

export function formatJson(report: ScanReport, extras: JsonExtras = {}): string {
  const gate = extras.changedSince;
  const references = report.files.flatMap((f) => {
    if (!gate) return f.refs.map((r) => jsonReference(f, r, extras.referenceFields?.(f, r) ?? {}));
    const changed = f.refs.map((r) => ({ r, json: jsonReference(f, r, { ...extras.referenceFields?.(f, r), changed: true }) }));
    const unchanged = gate.unchangedRefs(f).map((r) => ({ r, json: jsonReference(f, r, { ...extras.unchangedFields?.(f, r), changed: false }) }));
    return [...changed, ...unchanged].sort((a, b) => a.r.range.start - b.r.range.start).map((x) => x.json);
  });
  const diagnostics = findingSources(report).flatMap((f) =>
    f.findings.map((d) => ({ path: f.path, range: f.lines.rangeOf(d.range), severity: d.severity, code: d.code, message: d.message })),
  );
  const notices = report.notices;
  const changedSince = gate ? { changedSince: gate.summary } : {};
  return `${JSON.stringify({ schemaVersion: 1, references, diagnostics, notices, ...changedSince }, null, 2)}\n`;
}
