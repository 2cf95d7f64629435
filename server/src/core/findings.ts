// Findings (editor diagnostics, CLI results) derived from classified references. Rule ids are public: they appear
// in diagnostics (`code`), JSON/SARIF output and suppression comments, and docs/rules.md explains each.
import type { ImageRef, OffsetRange } from './types';

// The table of rules (RULES, severities) lives in ./rules; re-exported here for existing imports.
import { RULES, type Severity, type SeveritySetting } from './rules';
export { RULES, type RuleInfo, type Severity, type SeveritySetting } from './rules';

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  range: OffsetRange;
  /**
   * For policy findings: the mode of the policy rule that raised it. Under `enforce` the policy file decides: neither
   * severity settings nor suppression comments lower or silence it (exceptions, with owner and expiry, do).
   */
  mode?: 'enforce' | 'audit';
}

export type SeverityOverrides = Partial<Record<string, SeveritySetting>>;

function describe(ref: ImageRef): string {
  return ref.parsed?.familiar ?? ref.reference;
}

/**
 * The offline findings for one reference (no registry needed), before settings and suppressions: `assess.ts` is the
 * only caller that turns these into what users see.
 */
export function referenceFindings(ref: ImageRef): Finding[] {
  const out: Finding[] = [];
  const add = (code: string, message: string) => {
    out.push({ code, severity: RULES[code]?.defaultSeverity ?? 'warning', message, range: ref.range });
  };
  switch (ref.status) {
    case 'invalid':
      add('invalid-reference', `Invalid image reference "${ref.reference}": ${ref.error ?? 'cannot be parsed'}.`);
      break;
    case 'templated':
      add('templated', `Image "${ref.reference}" is built from a template or variable, so its pin cannot be checked here; make sure the value supplied at deploy/build time is pinned by digest.`);
      break;
    case 'unpinned':
      if (ref.parsed?.implicitLatest) {
        add('implicit-latest', `Image ${describe(ref)} has no tag or digest, so it means ${describe(ref)}:latest, which moves with every release; pin it to a digest (quick fix "Pin to digest", or image-trust pin).`);
      } else {
        add('unpinned-tag', `Image ${describe(ref)} is pinned only by the tag "${ref.parsed?.tag}", which can be moved to other bytes at any time; pin it to its digest (quick fix "Pin to digest", or image-trust pin) to deploy exactly what you tested.`);
      }
      break;
    case 'pinned':
      break;
  }
  return out;
}

/**
 * A YAML document that could not be read hides whatever it holds: say so instead of passing silently. A key written
 * twice (`code: 'duplicate-key'`) is read with every value, but which one a tool uses differs: say so too.
 */
export function problemFindings(problems: { message: string; range: OffsetRange; code?: string }[]): Finding[] {
  return problems.map((p) =>
    p.code === 'duplicate-key'
      ? {
          code: 'duplicate-key',
          severity: RULES['duplicate-key'].defaultSeverity,
          message: `YAML: ${p.message}. Tools disagree about which value wins (kubectl, Helm and PyYAML take the last; others the first, or refuse the file), so Image Trust reads every value; remove the copy that is not meant.`,
          range: p.range,
        }
      : {
          code: 'unreadable-yaml',
          severity: RULES['unreadable-yaml'].defaultSeverity,
          message: `Image Trust could not read this YAML document (${p.message}); image references in it are not checked.`,
          range: p.range,
        },
  );
}
