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

const IMAGE_KEY = /^([ \t]*)((?:-[ \t]+)*)(["']?)image\3[ \t]*:(?=[ \t]|$)/;
const KEY_LINE = /^([ \t]*)((?:-[ \t]+)*)["']?([A-Za-z0-9_.\/-]+)["']?[ \t]*:(?=[ \t]|$)/;
const ACTION = /\{\{(-?)([\s\S]*?)(-?)\}\}/g;
const BLOCK_START = /^(if|with|range|define|block)\b/;
const VALUES_MENTION = /(?:\$[A-Za-z0-9_]*)?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g;
const RELATIVE_MENTION = /(?<![\w.$)\]])\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)/g;
const BUILTIN_OBJECTS = new Set(['Values', 'Chart', 'Release', 'Capabilities', 'Template', 'Files', 'Subcharts']);
const MAX_LINES = 200_000;

interface Action {
  start: number;
  end: number;
  body: string;
  bodyStart: number;
}

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
  private readonly actions: Action[] = [];
  private readonly comments: OffsetRange[] = [];

  constructor(private readonly text: string) {
    ACTION.lastIndex = 0;
    for (let m = ACTION.exec(text); m; m = ACTION.exec(text)) {
      const body = m[2];
      const bodyStart = m.index + 2 + m[1].length;
      if (/^\s*\/\*/.test(body)) this.comments.push({ start: m.index, end: m.index + m[0].length });
      else this.actions.push({ start: m.index, end: m.index + m[0].length, body, bodyStart });
    }
  }

  run(): RawRef[] {
    const refs: RawRef[] = [];
    const stack: Dot[] = [];
    let next = 0; // the next action to apply to the block stack
    let lines = 0;
    for (let lineStart = 0; lineStart <= this.text.length && lines < MAX_LINES; lines++) {
      const nl = this.text.indexOf('\n', lineStart);
      let lineEnd = nl === -1 ? this.text.length : nl;
      if (lineEnd > lineStart && this.text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
      // Blocks opened or closed before this line decide what `.` means on it.
      while (next < this.actions.length && this.actions[next].start < lineStart) this.applyBlock(this.actions[next++], stack);
      const line = this.text.slice(lineStart, lineEnd);
      const m = IMAGE_KEY.exec(line);
      if (m && !this.inComment(lineStart + m[1].length)) {
        const ref = this.reference(lineStart + m[0].length, lineEnd, currentDot(stack), lineStart);
        if (ref) refs.push(ref);
      }
      if (nl === -1) break;
      lineStart = nl + 1;
    }
    return refs;
  }

  private inComment(offset: number): boolean {
    return this.comments.some((c) => c.start <= offset && offset < c.end);
  }

  private applyBlock(action: Action, stack: Dot[]): void {
    const body = action.body.trim();
    const keyword = BLOCK_START.exec(body)?.[1];
    if (keyword === 'with') {
      const arg = body.slice(4).trim();
      const m = /^(?:\$[A-Za-z0-9_]*)?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/.exec(arg);
      if (m) stack.push({ path: m[1].slice(1) });
      else {
        const dot = currentDot(stack);
        const rel = /^\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/.exec(arg);
        stack.push(rel && typeof dot === 'object' ? { path: `${dot.path}.${rel[1]}` } : 'unknown');
      }
    } else if (keyword === 'range' || keyword === 'define' || keyword === 'block') stack.push('unknown');
    else if (keyword === 'if') stack.push(currentDot(stack));
    else if (/^end\b/.test(body)) stack.pop();
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
    const templated = isTemplated(written);
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
    for (const action of this.actions) {
      if (action.end <= start || action.start >= end) continue;
      const body = action.body;
      VALUES_MENTION.lastIndex = 0;
      for (let m = VALUES_MENTION.exec(body); m; m = VALUES_MENTION.exec(body)) {
        out.push({ path: m[1].slice(1), range: { start: action.bodyStart + m.index, end: action.bodyStart + m.index + m[0].length } });
      }
      if (typeof dot !== 'object') continue;
      RELATIVE_MENTION.lastIndex = 0;
      for (let m = RELATIVE_MENTION.exec(body); m; m = RELATIVE_MENTION.exec(body)) {
        if (BUILTIN_OBJECTS.has(m[1].split('.')[0])) continue;
        out.push({ path: `${dot.path}.${m[1]}`, range: { start: action.bodyStart + m.index, end: action.bodyStart + m.index + m[0].length } });
      }
    }
    return out.sort((a, b) => a.range.start - b.range.start);
  }
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

/** `spec.containers[].` — the keys of the lines above with smaller indents (a few levels), for contexts. */
function parentPath(text: string, lineStart: number): string {
  const own = /^[ \t]*(?:-[ \t]+)*/.exec(text.slice(lineStart, lineStart + 200))![0];
  let indent = own.length;
  let item = own.includes('-');
  const keys: string[] = [];
  let pos = lineStart;
  for (let steps = 0; pos > 0 && steps < 400 && keys.length < 3 && indent > 0; steps++) {
    const prevEnd = pos - 1;
    const prevStart = text.lastIndexOf('\n', prevEnd - 1) + 1;
    pos = prevStart;
    const line = text.slice(prevStart, prevEnd).replace(/\r$/, '');
    const m = KEY_LINE.exec(line);
    if (!m) continue;
    const keyIndent = m[1].length + m[2].length;
    if (keyIndent >= indent) {
      if (keyIndent === indent && m[2] !== '') item = true; // a sibling key that opened this sequence item
      continue;
    }
    keys.unshift(`${m[3]}${item ? '[]' : ''}`);
    item = m[2] !== '';
    indent = keyIndent;
  }
  return keys.length ? `${keys.join('.')}.` : '';
}
