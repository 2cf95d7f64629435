// `image-trust init [paths…] [--verify] [--policy FILE] [--trusted-root FILE]`: writes a starter trust policy from
// the images the workspace uses (core/starter-policy.ts). Never overwrites: an existing file is an error (exit 2).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve as resolvePath, sep } from 'node:path';
import { analyzeText } from '../core/analyze';
import { ImageTrustError } from '../core/errors';
import { POLICY_FILE } from '../core/policy-file';
import { observeSigners, repositoriesOf, starterPolicy, type SignerObservations } from '../core/starter-policy';
import type { ImageRef } from '../core/types';
import { walk } from '../core/workspace';
import type { CliOptions } from './args';
import { displayPath } from './paths';
import { NO_PROGRESS, type Progress } from './progress';
import { cliRegistryClient } from './registry';

export interface InitResult {
  path: string;
  lines: string[];
}

export async function runInit(opts: CliOptions, progress: Progress = NO_PROGRESS, cwd = process.cwd()): Promise<InitResult> {
  const target = resolvePath(cwd, opts.policy ?? POLICY_FILE);
  const shown = displayPath(target, cwd);
  const refuse = () =>
    new ImageTrustError('USAGE', `${shown} already exists: init never overwrites a policy (edit it, or move it away and run init again)`);
  // Checked first, so nothing is asked of any registry for a file that will not be written.
  try {
    readFileSync(target);
    throw refuse();
  } catch (err) {
    if (err instanceof ImageTrustError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ImageTrustError('USAGE', `cannot check ${shown}: ${(err as Error).message}`);
  }
  const walked = walk(opts.paths, { forceKind: opts.kind });
  const refs: ImageRef[] = walked.files.flatMap((f) => analyzeText(f.text, f.kind).refs);
  // trustedRoot in the policy is relative to the policy file, as the loader reads it.
  const trustedRoot = opts.trustedRoot ? relative(dirname(target), resolvePath(cwd, opts.trustedRoot)).split(sep).join('/') : undefined;
  let observations: SignerObservations | undefined;
  if (opts.verify) {
    const client = cliRegistryClient(opts);
    try {
      observations = await observeSigners(client, refs, {
        policyPath: target,
        trustedRoot,
        readFile: (p) => readFileSync(p, 'utf8'),
        onProgress: (done, total, what) => progress.update(what, done, total),
      });
    } finally {
      progress.end();
      await client.flush();
    }
  }
  const text = starterPolicy(refs, { trustedRoot, observations, source: `${walked.files.length} file(s)` });
  try {
    // `wx`: fails if the file appeared meanwhile — still never an overwrite.
    writeFileSync(target, text, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw refuse();
    throw new ImageTrustError('USAGE', `cannot write ${shown}: ${(err as Error).message}`);
  }
  const repos = repositoriesOf(refs);
  const required = repos.filter((r) => r.pinned === r.total).length;
  const proposed = observations ? [...observations.signers.values()].reduce((n, s) => n + s.length, 0) : 0;
  return {
    path: target,
    lines: [
      `wrote ${shown}: ${repos.length} rule(s) in audit mode, ${required} with requireDigest: true${opts.verify ? `, ${proposed} signer identit${proposed === 1 ? 'y' : 'ies'} proposed (commented)` : ''}.`,
      'Review it, then commit it; `image-trust scan --verify` checks images against it.',
    ],
  };
}
