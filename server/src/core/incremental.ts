// Incremental extraction for the editor: a multi-document YAML file is cut at its document markers and each
// document's references are cached by the document's text, so an edit re-parses only the document it touched.
// Cutting is exact per the YAML spec: a line starting with `---` or `...` followed by a space or line end is always a
// document marker (c-forbidden): it ends any block or flow scalar, so it never occurs inside a value.
import { extractWithProblems, type Extraction } from './analyze-extract';
import type { FileKind, OffsetRange, PinSite, RawRef } from './types';

const MAX_CACHED_DOCUMENTS = 20_000;

function shiftRange(r: OffsetRange, d: number): OffsetRange {
  return { start: r.start + d, end: r.end + d };
}

function shiftPin(p: PinSite, d: number): PinSite {
  if (p.type === 'inline') return { ...p, range: shiftRange(p.range, d) };
  return { ...p, insertAt: p.insertAt + d, ...(p.digestRange ? { digestRange: shiftRange(p.digestRange, d) } : {}) };
}

export function shiftRef(ref: RawRef, d: number): RawRef {
  if (d === 0) return ref;
  return {
    ...ref,
    range: shiftRange(ref.range, d),
    ...(ref.pin ? { pin: shiftPin(ref.pin, d) } : {}),
    ...(ref.values ? { values: ref.values.map((v) => ({ ...v, range: shiftRange(v.range, d) })) } : {}),
  };
}

/** Start offsets of the documents of a YAML stream: 0, then every line that is a `---` or `...` marker. */
export function documentStarts(text: string): number[] | null {
  const starts = [0];
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    // Directives (%YAML, %TAG) belong to the next document: cutting them off would change its meaning.
    if (c === 0x25 /* % */) return null;
    if ((c === 0x2d /* - */ && text.startsWith('---', i)) || (c === 0x2e /* . */ && text.startsWith('...', i))) {
      const after = text.charCodeAt(i + 3);
      if (Number.isNaN(after) || after === 0x20 || after === 0x09 || after === 0x0a || after === 0x0d) {
        if (i > 0) starts.push(i);
      }
    }
    const nl = text.indexOf('\n', i);
    if (nl === -1) break;
    i = nl + 1;
  }
  return starts;
}

export class IncrementalExtractor {
  private cache = new Map<string, Extraction>();

  extract(text: string, kind: FileKind): Extraction {
    // Not YAML streams: a Dockerfile, a dev container's JSON, a Helm template (text until rendered) are read whole.
    if (kind === 'dockerfile' || kind === 'devcontainer' || kind === 'helm-template') return extractWithProblems(text, kind);
    const starts = documentStarts(text);
    if (!starts || starts.length < 3) return extractWithProblems(text, kind);
    const next = new Map<string, Extraction>();
    const out: Extraction = { refs: [], errors: [] };
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i];
      const chunk = text.slice(start, i + 1 < starts.length ? starts[i + 1] : text.length);
      const found = next.get(chunk) ?? this.cache.get(chunk) ?? extractWithProblems(chunk, kind);
      if (next.size < MAX_CACHED_DOCUMENTS) next.set(chunk, found);
      for (const r of found.refs) out.refs.push(shiftRef(r, start));
      for (const e of found.errors) out.errors.push({ ...e, range: shiftRange(e.range, start) });
    }
    // Keep only the documents of the current version: memory stays proportional to one version of the file.
    this.cache = next;
    return out;
  }
}
