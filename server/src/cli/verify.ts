// `scan --verify`: verify every reference's signatures and attestations under the trust policy (glue over the core).
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { ImageTrustError } from '../core/errors';
import { LineIndex } from '../core/positions';
import { loadPolicyFile, policyFileDiagnostics, POLICY_FILE } from '../core/policy-file';
import type { RegistryClient } from '../core/registry';
import type { FileReport, ScanReport } from '../core/report';
import type { Resolution } from '../core/resolve';
import type { ImageRef } from '../core/types';
import { VerificationCache, verifyReference, type ReferenceVerification } from '../core/verification';
import { join } from 'node:path';
import { defaultCacheDir } from './registry';
import type { CliOptions } from './args';
import { displayPath } from './paths';

export interface VerifyOutcome {
  of: (ref: ImageRef) => ReferenceVerification | null;
  enforceFailed: boolean;
}

/**
 * A missing default policy file means "no policy" (the default rule); a file named with --policy must exist, or a
 * typo in a CI gate would silently check nothing. Called before any work is done.
 */
export function assertPolicyExists(opts: CliOptions): void {
  if (opts.policy !== undefined && !existsSync(resolvePath(opts.policy))) {
    throw new ImageTrustError('USAGE', `--policy ${opts.policy}: no such file (${resolvePath(opts.policy)})`);
  }
}

export async function addVerification(report: ScanReport, opts: CliOptions, client: RegistryClient, resolutionOf: (ref: ImageRef) => Resolution | null): Promise<VerifyOutcome> {
  assertPolicyExists(opts);
  const policyPath = resolvePath(opts.policy ?? POLICY_FILE);
  const loaded = loadPolicyFile(policyPath);
  const now = new Date();
  const policyDiagnostics = policyFileDiagnostics(loaded, now);
  if (policyDiagnostics.length && loaded.text !== null) {
    const lines = new LineIndex(loaded.text);
    report.policy = {
      path: displayPath(policyPath),
      absPath: policyPath,
      lines,
      findings: policyDiagnostics.map((d) => ({ code: 'policy-invalid', severity: d.severity, message: `${d.path ? `${d.path}: ` : ''}${d.message}`, range: d.range })),
    };
  }
  const results = new Map<ImageRef, ReferenceVerification | null>();
  const cache = new VerificationCache({ file: join(opts.cacheDir ?? defaultCacheDir(), 'verifications.json') });
  await Promise.all(
    report.files.flatMap((f: FileReport) =>
      f.refs.map(async (ref) => {
        const v = await verifyReference(client, ref, resolutionOf(ref), loaded.result, { now, path: f.path, cache });
        results.set(ref, v);
        if (v) f.findings.push(...v.findings);
      }),
    ),
  );
  for (const f of report.files) f.findings.sort((a, b) => a.range.start - b.range.start);
  try {
    cache.flush();
  } catch {
    /* the cache is an optimization: a read-only cache dir must not fail the scan */
  }
  const enforceFailed = [...results.values()].some((v) => v?.policy.mode === 'enforce' && v.findings.some((x) => x.severity === 'error')) || loaded.result.broken;
  return { of: (ref) => results.get(ref) ?? null, enforceFailed };
}

/** JSON fields of one reference (public contract: add, never rename or remove). */
export function verificationFields(v: ReferenceVerification | null): Record<string, unknown> {
  if (!v) return { signatures: [], attestations: [], policy: null, trust: null };
  return {
    signatures: (v.trust?.signatures ?? []).map((s) => ({
      status: s.status,
      signer: s.signer ?? null,
      issuer: s.issuer ?? null,
      type: s.type,
      logIndex: s.logIndex ?? null,
      integratedTime: s.integratedTime ?? null,
      foundIn: s.foundIn,
      reason: s.reason,
    })),
    attestations: (v.trust?.attestations ?? []).map((a) => ({
      predicateType: a.predicateType,
      status: a.status,
      summary: a.summary?.summary ?? null,
      signer: a.signer ?? null,
      foundIn: a.foundIn,
      reason: a.reason,
    })),
    policy: { rule: v.policy.rule, mode: v.policy.mode, exception: v.policy.exception, ...(v.policy.error ? { error: v.policy.error } : {}) },
    trust: v.trust ? { digest: v.trust.digest, status: v.trust.status, reason: v.trust.reason, cached: v.cacheAgeMs !== undefined, cacheAgeMs: v.cacheAgeMs ?? null } : v.digest ? null : { digest: null, status: 'error', reason: 'digest unknown', cached: false },
  };
}
