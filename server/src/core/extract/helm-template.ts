// Image references in Helm chart templates (`templates/**/*.yaml` and `*.tpl` under a folder with `Chart.yaml`).
//
// A template is not YAML until Helm renders it (`{{- if }}` blocks, `{{ include … | nindent 8 }}`), so it is read line
// by line, on the `image:` key:
// - a literal value (`image: busybox:1.36`) is an ordinary reference, pinned in place;
// - a value with template actions (`image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default
//   .Chart.AppVersion }}"`) is templated — nothing is guessed — and records the `.Values` paths it reads
//   (`RawRef.values`), so the editor can show what the chart's values.yaml supplies and jump to it
//   (`core/helm-links.ts`). Inside `{{ with .Values.image }}`, `.repository` reads `image.repository`.
// Text inside Go template comments (`{{/* … */}}`) and YAML comment lines is skipped.

import type { OffsetRange, RawRef, ValuesMention } from '../types';
import { isTemplated } from './templating';

/** Sticky and multi-line: tried at a line start in the whole text (no slice per line). */
const IMAGE_KEY = /([ \t]*)((?:-[ \t]+)*)(["']?)image\3[ \t]*:(?=[ \t]|$)/my;
const VALUES_MENTION = /(?:\$[A-Za-z0-9_]*)?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g;
const RELATIVE_MENTION = /(?<![\w.$)\]])\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)/g;
const BUILTIN_OBJECTS = new Set(['Values', 'Chart', 'Release', 'Capabilities', 'Template', 'Files', 'Subcharts']);
const MAX_LINES = 200_000;

/** What `.` is inside a block: a `.Values` path (`with .Values.image`), unknown (`range`, `define`), or inherited. */
type Dot = { path: string } | 'unknown' | 'root';

export function extractHelmTemplate(text: string): RawRef[] {
  try {
    return new TemplateScan(text).run();
  } catch {
    return [];
  }
}

class TemplateScan {
  /** Template actions (comments apart), in text order, as parallel arrays of offsets (no object per action). */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly bodyStarts: number[] = [];
  private readonly bodyEnds: number[] = [];
  private readonly comments: OffsetRange[] = [];

  constructor(private readonly text: string) {
    // Actions by offsets, without a regular expression over the whole text (templates are mostly actions).
    for (let open = text.indexOf('{{'); open !== -1; ) {
      const close = text.indexOf('}}', open + 2);
      if (close === -1) break;
      const bodyStart = open + (text.charCodeAt(open + 2) === 45 /* - */ ? 3 : 2);
      const bodyEnd = Math.max(bodyStart, text.charCodeAt(close - 1) === 45 && close - 1 > bodyStart ? close - 1 : close);
      let first = bodyStart;
      while (first < bodyEnd && isBlank(text.charCodeAt(first))) first++;
      if (text.charCodeAt(first) === 47 /* / */ && text.charCodeAt(first + 1) === 42 /* * */) this.comments.push({ start: open, end: close + 2 });
      else {
        this.starts.push(open);
        this.ends.push(close + 2);
        this.bodyStarts.push(first);
        this.bodyEnds.push(bodyEnd);
      }
      open = text.indexOf('{{', close + 2);
    }
  }

  run(): RawRef[] {
    const refs: RawRef[] = [];
    const stack: Dot[] = [];
    const text = this.text;
    const count = this.starts.length;
    let next = 0; // the next action to apply to the block stack
    // Only lines that mention `image` can hold the key: jump from one mention to the next.
    for (let hit = text.indexOf('image'), n = 0; hit !== -1 && n < MAX_LINES; n++) {
      const lineStart = text.lastIndexOf('\n', hit - 1) + 1;
      const nl = text.indexOf('\n', hit);
      let lineEnd = nl === -1 ? text.length : nl;
      if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
      // Blocks opened or closed before this line decide what `.` means on it.
      while (next < count && this.starts[next] < lineStart) this.applyBlock(next++, stack);
      // Most mentions are not the key (`.Values.image.tag`, `imagePullPolicy:`): look at the line's first word first.
      const first = lineIndent(text, lineStart) >> 1;
      const q = text.charCodeAt(lineStart + first);
      const keyLike = q === 34 || q === 39 ? text.startsWith('image', lineStart + first + 1) : text.startsWith('image', lineStart + first);
      IMAGE_KEY.lastIndex = lineStart;
      const m = keyLike ? IMAGE_KEY.exec(text) : null;
      if (m && m.index + m[0].length <= lineEnd && !this.inComment(lineStart + m[1].length)) {
        const ref = this.reference(lineStart + m[0].length, lineEnd, currentDot(stack), lineStart);
        if (ref) refs.push(ref);
      }
      if (nl === -1) break;
      hit = text.indexOf('image', nl + 1);
    }
    return refs;
  }

  private inComment(offset: number): boolean {
    // Comments are in text order and do not overlap: the last one starting at or before `offset` decides.
    const i = lastAtOrBefore(this.comments.length, (k) => this.comments[k].start, offset);
    return i >= 0 && offset < this.comments[i].end;
  }

  /** Opens or closes a block for action `a` (`with`, `range`, `define`, `block`, `if` … `end`). */
  private applyBlock(a: number, stack: Dot[]): void {
    const text = this.text;
    const at = this.bodyStarts[a];
    const end = this.bodyEnds[a];
    const keyword = keywordAt(text, at, end);
    if (keyword === null) return;
    if (keyword === 'with') {
      const arg = text.slice(at + 4, end).trim();
      const values = /^(?:\$[A-Za-z0-9_]*)?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/.exec(arg);
      if (values) stack.push({ path: values[1].slice(1) });
      else {
        const dot = currentDot(stack);
        const rel = /^\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/.exec(arg);
        stack.push(rel && typeof dot === 'object' ? { path: `${dot.path}.${rel[1]}` } : 'unknown');
      }
    } else if (keyword === 'range' || keyword === 'define' || keyword === 'block') stack.push('unknown');
    else if (keyword === 'if') stack.push(currentDot(stack));
    else stack.pop(); // end
  }

  /** The reference written after `image:` from `from` to the end of the line. */
  private reference(from: number, lineEnd: number, dot: Dot, lineStart: number): RawRef | null {
    const text = this.text;
    let i = from;
    while (i < lineEnd && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= lineEnd) return null;
    let start = i;
    let end: number;
    const c = text[i];
    if (c === '"' || c === "'") {
      const close = closingQuote(text, i + 1, lineEnd, c);
      if (close === -1) return null;
      start = i + 1;
      end = close;
    } else {
      if (c === '#' || c === '|' || c === '>' || c === '[' || c === '{' && text[i + 1] !== '{') return null;
      end = plainEnd(text, i, lineEnd);
    }
    const written = text.slice(start, end);
    if (written.trim() === '' || /^(null|~)$/.test(written)) return null;
    // Only `{{` or `$` can make a value templated: most literal images need no regular expression.
    const templated = (written.includes('{{') || written.includes('$')) && isTemplated(written);
    const context = `${parentPath(text, lineStart)}image`;
    const ref: RawRef = { kind: 'helm-template', range: { start, end }, text: written, reference: written, templated, context };
    if (!templated) {
      if (c === "'" && written.includes("''")) return { ...ref, reference: written.replace(/''/g, "'") };
      if (c === '"' && written.includes('\\')) return ref;
      ref.pin = { type: 'inline', range: { start, end } };
      return ref;
    }
    const values = this.mentions(start, end, dot);
    if (values.length) ref.values = values;
    return ref;
  }

  /** The `.Values` paths read by the actions in [start, end), in order. */
  private mentions(start: number, end: number, dot: Dot): ValuesMention[] {
    const out: ValuesMention[] = [];
    // Actions are in text order: start at the last one beginning before `start` (it may reach into the value).
    const starts = this.starts;
    let first = 0;
    for (let lo = 0, hi = starts.length - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= start) {
        first = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = first; i < starts.length; i++) {
      if (this.starts[i] >= end) break;
      if (this.ends[i] <= start) continue;
      const bodyStart = this.bodyStarts[i];
      const body = this.text.slice(bodyStart, this.bodyEnds[i]);
      VALUES_MENTION.lastIndex = 0;
      for (let m = VALUES_MENTION.exec(body); m; m = VALUES_MENTION.exec(body)) {
        out.push({ path: m[1].slice(1), range: { start: bodyStart + m.index, end: bodyStart + m.index + m[0].length } });
      }
      if (typeof dot !== 'object') continue;
      RELATIVE_MENTION.lastIndex = 0;
      for (let m = RELATIVE_MENTION.exec(body); m; m = RELATIVE_MENTION.exec(body)) {
        if (BUILTIN_OBJECTS.has(m[1].split('.')[0])) continue;
        out.push({ path: `${dot.path}.${m[1]}`, range: { start: bodyStart + m.index, end: bodyStart + m.index + m[0].length } });
      }
    }
    // `.Values` and relative mentions of one action interleave only inside a `with` scope.
    return typeof dot === 'object' ? out.sort((a, b) => a.range.start - b.range.start) : out;
  }
}

/** Index of the last of `n` sorted positions (`at(k)`) at or before `offset`, or -1. */
function lastAtOrBefore(n: number, at: (k: number) => number, offset: number): number {
  let lo = 0;
  let hi = n - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (at(mid) <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

const KEYWORDS = ['if', 'with', 'range', 'define', 'block', 'end'] as const;

/** The block keyword an action body starts with (`with`, `end`, …) followed by a blank or the body's end, or null. */
function keywordAt(text: string, at: number, end: number): (typeof KEYWORDS)[number] | null {
  const c = text.charCodeAt(at);
  // i, w, r, d, b, e: anything else opens or closes no block.
  if (c !== 105 && c !== 119 && c !== 114 && c !== 100 && c !== 98 && c !== 101) return null;
  for (const k of KEYWORDS) {
    if (text.startsWith(k, at) && (at + k.length === end || isBlank(text.charCodeAt(at + k.length)))) return k;
  }
  return null;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function currentDot(stack: Dot[]): Dot {
  for (let i = stack.length - 1; i >= 0; i--) if (stack[i] !== 'root') return stack[i];
  return 'root';
}

/** The quote closing a scalar opened before `from`; template actions inside are skipped (`"{{ default "x" .y }}"`). */
function closingQuote(text: string, from: number, lineEnd: number, q: string): number {
  for (let i = from; i < lineEnd; i++) {
    if (text[i] === '{' && text[i + 1] === '{') {
      const close = text.indexOf('}}', i + 2);
      if (close === -1 || close >= lineEnd) return -1;
      i = close + 1;
      continue;
    }
    if (q === '"' && text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

/** End of a plain value: the end of the line or a ` #` comment outside template actions, trailing blanks excluded. */
function plainEnd(text: string, from: number, lineEnd: number): number {
  let end = lineEnd;
  for (let i = from; i < lineEnd; i++) {
    if (text[i] === '{' && text[i + 1] === '{') {
      const close = text.indexOf('}}', i + 2);
      if (close === -1 || close >= lineEnd) break;
      i = close + 1;
      continue;
    }
    if (text[i] === '#' && (text[i - 1] === ' ' || text[i - 1] === '\t')) {
      end = i;
      break;
    }
  }
  while (end > from && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return end;
}

/**
 * `containers[].` — the key of the nearest line above with a smaller indent, for contexts (the hover shows the line;
 * one level says which list the image is in). Scans characters, not regular expressions: it runs once per reference.
 */
function parentPath(text: string, lineStart: number): string {
  const first = lineIndent(text, lineStart);
  let indent = first >> 1;
  let item = (first & 1) === 1;
  const keys: string[] = [];
  let pos = lineStart;
  for (let steps = 0; pos > 0 && steps < 40 && keys.length < 1 && indent > 0; steps++) {
    const prevStart = text.lastIndexOf('\n', pos - 2) + 1;
    const lineEnd = pos - 1;
    pos = prevStart;
    const own = lineIndent(text, prevStart);
    const ownIndent = own >> 1;
    const ownItem = (own & 1) === 1;
    if (ownIndent > indent) continue;
    const key = keyAt(text, prevStart + ownIndent, lineEnd);
    if (key === null) continue;
    if (ownIndent === indent) {
      if (ownItem) item = true; // a sibling key that opened this sequence item
      continue;
    }
    keys.unshift(`${key}${item ? '[]' : ''}`);
    item = ownItem;
    indent = ownIndent;
  }
  return keys.length ? `${keys.join('.')}.` : '';
}

/** The column where a line's content starts (after blanks and `- ` sequence dashes) × 2, + 1 when it had a dash. */
function lineIndent(text: string, at: number): number {
  let indent = 0;
  let item = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9) indent++;
    else if (c === 45 /* - */ && (text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 9)) {
      item = 1;
      indent++;
    } else break;
  }
  return indent * 2 + item;
}

/** A plain `key:` (followed by a blank or the line end) starting at `at`, or null. */
function keyAt(text: string, at: number, lineEnd: number): string | null {
  for (let i = at; i < lineEnd && i - at < 100; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 /* : */) {
      const next = i + 1 < lineEnd ? text.charCodeAt(i + 1) : 32;
      return i > at && (next === 32 || next === 9 || next === 13) ? text.slice(at, i).replace(/^["']|["']$/g, '') : null;
    }
    // Keys are names; a line starting with a template action, a comment or a quote-less value is no key line.
    if (!(c === 45 || c === 46 || c === 47 || c === 95 || c === 34 || c === 39 || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return null;
  }
  return null;
}
