// Shared helpers for the policy tests: a virtual file system for key material and freshly generated keys.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadPolicy, type PolicyLoadResult } from '../../server/src/core/policy';

export const POLICY_DIR = path.resolve('/ws/config');
export const POLICY_PATH = path.join(POLICY_DIR, '.image-trust.yaml');

function newKeyPair(): { publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicPem: String(publicKey.export({ type: 'spki', format: 'pem' })),
    privatePem: String(privateKey.export({ type: 'pkcs8', format: 'pem' })),
  };
}

export const KEY = newKeyPair();
export const OTHER_KEY = newKeyPair();
/** A real certificate, from the sample policy (the repository's own file). */
export const CERT_PEM = readFileSync(path.resolve('examples/policy/certs/notation.pem'), 'utf8');

/** A virtual file system; records what was read so tests can check path resolution. */
export function virtualFiles(files: Record<string, string>): { readFile: (p: string) => string; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readFile(p: string): string {
      reads.push(p);
      const text = files[p];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
      return text;
    },
  };
}

export const DEFAULT_FILES: Record<string, string> = {
  [path.join(POLICY_DIR, 'keys/cosign.pub')]: KEY.publicPem,
  [path.join(POLICY_DIR, 'certs/notation.pem')]: CERT_PEM,
};

export function load(text: string, files: Record<string, string> = DEFAULT_FILES): PolicyLoadResult {
  return loadPolicy(text, { policyPath: POLICY_PATH, readFile: virtualFiles(files).readFile });
}

/** Indents a multi-line string for a YAML block scalar. */
export function indentBlock(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text.trimEnd().split('\n').map((l) => pad + l).join('\n');
}

export function errorsOf(r: PolicyLoadResult) {
  return r.diagnostics.filter((d) => d.severity === 'error');
}

export function warningsOf(r: PolicyLoadResult) {
  return r.diagnostics.filter((d) => d.severity === 'warning');
}
