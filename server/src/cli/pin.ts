// `image-trust pin`: rewrites files in place with the same minimal edits as the quick fix. A file is written only
// when every reference in it that needed a pin resolved; writes are atomic (temp file + rename, mode preserved).
import { chmodSync, renameSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { analyzeText } from '../core/analyze';
import { applyEdits } from '../core/edits';
import { planPins, resolveMany, type PinOutcome } from '../core/pinning';
import { parsePlatform } from '../core/resolve';
import type { RegistryClient } from '../core/registry';
import { walk } from '../core/workspace';
import type { CliOptions } from './args';
import { displayPath } from './paths';
import { NO_PROGRESS, type Progress } from './progress';

export interface PinSummary {
  lines: string[];
  failed: number;
}

/** Replaces a file's content atomically (temp file + rename), keeping its mode. */
export function writeAtomically(absPath: string, text: string): void {
  const mode = statSync(absPath).mode;
  const tmp = join(dirname(absPath), `.${randomBytes(6).toString('hex')}.image-trust.tmp`);
  try {
    writeFileSync(tmp, text, { mode });
    chmodSync(tmp, mode & 0o7777);
    renameSync(tmp, absPath);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw err;
  }
}

export async function pinFiles(opts: CliOptions, client: RegistryClient, progress: Progress = NO_PROGRESS): Promise<PinSummary> {
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const walked = walk(opts.paths, { forceKind: opts.kind });
  const analyzed = walked.files.map((f) => ({ file: f, analysis: analyzeText(f.text, f.kind) }));
  const resolutions = await resolveMany(client, analyzed.flatMap((a) => a.analysis.refs.filter((r) => r.status === 'unpinned')), {
    onProgress: (done, total) => progress.update('resolving', done, total),
  });
  progress.end();
  await client.flush();
  const lines: string[] = [];
  const counts = { pinned: 0, already: 0, skipped: 0, failed: 0 };
  for (const { file, analysis } of analyzed) {
    const path = displayPath(file.absPath);
    const outcomes = planPins(file.text, analysis.refs, resolutions, platform);
    const failures = outcomes.filter((o): o is Extract<PinOutcome, { result: 'failed' }> => o.result === 'failed');
    for (const o of outcomes) {
      const pos = analysis.lines.positionAt(o.ref.range.start);
      const where = `${path}:${pos.line + 1}:${pos.character + 1}`;
      const name = o.ref.parsed?.familiar ?? o.ref.reference;
      if (o.result === 'pinned') {
        if (failures.length) continue;
        counts.pinned++;
        lines.push(`${where}: ${opts.dryRun ? 'would pin' : 'pinned'} ${name} → ${o.digest}`);
      } else if (o.result === 'already-pinned') counts.already++;
      else if (o.result === 'skipped') {
        counts.skipped++;
        lines.push(`${where}: skipped ${name}: ${o.reason}`);
      } else {
        counts.failed++;
        lines.push(`${where}: failed ${name}: ${o.reason}`);
      }
    }
    const edits = outcomes.flatMap((o) => (o.result === 'pinned' ? [o.edit] : []));
    if (failures.length && edits.length) {
      lines.push(`${path}: left untouched because ${failures.length} reference(s) in it could not be resolved`);
      continue;
    }
    if (edits.length && !opts.dryRun) {
      const updated = applyEdits(file.text, edits);
      writeAtomically(file.absPath, (file.hadBom ? '\uFEFF' : '') + updated);
    }
  }
  lines.push(
    `${counts.pinned} ${opts.dryRun ? 'to pin' : 'pinned'}, ${counts.already} already pinned, ${counts.skipped} skipped, ${counts.failed} failed.`,
  );
  return { lines, failed: counts.failed };
}
