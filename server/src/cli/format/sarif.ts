// `--format sarif`: SARIF 2.1.0 for code-scanning tools (rules with help text, results with regions).
import { findingSources, type ScanReport } from '../../core/report';
import { RULE_IDS, RULES, type Severity } from '../../core/rules';
import { Fingerprints } from './fingerprint';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };
const RULES_DOC = 'https://github.com/image-trust/image-trust/blob/main/docs/rules.md';

/** SARIF `reportingDescriptor` of a rule, from the table of rules (core/rules.ts). */
export function sarifRule(id: string) {
  const r = RULES[id];
  const help = r?.help ?? id;
  return {
    id,
    name: id.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase()),
    shortDescription: { text: r?.title ?? id },
    fullDescription: { text: help },
    help: { text: help, markdown: `${help}\n\nSee docs/rules.md#${id}.` },
    helpUri: `${RULES_DOC}#${id}`,
    defaultConfiguration: { level: LEVEL[r?.defaultSeverity ?? 'warning'] },
  };
}

export function formatSarif(report: ScanReport, version: string): string {
  // Every rule of the table (a code outside it would still get an entry, so ruleIndex always resolves).
  const usedRules = new Set<string>(RULE_IDS);
  for (const f of findingSources(report)) for (const d of f.findings) usedRules.add(d.code);
  const ruleIds = [...usedRules];
  const rules = ruleIds.map(sarifRule);
  const fingerprints = new Fingerprints();
  const results = findingSources(report).flatMap((f) =>
    f.findings.map((d) => {
      const range = f.lines.rangeOf(d.range);
      const text = f.lines.text.slice(d.range.start, d.range.end);
      // Stable across unrelated edits: rule + file + the reference text + its occurrence, not the line number.
      const fingerprint = fingerprints.of(f.path, f.lines.text, d.code, d.range.start, d.range.end);
      return {
        ruleId: d.code,
        ruleIndex: ruleIds.indexOf(d.code),
        level: LEVEL[d.severity],
        message: { text: d.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: encodeURI(f.path), uriBaseId: '%SRCROOT%' },
              region: {
                startLine: range.start.line + 1,
                startColumn: range.start.character + 1,
                endLine: range.end.line + 1,
                endColumn: range.end.character + 1,
                snippet: { text },
              },
            },
          },
        ],
        partialFingerprints: { 'imageTrust/v1': fingerprint },
      };
    }),
  );
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'image-trust', version, semanticVersion: version, informationUri: 'https://github.com/image-trust/image-trust', rules } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
