// `image-trust` CLI: thin glue over the core. Exit 0: nothing at or above --fail-on; 1: there is; 2: usage/I/O error.
import { ImageTrustError } from '../core/errors';
import type { Severity } from '../core/findings';
import type { AssessmentSettings } from '../core/assess';
import { reportFile, type ScanReport } from '../core/report';
import { TOOL_VERSION } from '../core/version';
import { walk } from '../core/workspace';
import { parseCli, USAGE, type CliOptions, type FailOn } from './args';
import { applyChangedSince, changedSinceText } from './changed-since';
import { formatJson, jsonReference } from './format/json';
import { renderTreeJson, renderTreeText } from './tree';
import { formatMarkdown } from './format/markdown';
import { formatSarif } from './format/sarif';
import { formatCodeQuality } from './format/codequality';
import { helpText } from './help';
import { runInit } from './init';
import { NO_PROGRESS, progressOn, type Progress } from './progress';
import { formatText } from './format/text';
import { displayPath } from './paths';
import { pinFiles } from './pin';
import { addLockedVerification, checkLock, runLock } from './lock';
import { formatUpdateJson, formatUpdateMarkdown, formatUpdateText, runUpdate, updateExitCode } from './update';
import { cliRegistryClient } from './registry';
import { addResolution } from './resolve';
import { cliSettings, loadCliPolicy } from './verify';

const VERSION = TOOL_VERSION;

const RANK: Record<Severity, number> = { error: 3, warning: 2, information: 1, hint: 0 };
const FAIL_RANK: Record<FailOn, number> = { error: 3, warning: 2, info: 1, never: Infinity };

export function scan(opts: CliOptions, cwd = process.cwd(), settings: AssessmentSettings = { severity: opts.severity }): ScanReport {
  const walked = walk(opts.paths, { forceKind: opts.kind });
  const report: ScanReport = { files: [], notices: walked.skipped.map((s) => ({ path: displayPath(s.absPath, cwd), message: s.reason })) };
  for (const file of walked.files) {
    const path = displayPath(file.absPath, cwd);
    try {
      report.files.push(reportFile(path, file.absPath, file.text, file.kind, settings));
    } catch (err) {
      // One file's failure never stops the scan: it becomes a notice naming the problem.
      report.notices.push({ path, message: `could not analyze: ${(err as Error).message}` });
    }
  }
  return report;
}

export function exitCodeFor(report: ScanReport, failOn: FailOn): number {
  const threshold = FAIL_RANK[failOn];
  const all = [...report.files, ...(report.policy ? [report.policy] : [])];
  return all.some((f) => f.findings.some((d) => RANK[d.severity] >= threshold)) ? 1 : 0;
}

/** A scan's report, the --changed-since gate and the registry extras: what every scan format renders. */
export interface ScanOutcome {
  report: ScanReport;
  gate?: Awaited<ReturnType<typeof applyChangedSince>>;
  extras?: Awaited<ReturnType<typeof addResolution>>;
  exitCode: number;
}

/** `scan` without the printing: the CLI and the GitHub Action (server/src/action) render the same outcome. */
export async function scanOutcome(opts: CliOptions, progress: Progress = NO_PROGRESS): Promise<ScanOutcome> {
  // The policy's `severity:` block applies to every scan; its signers only with --verify.
  const policy = loadCliPolicy(opts);
  const settings = cliSettings(opts, policy);
  const scanned = scan(opts, process.cwd(), settings);
  // --changed-since narrows the report before any registry work: only changed references are resolved/verified.
  const gate = opts.changedSince ? await applyChangedSince(scanned, opts.changedSince, opts.paths[0], opts.policy, process.cwd()) : undefined;
  const report = gate?.report ?? scanned;
  // --locked: verified from .image-trust.lock only, never a registry.
  const extras = opts.locked
    ? await addLockedVerification(report, opts, policy, settings)
    : opts.resolve || opts.verify || opts.admission ? await addResolution(report, opts, policy, settings, progress, gate) : undefined;
  progress.end();
  const exitCode = extras?.enforceFailed && opts.failOn !== 'never' ? 1 : exitCodeFor(report, opts.failOn);
  return { report, gate, extras, exitCode };
}

/** The scan in the format asked for. */
export function renderScan(opts: CliOptions, { report, gate, extras }: ScanOutcome): string {
  if (opts.format === 'json') return formatJson(report, { ...extras, changedSince: gate });
  if (opts.format === 'sarif') return formatSarif(report, VERSION);
  if (opts.format === 'codequality') return formatCodeQuality(report);
  if (opts.format === 'markdown') return formatMarkdown(report, { changedSince: gate });
  return formatText(report) + (gate ? changedSinceText(gate) : '');
}

export async function run(argv: string[], io: { out: (s: string) => void; err: (s: string) => void; progress?: Progress }): Promise<number> {
  const progress = io.progress ?? NO_PROGRESS;
  let opts: CliOptions;
  try {
    opts = parseCli(argv);
  } catch (err) {
    io.err(`image-trust: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    switch (opts.command) {
      case 'help':
        io.out(`${helpText(opts.helpTopic)}\n`);
        return 0;
      case 'version':
        io.out(`${VERSION}\n`);
        return 0;
      case 'scan': {
        const outcome = await scanOutcome(opts, progress);
        io.out(renderScan(opts, outcome));
        return outcome.exitCode;
      }
      case 'tree': {
        // The tree shows signatures: it resolves and verifies (answers from the cache only with --offline).
        const policy = loadCliPolicy(opts);
        const settings = cliSettings(opts, policy);
        const report = scan(opts, process.cwd(), settings);
        const extras = await addResolution(report, { ...opts, resolve: true, verify: true }, policy, settings);
        io.out(opts.format === 'json' ? renderTreeJson(report, extras.referenceFields, jsonReference) : renderTreeText(report, extras.referenceFields));
        return 0;
      }
      case 'pin': {
        const summary = await pinFiles(opts, cliRegistryClient(opts), progress);
        io.out(`${summary.lines.join('\n')}\n`);
        return summary.failed ? 1 : 0;
      }
      case 'update': {
        const run = await runUpdate(opts, cliRegistryClient(opts), new Date(), progress);
        io.out(opts.format === 'json' ? formatUpdateJson(run) : opts.format === 'markdown' ? formatUpdateMarkdown(run) : formatUpdateText(run));
        return updateExitCode(run);
      }
      case 'lock': {
        const result = opts.check ? checkLock(opts) : await runLock(opts, cliRegistryClient(opts));
        io.out(`${result.lines.join('\n')}\n`);
        return result.exitCode;
      }
      case 'init': {
        const result = await runInit(opts, progress);
        io.out(`${result.lines.join('\n')}\n`);
        return 0;
      }
      default:
        io.err(`image-trust: "${opts.command}" is not available in this build\n`);
        return 2;
    }
  } catch (err) {
    progress.end();
    const msg = err instanceof ImageTrustError ? err.message : `unexpected error: ${(err as Error).stack ?? err}`;
    io.err(`image-trust: ${msg}\n`);
    return 2;
  }
}

/** Process entry point (bin/image-trust.js). */
export function main(): void {
  // Progress lines only when stderr is a terminal (progress.ts).
  run(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), progress: progressOn(process.stderr) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`image-trust: ${err}\n`);
      process.exitCode = 2;
    },
  );
}
