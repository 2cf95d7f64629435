// "Image Trust: Create Trust Policy from Workspace" (command imageTrust.initPolicy): the server reads the workspace's
// image references as `image-trust init` does and returns the starter policy text (core/starter-policy.ts); the
// client writes it — only where no policy exists — and opens it. With `verify` (a trusted workspace, not offline)
// the signatures are checked through the server's registry client and the verified keyless identities proposed.
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { analyzeText } from '../core/analyze';
import { observeSigners, repositoriesOf, starterPolicy, type SignerObservations } from '../core/starter-policy';
import type { ImageRef } from '../core/types';
import { walk } from '../core/workspace';
import type { KindGlobs } from '../core/kinds';
import type { RegistryClient } from '../core/registry';

export const INIT_POLICY_COMMAND = 'imageTrust.server.initPolicy';

export interface InitPolicyArgs {
  /** Check signatures and propose the identities seen (contacts registries). */
  verify?: boolean;
  /** The policy path, relative to the workspace root (the imageTrust.policyPath setting). */
  policyPath?: string;
}

export interface InitPolicyResult {
  /** The policy text to write; null when there is no workspace folder. */
  text: string | null;
  repositories: number;
  requireDigest: number;
  proposedSigners: number;
  /** Why signatures were not checked although asked (untrusted workspace, offline). */
  verifySkipped?: string;
  files: number;
}

export interface InitPolicyEnvironment {
  root: string | undefined;
  extraGlobs: KindGlobs;
  registry: RegistryClient;
  /** Null when the registry may be asked; else why not (Restricted Mode, offline setting). */
  registryUnavailable: string | null;
  onProgress?: (done: number, total: number, what: string) => void;
}

export async function initPolicy(args: InitPolicyArgs, env: InitPolicyEnvironment): Promise<InitPolicyResult> {
  if (!env.root) return { text: null, repositories: 0, requireDigest: 0, proposedSigners: 0, files: 0 };
  const walked = walk([env.root], { extraGlobs: env.extraGlobs });
  const refs: ImageRef[] = walked.files.flatMap((f) => analyzeText(f.text, f.kind).refs);
  let observations: SignerObservations | undefined;
  let verifySkipped: string | undefined;
  if (args.verify && env.registryUnavailable) verifySkipped = env.registryUnavailable;
  else if (args.verify) {
    observations = await observeSigners(env.registry, refs, {
      policyPath: resolvePath(env.root, args.policyPath ?? '.image-trust.yaml'),
      readFile: (p) => readFileSync(p, 'utf8'),
      onProgress: env.onProgress,
    });
  }
  const repos = repositoriesOf(refs);
  return {
    text: starterPolicy(refs, { observations, source: `${walked.files.length} file(s)` }),
    repositories: repos.length,
    requireDigest: repos.filter((r) => r.pinned === r.total).length,
    proposedSigners: observations ? [...observations.signers.values()].reduce((n, s) => n + s.length, 0) : 0,
    ...(verifySkipped ? { verifySkipped } : {}),
    files: walked.files.length,
  };
}
