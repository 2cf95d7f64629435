// `image-trust lock` (write or `--check` the trust lock) and `scan --verify --locked` (verify from the lock only: no
// registry, no network). The lock's format and its guarantees: core/lock.ts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { analyzeText } from '../core/analyze';
import type { AssessmentSettings } from '../core/assess';
import { ImageTrustError } from '../core/errors';
import { resolutionFacts, verificationFacts } from '../core/facts';
import { buildLock, imageKey, LOCK_FILE, lockFactFor, lockPolicyMismatch, lockReference, parseLock, serializeLock, verifyFromLock, type LockedImage, type LockFact, type TrustLock } from '../core/lock';
import type { LoadedPolicyFile } from '../core/policy-file';
import type { RegistryClient } from '../core/registry';
import { assessReport, type FileReport, type ScanReport } from '../core/report';
import type { ImageRef } from '../core/types';
import { walk } from '../core/workspace';
import type { CliOptions } from './args';
import { displayPath } from './paths';
import { writeAtomically } from './pin';
import { addVerification, loadCliPolicy } from './verify';

/** `--lock FILE`, else `.image-trust.lock` in the current folder (next to the default policy file). */
export function lockPath(opts: CliOptions, cwd = process.cwd()): string {
  return resolvePath(cwd, opts.lockFile ?? LOCK_FILE);
}

/** The lock the user named; a missing or unreadable lock is a usage error (exit 2), never "nothing to check". */
export function readLockFile(path: string): { lock: TrustLock; text: string } {
  if (!existsSync(path)) throw new ImageTrustError('USAGE', `no trust lock at ${path}: run image-trust lock (then review and commit ${LOCK_FILE})`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ImageTrustError('IO_ERROR', `cannot read the trust lock ${path}: ${(err as Error).message}`);
  }
  try {
    return { lock: parseLock(text), text };
  } catch (err) {
    throw new ImageTrustError('USAGE', `${path}: ${(err as Error).message}`);
  }
}

interface PinnedRef {
  ref: ImageRef;
  where: string;
}

/** Every reference pinned by digest under the given paths, with where it is written. */
function pinnedReferences(opts: CliOptions): { pinned: PinnedRef[]; all: ImageRef[] } {
  const walked = walk(opts.paths, { forceKind: opts.kind });
  const pinned: PinnedRef[] = [];
  const all: ImageRef[] = [];
  for (const f of walked.files) {
    const a = analyzeText(f.text, f.kind);
    for (const ref of a.refs) {
      all.push(ref);
      if (ref.status === 'pinned' && ref.parsed?.digest) {
        const p = a.lines.positionAt(ref.range.start);
        pinned.push({ ref, where: `${displayPath(f.absPath)}:${p.line + 1}` });
      }
    }
  }
  return { pinned, all };
}

export interface LockRun {
  lines: string[];
  exitCode: number;
}

/** `image-trust lock`: verify every pinned digest online, recording what was read; write the lock atomically. */
export async function runLock(opts: CliOptions, client: RegistryClient, now = new Date()): Promise<LockRun> {
  const policy = loadCliPolicy(opts);
  if (policy.result.broken) throw new ImageTrustError('USAGE', `the trust policy ${policy.path} is broken: fix it first (nothing verifies under a broken policy, so nothing can be locked)`);
  const path = lockPath(opts);
  let previous: TrustLock | null = null;
  if (existsSync(path)) {
    try {
      previous = parseLock(readFileSync(path, 'utf8'));
    } catch {
      previous = null; // an unreadable lock is replaced
    }
  }
  const { pinned } = pinnedReferences(opts);
  const distinct = new Map<string, PinnedRef>();
  for (const p of pinned) if (!distinct.has(imageKey(p.ref.parsed!.name, p.ref.parsed!.digest!))) distinct.set(imageKey(p.ref.parsed!.name, p.ref.parsed!.digest!), p);
  const entries: LockedImage[] = [];
  const lines: string[] = [];
  let incomplete = 0;
  for (const [key, { ref, where }] of [...distinct].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const { entry } = await lockReference(client, ref, policy.result, { now, path: where.replace(/:\d+$/, '') });
    entries.push(entry);
    if (entry.verdict.status === 'error') incomplete++;
    lines.push(`${where}: locked ${key}: ${entry.verdict.status} — ${entry.verdict.reason}`);
  }
  await client.flush();
  const lock = buildLock(entries, policy.result, now, previous);
  const text = serializeLock(lock);
  const unchanged = existsSync(path) && readFileSync(path, 'utf8') === text;
  if (!unchanged) {
    if (existsSync(path)) writeAtomically(path, text);
    else writeFileSync(path, text);
  }
  lines.push(`${unchanged ? 'Unchanged' : 'Wrote'} ${displayPath(path)}: ${entries.length} image(s), ${entries.filter((e) => e.verdict.status === 'verified').length} verified.`);
  if (incomplete) lines.push(`${incomplete} image(s) could not be checked completely (registry errors): their lock entries verify to "error" offline; run image-trust lock again.`);
  return { lines, exitCode: incomplete ? 1 : 0 };
}

/** `image-trust lock --check`: the lock is stale when it no longer matches the workspace, the policy, or its own form. */
export function checkLock(opts: CliOptions): LockRun {
  const policy = loadCliPolicy(opts);
  const path = lockPath(opts);
  const problems: string[] = [];
  let lock: TrustLock | null = null;
  if (!existsSync(path)) problems.push(`there is no ${displayPath(path)}`);
  else {
    const text = readFileSync(path, 'utf8');
    try {
      lock = parseLock(text);
      if (serializeLock(lock) !== text) problems.push(`${displayPath(path)} is not in the form image-trust writes (edited by hand?)`);
    } catch (err) {
      problems.push(`${displayPath(path)}: ${(err as Error).message}`);
    }
  }
  if (lock) {
    const mismatch = lockPolicyMismatch(lock, policy.result);
    if (mismatch) problems.push(mismatch);
    const { pinned } = pinnedReferences(opts);
    const wanted = new Set<string>();
    for (const { ref, where } of pinned) {
      const key = imageKey(ref.parsed!.name, ref.parsed!.digest!);
      wanted.add(key);
      if (!lock.images[key]) problems.push(`${where}: ${key} is pinned but not in the lock`);
    }
    for (const key of Object.keys(lock.images).sort()) if (!wanted.has(key)) problems.push(`${key} is in the lock but no longer referenced`);
  }
  if (problems.length === 0) return { lines: [`${displayPath(path)} is up to date (${Object.keys(lock!.images).length} image(s)).`], exitCode: 0 };
  return { lines: [`${displayPath(path)} is stale: run image-trust lock, then review and commit it.`, ...problems.map((p) => `  - ${p}`)], exitCode: 1 };
}

function lockJson(fact: LockFact | null | undefined): Record<string, unknown> | null {
  if (!fact) return null;
  if (fact.state === 'locked') return { state: 'locked', lockedAt: fact.lockedAt };
  if (fact.state === 'policy-changed') return { state: 'policy-changed', lockedAt: fact.lockedAt, reason: fact.detail };
  return { state: 'not-in-lock', reason: fact.reason };
}

/**
 * `scan --verify --locked`: every reference is verified from the lock (no registry, no verification cache), then
 * the report is re-assessed with the lock's findings. JSON fields as for --verify, plus `lock`.
 */
export async function addLockedVerification(report: ScanReport, opts: CliOptions, loaded: LoadedPolicyFile, settings: AssessmentSettings) {
  const { lock } = readLockFile(lockPath(opts));
  const facts = new Map<ImageRef, LockFact | null>();
  const verified = await addVerification(report, opts, null, () => null, loaded, settings, {
    verifyOne: async (ref, path, now) => {
      const r = await verifyFromLock(lock, ref, loaded.result, { now, path });
      facts.set(ref, r.fact);
      return r.verification;
    },
  });
  for (const f of report.files) for (const ref of f.refs) if (!facts.has(ref)) facts.set(ref, lockFactFor(lock, ref, loaded.result));
  assessReport(report, (ref) => ({ resolution: null, verification: verified.of(ref), lock: facts.get(ref) ?? null }), settings);
  return {
    enforceFailed: verified.enforceFailed(report),
    referenceFields: (_f: FileReport, ref: ImageRef): Record<string, unknown> => ({ ...resolutionFacts(ref, null), ...verificationFacts(verified.of(ref)), lock: lockJson(facts.get(ref)) }),
    lockCreated: lock.created,
  };
}
