// Findings → LSP diagnostics (glue only).
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { Finding, Severity } from '../core/findings';
import type { LineIndex } from '../core/positions';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(f: Finding, lines: LineIndex, rulesDocUri: string): Diagnostic {
  return {
    range: lines.rangeOf(f.range),
    severity: SEVERITY[f.severity],
    code: f.code,
    codeDescription: { href: `${rulesDocUri}#${f.code}` },
    source: 'image-trust',
    message: f.message,
  };
}
