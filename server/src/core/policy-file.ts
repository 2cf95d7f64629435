// Reads the trust policy file from disk (shared by the CLI and the language server). Missing file → the default
// policy; unreadable or broken file → a broken result (fail closed), never the default policy.
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Finding } from './findings';
import { defaultPolicy, expiredExceptionDiagnostics, loadPolicy, type PolicyDiagnostic, type PolicyLoadResult } from './policy';

export const POLICY_FILE = '.image-trust.yaml';

export interface LoadedPolicyFile {
  path: string;
  /** The policy text, when a file exists (for mapping diagnostics to positions). */
  text: string | null;
  result: PolicyLoadResult;
}

export function loadPolicyFile(path: string): LoadedPolicyFile {
  if (!existsSync(path)) {
    return { path, text: null, result: { policy: defaultPolicy(), broken: false, diagnostics: [], hash: createHash('sha256').update('default').digest('hex') } };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const message = `cannot read the trust policy ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    return { path, text: '', result: { policy: null, broken: true, diagnostics: [{ message, range: { start: 0, end: 0 }, severity: 'error', path: '' }], hash: '' } };
  }
  return { path, text, result: loadPolicy(text, { policyPath: path, readFile: (p) => readFileSync(p, 'utf8') }) };
}

/** Everything to show in the policy file: load problems, and exceptions that have expired by `now`. */
export function policyFileDiagnostics(loaded: LoadedPolicyFile, now: Date): PolicyDiagnostic[] {
  const expired = loaded.result.policy ? expiredExceptionDiagnostics(loaded.result.policy, now) : [];
  return [...loaded.result.diagnostics, ...expired].sort((a, b) => a.range.start - b.range.start);
}

/**
 * The policy file's own findings (`policy-invalid`), one message for the editor and the CLI. Errors of a broken
 * policy carry `mode: 'enforce'`: a broken policy fails closed, and no severity setting may lower that.
 */
export function policyFileFindings(loaded: LoadedPolicyFile, now: Date): Finding[] {
  const broken = loaded.result.broken;
  return policyFileDiagnostics(loaded, now).map((d) => ({
    code: 'policy-invalid',
    severity: d.severity,
    message: `${d.path ? `${d.path}: ` : ''}${d.message}${broken && d.severity === 'error' ? ' — nothing is reported as verified until the policy is fixed.' : ''}`,
    range: d.range,
    ...(broken && d.severity === 'error' ? { mode: 'enforce' as const } : {}),
  }));
}
