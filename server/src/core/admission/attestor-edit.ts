// "Add an attestor for this signer" (issue 11): the minimal edit that makes a policy accept a keyless signer whose
// signature verifies but whom no attestor accepts — a Kyverno attestor entry (keyless subject + issuer), a
// policy-controller identity, or a `.image-trust.yaml` keyless signer. Pure insertions located with the YAML parser's
// node ranges: no byte outside the inserted text changes, comments and formatting stay; block or flow style follows
// the surrounding sequence. Whether the edit really admits the image is for the caller to check by re-evaluation.
import { isMap, isScalar, isSeq, parseAllDocuments, parseDocument, stringify, visit, type Document, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import type { AttestorTarget } from './types';

export interface KeylessSigner {
  subject: string;
  issuer: string;
}

/** An insertion at `at` (an offset into the original text). */
export interface Insertion {
  at: number;
  text: string;
}

export type AttestorEdit = { insertions: Insertion[]; summary: string } | { error: string };

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function column(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

function eol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function findMapAt(doc: Document.Parsed, start: number, end: number): YAMLMap | null {
  let found: YAMLMap | null = null;
  visit(doc, {
    Map(_k, node) {
      if (node.range && node.range[0] === start && node.range[1] === end) {
        found = node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function pairOf(map: YAMLMap, key: string): { keyNode: Node; value: unknown } | null {
  for (const p of map.items) {
    if (isScalar(p.key) && p.key.value === key) return { keyNode: p.key, value: p.value };
  }
  return null;
}

/** The end of the last line that holds content of `node` (its trailing newline and blank lines not included). */
function contentLineEnd(text: string, node: Node): number {
  let p = node.range![1];
  while (p > node.range![0] && /\s/.test(text[p - 1])) p--;
  const nl = text.indexOf('\n', p);
  const end = nl === -1 ? text.length : nl;
  return text[end - 1] === '\r' ? end - 1 : end;
}

/** Appends `item` to the sequence `seq` of `text`, in the sequence's own style and indentation. */
export function appendToSequence(text: string, seq: YAMLSeq, item: Record<string, unknown>): Insertion {
  const nl = eol(text);
  if (seq.flow) {
    const rendered = stringify(item, { collectionStyle: 'flow', lineWidth: 0 }).trim();
    const last = seq.items[seq.items.length - 1] as Node | undefined;
    if (last?.range) return { at: last.range[1], text: `, ${rendered}` };
    // An empty flow sequence `[]`: right after the bracket.
    return { at: seq.range![0] + 1, text: rendered };
  }
  const dashCol = column(text, seq.range![0]);
  const first = seq.items[0] as Node | undefined;
  const firstContentCol = first?.range ? column(text, first.range[0]) : dashCol + 2;
  // The step the existing item uses for its nested keys (2 when it has none).
  let step = 2;
  if (isMap(first)) {
    const nested = first.items.map((p) => p.value).find((v): v is YAMLMap => isMap(v) && !v.flow && !!v.range);
    if (nested) step = Math.max(1, column(text, nested.range![0]) - firstContentCol);
  }
  const rendered = stringify([item], { indent: step, lineWidth: 0 }).replace(/\n$/, '').split('\n');
  const pad = ' '.repeat(dashCol);
  const body = rendered.map((l) => pad + l).join(nl);
  const last = seq.items[seq.items.length - 1] as Node;
  return { at: contentLineEnd(text, last), text: `${nl}${body}` };
}

/** Inserts `key: value` (a scalar) as the first entry of `map`, before `before` (one of its keys). */
function insertPairBefore(text: string, map: YAMLMap, before: Node, key: string, value: string): Insertion {
  if (map.flow) return { at: before.range![0], text: `${key}: ${value}, ` };
  return { at: before.range![0], text: `${key}: ${value}${eol(text)}${' '.repeat(column(text, before.range![0]))}` };
}

/** Kyverno wildcard characters in an observed value would widen it: such values go in as anchored RegExps. */
function kyvernoIdentity(field: 'subject' | 'issuer', value: string): Record<string, string> {
  if (!/[*?]/.test(value)) return { [field]: value };
  return { [`${field}RegExp`]: `^${value.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')}$` };
}

function parse(text: string): Document.Parsed | null {
  try {
    const docs = parseDocument(text, { prettyErrors: false });
    return docs as Document.Parsed;
  } catch {
    return null;
  }
}

/** The node of the document of `text` that holds offset range [start, end) as a map (multi-document files too). */
function mapIn(text: string, start: number, end: number): YAMLMap | null {
  // The site is in one of possibly several documents.
  for (const doc of parseAllDocuments(text, { prettyErrors: false }) as Document.Parsed[]) {
    const r = doc.range;
    if (!r || start < r[0] || end > r[2]) continue;
    return findMapAt(doc, start, end);
  }
  return null;
}

/**
 * Kyverno: a keyless entry for `signer` in the attestor set at `target`, copying the Rekor/CT settings of a keyless
 * entry already there. A set without `count` with one entry gets `count: 1` (either signer); a set without `count`
 * with several entries requires all of them, and is not loosened: error.
 */
export function kyvernoAttestorEdit(text: string, target: AttestorTarget, signer: KeylessSigner): AttestorEdit {
  const set = mapIn(text, target.site.range.start, target.site.range.end);
  if (!set) return { error: 'the attestor set is not where the policy was read (the file changed)' };
  const entries = pairOf(set, 'entries');
  if (!entries || !isSeq(entries.value)) return { error: 'the attestor set has no entries list' };
  const seq = entries.value;
  const count = pairOf(set, 'count');
  const insertions: Insertion[] = [];
  let summary = 'adds a keyless entry';
  if (!count) {
    if (seq.items.length > 1) return { error: `the attestor set requires all ${seq.items.length} entries (no count): adding one would not admit the image, and setting count would loosen the policy` };
    insertions.push(insertPairBefore(text, set, entries.keyNode, 'count', '1'));
    summary = 'adds a keyless entry and count: 1 (either entry)';
  }
  const sibling = seq.items.map((i) => (isMap(i) ? (i.toJSON() as Record<string, unknown>) : null)).find((v) => v && typeof v.keyless === 'object' && v.keyless !== null) as { keyless: Record<string, unknown> } | undefined;
  const keyless: Record<string, unknown> = { ...kyvernoIdentity('subject', signer.subject), ...kyvernoIdentity('issuer', signer.issuer) };
  const rekor = sibling?.keyless.rekor as Record<string, unknown> | undefined;
  keyless.rekor = rekor && typeof rekor === 'object' ? { url: rekor.url ?? 'https://rekor.sigstore.dev', ...(rekor.ignoreTlog !== undefined ? { ignoreTlog: rekor.ignoreTlog } : {}) } : { url: 'https://rekor.sigstore.dev' };
  const ctlog = sibling?.keyless.ctlog as Record<string, unknown> | undefined;
  if (ctlog && typeof ctlog === 'object' && ctlog.ignoreSCT !== undefined) keyless.ctlog = { ignoreSCT: ctlog.ignoreSCT };
  insertions.push(appendToSequence(text, seq, { keyless }));
  return { insertions, summary };
}

/** policy-controller: an identity (issuer + subject, exact) in the keyless authority at `target`. */
export function policyControllerIdentityEdit(text: string, target: AttestorTarget, signer: KeylessSigner): AttestorEdit {
  const authority = mapIn(text, target.site.range.start, target.site.range.end);
  if (!authority) return { error: 'the authority is not where the policy was read (the file changed)' };
  const keyless = pairOf(authority, 'keyless');
  if (!keyless || !isMap(keyless.value)) return { error: 'the authority is not keyless' };
  const identities = pairOf(keyless.value, 'identities');
  if (!identities || !isSeq(identities.value)) return { error: 'the keyless authority has no identities list' };
  return { insertions: [appendToSequence(text, identities.value, { issuer: signer.issuer, subject: signer.subject })], summary: 'adds an identity' };
}

/** `.image-trust.yaml`: a keyless signer (issuer + exact subject) in the `signers` of rule `ruleName`. */
export function trustPolicySignerEdit(text: string, ruleName: string, signer: KeylessSigner): AttestorEdit {
  const doc = parse(text);
  if (!doc || doc.errors.length) return { error: 'the trust policy does not parse' };
  const rules = isMap(doc.contents) ? pairOf(doc.contents, 'rules') : null;
  if (!rules || !isSeq(rules.value)) return { error: 'the trust policy has no rules' };
  const rule = rules.value.items.find((r): r is YAMLMap => isMap(r) && isScalar(pairOf(r, 'name')?.value) && (pairOf(r, 'name')!.value as { value: unknown }).value === ruleName);
  if (!rule) return { error: `the trust policy has no rule ${ruleName}` };
  const signers = pairOf(rule, 'signers');
  if (!signers || !isSeq(signers.value)) return { error: `rule ${ruleName} has no signers list` };
  return { insertions: [appendToSequence(text, signers.value, { keyless: { issuer: signer.issuer, subject: signer.subject } })], summary: 'adds a keyless signer' };
}

/** `text` with the insertions applied (for re-evaluating before offering the edit, and for tests). */
export function applyInsertions(text: string, insertions: readonly Insertion[]): string {
  let out = text;
  for (const i of [...insertions].sort((a, b) => b.at - a.at)) out = out.slice(0, i.at) + i.text + out.slice(i.at);
  return out;
}
