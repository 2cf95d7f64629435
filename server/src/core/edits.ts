// Minimal text edits that pin a reference to a digest, shared by the quick fix, "pin all" and `image-trust pin`.
// Only the reference (or the `digest:` value) changes: quotes, comments, indentation and line endings stay as they are.
import { ImageTrustError } from './errors';
import type { ImageRef, OffsetRange } from './types';

export interface TextEdit {
  range: OffsetRange;
  newText: string;
  /** The exact text the edit expects at `range` when it is applied (checked before applying: no lost bytes). */
  expected: string;
}

function lineBreakOf(text: string): string {
  const i = text.indexOf('\n');
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * The edit that makes `ref` pinned to `digest`, or `null` when it already is (so applying twice changes nothing).
 * Inline references keep their tag: `nginx:1.25` → `nginx:1.25@sha256:…`; an existing digest is replaced.
 */
export function pinEdit(text: string, ref: ImageRef, digest: string): TextEdit | null {
  const site = ref.pin;
  if (!site) throw new ImageTrustError('EDIT_CONFLICT', `${ref.reference} cannot be pinned in place (it is built from a template or variable)`);
  if (site.type === 'inline') {
    const written = text.slice(site.range.start, site.range.end);
    const at = written.lastIndexOf('@');
    if (at === -1) {
      // `dropTag` (dev container Features): the digest takes the tag's place, `x:1` → `x@sha256:…`.
      const colon = written.lastIndexOf(':');
      if (site.dropTag && colon > written.lastIndexOf('/')) {
        const start = site.range.start + colon;
        return { range: { start, end: site.range.end }, newText: `@${digest}`, expected: written.slice(colon) };
      }
      return { range: { start: site.range.end, end: site.range.end }, newText: `@${digest}`, expected: '' };
    }
    const old = written.slice(at + 1);
    if (old === digest) return null;
    const start = site.range.start + at + 1;
    return { range: { start, end: site.range.end }, newText: digest, expected: old };
  }
  if (site.digestRange) {
    const old = text.slice(site.digestRange.start, site.digestRange.end);
    if (old === digest) return null;
    // `digest:` with no value: the range is empty right after the colon, so add the separating space.
    const needsSpace = site.digestRange.start === site.digestRange.end && text[site.digestRange.start - 1] === ':';
    return { range: site.digestRange, newText: needsSpace ? ` ${digest}` : digest, expected: old };
  }
  const insert = site.flow ? `, ${site.key}: ${digest}` : `${lineBreakOf(text)}${site.indent}${site.key}: ${digest}`;
  return { range: { start: site.insertAt, end: site.insertAt }, newText: insert, expected: '' };
}

/**
 * Applies non-overlapping edits to `text`. Each edit's `expected` text must still be at its range and the edits'
 * context must be intact, else the whole batch is refused: a document changed in between is never misapplied.
 */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.range.start - b.range.start);
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    if (e.range.start < 0 || e.range.end > text.length || e.range.start > e.range.end) {
      throw new ImageTrustError('EDIT_CONFLICT', 'an edit lies outside the document; the document changed since it was read');
    }
    if (text.slice(e.range.start, e.range.end) !== e.expected) {
      throw new ImageTrustError('EDIT_CONFLICT', `the text to replace is no longer "${e.expected}"; the document changed since it was read`);
    }
    if (i > 0 && sorted[i - 1].range.end > e.range.start) {
      throw new ImageTrustError('EDIT_CONFLICT', 'two edits overlap');
    }
  }
  let out = '';
  let pos = 0;
  for (const e of sorted) {
    out += text.slice(pos, e.range.start) + e.newText;
    pos = e.range.end;
  }
  return out + text.slice(pos);
}
