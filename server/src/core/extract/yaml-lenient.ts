// A tolerant, line-based reading of one YAML document that the `yaml` package refused, so that an image is never
// hidden by a parser's strictness. go-yaml (kubectl, Helm) and PyYAML accept some documents the `yaml` package
// rejects — e.g. a multi-line double-quoted scalar whose closing line is under-indented, as in Argo Workflows'
// examples/ci.yaml — and the references in them must still be checked.
//
// The reading tracks what a line is part of (block scalars, multi-line quoted scalars, flow collections spanning
// lines), so text inside a string is never taken for a key, and it finds:
// - every `image:` key with a scalar value, in block and in flow mappings (`{ image: x, tag: y }`), with exact ranges;
// - per kind, the shapes its extractor reads: Helm values image blocks (`repository`/`tag`/`digest`/`registry`
//   siblings), kustomize `images[]` entries, GitHub Actions `container:` strings and `uses: docker://…`, GitLab CI
//   `image: { name }` and `services:` items.
// Every reference found this way is marked `lenient: true`. Nothing found means nothing could be read: the caller
// reports the parser's error (`unreadable-yaml`).

import type { FileKind, OffsetRange, PinSite, RawRef } from '../types';
import { isTemplated } from './templating';

/** One `key: value` written in block style. */
interface Entry {
  key: string;
  /** Column of the key (for a `- key:` line, the column after the dash). */
  indent: number;
  /** Whether the key starts a sequence item (`- key: …`). */
  item: boolean;
  /** Index of the enclosing entry (the nearest earlier entry with a smaller indent), or -1. */
  parent: number;
  /** Item number within the parent, counting `- ` items (groups sibling keys of one sequence item). */
  group: number;
  value?: ScalarValue;
  /** Offset just after the value (or the key's colon when there is none), before a trailing comment. */
  lineEnd: number;
  /** The key as written (quotes included). */
  keyRange: OffsetRange;
}

/** A scalar written on one line: `text` is the source between `range`, `value` the string it stands for. */
interface ScalarValue {
  range: OffsetRange;
  text: string;
  value: string;
  /** False when the source differs from the value (escapes): such a value is reported but not pinned in place. */
  pinnable: boolean;
}

/** A `- value` sequence item written as a scalar, with the entry it belongs to. */
interface ItemScalar {
  parent: number;
  indent: number;
  value: ScalarValue;
}

/** An `image:` key inside a flow mapping. */
interface FlowImage {
  parent: number;
  value: ScalarValue;
}

interface Scan {
  entries: Entry[];
  items: ItemScalar[];
  flowImages: FlowImage[];
}

const KEY_LINE = /^( *)((?:-[ \t]+)*)(?:"([^"\\]*)"|'([^']*)'|([^\s#'"{}[\],&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?))[ \t]*:(?=[ \t]|$)/;
const ITEM_LINE = /^( *)((?:-[ \t]+)+)(?=\S)/;
const MAX_LINES = 200_000;

/** Reads `text.slice(start, end)` leniently; references carry offsets into `text`. Never throws. */
export function readLeniently(text: string, start: number, end: number, kind: FileKind): RawRef[] {
  return readLenientlyWithKeys(text, start, end, kind).refs;
}

/**
 * `readLeniently`, also giving the keys written more than once in one mapping (as the lines show them: the parser's
 * own duplicate-key errors in a document it refused can be artifacts of its error recovery).
 */
export function readLenientlyWithKeys(text: string, start: number, end: number, kind: FileKind): { refs: RawRef[]; duplicates: OffsetRange[] } {
  try {
    const scan = scanDocument(text, start, end);
    const duplicates: OffsetRange[] = [];
    const seenKeys = new Set<string>();
    for (const e of scan.entries) {
      if (e.key === '<<') continue;
      const id = `${e.parent}:${e.group}:${e.indent}:${e.key}`;
      if (seenKeys.has(id)) duplicates.push(e.keyRange);
      else seenKeys.add(id);
    }
    const out: RawRef[] = [];
    const seen = new Set<string>();
    const add = (ref: RawRef) => {
      const key = `${ref.range.start}:${ref.range.end}`;
      if (seen.has(key) || text.slice(ref.range.start, ref.range.end) !== ref.text) return;
      seen.add(key);
      out.push({ ...ref, lenient: true });
    };
    readShapes(text, scan, kind, add);
    return { refs: out.sort((a, b) => a.range.start - b.range.start), duplicates };
  } catch {
    return { refs: [], duplicates: [] };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Scanning

function scanDocument(text: string, start: number, end: number): Scan {
  const scan: Scan = { entries: [], items: [], flowImages: [] };
  /** Open entries by indent (the enclosing chain), for parents. */
  const chain: number[] = [];
  const groupCount = new Map<number, number>();
  let blockScalarIndent: number | null = null;
  let quote: '"' | "'" | null = null;
  let flowDepth = 0;
  let flowParent = -1;
  let lines = 0;

  for (let lineStart = start; lineStart < end && lines < MAX_LINES; lines++) {
    const nl = text.indexOf('\n', lineStart);
    const next = nl === -1 || nl >= end ? end : nl + 1;
    let lineEnd = nl === -1 || nl >= end ? end : nl;
    if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    const line = text.slice(lineStart, lineEnd);
    const at = lineStart;
    lineStart = next;

    if (blockScalarIndent !== null) {
      const indent = line.length - line.trimStart().length;
      if (line.trim() === '' || indent > blockScalarIndent) continue;
      blockScalarIndent = null;
    }
    if (quote || flowDepth > 0) {
      const state = continueFlow(text, at, lineEnd, quote, flowDepth, flowParent, scan);
      quote = state.quote;
      flowDepth = state.flowDepth;
      continue;
    }
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#') || /^(---|\.\.\.)(\s|$)/.test(line) || trimmed.startsWith('%')) continue;

    const m = KEY_LINE.exec(line);
    if (!m) {
      const item = ITEM_LINE.exec(line);
      if (item) {
        const indent = item[0].length;
        const parent = parentOf(scan.entries, chain, indent);
        const rest = valueAfter(text, at + indent, lineEnd);
        if (rest.kind === 'scalar') scan.items.push({ parent, indent, value: rest.value });
        else if (rest.kind === 'flow') {
          const state = continueFlow(text, rest.at, lineEnd, null, 0, parent, scan);
          quote = state.quote;
          flowDepth = state.flowDepth;
          flowParent = parent;
        } else if (rest.kind === 'quote-open') quote = rest.quote;
        else if (rest.kind === 'block') blockScalarIndent = item[1].length;
      }
      continue;
    }
    const dashes = m[2];
    const indent = m[1].length + dashes.length;
    const key = m[3] ?? m[4] ?? m[5].trimEnd();
    const parent = parentOf(scan.entries, chain, indent);
    let group = groupCount.get(parent) ?? 0;
    if (dashes) groupCount.set(parent, ++group);
    const keyStart = at + indent;
    const keyLength = m[3] !== undefined || m[4] !== undefined ? key.length + 2 : key.length;
    const entry: Entry = { key, indent, item: dashes !== '', parent, group, lineEnd: at + m[0].length, keyRange: { start: keyStart, end: keyStart + keyLength } };
    const index = scan.entries.push(entry) - 1;
    while (chain.length && scan.entries[chain[chain.length - 1]].indent >= indent) chain.pop();
    chain.push(index);

    const rest = valueAfter(text, at + m[0].length, lineEnd);
    switch (rest.kind) {
      case 'scalar':
        entry.value = rest.value;
        entry.lineEnd = rest.value.range.end + (rest.closing ?? 0);
        break;
      case 'block':
        blockScalarIndent = indent;
        break;
      case 'quote-open':
        quote = rest.quote;
        break;
      case 'flow': {
        const state = continueFlow(text, rest.at, lineEnd, null, 0, index, scan);
        quote = state.quote;
        flowDepth = state.flowDepth;
        flowParent = index;
        break;
      }
      case 'none':
        break;
    }
  }
  return scan;
}

/** The entry a key at `indent` belongs to: the nearest open entry with a smaller indent. */
function parentOf(entries: Entry[], chain: number[], indent: number): number {
  for (let i = chain.length - 1; i >= 0; i--) if (entries[chain[i]].indent < indent) return chain[i];
  return -1;
}

type Rest =
  | { kind: 'scalar'; value: ScalarValue; closing?: number }
  | { kind: 'block' }
  | { kind: 'quote-open'; quote: '"' | "'" }
  | { kind: 'flow'; at: number }
  | { kind: 'none' };

/** What follows a key's colon (or a sequence dash) up to the end of the line. */
function valueAfter(text: string, from: number, lineEnd: number): Rest {
  let i = from;
  const skipSpace = () => {
    while (i < lineEnd && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  skipSpace();
  // Node properties before the value: an anchor (`&a`) or a tag (`!!str`, `!reference`).
  for (let n = 0; n < 2 && i < lineEnd && (text[i] === '&' || text[i] === '!'); n++) {
    while (i < lineEnd && text[i] !== ' ' && text[i] !== '\t') i++;
    skipSpace();
  }
  if (i >= lineEnd || text[i] === '#') return { kind: 'none' };
  const c = text[i];
  if (c === '|' || c === '>') return { kind: 'block' };
  if (c === '[' || c === '{') return { kind: 'flow', at: i };
  if (c === '*') return { kind: 'none' };
  if (c === '"' || c === "'") {
    const close = closingQuote(text, i + 1, lineEnd, c);
    if (close === -1) return { kind: 'quote-open', quote: c };
    const after = text.slice(close + 1, lineEnd).trimStart();
    if (after !== '' && !after.startsWith('#')) return { kind: 'none' };
    return { kind: 'scalar', value: quotedValue(text, i, close, c), closing: 1 };
  }
  // A plain scalar: up to a comment (` #`) or the end of the line, trailing blanks excluded.
  let end = lineEnd;
  const hash = text.slice(i, lineEnd).search(/[ \t]#/);
  if (hash !== -1) end = i + hash;
  while (end > i && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  const raw = text.slice(i, end);
  if (/^(null|~|true|false)$/i.test(raw)) return { kind: 'none' };
  return { kind: 'scalar', value: { range: { start: i, end }, text: raw, value: raw, pinnable: true } };
}

/** Offset of the quote that closes a scalar opened before `from`, on this line, or -1. */
function closingQuote(text: string, from: number, lineEnd: number, q: string): number {
  for (let i = from; i < lineEnd; i++) {
    const c = text[i];
    if (q === '"' && c === '\\') {
      i++;
      continue;
    }
    if (c === q) {
      if (q === "'" && text[i + 1] === "'") {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

function quotedValue(text: string, open: number, close: number, q: string): ScalarValue {
  const raw = text.slice(open + 1, close);
  let value = raw;
  if (q === "'") value = raw.replace(/''/g, "'");
  else if (raw.includes('\\')) {
    try {
      value = JSON.parse(`"${raw}"`) as string;
    } catch {
      value = raw;
    }
  }
  return { range: { start: open + 1, end: close }, text: raw, value, pinnable: value === raw };
}

/**
 * Scans a line inside (or starting) a flow collection or a multi-line quoted scalar: tracks quotes and brackets
 * across lines and records every `image:` key of a flow mapping with its scalar value.
 */
function continueFlow(
  text: string,
  from: number,
  lineEnd: number,
  quote: '"' | "'" | null,
  flowDepth: number,
  parent: number,
  scan: Scan,
): { quote: '"' | "'" | null; flowDepth: number } {
  let i = from;
  // At the start of a key position: after `{`, `,` or at the start of a continuation line.
  let keyPosition = quote === null;
  while (i < lineEnd) {
    const c = text[i];
    if (quote) {
      const close = closingQuote(text, i, lineEnd, quote);
      if (close === -1) return { quote, flowDepth };
      quote = null;
      i = close + 1;
      keyPosition = false;
      if (flowDepth === 0) {
        // The multi-line scalar ended; whatever follows on this line (a comment) is not a key.
        return { quote: null, flowDepth: 0 };
      }
      continue;
    }
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#' && (i === from || text[i - 1] === ' ' || text[i - 1] === '\t')) break;
    if (c === '{' || c === '[') {
      flowDepth++;
      i++;
      keyPosition = true;
      continue;
    }
    if (c === '}' || c === ']') {
      flowDepth = Math.max(0, flowDepth - 1);
      i++;
      keyPosition = false;
      if (flowDepth === 0) return { quote: null, flowDepth: 0 };
      continue;
    }
    if (c === ',') {
      i++;
      keyPosition = true;
      continue;
    }
    if (keyPosition) {
      const m = /^(["']?)image\1[ \t]*:[ \t]*/.exec(text.slice(i, lineEnd));
      if (m) {
        i += m[0].length;
        const value = flowScalar(text, i, lineEnd);
        if (value) {
          scan.flowImages.push({ parent, value: value.value });
          i = value.next;
        }
        keyPosition = false;
        continue;
      }
    }
    if (c === '"' || c === "'") {
      quote = c;
      i++;
      keyPosition = false;
      continue;
    }
    keyPosition = false;
    i++;
  }
  return { quote, flowDepth };
}

/** A scalar value inside a flow collection, ending at `,`, `}`, `]` or the end of the line. */
function flowScalar(text: string, i: number, lineEnd: number): { value: ScalarValue; next: number } | null {
  const c = text[i];
  if (c === '"' || c === "'") {
    const close = closingQuote(text, i + 1, lineEnd, c);
    if (close === -1) return null;
    return { value: quotedValue(text, i, close, c), next: close + 1 };
  }
  let end = i;
  while (end < lineEnd && !',}]'.includes(text[end]) && !(text[end] === '#' && /[ \t]/.test(text[end - 1] ?? ''))) end++;
  let valueEnd = end;
  while (valueEnd > i && (text[valueEnd - 1] === ' ' || text[valueEnd - 1] === '\t')) valueEnd--;
  if (valueEnd === i || '{['.includes(c)) return null;
  const raw = text.slice(i, valueEnd);
  return { value: { range: { start: i, end: valueEnd }, text: raw, value: raw, pinnable: true }, next: end };
}

// ---------------------------------------------------------------------------------------------------------------
// Shapes per kind

function readShapes(text: string, scan: Scan, kind: FileKind, add: (ref: RawRef) => void): void {
  const { entries } = scan;
  const paths = new Map<number, string>();
  const path = (index: number): string => {
    if (index < 0) return '';
    const known = paths.get(index);
    if (known !== undefined) return known;
    const e = entries[index];
    const above = e.parent >= 0 && e.parent < index ? path(e.parent) : '';
    const own = `${above}${e.group > 0 ? `[${e.group - 1}]` : ''}${above || e.group > 0 ? '.' : ''}${e.key}`;
    paths.set(index, own);
    return own;
  };
  const label = documentLabel(entries);
  if (kind === 'kubernetes' && (label.kind === 'ConfigMap' || label.kind === 'Secret')) return;
  const context = (where: string) => `${[label.kind, label.name].filter(Boolean).join(' ')}${label.kind ? ' › ' : ''}${where} (read leniently)`;
  const inline = (value: ScalarValue, where: string, opts: { prefix?: number; templated?: boolean } = {}) => {
    const prefix = opts.prefix ?? 0;
    const range = { start: value.range.start + prefix, end: value.range.end };
    const reference = value.value.slice(prefix);
    if (reference.trim() === '') return;
    const templated = opts.templated === true || isTemplated(reference);
    const ref: RawRef = { kind, range, text: text.slice(range.start, range.end), reference, templated, context: context(where) };
    if (!templated && value.pinnable) ref.pin = { type: 'inline', range: { ...range } };
    add(ref);
  };

  // `image:` keys with a scalar value, in block and flow mappings.
  entries.forEach((e, i) => {
    if (e.key !== 'image' || !e.value) return;
    if (kind === 'github-actions') {
      if (e.value.value.startsWith('docker://')) inline(e.value, path(i), { prefix: 'docker://'.length });
      else if (entries[e.parent]?.key !== 'runs') inline(e.value, path(i)); // `runs.image: Dockerfile` is a path
      return;
    }
    if (kind === 'helm-values') {
      const siblings = siblingsOf(entries, i);
      const completedByChart = ['tag', 'imageTag', 'registry'].some((k) => siblings.has(k));
      inline(e.value, path(i), { templated: completedByChart });
      return;
    }
    inline(e.value, path(i));
  });
  for (const f of scan.flowImages) {
    const docker = kind === 'github-actions' && f.value.value.startsWith('docker://');
    if (kind === 'github-actions' && !docker && entries[f.parent]?.key === 'runs') continue;
    inline(f.value, `${f.parent >= 0 ? `${path(f.parent)}.` : ''}image`, { prefix: docker ? 'docker://'.length : 0 });
  }

  if (kind === 'helm-values') helmBlocks(text, entries, path, context, add);
  if (kind === 'kustomize') kustomizeEntries(text, entries, context, add);
  if (kind === 'github-actions') {
    entries.forEach((e, i) => {
      if (!e.value) return;
      if (e.key === 'uses' && e.value.value.startsWith('docker://')) inline(e.value, path(i), { prefix: 'docker://'.length });
      const parent = entries[e.parent];
      if (e.key === 'container' && parent && entries[parent.parent]?.key === 'jobs') inline(e.value, path(i));
    });
  }
  if (kind === 'gitlab-ci') {
    entries.forEach((e, i) => {
      const parent = entries[e.parent];
      if (e.key === 'name' && e.value && parent && (parent.key === 'image' || parent.key === 'services')) inline(e.value, path(i));
    });
    for (const item of scan.items) {
      if (entries[item.parent]?.key === 'services') inline(item.value, `${path(item.parent)}[]`);
    }
  }
}

/** `kind` and `metadata.name` as written at the top of the document, for contexts. */
function documentLabel(entries: Entry[]): { kind?: string; name?: string } {
  const top = entries.filter((e) => e.parent === -1);
  const kind = top.find((e) => e.key === 'kind')?.value?.value;
  const metadata = entries.findIndex((e) => e.parent === -1 && e.key === 'metadata');
  const name = metadata === -1 ? undefined : entries.find((e) => e.parent === metadata && (e.key === 'name' || e.key === 'generateName'))?.value?.value;
  return { kind, name };
}

/** Keys of the mapping an entry is written in (same parent and the same sequence item). */
function siblingsOf(entries: Entry[], index: number): Map<string, number> {
  const e = entries[index];
  const out = new Map<string, number>();
  entries.forEach((s, i) => {
    if (s.parent === e.parent && s.indent === e.indent && s.group === e.group && !out.has(s.key)) out.set(s.key, i);
  });
  return out;
}

function helmBlocks(
  text: string,
  entries: Entry[],
  path: (i: number) => string,
  context: (where: string) => string,
  add: (ref: RawRef) => void,
): void {
  const global = entries.findIndex((e) => e.parent === -1 && e.key === 'global');
  const globalRegistry = global === -1 ? '' : (entries.find((e) => e.parent === global && e.key === 'imageRegistry')?.value?.value.trim() ?? '');
  entries.forEach((e, i) => {
    if (e.key !== 'repository' || !e.value) return;
    const siblings = siblingsOf(entries, i);
    if (siblings.get('repository') !== i) return;
    const part = (k: string) => {
      const at = siblings.get(k);
      if (at === undefined) return undefined;
      return entries[at].value?.value.trim() ?? '';
    };
    const registry = part('registry');
    const tag = part('tag');
    const digest = part('digest');
    const parentKey = entries[e.parent]?.key ?? '';
    if (tag === undefined && digest === undefined && registry === undefined && !/image/i.test(parentKey)) return;
    const repository = e.value.value.trim();
    if (!repository) return;
    const reg = globalRegistry || registry || '';
    const reference = (reg ? `${reg}/` : '') + repository + (tag ? `:${tag}` : '') + (digest ? `@${digest}` : '');
    const templated = (tag === '' && !digest) || [reg, repository, tag ?? '', digest ?? ''].some(isTemplated);
    const ref: RawRef = {
      kind: 'helm-values',
      range: e.value.range,
      text: e.value.text,
      reference,
      templated,
      context: context(`${path(e.parent)} (image block)`),
    };
    if (!templated && e.value.pinnable) ref.pin = mappingPin(text, entries, siblings, ['repository', 'tag']);
    add(ref);
  });
}

function kustomizeEntries(text: string, entries: Entry[], context: (where: string) => string, add: (ref: RawRef) => void): void {
  const images = entries.findIndex((e) => e.parent === -1 && e.key === 'images');
  if (images === -1) return;
  entries.forEach((e, i) => {
    if (e.parent !== images || e.key !== 'name' || !e.value) return;
    const siblings = siblingsOf(entries, i);
    const part = (k: string) => {
      const at = siblings.get(k);
      return at === undefined ? undefined : entries[at].value?.value.trim() || undefined;
    };
    const name = e.value.value.trim();
    const newTag = part('newTag');
    const digest = part('digest');
    if (!name || (!newTag && !digest)) return;
    const reference = (part('newName') ?? name) + (newTag ? `:${newTag}` : '') + (digest ? `@${digest}` : '');
    const templated = [name, part('newName') ?? '', newTag ?? '', digest ?? ''].some(isTemplated);
    const ref: RawRef = { kind: 'kustomize', range: e.value.range, text: e.value.text, reference, templated, context: context(`images[${name}]`) };
    if (!templated && e.value.pinnable) ref.pin = mappingPin(text, entries, siblings, ['name', 'newName', 'newTag']);
    add(ref);
  });
}

/** A `digest:` site in a block mapping read line by line: the existing value, or a new line after the last key. */
function mappingPin(text: string, entries: Entry[], siblings: Map<string, number>, afterKeys: string[]): PinSite {
  const first = entries[Math.min(...siblings.values())];
  const site: PinSite = { type: 'mapping-key', key: 'digest', insertAt: 0, indent: ' '.repeat(first.indent), flow: false };
  const digest = siblings.get('digest');
  if (digest !== undefined) {
    const d = entries[digest];
    if (d.value?.pinnable) site.digestRange = d.value.range;
    else if (!d.value) site.digestRange = { start: d.lineEnd, end: d.lineEnd };
  }
  let last = -1;
  for (const k of afterKeys) {
    const at = siblings.get(k);
    if (at !== undefined && at > last) last = at;
  }
  if (last === -1) last = Math.max(...siblings.values());
  const end = text.indexOf('\n', entries[last].lineEnd);
  let insertAt = end === -1 ? text.length : end;
  if (insertAt > 0 && text[insertAt - 1] === '\r') insertAt--;
  site.insertAt = insertAt;
  return site;
}
