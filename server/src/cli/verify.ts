// `scan --verify`: verify every reference's signatures and attestations under the trust policy (glue over the core).
import { existsSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type { AssessmentSettings } from '../core/assess';
import { applySettings } from '../core/assess';
import { ImageTrustError } from '../core/errors';
import { LineIndex } from '../core/positions';
import { loadPolicyFile, policyFileFindings, POLICY_FILE, type LoadedPolicyFile } from '../core/policy-file';
import type { RegistryClient } from '../core/registry';
import type { FileReport, ScanReport } from '../core/report';
import type { Resolution } from '../core/resolve';
import type { ImageRef } from '../core/types';
import { VerificationCache, verifyReference, type ReferenceVerification } from '../core/verification';
import type { CliOptions } from './args';
import { displayPath } from './paths';
import { defaultCacheDir } from './registry';

export interface VerifyOutcome {
  of: (ref: ImageRef) => ReferenceVerification | null;
  /** True when the policy is broken, or an enforce rule's finding survives in the (possibly narrowed) report. */
  enforceFailed: (report: ScanReport) => boolean;
}

/**
 * A missing default policy file means "no policy" (the default rule); a file named with --policy must exist, or a
 * typo in a CI gate would silently check nothing. Called before any work is done.
 */
function assertPolicyExists(opts: CliOptions): void {
  if (opts.policy !== undefined && !existsSync(resolvePath(opts.policy))) {
    throw new ImageTrustError('USAGE', `--policy ${opts.policy}: no such file (${resolvePath(opts.policy)})`);
  }
}

/** The policy file the CLI uses (--policy, else .image-trust.yaml in the current folder; missing → the default). */
export function loadCliPolicy(opts: CliOptions): LoadedPolicyFile {
  assertPolicyExists(opts);
  return loadPolicyFile(resolvePath(opts.policy ?? POLICY_FILE));
}

/** Severity settings: --severity over the policy's `severity:` block over the rule table. */
export function cliSettings(opts: CliOptions, policy: LoadedPolicyFile): AssessmentSettings {
  return { severity: opts.severity, policySeverity: policy.result.policy?.severity };
}

export interface VerifyWith {
  /**
   * Verifies one reference some other way than through `client` and the verification cache (`scan --locked`: from
   * the trust lock, offline). When given, neither the client nor the cache is used.
   */
  verifyOne?: (ref: ImageRef, path: string, now: Date) => Promise<ReferenceVerification | null>;
  /** Called as references are verified (the CLI's progress line). */
  onProgress?: (done: number, total: number) => void;
}

export async function addVerification(
  report: ScanReport,
  opts: CliOptions,
  client: RegistryClient | null,
  resolutionOf: (ref: ImageRef) => Resolution | null,
  loaded: LoadedPolicyFile,
  settings: AssessmentSettings,
  using: VerifyWith = {},
): Promise<VerifyOutcome> {
  const now = new Date();
  const policyFindings = policyFileFindings(loaded, now)
    .map((f) => applySettings(f, undefined, settings))
    .filter((f) => f !== null);
  if (policyFindings.length && loaded.text !== null) {
    report.policy = { path: displayPath(loaded.path), absPath: loaded.path, lines: new LineIndex(loaded.text), findings: policyFindings };
  }
  const results = new Map<ImageRef, ReferenceVerification | null>();
  const total = report.files.reduce((n, f) => n + f.refs.length, 0);
  let done = 0;
  const cache = using.verifyOne ? undefined : new VerificationCache({ file: join(opts.cacheDir ?? defaultCacheDir(), 'verifications.json') });
  await Promise.all(
    report.files.flatMap((f: FileReport) =>
      f.refs.map(async (ref) => {
        if (using.verifyOne) results.set(ref, await using.verifyOne(ref, f.path, now));
        else if (client) results.set(ref, await verifyReference(client, ref, resolutionOf(ref), loaded.result, { now, path: f.path, cache }));
        using.onProgress?.(++done, total);
      }),
    ),
  );
  try {
    cache?.flush();
  } catch {
    /* the cache is an optimization: a read-only cache dir must not fail the scan */
  }
  return {
    of: (ref) => results.get(ref) ?? null,
    enforceFailed: (r) => loaded.result.broken || r.files.some((f) => f.findings.some((x) => x.mode === 'enforce' && x.severity === 'error')),
  };
}
