// Links an image built in a Helm chart template to the values it reads: for each `.Values.a.b` the template mentions,
// where the chart's values.yaml defines it and what it says (a scalar, or an image block assembled like Helm values
// are read everywhere else in Image Trust), and — when every piece of the expression is known exactly — the reference
// the template renders with those values, classified (pinned or not). Nothing is guessed: an expression with anything
// beyond plain values, `.Chart` fields, string literals and a few string functions is not rendered.
import { isMap, isScalar, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { classify } from './analyze';
import { extractHelmValues } from './extract/helm-values';
import { scalarSite, scalarString } from './extract/yaml-util';
import type { OffsetRange, RawRef, RefStatus, ValuesMention } from './types';

export interface ValuesLink {
  mention: ValuesMention;
  /** Where values.yaml defines the path: a scalar's content, or a mapping's key. `null` when it does not. */
  at: OffsetRange | null;
  /** A scalar's value (as written, before YAML typing). */
  value?: string;
  /**
   * What Helm prints for the scalar (`{{ .Values.x }}`): strings as they are, numbers as Go formats them, `null` for
   * null (Helm prints `<nil>`; only `default` treats it as empty). Absent when not known exactly.
   */
  printed?: string | null;
  /** A mapping that is an image block (`repository`/`tag`/`digest`): the reference it assembles, classified. */
  block?: { reference: string; status: RefStatus };
}

export interface ValuesSupply {
  links: ValuesLink[];
  /** What the template renders with the chart's values, when the whole expression is known exactly. */
  rendered?: { reference: string; status: RefStatus; error?: string };
}

export interface ChartInfo {
  name?: string;
  version?: string;
  appVersion?: string;
}

/** `name`, `version` and `appVersion` of a Chart.yaml. */
export function readChart(text: string): ChartInfo {
  try {
    const doc = parseDocument(text, { prettyErrors: false });
    const root = doc.contents;
    if (!isMap(root)) return {};
    const get = (key: string) => {
      const node = root.get(key, true) as Node | undefined;
      return isScalar(node) ? scalarString(node) : undefined;
    };
    return { name: get('name'), version: get('version'), appVersion: get('appVersion') };
  } catch {
    return {};
  }
}

/** The values links of a Helm template reference; `null` when it mentions no values. */
export function linkValues(ref: RawRef, valuesText: string, chart: ChartInfo = {}): ValuesSupply | null {
  if (!ref.values?.length) return null;
  let root: Node | null = null;
  try {
    const doc = parseDocument(valuesText, { prettyErrors: false, uniqueKeys: false });
    root = doc.contents as Node | null;
  } catch {
    root = null;
  }
  let blocks: RawRef[] | undefined;
  const links = ref.values.map((mention): ValuesLink => {
    const found = lookup(root, mention.path);
    if (!found) return { mention, at: null };
    const { node, pair } = found;
    if (isScalar(node)) {
      const site = scalarSite(valuesText, node);
      return { mention, at: site?.range ?? keyRange(pair), value: scalarString(node) ?? '', ...printedOf(node.value) };
    }
    const link: ValuesLink = { mention, at: keyRange(pair) };
    if (isMap(node)) {
      const repository = (node as YAMLMap).items.find((p) => isScalar(p.key) && scalarString(p.key as Node) === 'repository')?.value as Node | undefined;
      const repoSite = isScalar(repository) ? scalarSite(valuesText, repository) : undefined;
      blocks ??= extractHelmValues(valuesText);
      const block = repoSite && blocks.find((b) => b.range.start === repoSite.range.start && b.range.end === repoSite.range.end);
      if (block) link.block = { reference: block.reference, status: classify(block).status };
    }
    return link;
  });
  const supply: ValuesSupply = { links };
  const rendered = render(ref, links, chart);
  if (rendered !== null) {
    const c = classify({ ...ref, reference: rendered, templated: false });
    supply.rendered = { reference: rendered, status: c.status, ...(c.error ? { error: c.error } : {}) };
  }
  return supply;
}

/** What Go's templates print for a YAML value Helm parsed (only forms known exactly). */
function printedOf(value: unknown): { printed?: string | null } {
  if (value === null) return { printed: null };
  if (typeof value === 'string') return { printed: value };
  if (typeof value === 'boolean') return { printed: String(value) };
  // Helm reads numbers as float64 (`tag: 1.10` prints 1.1); plain short forms print the same in Go and JavaScript.
  if (typeof value === 'number' && Number.isFinite(value) && /^-?\d+(\.\d+)?$/.test(String(value)) && Math.abs(value) < 1e15) return { printed: String(value) };
  return {};
}

/** The node at a dotted path below the values root, with the pair that holds it. */
function lookup(root: Node | null, path: string): { node: Node; pair: Pair } | null {
  let node: Node | null = root;
  let pair: Pair | null = null;
  for (const key of path.split('.')) {
    if (!isMap(node)) return null;
    // With duplicate keys (kubectl and Helm take the last value), the last one counts.
    const pairs = (node as YAMLMap).items.filter((p) => isScalar(p.key) && scalarString(p.key as Node) === key);
    pair = (pairs[pairs.length - 1] as Pair | undefined) ?? null;
    if (!pair) return null;
    node = (pair.value as Node | null) ?? null;
    if (!node) return null;
  }
  return node && pair ? { node, pair } : null;
}

function keyRange(pair: Pair): OffsetRange | null {
  const key = pair.key as Node | null;
  const r = key?.range;
  return r ? { start: r[0], end: r[1] } : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering a small, exact subset of Go templates

type Value = { ok: true; s: string; nil?: boolean } | { ok: false };
const UNKNOWN: Value = { ok: false };

/** The template text rendered with the linked values, or null when any part is not known exactly. */
function render(ref: RawRef, links: ValuesLink[], chart: ChartInfo): string | null {
  const text = ref.text;
  let out = '';
  let pos = 0;
  const action = /\{\{-?([\s\S]*?)-?\}\}/g;
  for (let m = action.exec(text); m; m = action.exec(text)) {
    out += text.slice(pos, m.index);
    pos = m.index + m[0].length;
    const bodyStart = ref.range.start + m.index + (m[0].startsWith('{{-') ? 3 : 2);
    const v = evaluate(m[1], bodyStart, links, chart);
    if (!v.ok || v.nil) return null;
    out += v.s;
  }
  out += text.slice(pos);
  // Trim markers eat the surrounding blanks; an image value has none that matter.
  return out.trim();
}

interface Token {
  text: string;
  start: number;
}

function tokenize(body: string, offset: number): Token[][] | null {
  const commands: Token[][] = [[]];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\||\(|\)|[^\s|()"`]+)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const text = m[1];
    if (text === '(' || text === ')') return null; // nested pipelines: not rendered
    if (text === '|') commands.push([]);
    else commands[commands.length - 1].push({ text, start: offset + m.index + m[0].length - text.length });
  }
  if (commands.some((c) => c.length === 0)) return null;
  return commands;
}

function evaluate(body: string, offset: number, links: ValuesLink[], chart: ChartInfo): Value {
  const commands = tokenize(body, offset);
  if (!commands) return UNKNOWN;
  let piped: Value | undefined;
  for (const command of commands) {
    const [head, ...rest] = command;
    const args = rest.map((t) => operand(t, links, chart));
    if (piped) args.push(piped);
    if (isOperandToken(head.text)) {
      if (args.length > 0) return UNKNOWN;
      piped = operand(head, links, chart);
    } else piped = call(head.text, args);
    if (!piped.ok) return UNKNOWN;
  }
  return piped ?? UNKNOWN;
}

function isOperandToken(text: string): boolean {
  return text.startsWith('.') || text.startsWith('"') || text.startsWith('`') || text.startsWith('$');
}

function operand(token: Token, links: ValuesLink[], chart: ChartInfo): Value {
  const t = token.text;
  if (t.startsWith('"')) {
    try {
      return { ok: true, s: JSON.parse(t) as string };
    } catch {
      return UNKNOWN;
    }
  }
  if (t.startsWith('`')) return { ok: true, s: t.slice(1, -1) };
  const link = links.find((l) => l.mention.range.start === token.start && l.mention.range.end === token.start + t.length);
  if (link) {
    if (link.printed === null) return { ok: true, s: '', nil: true };
    return link.printed !== undefined ? { ok: true, s: link.printed } : UNKNOWN;
  }
  const field = /^\$?\.Chart\.(Name|Version|AppVersion)$/.exec(t)?.[1];
  if (field === 'AppVersion' && chart.appVersion !== undefined) return { ok: true, s: chart.appVersion };
  if (field === 'Version' && chart.version !== undefined) return { ok: true, s: chart.version };
  if (field === 'Name' && chart.name !== undefined) return { ok: true, s: chart.name };
  return UNKNOWN;
}

function call(name: string, args: Value[]): Value {
  if (args.some((a) => !a.ok)) return UNKNOWN;
  const values = args as { ok: true; s: string; nil?: boolean }[];
  // `default D X`: X unless it is empty (or nil), then D.
  if (name === 'default') return values.length === 2 ? (values[1].s !== '' ? values[1] : values[0]) : UNKNOWN;
  if (values.some((v) => v.nil)) return UNKNOWN;
  const s = values.map((v) => v.s);
  switch (name) {
    case 'printf': {
      if (s.length === 0) return UNKNOWN;
      let i = 1;
      let bad = false;
      const out = s[0].replace(/%[sv%]/g, (spec) => {
        if (spec === '%%') return '%';
        if (i >= s.length) bad = true;
        return s[i++] ?? '';
      });
      return bad || i !== s.length || /%[^sv%]/.test(s[0]) ? UNKNOWN : { ok: true, s: out };
    }
    case 'quote':
    case 'squote':
    case 'toString':
      // In an `image:` value the quotes are YAML's: the value is the text inside.
      return s.length === 1 ? { ok: true, s: s[0] } : UNKNOWN;
    case 'trim':
      return s.length === 1 ? { ok: true, s: s[0].trim() } : UNKNOWN;
    case 'lower':
      return s.length === 1 ? { ok: true, s: s[0].toLowerCase() } : UNKNOWN;
    default:
      return UNKNOWN;
  }
}
