// `--format sarif`: SARIF 2.1.0 for code-scanning tools (rules with help text, results with regions).
import { createHash } from 'node:crypto';
import { findingSources, type ScanReport } from '../../core/report';
import { RULE_IDS, RULES, type Severity } from '../../core/rules';

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

/**
 * Which occurrence of `text` in the file this finding is, counted in the file text rather than among the reported
 * findings: the count then stays the same when `--changed-since` leaves earlier findings out (or a suppression
 * comment silences one), so a finding keeps its fingerprint between full and gated scans.
 */
class Occurrences {
  private readonly positions = new Map<string, number[]>();
  private readonly used = new Set<string>();

  of(path: string, fileText: string, text: string, offset: number, key: string): number {
    let occurrence = 1;
    if (text) {
      const cacheKey = `${path}\0${text}`;
      let at = this.positions.get(cacheKey);
      if (!at) {
        at = [];
        for (let i = fileText.indexOf(text); i !== -1; i = fileText.indexOf(text, i + 1)) at.push(i);
        this.positions.set(cacheKey, at);
      }
      occurrence += at.filter((p) => p < offset).length;
    }
    // Two findings of one rule at one place (or empty ranges) still get distinct fingerprints.
    while (this.used.has(`${key}\0${occurrence}`)) occurrence++;
    this.used.add(`${key}\0${occurrence}`);
    return occurrence;
  }
}

export function formatSarif(report: ScanReport, version: string): string {
  // Every rule of the table (a code outside it would still get an entry, so ruleIndex always resolves).
  const usedRules = new Set<string>(RULE_IDS);
  for (const f of findingSources(report)) for (const d of f.findings) usedRules.add(d.code);
  const ruleIds = [...usedRules];
  const rules = ruleIds.map(sarifRule);
  const occurrences = new Occurrences();
  const results = findingSources(report).flatMap((f) =>
    f.findings.map((d) => {
      const range = f.lines.rangeOf(d.range);
      const text = f.lines.text.slice(d.range.start, d.range.end);
      // Stable across unrelated edits: rule + file + the reference text + its occurrence, not the line number.
      const key = `${d.code}\0${f.path}\0${text}`;
      const occurrence = occurrences.of(f.path, f.lines.text, text, d.range.start, key);
      const fingerprint = createHash('sha256').update(`${key}\0${occurrence}`).digest('hex').slice(0, 32);
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
