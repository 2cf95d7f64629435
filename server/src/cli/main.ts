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
import { formatText } from './format/text';
import { displayPath } from './paths';
import { pinFiles } from './pin';
import { cliRegistryClient } from './registry';
import { addResolution } from './resolve';
import { assertPolicyExists, cliSettings, loadCliPolicy } from './verify';

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

export async function run(argv: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
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
        io.out(`${USAGE}\n`);
        return 0;
      case 'version':
        io.out(`${VERSION}\n`);
        return 0;
      case 'scan': {
        assertPolicyExists(opts);
        // The policy's `severity:` block applies to every scan; its signers only with --verify.
        const policy = loadCliPolicy(opts);
        const settings = cliSettings(opts, policy);
        const scanned = scan(opts, process.cwd(), settings);
        // --changed-since narrows the report before any registry work: only changed references are resolved/verified.
        const gate = opts.changedSince ? await applyChangedSince(scanned, opts.changedSince, opts.paths[0], opts.policy, process.cwd()) : undefined;
        const report = gate?.report ?? scanned;
        const extras = opts.resolve || opts.verify || opts.admission ? await addResolution(report, opts, policy, settings) : undefined;
        if (opts.format === 'json') io.out(formatJson(report, { ...extras, changedSince: gate }));
        else if (opts.format === 'sarif') io.out(formatSarif(report, VERSION));
        else if (opts.format === 'markdown') io.out(formatMarkdown(report, { changedSince: gate }));
        else io.out(formatText(report) + (gate ? changedSinceText(gate) : ''));
        if (extras?.enforceFailed && opts.failOn !== 'never') return 1;
        return exitCodeFor(report, opts.failOn);
      }
      case 'tree': {
        // The tree shows signatures: it resolves and verifies (answers from the cache only with --offline).
        assertPolicyExists(opts);
        const policy = loadCliPolicy(opts);
        const settings = cliSettings(opts, policy);
        const report = scan(opts, process.cwd(), settings);
        const extras = await addResolution(report, { ...opts, resolve: true, verify: true }, policy, settings);
        io.out(opts.format === 'json' ? renderTreeJson(report, extras.referenceFields, jsonReference) : renderTreeText(report, extras.referenceFields));
        return 0;
      }
      case 'pin': {
        const summary = await pinFiles(opts, cliRegistryClient(opts));
        io.out(`${summary.lines.join('\n')}\n`);
        return summary.failed ? 1 : 0;
      }
      default:
        io.err(`image-trust: "${opts.command}" is not available in this build\n`);
        return 2;
    }
  } catch (err) {
    const msg = err instanceof ImageTrustError ? err.message : `unexpected error: ${(err as Error).stack ?? err}`;
    io.err(`image-trust: ${msg}\n`);
    return 2;
  }
}

/** Process entry point (bin/image-trust.js). */
export function main(): void {
  run(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`image-trust: ${err}\n`);
      process.exitCode = 2;
    },
  );
}
