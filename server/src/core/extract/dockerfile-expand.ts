// Expands one Dockerfile word (a FROM image, a `--from=` value, an ARG default) the way BuildKit's shell lexer
// does for build arguments: quotes, the escape character, `$V`, `${V}`, `${V:-w}`, `${V-w}`, `${V:+w}`, `${V+w}`,
// `${V:?m}`. Variables with no known value stay in the output as written and mark the result unresolved, so a
// caller never mistakes a half-substituted value for a concrete reference.
//
// Besides the value, it tells where the value came from: when the whole result is the value of a single ARG
// default (e.g. `${BASE}` with `ARG BASE=nginx:1.25`), `soleOrigin` names that default, because that is where a
// digest has to be written.

import type { OffsetRange } from '../types';

/** An ARG default as written in the document: the place a pin for a value taken from it must go. */
export interface ArgOrigin {
  name: string;
  /** Range of the default value text, inside its quotes if quoted. */
  range: OffsetRange;
}

/** A variable's state at some point of the Dockerfile. */
export interface Binding {
  /** `undefined`: declared without a value (it only gets one from `--build-arg`). */
  value: string | undefined;
  /** True when `value` itself still holds unresolved variables. */
  unresolved?: boolean;
  origin?: ArgOrigin;
}

/** Returns the binding of a declared variable, or `undefined` when it is not declared in scope. */
export type Lookup = (name: string) => Binding | undefined;

export interface Expansion {
  value: string;
  unresolved: boolean;
  /** Set when the entire value is one ARG default, with no literal text around it. */
  soleOrigin?: ArgOrigin;
}

interface Piece {
  text: string;
  origin?: ArgOrigin;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Bounds recursion through nested `${A:-${B:-…}}` defaults; deeper nesting is left unresolved. */
const MAX_DEPTH = 16;

/**
 * Most characters of variable values one file's expansions may copy in total. Without a bound, a few lines
 * (`ARG B=${A}${A}`, `ARG C=${B}${B}`, …) double a value each time: a 1.4 KB Dockerfile exhausted the heap.
 */
export const MAX_EXPANDED_CHARS = 1 << 20;

/** What is left of the copy allowance; shared by all expansions of one file. */
export interface ExpansionBudget {
  remaining: number;
}

export function expandWord(
  word: string,
  escapeChar: string,
  lookup: Lookup,
  budget: ExpansionBudget = { remaining: MAX_EXPANDED_CHARS },
): Expansion {
  const expander = new WordExpander(escapeChar, lookup, budget);
  const pieces = expander.word(word, 0);
  const value = pieces.map((p) => p.text).join('');
  const nonEmpty = pieces.filter((p) => p.text !== '');
  const sole = nonEmpty.length === 1 ? nonEmpty[0].origin : undefined;
  return { value, unresolved: expander.unresolved, ...(sole ? { soleOrigin: sole } : {}) };
}

class WordExpander {
  unresolved = false;

  constructor(
    private readonly escapeChar: string,
    private readonly lookup: Lookup,
    private readonly budget: ExpansionBudget,
  ) {}

  word(word: string, depth: number): Piece[] {
    const pieces: Piece[] = [];
    let literal = '';
    const flush = () => {
      if (literal !== '') pieces.push({ text: literal });
      literal = '';
    };
    let inDouble = false;
    let i = 0;
    while (i < word.length) {
      const ch = word[i];
      if (ch === this.escapeChar && i + 1 < word.length) {
        const next = word[i + 1];
        // Inside double quotes the escape only protects `"`, `$` and itself; otherwise it stays as written.
        if (!inDouble || next === '"' || next === '$' || next === this.escapeChar) literal += next;
        else literal += ch + next;
        i += 2;
      } else if (ch === "'" && !inDouble) {
        const close = word.indexOf("'", i + 1);
        const end = close === -1 ? word.length : close;
        literal += word.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '"') {
        inDouble = !inDouble;
        i += 1;
      } else if (ch === '$') {
        const parsed = this.dollar(word, i, depth);
        if (parsed.pieces.length > 0) {
          flush();
          pieces.push(...parsed.pieces);
        }
        if (parsed.literal !== undefined) literal += parsed.literal;
        i = parsed.end;
      } else {
        literal += ch;
        i += 1;
      }
    }
    flush();
    return pieces;
  }

  /** Parses the `$…` starting at `start`. Either yields pieces or a literal (for a lone `$`). */
  private dollar(word: string, start: number, depth: number): { pieces: Piece[]; literal?: string; end: number } {
    const next = word[start + 1];
    if (next !== undefined && NAME_START.test(next)) {
      let end = start + 2;
      while (end < word.length && NAME_CHAR.test(word[end])) end += 1;
      return { pieces: this.resolve(word.slice(start + 1, end), word.slice(start, end), null, '', depth), end };
    }
    if (next !== '{') return { pieces: [], literal: '$', end: start + 1 };

    const close = this.matchingBrace(word, start + 2);
    if (close === -1) {
      // Unterminated `${`: nothing sensible to substitute.
      this.unresolved = true;
      return { pieces: [{ text: word.slice(start) }], end: word.length };
    }
    const raw = word.slice(start, close + 1);
    const body = word.slice(start + 2, close);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([\s\S]*))?$/.exec(body);
    if (!m) {
      // `${V#pat}`, `${V/a/b}` and other forms whose result we do not compute.
      this.unresolved = true;
      return { pieces: [{ text: raw }], end: close + 1 };
    }
    return { pieces: this.resolve(m[1], raw, m[2] ?? null, m[3] ?? '', depth), end: close + 1 };
  }

  private matchingBrace(word: string, from: number): number {
    let depth = 1;
    for (let i = from; i < word.length; i += 1) {
      const ch = word[i];
      if (ch === this.escapeChar) i += 1;
      else if (ch === '{') depth += 1;
      else if (ch === '}' && --depth === 0) return i;
    }
    return -1;
  }

  private resolve(name: string, raw: string, modifier: string | null, operand: string, depth: number): Piece[] {
    const binding = this.lookup(name);
    const isSet = binding !== undefined && binding.value !== undefined;
    const nonEmpty = isSet && binding.value !== '';
    const unresolvedRaw = (): Piece[] => {
      this.unresolved = true;
      return [{ text: raw }];
    };
    const own = (): Piece[] => {
      const value = binding?.value ?? '';
      // Over the allowance the variable stays as written: the result is unresolved, never a truncated reference.
      if (value.length > this.budget.remaining) return unresolvedRaw();
      this.budget.remaining -= value.length;
      if (binding?.unresolved) this.unresolved = true;
      return [{ text: value, ...(binding?.origin ? { origin: binding.origin } : {}) }];
    };
    const operandPieces = (): Piece[] => {
      if (depth >= MAX_DEPTH) return unresolvedRaw();
      return this.word(operand, depth + 1);
    };
    switch (modifier) {
      case null:
        return isSet ? own() : unresolvedRaw();
      case ':-':
        return nonEmpty ? own() : operandPieces();
      case '-':
        return isSet ? own() : operandPieces();
      case ':+':
        return nonEmpty ? operandPieces() : [];
      case '+':
        return isSet ? operandPieces() : [];
      case ':?':
        return nonEmpty ? own() : unresolvedRaw();
      case '?':
        return isSet ? own() : unresolvedRaw();
      default:
        return unresolvedRaw();
    }
  }
}
