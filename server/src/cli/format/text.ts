// `--format text`: one line per finding, like a compiler, then a summary a newcomer can read.
import type { ScanReport } from '../../core/report';

export function formatText(report: ScanReport): string {
  const out: string[] = [];
  let pinned = 0;
  let total = 0;
  for (const f of report.files) {
    for (const d of f.findings) {
      const p = f.lines.positionAt(d.range.start);
      out.push(`${f.path}:${p.line + 1}:${p.character + 1}: ${d.severity} [${d.code}] ${d.message}`);
    }
    total += f.refs.length;
    pinned += f.refs.filter((r) => r.status === 'pinned').length;
  }
  for (const d of report.policy?.findings ?? []) {
    const p = report.policy!.lines.positionAt(d.range.start);
    out.push(`${report.policy!.path}:${p.line + 1}:${p.character + 1}: ${d.severity} [${d.code}] ${d.message}`);
  }
  for (const n of report.notices) out.push(`${n.path}: note: ${n.message}`);
  const findings = report.files.reduce((n, f) => n + f.findings.length, 0) + (report.policy?.findings.length ?? 0);
  out.push(
    `${report.files.length} file(s), ${total} image reference(s): ${pinned} pinned by digest, ${findings} finding(s).` +
      (findings ? ' Deploy by digest: a tag is a label, not a guarantee.' : ''),
  );
  return `${out.join('\n')}\n`;
}
