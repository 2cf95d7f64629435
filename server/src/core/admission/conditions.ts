// Kyverno attestation conditions: `any`/`all` blocks of {key, operator, value}, where key and value may hold
// `{{ JMESPath }}` variables evaluated over the attestation's predicate (Kyverno adds the predicate's fields to the
// context). Standard JMESPath functions work; Kyverno's own functions, admission-request variables, durations and
// resource quantities are "not evaluated" — never guessed.
import jmespath from 'jmespath';
import { kyvernoWildcard } from './names';
import type { KyvernoCondition, KyvernoConditionBlock } from './types';

export type ConditionOutcome =
  | { ok: true }
  | { ok: false; expression: string; value: unknown; message: string }
  | { ok: 'not-evaluated'; why: string };

class NotEvaluated extends Error {}

/** Variables Kyverno takes from the admission request, not from the predicate. */
const REQUEST_VARIABLES = /^\s*(request|images|element|elementIndex|serviceAccountName|serviceAccountNamespace|target)\b/;
const VARIABLE = /\{\{(.*?)\}\}/g;

function query(expr: string, predicate: unknown): unknown {
  const e = expr.trim().replace(/^-\s*/, '');
  if (REQUEST_VARIABLES.test(e)) throw new NotEvaluated(`"${e}" comes from the admission request, which a preview does not have`);
  try {
    const v = jmespath.search(predicate as object, e) as unknown;
    return v === undefined ? null : v;
  } catch (err) {
    const msg = (err as Error).message;
    if (/Unknown function/i.test(msg)) throw new NotEvaluated(`"${e}" uses a Kyverno JMESPath function this preview does not implement (${msg})`);
    throw new NotEvaluated(`"${e}" is not a JMESPath expression this preview can evaluate (${msg})`);
  }
}

/** Kyverno's variable substitution: a whole `{{ x }}` yields its value; variables inside text are interpolated. */
function substitute(v: unknown, predicate: unknown): unknown {
  if (typeof v === 'string') {
    const whole = /^\s*\{\{(.*)\}\}\s*$/s.exec(v);
    if (whole && !whole[1].includes('{{')) return query(whole[1], predicate);
    return v.replace(VARIABLE, (_, e: string) => {
      const x = query(e, predicate);
      return typeof x === 'string' ? x : JSON.stringify(x);
    });
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, predicate));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, predicate)]));
  return v;
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/;
const DURATION = /^[+-]?(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+$/;

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b) || (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b)));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/** Kyverno's Equals handler: strings match the value as a wildcard pattern; numbers across int/float/string. */
function equals(key: unknown, value: unknown): boolean {
  if (typeof key === 'boolean') return value === key;
  if (typeof key === 'number') {
    if (typeof value === 'number') return value === key;
    if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value) === key;
    return false;
  }
  if (typeof key === 'string') {
    if (DURATION.test(key) && typeof value === 'string' && DURATION.test(value) && key !== value) throw new NotEvaluated(`comparing durations ("${key}", "${value}")`);
    if (QUANTITY.test(key) && typeof value === 'string' && QUANTITY.test(value) && key !== value) throw new NotEvaluated(`comparing resource quantities ("${key}", "${value}")`);
    return typeof value === 'string' && kyvernoWildcard(value, key);
  }
  if (key === null) return value === null;
  if (typeof key === 'object') return deepEqual(key, value);
  return false;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

function inList(key: unknown, value: unknown): boolean {
  const values = asList(value);
  return values.some((x) => (typeof x === 'string' && typeof key === 'string' ? kyvernoWildcard(x, key) : deepEqual(x, key)));
}

function compareNumbers(key: unknown, value: unknown, op: string): boolean {
  const n = (x: unknown) => (typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' && !Number.isNaN(Number(x)) ? Number(x) : undefined);
  const a = n(key);
  const b = n(value);
  if (a === undefined || b === undefined) {
    if ((typeof key === 'string' && (QUANTITY.test(key) || DURATION.test(key))) || (typeof value === 'string' && (QUANTITY.test(value) || DURATION.test(value)))) {
      throw new NotEvaluated(`${op} on quantities or durations`);
    }
    return false;
  }
  switch (op) {
    case 'GreaterThan':
      return a > b;
    case 'GreaterThanOrEquals':
      return a >= b;
    case 'LessThan':
      return a < b;
    default:
      return a <= b;
  }
}

function evaluate(c: KyvernoCondition, predicate: unknown): { ok: boolean; key: unknown } {
  const key = substitute(c.key, predicate);
  const value = substitute(c.value, predicate);
  switch (c.operator) {
    case 'Equals':
    case 'Equal':
      return { ok: equals(key, value), key };
    case 'NotEquals':
    case 'NotEqual':
      return { ok: !equals(key, value), key };
    case 'In':
    case 'AnyIn':
      return { ok: asList(key).some((k) => inList(k, value)), key };
    case 'AllIn':
      return { ok: asList(key).every((k) => inList(k, value)), key };
    case 'NotIn':
    case 'AllNotIn':
      return { ok: asList(key).every((k) => !inList(k, value)), key };
    case 'AnyNotIn':
      return { ok: asList(key).some((k) => !inList(k, value)), key };
    case 'GreaterThan':
    case 'GreaterThanOrEquals':
    case 'LessThan':
    case 'LessThanOrEquals':
      return { ok: compareNumbers(key, value, c.operator), key };
    default:
      throw new NotEvaluated(`the operator "${c.operator}"`);
  }
}

function describe(c: KyvernoCondition): string {
  return `${typeof c.key === 'string' ? c.key : JSON.stringify(c.key)} ${c.operator} ${typeof c.value === 'string' ? c.value : JSON.stringify(c.value)}`;
}

/** Kyverno's `EvaluateAnyAllConditions` over one statement's predicate: every block must pass. */
export function evaluateConditions(blocks: readonly KyvernoConditionBlock[], predicate: unknown): ConditionOutcome {
  try {
    for (const b of blocks) {
      if (b.any !== null) {
        let firstFalse: { c: KyvernoCondition; key: unknown } | null = null;
        let passed = false;
        for (const c of b.any) {
          const r = evaluate(c, predicate);
          if (r.ok) {
            passed = true;
            break;
          }
          firstFalse ??= { c, key: r.key };
        }
        if (!passed && firstFalse) return { ok: false, expression: describe(firstFalse.c), value: firstFalse.key, message: firstFalse.c.message ?? '' };
      }
      for (const c of b.all) {
        const r = evaluate(c, predicate);
        if (!r.ok) return { ok: false, expression: describe(c), value: r.key, message: c.message ?? '' };
      }
    }
    return { ok: true };
  } catch (err) {
    if (err instanceof NotEvaluated) return { ok: 'not-evaluated', why: err.message };
    throw err;
  }
}
