// `image-trust tree`: every image with its digest, signatures, attestations and platforms, like `cosign tree`
// for one image but for a whole folder. Text, or JSON (`--format json`, schemaVersion 1).
import type { FileReport, ScanReport } from '../core/report';
import type { ImageRef } from '../core/types';

type Fields = (f: FileReport, ref: ImageRef) => Record<string, unknown>;

interface SigLike {
  status: string;
  type: string;
  signer: string | null;
  issuer: string | null;
  logIndex: number | null;
  foundIn: string;
}
interface AttLike {
  predicateType: string;
  status: string;
  summary: string | null;
}

function short(d: string): string {
  return `${d.slice(0, 19)}…`;
}

export function renderTreeText(report: ScanReport, fieldsOf: Fields): string {
  const out: string[] = [];
  for (const f of report.files) {
    if (!f.refs.length) continue;
    out.push(`📦 ${f.path} (${f.kind})`);
    f.refs.forEach((ref, i) => {
      const lastRef = i === f.refs.length - 1;
      const fields = fieldsOf(f, ref);
      const line = f.lines.positionAt(ref.range.start).line + 1;
      const name = ref.parsed?.familiar ?? ref.reference;
      out.push(`${lastRef ? '└──' : '├──'} ${name}  [line ${line}, ${ref.status}]`);
      const pad = lastRef ? '    ' : '│   ';
      const digest = ref.parsed?.digest ?? (fields.resolvedDigest as string | null);
      if (!digest) {
        const why = (fields.resolveError as string | undefined) ?? (ref.status === 'templated' ? 'templated: decided at deploy/build time' : ref.status === 'invalid' ? ref.error : 'digest unknown');
        out.push(`${pad}└── ❔ ${why}`);
        return;
      }
      const trust = fields.trust as { status: string; reason: string } | null;
      out.push(`${pad}└── 🔐 ${short(digest)} ${ref.parsed?.digest ? 'pinned' : `(tag ${ref.parsed?.tag ?? 'latest'} now)`}${trust ? ` — ${trust.status}` : ''}`);
      const children: string[] = [];
      for (const s of (fields.signatures as SigLike[] | undefined) ?? []) {
        children.push(`🔑 ${s.type} signature — ${s.status}${s.signer ? ` · ${s.signer}` : ''}${s.issuer ? ` · ${s.issuer}` : ''}${s.logIndex !== null ? ` · Rekor #${s.logIndex}` : ''} (${s.foundIn})`);
      }
      for (const a of (fields.attestations as AttLike[] | undefined) ?? []) children.push(`📄 ${a.summary ?? a.predicateType} — ${a.status}`);
      for (const p of (fields.platforms as { os: string; architecture: string; variant: string | null; digest: string }[] | undefined) ?? []) {
        children.push(`🖥  ${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''} ${short(p.digest)}`);
      }
      const policy = fields.policy as { rule: string | null; mode: string | null; exception: { message: string } | null } | null;
      if (policy?.rule) children.push(`⚖  policy rule "${policy.rule}" (${policy.mode})${policy.exception ? ` — ${policy.exception.message}` : ''}`);
      if (trust && !(fields.signatures as unknown[]).length) children.push(`∅  ${trust.reason}`);
      children.forEach((c, j) => out.push(`${pad}    ${j === children.length - 1 ? '└──' : '├──'} ${c}`));
    });
  }
  if (!out.length) out.push('No image references found.');
  return `${out.join('\n')}\n`;
}

export function renderTreeJson(report: ScanReport, fieldsOf: Fields, referenceJson: (f: FileReport, ref: ImageRef) => Record<string, unknown>): string {
  const files = report.files
    .filter((f) => f.refs.length)
    .map((f) => ({ path: f.path, kind: f.kind, references: f.refs.map((r) => ({ ...referenceJson(f, r), ...fieldsOf(f, r) })) }));
  return `${JSON.stringify({ schemaVersion: 1, files }, null, 2)}\n`;
}
