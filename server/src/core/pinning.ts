// Plans the pins of many references at once (pin all in file / workspace, `image-trust pin`): resolve each distinct
// reference once, build one minimal edit per reference, and say for every reference what happened.
import { pinEdit, type TextEdit } from './edits';
import type { RegistryClient } from './registry/client';
import { pinTarget, resolveReference, type PlatformSpec, type Resolution } from './resolve';
import type { ImageRef } from './types';

export type PinOutcome =
  | { ref: ImageRef; result: 'pinned'; digest: string; edit: TextEdit }
  | { ref: ImageRef; result: 'already-pinned' }
  | { ref: ImageRef; result: 'skipped'; reason: string }
  | { ref: ImageRef; result: 'failed'; reason: string };

/**
 * Key of what a registry is asked for a reference: same name and tag → one question. The parsed name is canonical,
 * so `GHCR.IO/a/b:1` and `ghcr.io:443/a/b:1` are one question; each edit still rewrites its own text as written.
 */
export function resolutionKey(ref: ImageRef): string {
  const p = ref.parsed!;
  return `${p.name}:${p.tag ?? (p.digest ? '' : 'latest')}@${p.digest ?? ''}`;
}

export interface ResolveManyOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Resolves each distinct reference once (the client bounds concurrency per registry). */
export async function resolveMany(client: RegistryClient, refs: ImageRef[], opts: ResolveManyOptions = {}): Promise<Map<string, Resolution | null>> {
  const distinct = new Map<string, ImageRef>();
  for (const r of refs) if (r.parsed) distinct.set(resolutionKey(r), r);
  const out = new Map<string, Resolution | null>();
  let done = 0;
  await Promise.all(
    [...distinct].map(async ([key, ref]) => {
      out.set(key, opts.signal?.aborted ? null : await resolveReference(client, ref, { signal: opts.signal }));
      opts.onProgress?.(++done, distinct.size);
    }),
  );
  return out;
}

/** What pinning each reference of one document would do, given resolutions. */
export function planPins(text: string, refs: ImageRef[], resolutions: Map<string, Resolution | null>, platform?: PlatformSpec): PinOutcome[] {
  return refs.map((ref): PinOutcome => {
    if (ref.status === 'templated') return { ref, result: 'skipped', reason: 'built from a template or variable' };
    if (ref.status === 'invalid') return { ref, result: 'skipped', reason: `invalid reference: ${ref.error}` };
    if (ref.status === 'pinned') return { ref, result: 'already-pinned' };
    if (!ref.pin) return { ref, result: 'skipped', reason: 'cannot be pinned in place' };
    const r = resolutions.get(resolutionKey(ref));
    if (!r) return { ref, result: 'failed', reason: 'cancelled before it was resolved' };
    const target = pinTarget(r, platform);
    if ('error' in target) return { ref, result: 'failed', reason: target.error };
    const edit = pinEdit(text, ref, target.digest);
    return edit ? { ref, result: 'pinned', digest: target.digest, edit } : { ref, result: 'already-pinned' };
  });
}
