// Reads `exceptions:`. Each entry is read in isolation: a malformed entry is reported as an error and dropped, which
// only makes the policy stricter, so it does not break the rest of the policy.

import { isScalar, type Node } from 'yaml';
import { isDigest, normalizeName, splitTagAndDigest } from '../reference';
import { checkRepositoryGlob } from './globs';
import type { ExceptionImage, PolicyException } from './types';
import { childPath, type YamlReader } from './yaml-reader';

const EXCEPTION_KEYS = ['image', 'reason', 'owner', 'expires', 'scope'] as const;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function readExceptions(reader: YamlReader, node: Node | null, path: string): PolicyException[] {
  const { value } = reader.contained(() => {
    const items = reader.sequence(node, path, '`exceptions`');
    if (!items) return [];
    const valid: PolicyException[] = [];
    items.forEach((item, i) => {
      const entry = reader.contained(() => readException(reader, item, i, childPath(path, i)));
      if (entry.ok && entry.value) valid.push(entry.value);
    });
    return valid;
  });
  return value;
}

function readException(reader: YamlReader, node: Node, index: number, path: string): PolicyException | null {
  const fields = reader.mapping(node, path, EXCEPTION_KEYS, `exception ${path}`);
  if (!fields) return null;
  const what = `exception ${path}`;
  const imageNode = reader.required(fields, 'image', node, path, what);
  const reasonNode = reader.required(fields, 'reason', node, path, what);
  const ownerNode = reader.required(fields, 'owner', node, path, what);
  const expiresNode = reader.required(fields, 'expires', node, path, what);
  const scopeNode = reader.optional(fields, 'scope', path);

  const image = imageNode && reader.string(imageNode, childPath(path, 'image'), '`image`');
  const target = image !== null && imageNode ? readImageTarget(reader, imageNode, childPath(path, 'image'), image) : null;
  const reason = reasonNode && reader.string(reasonNode, childPath(path, 'reason'), '`reason`');
  const owner = ownerNode && reader.string(ownerNode, childPath(path, 'owner'), '`owner`');
  const expires = expiresNode && readExpiryDate(reader, expiresNode, childPath(path, 'expires'));
  const scope = scopeNode === undefined ? null : scopeNode && readScope(reader, scopeNode, childPath(path, 'scope'));

  if (!image || !target || !reason || !owner || !expires) return null;
  // A scope that failed to read must not widen the exception to "everywhere".
  if (scopeNode !== undefined && scope === null) return null;
  return { index, image, target, reason, owner, expires, scope, range: reader.rangeOf(node), expiresRange: reader.rangeOf(expiresNode) };
}

/** `name[:tag]@sha256:…` (the tag is ignored) or a repository glob. Tags alone move, so they cannot be excepted. */
function readImageTarget(reader: YamlReader, node: Node, path: string, image: string): ExceptionImage | null {
  const { name, tag, digest } = splitTagAndDigest(image);
  if (digest === null && tag !== null) {
    reader.error(node, path, `\`${image}\` has a tag: an exception covers a digest (name@sha256:…) or a repository glob, because a tag can move to other content`);
    return null;
  }
  const glob = checkRepositoryGlob(name);
  if (!glob.ok) {
    reader.error(node, path, glob.error);
    return null;
  }
  if (glob.warning) reader.warn(node, path, glob.warning);
  if (digest === null && glob.normalized === '**') reader.warn(node, path, `\`${image}\` exempts every image from the policy`);
  if (digest === null) return { type: 'glob', pattern: glob.normalized };
  // One image: its name must be exact and valid (an IPv6 host's brackets are not a glob).
  let exact: string;
  try {
    exact = normalizeName(name);
  } catch (e) {
    const why = /[*?{}[\]]/.test(name) ? 'a digest reference needs an exact repository name, not a glob' : e instanceof Error ? e.message : String(e);
    reader.error(node, path, `\`${image}\`: ${why}`);
    return null;
  }
  if (!isDigest(digest)) {
    reader.error(node, path, `\`${digest}\` is not a valid digest (expected sha256: and 64 lower-case hex digits)`);
    return null;
  }
  return { type: 'digest', name: exact, digest };
}

/** `YYYY-MM-DD`, a real calendar date. A YAML 1.1 timestamp (under `%YAML 1.1`) is accepted as its date. */
function readExpiryDate(reader: YamlReader, node: Node, path: string): string | null {
  const n = reader.deref(node);
  const text = n && isScalar(n) && n.value instanceof Date ? n.value.toISOString().slice(0, 10) : reader.string(n, path, '`expires`');
  if (text === null) return null;
  const m = ISO_DATE.exec(text);
  const valid = m !== null && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
  if (!valid) {
    reader.error(node, path, `\`expires\` must be a date written YYYY-MM-DD (e.g. 2026-12-31), got \`${text}\``);
    return null;
  }
  return text;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

function readScope(reader: YamlReader, node: Node, path: string): string[] | null {
  const entries = reader.stringList(node, path, '`scope`');
  if (!entries) return null;
  for (const [i, { value, node: item }] of entries.entries()) {
    if (/^([/\\]|[A-Za-z]:)/.test(value) || value.split(/[/\\]/).includes('..')) {
      reader.error(item, childPath(path, i), `\`${value}\`: scope globs are relative to the workspace root (no leading /, drive letter or ..)`);
      return null;
    }
  }
  return entries.map((e) => e.value);
}
