// Shared helpers for the YAML extractors (Kubernetes, Helm values, compose, kustomize).
//
// Everything works on the `yaml` package's document AST with source ranges: the text is parsed once, the AST is
// walked once, and no document is converted with `toJS()`. Ranges are UTF-16 offsets into the text exactly as given
// (a leading BOM counts as one code unit), and every reported range satisfies
// `text.slice(range.start, range.end) === ref.text`.

import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit, YAMLMap, YAMLSeq } from 'yaml';
import type { Alias, Document, EmptyStream, Node, Pair, ParsedNode, Scalar } from 'yaml';
import type { FileKind, OffsetRange, PinSite, RawRef } from '../types';
import { isTemplated } from './templating';
import { readLenientlyWithKeys } from './yaml-lenient';

/**
 * A problem with one document, for display next to the references: a YAML syntax error or an extractor failure
 * (`unreadable-yaml`, the default), or a key written twice in one mapping (`duplicate-key`).
 */
export interface YamlProblem {
  message: string;
  range: OffsetRange;
  code?: 'unreadable-yaml' | 'duplicate-key';
}

/** References found in a YAML file, plus the problems that made some documents yield nothing. */
export interface YamlExtraction {
  refs: RawRef[];
  errors: YamlProblem[];
}

// `prettyErrors: false` keeps messages to one line (the LSP shows the range itself). Alias expansion is not a risk
// here even though `maxAliasCount` cannot be passed: that option only bounds `toJS()`, which is never called. Our own
// traversal follows aliases but walks every collection at most once per document (see YamlDoc.firstVisit), so the
// work is linear in the document size whatever the aliasing ("billion laughs" included).
const PARSE_OPTIONS = { prettyErrors: false, keepSourceTokens: false } as const;

/** How deep the walkers descend before giving up; real manifests are far shallower. */
const MAX_DEPTH = 512;
/** How many nested `<<` merges a key lookup follows (guards against merge cycles). */
const MAX_MERGE_DEPTH = 16;
/**
 * How many values of one duplicated scalar key are read (each needs one more pass over the document). Real files
 * have two; the bound keeps a hostile file with thousands of repeats linear.
 */
const MAX_DUPLICATE_PASSES = 16;

/**
 * How a document with duplicate keys is read: every value of a duplicated key counts. Values that are all mappings
 * (or all sequences) are read as one merged collection, so everything below each copy is seen; for other values
 * (scalars) the extraction runs once per copy — pass `n` reads the n-th value of every duplicated key.
 */
interface DuplicateReading {
  pass: number;
  merged: WeakMap<YAMLMap, Map<string, Node | undefined>>;
}

/** Per-document state of one extraction: alias resolution, walk bookkeeping and de-duplication. */
export class YamlDoc {
  private readonly visited = new Set<Node>();
  private aliasTargets: Map<Alias, Node | undefined> | undefined;
  /** Set for a document read with `uniqueKeys: false` that has duplicate keys. */
  duplicates: DuplicateReading | undefined;

  constructor(
    readonly text: string,
    readonly doc: Document.Parsed,
    readonly kind: FileKind,
    private readonly out: RawRef[],
    private readonly reportedKeys = new Set<string>(),
  ) {}

  /** Follows an alias to its anchored node; returns other nodes unchanged and anything else as undefined. */
  deref(value: unknown): Node | undefined {
    if (isAlias(value)) return this.resolveAlias(value);
    return isScalar(value) || isMap(value) || isSeq(value) ? (value as Node) : undefined;
  }

  /** True the first time a node is seen: walks skip collections they already walked (through aliases). */
  firstVisit(node: Node): boolean {
    if (this.visited.has(node)) return false;
    this.visited.add(node);
    return true;
  }

  /**
   * Records a reference unless the same place already produced the same reference — which is how a reference
   * reached through several aliases is reported once, at the anchor's scalar.
   */
  report(ref: RawRef): void {
    const key = `${ref.range.start}:${ref.range.end}:${ref.reference}`;
    if (this.reportedKeys.has(key)) return;
    this.reportedKeys.add(key);
    this.out.push(ref);
  }

  // `Alias.resolve()` walks the whole document on every call; one walk per document (only for documents that have
  // aliases at all) keeps alias-heavy files linear. An alias refers to the last anchor of that name before it.
  private resolveAlias(alias: Alias): Node | undefined {
    if (!this.aliasTargets) {
      const targets = new Map<Alias, Node | undefined>();
      const anchors = new Map<string, Node>();
      visit(this.doc, {
        Node(_key, node) {
          if (isAlias(node)) targets.set(node, anchors.get(node.source));
          else if (node.anchor) anchors.set(node.anchor, node);
        },
      });
      this.aliasTargets = targets;
    }
    const target = this.aliasTargets.get(alias);
    return isAlias(target) ? undefined : target;
  }
}

/**
 * Parses every document of `text` and runs `extractDocument` on each valid one. Documents the `yaml` package refuses
 * are not given up on:
 * - duplicate keys (which kubectl, Helm and PyYAML accept, the last value winning) are read with every value, and
 *   each repeat is a `duplicate-key` problem;
 * - any other syntax error: the document is read leniently, line by line (`yaml-lenient.ts`), and what is found is
 *   marked `lenient`; only a document where nothing can be read yields its errors (`unreadable-yaml`).
 * An unexpected failure in one document is reported the same way and never affects the other documents. Never throws.
 */
export function extractFromDocuments(
  text: string,
  kind: FileKind,
  extractDocument: (doc: YamlDoc) => void,
): YamlExtraction {
  return extractFrom(text, kind, extractDocument, 0);
}

function extractFrom(text: string, kind: FileKind, extractDocument: (doc: YamlDoc) => void, depth: number): YamlExtraction {
  const refs: RawRef[] = [];
  const errors: YamlProblem[] = [];
  let docs: Document.Parsed[] | EmptyStream;
  try {
    docs = parseAllDocuments<ParsedNode>(text, PARSE_OPTIONS);
  } catch (err) {
    errors.push({ message: `YAML could not be parsed: ${describe(err)}`, range: { start: 0, end: text.length } });
    return { refs, errors };
  }
  if ('empty' in docs) {
    // An empty stream (only comments or directives) can still carry errors.
    for (const e of docs.errors) errors.push(problemOf(e.message, e.pos, text.length));
    return { refs, errors };
  }
  let relaxed: Document.Parsed[] | undefined;
  docs.forEach((doc, index) => {
    if (doc.errors.length === 0) {
      runExtraction(text, doc, kind, extractDocument, refs, errors, false);
      return;
    }
    const duplicates = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY').map((e) => duplicateProblem(text, e.pos));
    if (duplicates.length === doc.errors.length) {
      relaxed ??= parseRelaxed(text);
      const again = relaxed?.[index];
      if (again && again.errors.length === 0 && sameRange(again, doc)) {
        errors.push(...duplicates);
        runExtraction(text, again, kind, extractDocument, refs, errors, true);
        return;
      }
    }
    // The parser's range of a broken document may stop where it gave up: read up to the next document. A document
    // marker line always ends a document (YAML 1.2: `---`/`...` at a line start end any scalar); when the parser's
    // error recovery ran past one, the documents after it are read on their own, as any other parser reads them.
    const start = doc.range?.[0] ?? 0;
    const end = Math.min(docs[index + 1]?.range?.[0] ?? text.length, text.length);
    const marker = nextDocumentMarker(text, start, end);
    const pieceEnd = marker === -1 ? end : marker;
    const lenient = readLenientlyWithKeys(text, start, pieceEnd, kind);
    if (lenient.refs.length > 0) {
      refs.push(...lenient.refs);
      for (const range of lenient.duplicates) errors.push(duplicateProblem(text, [range.start, range.end]));
    } else {
      const inPiece = doc.errors.filter((e) => e.pos[0] < pieceEnd);
      for (const e of inPiece.length ? inPiece : doc.errors.slice(0, 1)) errors.push(problemOf(e.message, [Math.min(e.pos[0], pieceEnd), Math.min(e.pos[1], pieceEnd)], text.length));
    }
    if (marker === -1) return;
    // Each document after the marker is parsed on its own (once: linear, however many documents a broken quote
    // swallowed). With directives (`%YAML`) the rest is parsed as one stream, a bounded number of times.
    const rest = text.slice(marker, end);
    const cuts = /^%/m.test(rest) ? [0] : documentMarkers(rest);
    cuts.forEach((from, i) => {
      const to = cuts[i + 1] ?? rest.length;
      const at = marker + from;
      const part =
        depth < MAX_REPARSES
          ? extractFrom(rest.slice(from, to), kind, extractDocument, depth + 1)
          : { refs: readLenientlyWithKeys(rest.slice(from, to), 0, to - from, kind).refs, errors: [] };
      for (const r of part.refs) refs.push(shiftRaw(r, at));
      for (const e of part.errors) errors.push({ ...e, range: { start: e.range.start + at, end: e.range.end + at } });
    });
  });
  return { refs, errors };
}

/** How many times the text after a swallowed document marker is parsed again (each time past one more marker). */
const MAX_REPARSES = 64;

/** 0 and the offset of every document marker line after the first line of `text`. */
function documentMarkers(text: string): number[] {
  const out = [0];
  for (let at = nextDocumentMarker(text, 0, text.length); at !== -1; at = nextDocumentMarker(text, at, text.length)) out.push(at);
  return out;
}

/** Offset of the first document marker line (`---`/`...` + blank or line end) after the line holding `from`, or -1. */
function nextDocumentMarker(text: string, from: number, end: number): number {
  for (let nl = text.indexOf('\n', from); nl !== -1 && nl + 1 < end; nl = text.indexOf('\n', nl + 1)) {
    const i = nl + 1;
    if (text.startsWith('---', i) || text.startsWith('...', i)) {
      const after = text.charCodeAt(i + 3);
      if (Number.isNaN(after) || after === 0x20 || after === 0x09 || after === 0x0a || after === 0x0d) return i;
    }
  }
  return -1;
}

/** A reference found in a slice of the text, moved to the offsets of the whole text. */
function shiftRaw(ref: RawRef, d: number): RawRef {
  const shift = (r: OffsetRange) => ({ start: r.start + d, end: r.end + d });
  const out: RawRef = { ...ref, range: shift(ref.range) };
  if (ref.pin?.type === 'inline') out.pin = { ...ref.pin, range: shift(ref.pin.range) };
  else if (ref.pin) out.pin = { ...ref.pin, insertAt: ref.pin.insertAt + d, ...(ref.pin.digestRange ? { digestRange: shift(ref.pin.digestRange) } : {}) };
  if (ref.values) out.values = ref.values.map((v) => ({ ...v, range: shift(v.range) }));
  return out;
}

function runExtraction(
  text: string,
  doc: Document.Parsed,
  kind: FileKind,
  extractDocument: (doc: YamlDoc) => void,
  refs: RawRef[],
  errors: YamlProblem[],
  withDuplicates: boolean,
): void {
  const found: RawRef[] = [];
  try {
    const reported = new Set<string>();
    const passes = withDuplicates ? Math.min(MAX_DUPLICATE_PASSES, mostRepeats(doc)) : 1;
    for (let pass = 0; pass < passes; pass++) {
      const yamlDoc = new YamlDoc(text, doc, kind, found, reported);
      if (withDuplicates) yamlDoc.duplicates = { pass, merged: new WeakMap() };
      extractDocument(yamlDoc);
    }
    // Document order, whatever order the extractor visits paths in (containers before initContainers, …).
    refs.push(...found.sort((a, b) => a.range.start - b.range.start));
  } catch (err) {
    const range = { start: doc.range?.[0] ?? 0, end: doc.range?.[2] ?? text.length };
    errors.push({ message: `Image references could not be extracted from this document: ${describe(err)}`, range });
  }
}

function parseRelaxed(text: string): Document.Parsed[] | undefined {
  try {
    const docs = parseAllDocuments<ParsedNode>(text, { ...PARSE_OPTIONS, uniqueKeys: false });
    return 'empty' in docs ? undefined : docs;
  } catch {
    return undefined;
  }
}

function sameRange(a: Document.Parsed, b: Document.Parsed): boolean {
  return a.range?.[0] === b.range?.[0] && a.range?.[2] === b.range?.[2];
}

/** The most times one key is written in one mapping of the document (1 when no key repeats). */
function mostRepeats(doc: Document.Parsed): number {
  let most = 1;
  visit(doc, {
    Map(_key, map) {
      if (map.items.length < 2) return;
      const counts = new Map<string, number>();
      for (const pair of map.items) {
        const name = keyName(pair.key);
        if (name === undefined || name === '<<') continue;
        const n = (counts.get(name) ?? 0) + 1;
        counts.set(name, n);
        if (n > most) most = n;
      }
    },
  });
  return most;
}

function duplicateProblem(text: string, pos: [number, number]): YamlProblem {
  const start = Math.min(pos[0], text.length);
  // The error points at the key's first character: the key is what is written up to its colon.
  const written = /^(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^:\n]*?(?=[ \t]*:(?:[ \t]|\r?\n|$)))/.exec(text.slice(start, start + 1024))?.[0] ?? '';
  const end = start + (written.length || Math.max(0, Math.min(pos[1], text.length) - start));
  const key = written.replace(/^["']|["']$/g, '') || text.slice(start, end);
  return {
    code: 'duplicate-key',
    message: `the key "${key.length > 60 ? `${key.slice(0, 60)}…` : key}" is written more than once in this mapping`,
    range: { start, end },
  };
}

function problemOf(message: string, pos: [number, number], textLength: number): YamlProblem {
  const start = Math.min(pos[0], textLength);
  return { message, range: { start, end: Math.min(Math.max(pos[1], start), textLength) } };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------------------------
// Mapping access (merge-key aware)

function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
}

/** The string form of a mapping key, or undefined for keys that are not scalars. */
export function keyName(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  return typeof key.source === 'string' ? key.source : String(key.value);
}

/** The pair written in this mapping itself (not merged in) for `key`. */
export function ownPair(map: YAMLMap, key: string): Pair | undefined {
  for (const pair of map.items) if (keyName(pair.key) === key) return pair as Pair;
  return undefined;
}

/**
 * The value of `key` in a mapping, following aliases and `<<` merge keys the way Kubernetes, compose and Helm (all
 * go-yaml based) do: a key written in the mapping wins over merged ones, earlier merge sources win over later ones.
 * Returns undefined when the key is absent; a present key with an empty value yields its null scalar.
 */
export function mapGet(doc: YamlDoc, map: YAMLMap, key: string, depth = 0): Node | undefined {
  if (doc.duplicates) return duplicateAwareGet(doc, doc.duplicates, map, key, depth);
  let merges: Pair[] | undefined;
  for (const pair of map.items) {
    if (isMergeKey(pair.key)) (merges ??= []).push(pair as Pair);
    else if (keyName(pair.key) === key) return doc.deref(pair.value) ?? undefined;
  }
  if (!merges || depth >= MAX_MERGE_DEPTH) return undefined;
  for (const source of merges.flatMap((pair) => mergeSources(doc, pair))) {
    const found = mapGet(doc, source, key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** All entries of a mapping as [key, value], merged-in keys included (own keys first, no duplicates). */
export function mapEntries(doc: YamlDoc, map: YAMLMap, depth = 0): [string, Node | undefined][] {
  const entries: [string, Node | undefined][] = [];
  const seen = new Set<string>();
  const merges: Pair[] = [];
  for (const pair of map.items) {
    if (isMergeKey(pair.key)) {
      merges.push(pair as Pair);
      continue;
    }
    const name = keyName(pair.key);
    if (name === undefined || seen.has(name)) continue;
    seen.add(name);
    entries.push([name, doc.duplicates ? ownDuplicateAware(doc, doc.duplicates, map, name) : doc.deref(pair.value)]);
  }
  if (depth >= MAX_MERGE_DEPTH) return entries;
  for (const source of merges.flatMap((pair) => mergeSources(doc, pair))) {
    for (const entry of mapEntries(doc, source, depth + 1)) {
      if (seen.has(entry[0])) continue;
      seen.add(entry[0]);
      entries.push(entry);
    }
  }
  return entries;
}

/** `mapGet` in a document with duplicate keys (see `DuplicateReading`). */
function duplicateAwareGet(doc: YamlDoc, reading: DuplicateReading, map: YAMLMap, key: string, depth: number): Node | undefined {
  let own = false;
  let merges: Pair[] | undefined;
  for (const pair of map.items) {
    if (isMergeKey(pair.key)) (merges ??= []).push(pair as Pair);
    else if (keyName(pair.key) === key) own = true;
  }
  if (own) return ownDuplicateAware(doc, reading, map, key);
  if (!merges || depth >= MAX_MERGE_DEPTH) return undefined;
  for (const source of merges.flatMap((pair) => mergeSources(doc, pair))) {
    const found = duplicateAwareGet(doc, reading, source, key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** The value of a key written in `map` itself, however often it is written. */
function ownDuplicateAware(doc: YamlDoc, reading: DuplicateReading, map: YAMLMap, key: string): Node | undefined {
  let cached = reading.merged.get(map);
  if (cached?.has(key)) return cached.get(key);
  const values: (Node | undefined)[] = [];
  for (const pair of map.items) if (!isMergeKey(pair.key) && keyName(pair.key) === key) values.push(doc.deref(pair.value));
  let value: Node | undefined;
  if (values.length <= 1) value = values[0];
  else if (values.every((v) => isMap(v))) {
    const merged = new YAMLMap();
    for (const v of values as YAMLMap[]) merged.items.push(...v.items);
    merged.flow = (values[0] as YAMLMap).flow;
    merged.range = rangeOver(values as YAMLMap[]);
    value = merged;
  } else if (values.every((v) => isSeq(v))) {
    const merged = new YAMLSeq();
    for (const v of values as YAMLSeq[]) merged.items.push(...v.items);
    merged.flow = (values[0] as YAMLSeq).flow;
    merged.range = rangeOver(values as YAMLSeq[]);
    value = merged;
  } else value = values[Math.min(reading.pass, values.length - 1)];
  if (!cached) reading.merged.set(map, (cached = new Map()));
  cached.set(key, value);
  return value;
}

function rangeOver(nodes: (YAMLMap | YAMLSeq)[]): [number, number, number] | undefined {
  const first = nodes[0].range;
  const last = nodes[nodes.length - 1].range;
  return first && last ? [first[0], last[1], last[2]] : undefined;
}

function mergeSources(doc: YamlDoc, pair: Pair): YAMLMap[] {
  const value = doc.deref(pair.value);
  if (isMap(value)) return [value];
  if (!isSeq(value)) return [];
  return value.items.map((item) => doc.deref(item)).filter((item): item is YAMLMap => isMap(item));
}

/** `mapGet` narrowed to a mapping value. */
export function mapGetMap(doc: YamlDoc, map: YAMLMap, key: string): YAMLMap | undefined {
  const value = mapGet(doc, map, key);
  return isMap(value) ? value : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalars

/**
 * The string a scalar stands for *before* YAML typing: `tag: 1.20` gives "1.20" (not the float 1.2), `tag: ""` and
 * `tag:` give "", `x: null`/`~` give "". Undefined for non-scalars.
 */
export function scalarString(node: Node | undefined): string | undefined {
  if (!isScalar(node)) return undefined;
  if (node.value === null) return '';
  if (typeof node.source === 'string') return node.source;
  return String(node.value);
}

/** A scalar YAML types as a string (quoted, or plain text that is not a number, boolean or null). */
export function isStringScalar(node: Node | undefined): node is Scalar {
  return isScalar(node) && typeof node.value === 'string';
}

/** Where a scalar's content sits in the source. `pinnable` is false when the content cannot be replaced in place. */
export interface ScalarSite {
  range: OffsetRange;
  text: string;
  pinnable: boolean;
}

/**
 * The source range of a scalar's content: inside the quotes for quoted scalars (so an edit replaces only the
 * reference), the scalar itself for plain ones. For a block scalar (`|`/`>`) the single content line holding the
 * value; a value spread over several lines is reported over its whole content but cannot be pinned in place.
 */
export function scalarSite(text: string, scalar: Scalar): ScalarSite | undefined {
  const range = scalar.range;
  if (!range) return undefined;
  const [start, end] = range;
  switch (scalar.type) {
    case 'QUOTE_DOUBLE':
    case 'QUOTE_SINGLE':
      return siteOf(text, start + 1, Math.max(start + 1, end - 1), true);
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED': {
      const headerEnd = text.indexOf('\n', start);
      const contentStart = headerEnd < 0 || headerEnd >= end ? end : headerEnd + 1;
      const value = String(scalar.value).trim();
      const at = value === '' ? -1 : text.indexOf(value, contentStart);
      if (at >= 0 && at + value.length <= end) return siteOf(text, at, at + value.length, true);
      return siteOf(text, contentStart, end, false);
    }
    default:
      return siteOf(text, start, end, true);
  }
}

function siteOf(text: string, start: number, end: number, pinnable: boolean): ScalarSite {
  return { range: { start, end }, text: text.slice(start, end), pinnable };
}

/**
 * Reports a reference written as one scalar (`image: nginx:1.25`). Empty values and non-scalars are ignored. The
 * reference is the decoded value; `text` is the source (they differ for escapes in double quotes or folded lines).
 * `forceTemplated` marks a value the caller knows to be completed elsewhere (no pin site then).
 */
export function reportInline(doc: YamlDoc, node: Node | undefined, context: string, forceTemplated = false): void {
  if (!isScalar(node)) return;
  const value = scalarString(node);
  if (value === undefined || value.trim() === '') return;
  const site = scalarSite(doc.text, node);
  if (!site) return;
  const templated = forceTemplated || isTemplated(value);
  const ref: RawRef = { kind: doc.kind, range: site.range, text: site.text, reference: value, templated, context };
  if (!templated && site.pinnable) ref.pin = { type: 'inline', range: site.range };
  doc.report(ref);
}

// ---------------------------------------------------------------------------------------------------------------
// Mapping-key pin sites (Helm image blocks, kustomize images[] entries)

/**
 * Where a `digest` is written in a mapping that describes an image by parts.
 * - `digestRange`: the existing `digest` value's content (may be empty, e.g. `digest: ""` or `digest:` — for the
 *   latter the range is empty and sits right after the colon, so the writer must add the separating space).
 * - `insertAt`: block mappings — the end of the line of the last of `afterKeys` written in this mapping (after any
 *   trailing comment), where `\n<indent>digest: …` is inserted; flow mappings — the end of that pair's value, where
 *   `, digest: …` is inserted.
 * - `indent`: spaces up to the column of the mapping's keys.
 */
export function mappingKeyPin(doc: YamlDoc, map: YAMLMap, afterKeys: readonly string[]): PinSite {
  const flow = map.flow === true;
  const site: PinSite = { type: 'mapping-key', key: 'digest', insertAt: 0, indent: '', flow };
  const digest = ownPair(map, 'digest');
  if (digest && isScalar(digest.value)) {
    const found = scalarSite(doc.text, digest.value);
    if (found?.pinnable) site.digestRange = found.range;
  }
  const anchorPair = lastOwnPair(map, afterKeys);
  const valueEnd = anchorPair ? pairEnd(anchorPair) : (map.range?.[1] ?? 0);
  // A block scalar's range ends after its last line break, at the start of the next line: step back over that break,
  // or the key would land after the following line (in the next entry, or breaking the YAML).
  site.insertAt = flow ? valueEnd : lineEnd(doc.text, beforeFinalBreak(doc.text, valueEnd));
  site.indent = ' '.repeat(keyColumn(doc.text, map));
  return site;
}

function lastOwnPair(map: YAMLMap, keys: readonly string[]): Pair | undefined {
  let last: Pair | undefined;
  for (const pair of map.items) {
    const name = keyName(pair.key);
    if (name !== undefined && keys.includes(name)) last = pair as Pair;
  }
  return last ?? (map.items[map.items.length - 1] as Pair | undefined);
}

/** Offset just after a pair's value (or key, when the value is empty); trailing comments are not included. */
function pairEnd(pair: Pair): number {
  const value = pair.value as Node | null;
  const key = pair.key as Node | null;
  return value?.range?.[1] ?? key?.range?.[1] ?? 0;
}

/** `offset`, moved back over one line break that ends just before it. */
function beforeFinalBreak(text: string, offset: number): number {
  if (offset > 0 && text.charCodeAt(offset - 1) === 10) return offset > 1 && text.charCodeAt(offset - 2) === 13 ? offset - 2 : offset - 1;
  return offset;
}

/** Offset of the end of the line holding `offset` (before `\r\n`/`\n`), or the end of the text. */
export function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  if (nl < 0) return text.length;
  return nl > 0 && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
}

function keyColumn(text: string, map: YAMLMap): number {
  const first = map.items[0]?.key as Node | null | undefined;
  const start = first?.range?.[0] ?? map.range?.[0] ?? 0;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  return start - lineStart;
}

// ---------------------------------------------------------------------------------------------------------------
// Generic walk with human-readable paths

/** A step of a path: a mapping key, or a sequence item (shown by its `name` when it has one). */
export type PathStep = string | { index: number; item: Node | undefined };

/** Called for each mapping: the path to it and the mappings that enclose it (outermost first). */
export type MappingVisitor = (map: YAMLMap, path: PathStep[], enclosing: readonly YAMLMap[]) => void;

/**
 * Visits every mapping reachable from `root` once (aliases followed, each collection once), passing the path to it.
 * Scalars are never looked into: text held in a string value (a ConfigMap's embedded manifest) is never parsed.
 */
export function walkMappings(doc: YamlDoc, root: unknown, onMap: MappingVisitor): void {
  walkNode(doc, root, onMap, [], []);
}

function walkNode(doc: YamlDoc, value: unknown, onMap: MappingVisitor, path: PathStep[], enclosing: YAMLMap[]): void {
  const node = doc.deref(value);
  if (!node || isScalar(node) || path.length > MAX_DEPTH || !doc.firstVisit(node)) return;
  if (isMap(node)) {
    onMap(node, path, enclosing);
    enclosing.push(node);
    for (const pair of node.items) {
      if (!isCollectionOrAlias(pair.value)) continue;
      path.push(keyName(pair.key) ?? '?');
      walkNode(doc, pair.value, onMap, path, enclosing);
      path.pop();
    }
    enclosing.pop();
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      if (!isCollectionOrAlias(item)) return;
      path.push({ index, item: item as Node });
      walkNode(doc, item, onMap, path, enclosing);
      path.pop();
    });
  }
}

function isCollectionOrAlias(value: unknown): boolean {
  return isMap(value) || isSeq(value) || isAlias(value);
}

/** `spec.template.spec.containers[app]`: sequence items are named by their `name` key when they have one. */
export function formatPath(doc: YamlDoc, path: readonly PathStep[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'string') out += out === '' ? step : `.${step}`;
    else out += `[${itemLabel(doc, step.item, step.index)}]`;
  }
  return out;
}

/** The label of a sequence item in contexts: its `name` when it is a mapping with one, else its index. */
export function itemLabel(doc: YamlDoc, item: unknown, index: number): string {
  const node = doc.deref(item);
  if (isMap(node)) {
    const name = scalarString(mapGet(doc, node, 'name'));
    if (name) return name;
  }
  return String(index);
}
