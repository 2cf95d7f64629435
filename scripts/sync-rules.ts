// Writes the lists of rules that are copies of the table in server/src/core/rules.ts: the `imageTrust.severity`
// setting in package.json and the `severity` block of schemas/image-trust.schema.json. Only those two blocks change
// (the rest of each file is left byte for byte). test/unit/rules-table.test.ts checks that they match the table.
//
// Usage: node --import tsx scripts/sync-rules.ts [--check]   (--check: exit 1 if a file would change, write nothing)
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RULE_IDS, RULES, SEVERITY_SETTINGS } from '../server/src/core/rules';

const ROOT = resolve(import.meta.dirname, '..');
const PACKAGE_JSON = resolve(ROOT, 'package.json');
const SCHEMA = resolve(ROOT, 'schemas/image-trust.schema.json');

function defaultText(id: string): string {
  const r = RULES[id];
  return r.policyRule
    ? `Default: follows the trust policy (${id === 'policy-invalid' ? 'the problem: error or warning' : "the matching rule's mode: enforce → error, audit → warning"}).`
    : `Default: ${r.defaultSeverity}.`;
}

/** The value of `contributes.configuration.properties["imageTrust.severity"]`. */
export function severitySetting(): Record<string, unknown> {
  return {
    type: 'object',
    markdownDescription:
      'Severity per rule: `error`, `warning`, `information`, `hint`, or `off` to silence a rule everywhere. Overrides the `severity:` block of `.image-trust.yaml`; the CLI takes the same as `--severity rule=level`. Rules: [docs/rules.md](https://github.com/image-trust/image-trust/blob/main/docs/rules.md). One line can be silenced with a trailing `# image-trust: ignore <rule>` comment.',
    default: {},
    properties: Object.fromEntries(
      RULE_IDS.map((id) => [id, { type: 'string', enum: [...SEVERITY_SETTINGS], default: RULES[id].defaultSeverity, markdownDescription: `${RULES[id].title}. ${defaultText(id)}` }]),
    ),
    additionalProperties: false,
  };
}

/** The `severity` property of the policy schema, one line per rule (the schema is formatted by hand). */
function schemaSeverityBlock(indent: string): string {
  const i2 = `${indent}  `;
  const i3 = `${indent}    `;
  const levels = JSON.stringify([...SEVERITY_SETTINGS]).replace(/,/g, ', ');
  const lines = RULE_IDS.map((id) => `${i3}${JSON.stringify(id)}: { "description": ${JSON.stringify(`${RULES[id].title}. ${defaultText(id)}`)}, "type": "string", "enum": ${levels} }`);
  return [
    '{',
    `${i2}"description": ${JSON.stringify("Severity per rule id (see docs/rules.md): error, warning, information, hint, or off to silence the rule. Overrides the built-in default; the editor setting imageTrust.severity and the CLI's --severity override this block.")},`,
    `${i2}"type": "object",`,
    `${i2}"additionalProperties": false,`,
    `${i2}"properties": {`,
    lines.join(',\n'),
    `${i2}}`,
    `${indent}}`,
  ].join('\n');
}

/** End (exclusive) of the JSON value starting at `start` (an object), skipping strings. */
function valueEnd(text: string, start: number): number {
  if (text[start] !== '{') throw new Error(`expected { at ${start}`);
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error('unbalanced JSON');
}

/** The `{…}` value of `"key": {` whose key line is indented by exactly `indent`; null when absent. */
function findObject(text: string, key: string, indent: string): { start: number; end: number } | null {
  const at = text.indexOf(`\n${indent}${JSON.stringify(key)}: {`);
  if (at === -1) return null;
  const start = text.indexOf('{', at + indent.length + key.length + 3);
  return { start, end: valueEnd(text, start) };
}

const asciiJson = (value: unknown, indent: string) =>
  JSON.stringify(value, null, 2)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\n/g, `\n${indent}`);

export function syncPackageJson(text: string): string {
  const indent = '        ';
  const block = findObject(text, 'imageTrust.severity', indent);
  if (!block) throw new Error('package.json: "imageTrust.severity" not found');
  return text.slice(0, block.start) + asciiJson(severitySetting(), indent) + text.slice(block.end);
}

export function syncSchema(text: string): string {
  const indent = '    ';
  const existing = findObject(text, 'severity', indent);
  if (existing) return text.slice(0, existing.start) + schemaSeverityBlock(indent) + text.slice(existing.end);
  const after = findObject(text, 'exceptions', indent);
  if (!after) throw new Error('schema: top-level "exceptions" not found');
  return `${text.slice(0, after.end)},\n${indent}"severity": ${schemaSeverityBlock(indent)}${text.slice(after.end)}`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [path, sync] of [
    [PACKAGE_JSON, syncPackageJson],
    [SCHEMA, syncSchema],
  ] as const) {
    const before = readFileSync(path, 'utf8');
    const after = sync(before);
    JSON.parse(after);
    if (after === before) continue;
    stale = true;
    if (check) console.error(`${path} is out of date with server/src/core/rules.ts`);
    else {
      writeFileSync(path, after);
      console.log(`updated ${path}`);
    }
  }
  if (check && stale) process.exit(1);
}
