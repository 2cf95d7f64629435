import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { findException, loadPolicy, matchRule } from '../../server/src/core/policy';

const SCHEMA_PATH = path.resolve('schemas/image-trust.schema.json');
const EXAMPLE_PATH = path.resolve('examples/policy/.image-trust.yaml');

type SchemaNode = { [key: string]: unknown };

/** Every `properties` entry in the schema, with its JSON pointer. */
function allProperties(node: unknown, at = '#'): [string, SchemaNode][] {
  if (!node || typeof node !== 'object') return [];
  const out: [string, SchemaNode][] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && value && typeof value === 'object') {
      for (const [name, prop] of Object.entries(value)) out.push([`${at}/properties/${name}`, prop as SchemaNode]);
    }
    out.push(...allProperties(value, `${at}/${key}`));
  }
  return out;
}

describe('JSON schema for the editor', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as SchemaNode;

  test('is draft-07 and describes the top-level keys the loader accepts', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.deepEqual(Object.keys(schema.properties as object).sort(), ['exceptions', 'rules', 'severity', 'trustedRoot', 'version']);
    assert.equal(schema.additionalProperties, false);
  });

  test('every property has a description (for hovers and completion)', () => {
    const props = allProperties(schema);
    assert.ok(props.length >= 20, `found only ${props.length} properties`);
    const missing = props.filter(([, p]) => typeof p.description !== 'string' || p.description.length < 10).map(([at]) => at);
    assert.deepEqual(missing, []);
  });

  test('every $ref resolves', () => {
    const refs = JSON.stringify(schema).match(/"\$ref":"[^"]+"/g) ?? [];
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      const pointer = ref.slice('"$ref":"#/'.length, -1).split('/');
      const target = pointer.reduce<unknown>((n, k) => (n as SchemaNode | undefined)?.[k], schema);
      assert.ok(target, `${ref} does not resolve`);
    }
  });
});

describe('JSON schema: signer entries and `tlog`', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { definitions: { signer: SchemaNode } };
  const signer = schema.definitions.signer;

  /**
   * The keywords the signer schema uses (draft-07), evaluated for a signer object whose values are well typed: enough
   * to check which combinations of keys the editor accepts.
   */
  function accepts(node: SchemaNode, value: Record<string, unknown>): boolean {
    const keys = Object.keys(value);
    if (Array.isArray(node.required) && !node.required.every((k) => keys.includes(k as string))) return false;
    if (typeof node.minProperties === 'number' && keys.length < node.minProperties) return false;
    if (typeof node.maxProperties === 'number' && keys.length > node.maxProperties) return false;
    if (node.additionalProperties === false && !keys.every((k) => k in (node.properties as object))) return false;
    const deps = (node.dependencies ?? {}) as Record<string, string[]>;
    if (!Object.entries(deps).every(([k, needs]) => !keys.includes(k) || needs.every((n) => keys.includes(n)))) return false;
    if (node.not && accepts(node.not as SchemaNode, value)) return false;
    if (Array.isArray(node.anyOf) && !node.anyOf.some((n) => accepts(n as SchemaNode, value))) return false;
    if (Array.isArray(node.oneOf) && node.oneOf.filter((n) => accepts(n as SchemaNode, value)).length !== 1) return false;
    return true;
  }

  test('`tlog` is a boolean, default true, described', () => {
    const tlog = (signer.properties as Record<string, SchemaNode>).tlog;
    assert.equal(tlog.type, 'boolean');
    assert.equal(tlog.default, true);
    assert.match(String(tlog.description), /Rekor|transparency-log/);
  });

  test('accepted combinations match the loader: one kind, `tlog` only next to `key`', () => {
    const key = 'keys/cosign.pub';
    const keyless = { issuer: 'https://token.actions.githubusercontent.com', subject: 'a@b.c' };
    const notation = { certificate: 'certs/notation.pem' };
    const cases: [Record<string, unknown>, boolean][] = [
      [{ key }, true],
      [{ key, tlog: false }, true],
      [{ key, tlog: true }, true],
      [{ keyless }, true],
      [{ notation }, true],
      [{}, false],
      [{ tlog: false }, false],
      [{ keyless, tlog: false }, false],
      [{ notation, tlog: false }, false],
      [{ key, keyless }, false],
      [{ key, notation }, false],
      [{ keyless, notation }, false],
      [{ key, tlog: false, keyless }, false],
    ];
    for (const [value, expected] of cases) {
      assert.equal(accepts(signer, value), expected, JSON.stringify(value));
      const text = `version: 1\nrules:\n  - match: "**"\n    signers:\n      - ${JSON.stringify(value)}\n`;
      const loaded = loadPolicy(text, { policyPath: EXAMPLE_PATH, readFile: (p) => readFileSync(p, 'utf8') });
      assert.equal(loaded.broken, !expected, `loader on ${JSON.stringify(value)}: ${JSON.stringify(loaded.diagnostics)}`);
    }
  });
});

describe('sample policy in examples/', () => {
  const text = readFileSync(EXAMPLE_PATH, 'utf8');
  const result = loadPolicy(text, { policyPath: EXAMPLE_PATH, readFile: (p) => readFileSync(p, 'utf8') });

  test('loads with no errors and no warnings', () => {
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.broken, false);
  });

  test('means what its comments say', () => {
    const policy = result.policy!;
    assert.equal(matchRule(policy, 'registry.example.com/prod/team/api').rule.name, 'production');
    assert.equal(matchRule(policy, 'localhost:5000/x').rule.mode, 'off');
    assert.equal(matchRule(policy, 'nginx').rule.name, 'official images');
    assert.equal(matchRule(policy, 'quay.io/x/y').index, null);
    assert.deepEqual(policy.rules[0].signers.map((s) => s.type), ['key', 'keyless', 'notation']);
    const legacy = { name: 'registry.example.com/prod/legacy', digest: policy.exceptions[0].image.split('@')[1], path: 'deploy/legacy/app.yaml' };
    assert.ok(findException(policy, legacy, new Date('2026-06-01T00:00:00Z')).active);
  });
});
