// The policy file's top-level `severity:` block: rule id → level, validated with the table of rules, errors at the
// exact key or value.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultPolicy } from '../../server/src/core/policy';
import { RULE_IDS } from '../../server/src/core/rules';
import { errorsOf, load } from '../support/policy-fixtures';

const LEVELS = 'error, warning, information, hint, off';

/** The text a diagnostic points at. */
function at(text: string, d: { range: { start: number; end: number } }): string {
  return text.slice(d.range.start, d.range.end);
}

describe('severity: in the policy file', () => {
  test('is read into Policy.severity', () => {
    const r = load('version: 1\nseverity:\n  unpinned-tag: error\n  templated: off\n  tag-moved: hint\n');
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.policy!.severity, { 'unpinned-tag': 'error', templated: 'off', 'tag-moved': 'hint' });
  });

  test('is {} when absent, and in the default policy', () => {
    assert.deepEqual(load('version: 1\n').policy!.severity, {});
    assert.deepEqual(defaultPolicy().severity, {});
  });

  test('accepts every rule id and level, in flow style too', () => {
    const text = `version: 1\nseverity: { ${RULE_IDS.map((id) => `${id}: information`).join(', ')} }\n`;
    const r = load(text);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(Object.keys(r.policy!.severity), [...RULE_IDS]);
  });

  test('`off` is the string off (YAML 1.2), not false', () => {
    assert.deepEqual(load('version: 1\nseverity:\n  templated: off\n').policy!.severity, { templated: 'off' });
  });

  test('an unknown rule is an error at the key that names the close rule; the policy is broken', () => {
    const text = 'version: 1\nseverity:\n  unpinned-tags: error\n';
    const r = load(text);
    assert.equal(r.broken, true);
    assert.equal(r.policy, null);
    const [e] = errorsOf(r);
    assert.equal(e.message, 'unknown rule "unpinned-tags"; did you mean unpinned-tag?');
    assert.equal(e.path, 'severity.unpinned-tags');
    assert.equal(at(text, e), 'unpinned-tags');
  });

  test('an unknown rule with nothing close lists the rules', () => {
    const r = load('version: 1\nseverity:\n  kubernetes: off\n');
    assert.equal(errorsOf(r)[0].message, `unknown rule "kubernetes"; rules are: ${RULE_IDS.join(', ')}`);
  });

  test('an unknown level is an error at the value listing the levels', () => {
    const text = 'version: 1\nseverity:\n  templated: warn\n  unpinned-tag: error\n';
    const r = load(text);
    assert.equal(r.broken, true);
    const errors = errorsOf(r);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, `unknown severity "warn" for rule templated; use one of ${LEVELS} (did you mean warning?)`);
    assert.equal(errors[0].path, 'severity.templated');
    assert.equal(at(text, errors[0]), 'warn');
  });

  test('a level that is not a string: a boolean, a number, a list', () => {
    for (const [value, got, shown] of [
      ['false', 'false', 'false'],
      ['3', '3', '3'],
      ['[error]', 'a list', '[error]'],
      ['{ a: b }', 'a mapping', '{ a: b }'],
    ]) {
      const text = `version: 1\nseverity:\n  templated: ${value}\n`;
      const [e] = errorsOf(load(text));
      assert.equal(e.message, `the severity of rule templated must be one of ${LEVELS} (got ${got})`, value);
      assert.equal(at(text, e).trim(), shown);
    }
  });

  test('a rule with no level is an error at the key; a misspelled rule is reported first', () => {
    const text = 'version: 1\nseverity:\n  templated:\n  tag-move:\n';
    const errors = errorsOf(load(text));
    assert.deepEqual(
      errors.map((e) => [e.message, at(text, e)]),
      [
        [`\`templated\` needs a level: one of ${LEVELS}`, 'templated'],
        ['unknown rule "tag-move"; did you mean tag-moved?', 'tag-move'],
      ],
    );
  });

  test('severity must be a mapping', () => {
    const text = 'version: 1\nseverity: [unpinned-tag]\n';
    const r = load(text);
    const [e] = errorsOf(r);
    assert.match(e.message, /^`severity` must be a mapping of rule id to level, e\.g\. `unpinned-tag: error`/);
    assert.equal(at(text, e), '[unpinned-tag]');
    assert.equal(r.broken, true);
  });

  test('severity: with no value is an error', () => {
    const r = load('version: 1\nseverity:\n');
    assert.match(errorsOf(r)[0].message, /`severity` needs a value/);
  });

  test('keys must be strings', () => {
    const [e] = errorsOf(load('version: 1\nseverity:\n  1: error\n'));
    assert.match(e.message, /^keys of `severity` must be rule ids/);
  });

  test('a duplicate rule is a YAML error', () => {
    const r = load('version: 1\nseverity:\n  templated: off\n  templated: error\n');
    assert.equal(r.broken, true);
    assert.match(errorsOf(r)[0].message, /unique|duplicate/i);
  });

  test('anchors and aliases are followed', () => {
    const r = load('version: 1\nrules:\n  - match: nginx\n    mode: &lvl off\nseverity:\n  templated: *lvl\n');
    assert.deepEqual(r.policy!.severity, { templated: 'off' });
  });

  test('the severity block changes the policy hash (caches keyed by it see the change)', () => {
    assert.notEqual(load('version: 1\n').hash, load('version: 1\nseverity: { templated: off }\n').hash);
  });
});
