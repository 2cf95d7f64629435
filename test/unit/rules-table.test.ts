// The table of rules (server/src/core/rules.ts) is the one source: every copy of it — docs/rules.md, the
// imageTrust.severity setting in package.json, the policy schema's severity block, SARIF rule metadata — must follow,
// and every finding code the source emits must be in it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { formatSarif } from '../../server/src/cli/format/sarif';
import { RULES as RULES_FROM_FINDINGS } from '../../server/src/core/findings';
import {
  canLower,
  checkSeverityEntry,
  closeRuleIds,
  compareSeverity,
  effectiveSeverity,
  isRuleId,
  parseSeverityOverrides,
  RULE_IDS,
  RULES,
  SEVERITY_SETTINGS,
  type RuleId,
} from '../../server/src/core/rules';
import { syncPackageJson, syncSchema } from '../../scripts/sync-rules';

const ROOT = resolve(__dirname, '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const LEVELS = ['error', 'warning', 'information', 'hint', 'off'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the table of rules', () => {
  test('has unique ids, each entry under its own id, with a title and a one-paragraph help', () => {
    assert.equal(new Set(RULE_IDS).size, RULE_IDS.length);
    assert.ok(RULE_IDS.length >= 19, `only ${RULE_IDS.length} rules`);
    for (const id of RULE_IDS) {
      const r = RULES[id];
      assert.equal(r.id, id);
      assert.ok(r.title.length > 5 && !r.title.endsWith('.'), id);
      assert.ok(r.help.length > 40 && !r.help.includes('\n'), `${id}: help must be one paragraph`);
      assert.ok(LEVELS.slice(0, 4).includes(r.defaultSeverity), id);
      assert.equal(typeof r.pinFix, 'boolean');
      assert.equal(typeof r.policyRule, 'boolean');
    }
    assert.deepEqual(Object.keys(RULES), [...RULE_IDS]);
  });

  test('findings.ts re-exports the same table', () => {
    assert.equal(RULES_FROM_FINDINGS, RULES);
  });

  test('knows the rules that only the editor emits, and which take the pin fix or follow the policy', () => {
    for (const id of ['file-too-large', 'analysis-failed', 'policy-invalid', 'verify-failed']) assert.ok(isRuleId(id), id);
    assert.deepEqual(RULE_IDS.filter((id) => RULES[id].pinFix), ['unpinned-tag', 'implicit-latest', 'tag-not-allowed']);
    assert.deepEqual(
      RULE_IDS.filter((id) => RULES[id].policyRule),
      ['unsigned', 'untrusted-signer', 'invalid-signature', 'missing-attestation', 'verify-failed', 'exception-expired', 'tag-not-allowed', 'policy-invalid'],
    );
    assert.equal(isRuleId('nope'), false);
    assert.equal(isRuleId('toString'), false);
    assert.equal(isRuleId(undefined), false);
  });

  test('every finding code written in the source is a rule of the table', () => {
    const found = new Map<string, string>();
    for (const file of sourceFiles(join(ROOT, 'server/src'))) {
      const text = readFileSync(file, 'utf8');
      // `code: 'x'` in finding literals, `add('x', …)` in the finding builders, `add(cond ? 'x' : 'y', …)`.
      for (const m of text.matchAll(/\bcode: '([a-z][a-z0-9-]*)'|\badd\((?:[^'(),]*\? )?'([a-z][a-z0-9-]*)'(?: : '([a-z][a-z0-9-]*)')?/g)) {
        for (const code of m.slice(1)) if (code) found.set(code, file.slice(ROOT.length + 1));
      }
    }
    assert.ok(found.size >= 15, `found only ${[...found.keys()].join(', ')}`);
    const unknown = [...found].filter(([code]) => !isRuleId(code)).map(([code, file]) => `${code} (${file})`);
    assert.deepEqual(unknown, []);
    // And the other way: the table holds no rule the source never emits.
    assert.deepEqual(RULE_IDS.filter((id) => !found.has(id)), []);
  });
});

describe('docs/rules.md', () => {
  const doc = read('docs/rules.md');
  const sections = [...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) => ({ title: m[1].trim(), at: m.index! + m[0].length }));
  const ruleSections = sections.filter((s) => /^[a-z][a-z0-9-]*$/.test(s.title));

  test('has a section (anchor) for every rule id, and none for an unknown id', () => {
    const ids = ruleSections.map((s) => s.title);
    assert.deepEqual(ids.filter((id) => !isRuleId(id)), [], 'sections for ids that are not rules');
    assert.deepEqual(RULE_IDS.filter((id) => !ids.includes(id)), [], 'rules without a section');
    assert.equal(new Set(ids).size, ids.length, 'a rule has two sections');
  });

  test('states the default severity of every rule whose severity does not follow the policy', () => {
    const label: Record<string, string> = { error: 'Error', warning: 'Warning', information: 'Information', hint: 'Hint' };
    for (const s of ruleSections) {
      const r = RULES[s.title];
      if (r.policyRule) continue;
      const body = doc.slice(s.at).trimStart();
      assert.ok(body.startsWith(`*${label[r.defaultSeverity]}`), `${s.title}: section should start with *${label[r.defaultSeverity]}`);
    }
  });

  test('explains the severity settings: editor, --severity, and the policy file block', () => {
    assert.match(doc, /^## Severity settings$/m);
    assert.match(doc, /imageTrust\.severity/);
    assert.match(doc, /--severity rule=level/);
    assert.match(doc, /^\s*severity:\n\s+[a-z-]+: (error|warning|information|hint|off)\b/m);
  });
});

describe('package.json imageTrust.severity setting', () => {
  const text = read('package.json');
  const setting = JSON.parse(text).contributes.configuration.properties['imageTrust.severity'];

  test('lists every rule, in table order, with its default severity and the five levels', () => {
    assert.deepEqual(Object.keys(setting.properties), [...RULE_IDS]);
    for (const id of RULE_IDS) {
      const p = setting.properties[id];
      assert.equal(p.type, 'string', id);
      assert.deepEqual(p.enum, LEVELS, id);
      assert.equal(p.default, RULES[id].defaultSeverity, id);
      assert.ok(p.markdownDescription?.startsWith(RULES[id].title), id);
    }
    assert.equal(setting.additionalProperties, false, 'an unknown rule id in settings.json is flagged');
    assert.deepEqual(setting.default, {});
  });

  test('is exactly what scripts/sync-rules.ts writes (run it after changing the table)', () => {
    assert.equal(syncPackageJson(text), text);
  });
});

describe('policy schema severity block', () => {
  const text = read('schemas/image-trust.schema.json');
  const block = JSON.parse(text).properties.severity;

  test('lists every rule id with the five levels, and nothing else', () => {
    assert.equal(block.type, 'object');
    assert.equal(block.additionalProperties, false);
    assert.deepEqual(Object.keys(block.properties), [...RULE_IDS]);
    for (const id of RULE_IDS) {
      assert.deepEqual(block.properties[id].enum, LEVELS, id);
      assert.ok(block.properties[id].description.startsWith(RULES[id].title), id);
    }
  });

  test('is exactly what scripts/sync-rules.ts writes', () => {
    assert.equal(syncSchema(text), text);
  });
});

describe('SARIF rule metadata', () => {
  test('comes from the table: every rule, with its help text and default level', () => {
    const sarif = JSON.parse(formatSarif({ files: [], notices: [] }, '0.0.0'));
    const rules = sarif.runs[0].tool.driver.rules as { id: string; shortDescription: { text: string }; help: { text: string }; helpUri: string; defaultConfiguration: { level: string } }[];
    assert.deepEqual(
      rules.map((r) => r.id),
      [...RULE_IDS],
    );
    const level = { error: 'error', warning: 'warning', information: 'note', hint: 'note' } as const;
    for (const r of rules) {
      const info = RULES[r.id];
      assert.equal(r.shortDescription.text, info.title);
      assert.equal(r.help.text, info.help);
      assert.equal(r.defaultConfiguration.level, level[info.defaultSeverity]);
      assert.ok(r.helpUri.endsWith(`docs/rules.md#${r.id}`));
    }
  });
});

describe('severity settings', () => {
  test('parseSeverityOverrides takes a mapping or [rule, level] pairs; a later pair wins', () => {
    assert.deepEqual(parseSeverityOverrides({ 'unpinned-tag': 'error', templated: 'off' }), { overrides: { 'unpinned-tag': 'error', templated: 'off' }, errors: [] });
    assert.deepEqual(
      parseSeverityOverrides([
        ['templated', 'hint'],
        ['templated', 'off'],
      ]).overrides,
      { templated: 'off' },
    );
    assert.deepEqual(parseSeverityOverrides({}), { overrides: {}, errors: [] });
  });

  test('an unknown rule names it and the close ones', () => {
    const { overrides, errors } = parseSeverityOverrides({ 'unpinned-tags': 'error', templated: 'off' });
    assert.deepEqual(overrides, { templated: 'off' }, 'valid entries are kept');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].part, 'rule');
    assert.equal(errors[0].rule, 'unpinned-tags');
    assert.equal(errors[0].message, 'unknown rule "unpinned-tags"; did you mean unpinned-tag?');
    const fragment = checkSeverityEntry('unsigned-image', 'error');
    assert.ok(!fragment.ok && /^unknown rule "unsigned-image"; did you mean unsigned\b/.test(fragment.message), JSON.stringify(fragment));
  });

  test('an unknown rule with nothing close lists every rule', () => {
    const check = checkSeverityEntry('frobnicate', 'error');
    assert.ok(!check.ok);
    assert.equal(check.message, `unknown rule "frobnicate"; rules are: ${RULE_IDS.join(', ')}`);
  });

  test('an unknown level lists the valid levels (and the likely one)', () => {
    const warn = checkSeverityEntry('templated', 'warn');
    assert.ok(!warn.ok);
    assert.equal(warn.part, 'level');
    assert.equal(warn.message, 'unknown severity "warn" for rule templated; use one of error, warning, information, hint, off (did you mean warning?)');
    const info = checkSeverityEntry('templated', 'info');
    assert.ok(!info.ok && info.message.endsWith('(did you mean information?)'), 'info (as in --fail-on) is not a severity');
    const loud = checkSeverityEntry('templated', 'loud');
    assert.ok(!loud.ok && loud.message === 'unknown severity "loud" for rule templated; use one of error, warning, information, hint, off');
    const bool = checkSeverityEntry('templated', false);
    assert.ok(!bool.ok && bool.message === 'the severity of rule templated must be one of error, warning, information, hint, off (got false)');
  });

  test('closeRuleIds finds misspellings and fragments, not unrelated words', () => {
    assert.deepEqual(closeRuleIds('tag-move'), ['tag-moved']);
    assert.deepEqual(closeRuleIds('implicit_latest'), ['implicit-latest']);
    assert.ok(closeRuleIds('signer').includes('untrusted-signer'));
    assert.deepEqual(closeRuleIds('kubernetes'), []);
  });

  test('effectiveSeverity: user over policy over the table default', () => {
    assert.equal(effectiveSeverity('unpinned-tag'), 'warning');
    assert.equal(effectiveSeverity('unpinned-tag', { policy: { 'unpinned-tag': 'error' } }), 'error');
    assert.equal(effectiveSeverity('unpinned-tag', { policy: { 'unpinned-tag': 'error' }, user: { 'unpinned-tag': 'off' } }), 'off');
    assert.equal(effectiveSeverity('unpinned-tag', { policy: { templated: 'error' }, user: { 'tag-moved': 'off' } }), 'warning');
    assert.equal(effectiveSeverity('invalid-reference', { user: {} }), 'error');
    assert.equal(effectiveSeverity('not-a-rule', { user: { 'not-a-rule': 'off' } as never }), 'warning', 'unknown codes keep the fallback');
  });

  test('canLower is false exactly for policy rules; compareSeverity orders off < hint < … < error', () => {
    for (const id of RULE_IDS) assert.equal(canLower(id), !RULES[id].policyRule, id);
    assert.equal(canLower('unknown-code'), true);
    const order = ['off', 'hint', 'information', 'warning', 'error'] as const;
    for (let i = 0; i < order.length; i++) {
      for (let j = 0; j < order.length; j++) assert.equal(compareSeverity(order[i], order[j]), Math.sign(i - j));
    }
    assert.deepEqual([...SEVERITY_SETTINGS], LEVELS);
  });

  test('a RuleId-typed override object accepts every rule', () => {
    const all = Object.fromEntries(RULE_IDS.map((id) => [id, 'off'])) as Record<RuleId, 'off'>;
    assert.deepEqual(parseSeverityOverrides(all).errors, []);
  });
});
