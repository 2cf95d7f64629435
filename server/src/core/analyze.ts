// The one entry point from text to classified image references: extract by kind, then classify each reference.
import { extractRefs, extractWithProblems, type Extraction } from './analyze-extract';
import { LineIndex } from './positions';
import { InvalidReferenceError, parseReference } from './reference';
import { suppressedRules } from './suppressions';
import type { FileKind, ImageRef, RawRef } from './types';

export { extractRefs };

export function classify(raw: RawRef): ImageRef {
  if (raw.templated) return { ...raw, status: 'templated', parsed: null };
  try {
    const parsed = parseReference(raw.reference);
    return { ...raw, status: parsed.digest ? 'pinned' : 'unpinned', parsed };
  } catch (err) {
    if (err instanceof InvalidReferenceError) return { ...raw, status: 'invalid', parsed: null, error: err.message };
    throw err;
  }
}

export interface Analysis {
  kind: FileKind;
  refs: ImageRef[];
  lines: LineIndex;
  /** YAML documents that could not be read (references in them are not checked, never silently), duplicate keys. */
  problems: (Extraction['errors'][number] & { ignored?: string[] })[];
}

/** Extract and classify every image reference in `text`, with line-level suppressions attached. */
export function analyzeText(text: string, kind: FileKind, extract: (text: string, kind: FileKind) => Extraction = extractWithProblems): Analysis {
  const lines = new LineIndex(text);
  const extraction = extract(text, kind);
  const raws = extraction.refs.sort((a, b) => a.range.start - b.range.start);
  const refs = raws.map((raw) => {
    const ref = classify(raw);
    const ignored = suppressedRules(kind, lines, raw.range.end);
    return ignored ? { ...ref, ignored } : ref;
  });
  // A problem is silenced like a reference: by a suppression comment on its line (`# image-trust: ignore duplicate-key`).
  const problems = extraction.errors.map((p) => {
    const ignored = suppressedRules(kind, lines, p.range.end);
    return ignored ? { ...p, ignored } : p;
  });
  return { kind, refs, lines, problems };
}
