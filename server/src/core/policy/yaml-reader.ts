// Typed reading of a parsed YAML document with diagnostics that point at the exact node. Knows nothing of policies
// beyond "a mapping has a fixed set of keys"; the policy loaders decide what each key means.

import { editDistance } from '../edit-distance';
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Scalar } from 'yaml';
import type { OffsetRange } from '../types';
import type { PolicyDiagnostic, PolicySeverity } from './types';

/** A node, or a plain range when there is no node to point at. */
export type Anchor = Node | OffsetRange;

/** The entries of a mapping by key. `value` is null for `key:` with nothing after it (or an explicit null). */
export interface Field {
  key: Scalar;
  value: Node | null;
}
export type Fields = Map<string, Field>;

interface ReaderDiagnostic extends PolicyDiagnostic {
  /** False for errors reported inside `contained()`: they drop one entry instead of breaking the policy. */
  breaks: boolean;
}

export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

export class YamlReader {
  private readonly found: ReaderDiagnostic[] = [];
  private containDepth = 0;

  constructor(
    private readonly doc: Document,
    private readonly textLength: number,
  ) {}

  get diagnostics(): PolicyDiagnostic[] {
    return this.found.map(({ breaks: _breaks, ...d }) => d);
  }

  /** True when an error was reported outside any `contained()` section: the policy must not be used. */
  get broken(): boolean {
    return this.found.some((d) => d.breaks);
  }

  error(at: Anchor | null, path: string, message: string): void {
    this.report('error', at, path, message);
  }

  warn(at: Anchor | null, path: string, message: string): void {
    this.report('warning', at, path, message);
  }

  /** Runs `read`; errors it reports do not break the policy. `ok` is false when it reported any error. */
  contained<T>(read: () => T): { value: T; ok: boolean } {
    const before = this.errorCount();
    this.containDepth++;
    try {
      const value = read();
      return { value, ok: this.errorCount() === before };
    } finally {
      this.containDepth--;
    }
  }

  rangeOf(at: Anchor | null): OffsetRange {
    if (at === null) return { start: 0, end: Math.min(this.textLength, 1) };
    if ('start' in at) return at;
    const r = at.range;
    if (!r) return { start: 0, end: 0 };
    return { start: r[0], end: Math.max(r[0], r[1]) };
  }

  /** Follows `*alias` to the anchored node. */
  deref(node: Node | null): Node | null {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return node;
  }

  /** Reads a mapping with a fixed set of keys; unknown and non-string keys are errors. */
  mapping(node: Node | null, path: string, allowedKeys: readonly string[], what: string): Fields | null {
    const n = this.deref(node);
    if (!n || !isMap(n)) {
      this.error(n, path, `${what} must be a mapping (key: value pairs)`);
      return null;
    }
    const fields: Fields = new Map();
    for (const pair of n.items) {
      const key = pair.key as Node | null;
      if (!key || !isScalar(key) || typeof key.value !== 'string') {
        this.error(key ?? n, path, `keys of ${what} must be plain strings`);
        continue;
      }
      const name = key.value;
      if (!allowedKeys.includes(name)) {
        this.error(key, childPath(path, name), unknownKeyMessage(name, what, allowedKeys));
        continue;
      }
      fields.set(name, { key, value: this.nonNull(pair.value as Node | null) });
    }
    return fields;
  }

  /** The value of a required key, or null after reporting that it is missing. `owner` anchors the report. */
  required(fields: Fields, key: string, owner: Node | null, path: string, what: string, hint?: string): Node | null {
    const field = fields.get(key);
    if (!field) {
      this.error(firstKeyOf(fields) ?? owner, path, `${what} is missing \`${key}\`${hint ? `; ${hint}` : ''}`);
      return null;
    }
    if (!field.value) {
      this.error(field.key, childPath(path, key), `\`${key}\` needs a value`);
      return null;
    }
    return field.value;
  }

  /**
   * The value of an optional key: undefined when absent; null (after reporting) when written with no value, since
   * `subject:` left empty more likely is a mistake than a wish for the default.
   */
  optional(fields: Fields, key: string, path: string): Node | null | undefined {
    const field = fields.get(key);
    if (!field) return undefined;
    if (!field.value) {
      this.error(field.key, childPath(path, key), `\`${key}\` needs a value (remove the key to use the default)`);
      return null;
    }
    return field.value;
  }

  string(node: Node | null, path: string, what: string): string | null {
    const n = this.deref(node);
    if (!n || !isScalar(n) || typeof n.value !== 'string') {
      this.error(n, path, `${what} must be a string${quoteHint(n)}`);
      return null;
    }
    if (n.value.trim() === '') {
      this.error(n, path, `${what} must not be empty`);
      return null;
    }
    return n.value;
  }

  boolean(node: Node | null, path: string, what: string): boolean | null {
    const n = this.deref(node);
    if (!n || !isScalar(n) || typeof n.value !== 'boolean') {
      this.error(n, path, `${what} must be true or false`);
      return null;
    }
    return n.value;
  }

  sequence(node: Node | null, path: string, what: string): Node[] | null {
    const n = this.deref(node);
    if (!n || !isSeq(n)) {
      this.error(n, path, `${what} must be a list`);
      return null;
    }
    // Empty items (`- `) stay as null scalars so that the caller's type check points at them.
    return n.items.map((item) => (item as Node | null) ?? n);
  }

  /** A string, or a list of strings (`match: nginx` or `match: [nginx, redis]`). Each with its node. */
  stringList(node: Node | null, path: string, what: string): { value: string; node: Node }[] | null {
    const n = this.deref(node);
    if (n && isScalar(n)) {
      const value = this.string(n, path, what);
      return value === null ? null : [{ value, node: n }];
    }
    const items = this.sequence(n, path, `${what} (a string or a list of strings)`);
    if (!items) return null;
    const out: { value: string; node: Node }[] = [];
    items.forEach((item, i) => {
      const value = this.string(item, childPath(path, i), `each entry of ${what}`);
      if (value !== null) out.push({ value, node: item });
    });
    return out.length === items.length ? out : null;
  }

  private nonNull(node: Node | null): Node | null {
    if (!node) return null;
    if (isScalar(node) && node.value === null) return null;
    return node;
  }

  private errorCount(): number {
    return this.found.filter((d) => d.severity === 'error').length;
  }

  private report(severity: PolicySeverity, at: Anchor | null, path: string, message: string): void {
    const breaks = severity === 'error' && this.containDepth === 0;
    this.found.push({ message, range: this.rangeOf(at), severity, path, breaks });
  }
}

function firstKeyOf(fields: Fields): Scalar | null {
  for (const f of fields.values()) return f.key;
  return null;
}

function quoteHint(n: Node | null): string {
  if (n && isScalar(n) && n.value !== null && typeof n.value !== 'string') {
    return ` (got ${typeof n.value} ${String(n.value)}; put it in quotes to make it a string)`;
  }
  return '';
}

function unknownKeyMessage(name: string, what: string, allowed: readonly string[]): string {
  const near = allowed.find((k) => editDistance(k.toLowerCase(), name.toLowerCase()) <= 2);
  const hint = near ? `did you mean \`${near}\`?` : `allowed: ${allowed.join(', ')}`;
  return `unknown key \`${name}\` in ${what}; ${hint}`;
}

