// `scan --resolve` / `--verify` and `tree`: ask registries about every reference once, add their findings, and
// give the JSON fields per reference (public contract: added, never renamed or removed).
import { resolveMany, resolutionKey } from '../core/pinning';
import type { FileReport, ScanReport } from '../core/report';
import { resolutionFindings, type Resolution } from '../core/resolve';
import type { ImageRef } from '../core/types';
import type { CliOptions } from './args';
import { cliRegistryClient } from './registry';
import { addVerification, verificationFields } from './verify';

/** `--resolve`: ask registries about every reference once, add their findings and the JSON fields. */
export async function addResolution(report: ScanReport, opts: CliOptions) {
  const client = cliRegistryClient(opts);
  const refs = report.files.flatMap((f) => f.refs);
  const resolutions = await resolveMany(client, refs);
  const of = (ref: ImageRef): Resolution | null => (ref.parsed ? resolutions.get(resolutionKey(ref)) ?? null : null);
  for (const f of report.files) {
    f.findings.push(...f.refs.flatMap((r) => resolutionFindings(r, of(r))));
    f.findings.sort((a, b) => a.range.start - b.range.start);
  }
  const verified = opts.verify ? await addVerification(report, opts, client, of) : undefined;
  await client.flush();
  return {
    enforceFailed: verified?.enforceFailed ?? false,
    referenceFields: (_f: FileReport, ref: ImageRef) => {
      const r = of(ref);
      const fields: Record<string, unknown> = { resolvedDigest: r?.tagDigest ?? null };
      if (ref.status === 'pinned') fields.drift = r && !r.error ? r.drift ?? false : null;
      if (r?.error) fields.resolveError = r.error.message;
      if (r?.platforms.length) fields.platforms = r.platforms.map((p) => ({ os: p.os, architecture: p.architecture, variant: p.variant ?? null, digest: p.digest }));
      return verified ? { ...fields, ...verificationFields(verified.of(ref)) } : fields;
    },
  };
}

