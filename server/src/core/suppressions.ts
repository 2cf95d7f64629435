// Line-level opt-outs: `# image-trust: ignore [rule …]`. In YAML (and Helm templates) the comment trails the reference
// on its line; in a Dockerfile (which has no trailing comments) it is the comment line directly above the instruction;
// in a dev container's JSON with comments it is a trailing `// image-trust: ignore [rule …]`.
import type { LineIndex } from './positions';
import type { FileKind } from './types';

const DIRECTIVE = /#\s*image-trust:\s*ignore\b([^#\n\r]*)/;
const JSONC_DIRECTIVE = /\/\/\s*image-trust:\s*ignore\b([^\n\r]*)/;

/** Rules named by the directive (`['*']` when it names none), or `null` when there is no directive. */
function parseDirective(comment: string, directive = DIRECTIVE): string[] | null {
  const m = directive.exec(comment);
  if (!m) return null;
  const rules = m[1].split(/[\s,]+/).filter(Boolean);
  return rules.length ? rules : ['*'];
}

/** Index of the first `#` that starts a YAML comment in `s` (preceded by whitespace or at its start), or -1. */
function yamlCommentStart(s: string): number {
  for (let i = s.indexOf('#'); i !== -1; i = s.indexOf('#', i + 1)) {
    if (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t') return i;
  }
  return -1;
}

export function suppressedRules(kind: FileKind, lines: LineIndex, refEnd: number): string[] | null {
  const text = lines.text;
  if (kind === 'dockerfile') {
    const lineText = (line: number) => {
      const start = lines.offsetAt({ line, character: 0 });
      return text.slice(start, lines.lineEndOf(start));
    };
    // Walk up over the instruction's continuation lines (bounded) to its first line, then read the line above.
    let first = lines.positionAt(refEnd).line;
    for (let steps = 0; first > 0 && steps < 500 && /[\\`]\s*$/.test(lineText(first - 1)); steps++) first--;
    if (first === 0) return null;
    const above = lineText(first - 1).trim();
    return above.startsWith('#') ? parseDirective(above) : null;
  }
  const rest = text.slice(refEnd, lines.lineEndOf(refEnd));
  if (kind === 'devcontainer') return parseDirective(rest, JSONC_DIRECTIVE);
  const at = yamlCommentStart(rest);
  return at === -1 ? null : parseDirective(rest.slice(at));
}

export function isSuppressed(rules: string[] | null | undefined, code: string): boolean {
  return !!rules && (rules.includes('*') || rules.includes(code));
}

/**
 * The edit that silences `rule` for the reference ending at `refEnd`: a trailing comment in YAML (before an existing
 * comment, which keeps its text), a comment line above the instruction in a Dockerfile.
 */
export function ignoreEdit(kind: FileKind, lines: LineIndex, refEnd: number, rule: string): { at: number; text: string } {
  const text = lines.text;
  const directive = `# image-trust: ignore ${rule}`;
  if (kind === 'dockerfile') {
    let first = lines.positionAt(refEnd).line;
    const lineText = (line: number) => {
      const start = lines.offsetAt({ line, character: 0 });
      return text.slice(start, lines.lineEndOf(start));
    };
    for (let steps = 0; first > 0 && steps < 500 && /[\\`]\s*$/.test(lineText(first - 1)); steps++) first--;
    const start = lines.offsetAt({ line: first, character: 0 });
    const indent = /^[ \t]*/.exec(lineText(first))![0];
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    return { at: start, text: `${indent}${directive}${eol}` };
  }
  const lineEnd = lines.lineEndOf(refEnd);
  const rest = text.slice(refEnd, lineEnd);
  if (kind === 'devcontainer') {
    const comment = rest.indexOf('//');
    return comment === -1 ? { at: lineEnd, text: ` // image-trust: ignore ${rule}` } : { at: refEnd + comment, text: `// image-trust: ignore ${rule} ` };
  }
  const at = yamlCommentStart(rest);
  return at === -1 ? { at: lineEnd, text: ` ${directive}` } : { at: refEnd + at, text: `${directive} ` };
}
