// The Image Trust GitHub Action (action.yml, runs.using node20, main dist/action.js): `image-trust scan` over the
// repository, with findings as annotations on the diff (workflow commands — no code scanning needed), the markdown
// report as the job summary, a SARIF file for github/codeql-action/upload-sarif, and counts as step outputs.
// On a pull request it reports only what the pull request adds or changes (`--changed-since` the base commit from
// the event payload) unless `changed-since` says otherwise. Glue over the CLI's scan (server/src/cli/main.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { parseCli } from '../cli/args';
import { formatMarkdown } from '../cli/format/markdown';
import { formatSarif } from '../cli/format/sarif';
import { scanOutcome, type ScanOutcome } from '../cli/main';
import { ImageTrustError } from '../core/errors';
import type { Severity } from '../core/findings';
import { findingSources } from '../core/report';
import { TOOL_VERSION } from '../core/version';
import { appendSummary, getBooleanInput, getInput, setOutputs, workflowCommand, type AnnotationLevel } from './workflow';

const LEVEL: Record<Severity, AnnotationLevel> = { error: 'error', warning: 'warning', information: 'notice', hint: 'notice' };

interface Io {
  out: (line: string) => void;
}

/**
 * `changed-since`: the input when given (`none`: a full scan even on a pull request); otherwise the base commit of the
 * pull request (or merge group) that triggered the run, read from the event payload; otherwise none (full scan).
 */
export function changedSinceFor(env: NodeJS.ProcessEnv): string | undefined {
  const given = getInput(env, 'changed-since');
  if (given === 'none') return undefined;
  if (given) return given;
  if (!env.GITHUB_EVENT_PATH) return undefined;
  let event: { pull_request?: { base?: { sha?: string } }; merge_group?: { base_sha?: string } };
  try {
    event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the event payload GITHUB_EVENT_PATH=${env.GITHUB_EVENT_PATH}: ${(err as Error).message}`);
  }
  return event.pull_request?.base?.sha ?? event.merge_group?.base_sha ?? undefined;
}

/** The CLI arguments the inputs stand for. */
export function scanArgs(env: NodeJS.ProcessEnv): string[] {
  const paths = getInput(env, 'paths').split(/\s+/).filter(Boolean);
  const failOn = getInput(env, 'fail-on') || 'warning';
  const changedSince = changedSinceFor(env);
  const policy = getInput(env, 'policy');
  return [
    'scan',
    ...(paths.length ? paths : ['.']),
    '--fail-on', failOn,
    ...(changedSince ? ['--changed-since', changedSince] : []),
    ...(getBooleanInput(env, 'verify', false) ? ['--verify'] : []),
    ...(getBooleanInput(env, 'resolve', false) ? ['--resolve'] : []),
    ...(policy ? ['--policy', policy] : []),
  ];
}

/** One annotation per finding, on the line and columns of the reference (1-based, as the runner wants). */
export function annotations(outcome: ScanOutcome): string[] {
  return findingSources(outcome.report).flatMap((f) =>
    f.findings.map((d) => {
      const r = f.lines.rangeOf(d.range);
      return workflowCommand(LEVEL[d.severity], {
        file: f.path,
        line: r.start.line + 1,
        col: r.start.character + 1,
        endLine: r.end.line + 1,
        endColumn: r.end.character + 1,
        title: `Image Trust: ${d.code}`,
      }, d.message);
    }),
  );
}

export function counts(outcome: ScanOutcome): Record<string, number> {
  const findings = findingSources(outcome.report).flatMap((f) => f.findings);
  const refs = outcome.report.files.flatMap((f) => f.refs);
  return {
    findings: findings.length,
    errors: findings.filter((d) => d.severity === 'error').length,
    warnings: findings.filter((d) => d.severity === 'warning').length,
    notices: findings.filter((d) => d.severity === 'information' || d.severity === 'hint').length,
    references: refs.length,
    pinned: refs.filter((r) => r.status === 'pinned').length,
  };
}

/** Runs the action in `env` (the runner's environment); returns the process exit code. */
export async function runAction(env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  let outcome: ScanOutcome;
  let args: string[] = [];
  try {
    args = scanArgs(env);
    io.out(`image-trust ${TOOL_VERSION}: ${args.join(' ')}`);
    outcome = await scanOutcome(parseCli(args));
  } catch (err) {
    const message = err instanceof ImageTrustError || err instanceof Error ? err.message : String(err);
    const hint = /merge base|unknown (git )?ref|unknown revision|bad revision|not a valid|shallow/i.test(message)
      ? ' — the base commit must be in the clone: use actions/checkout with fetch-depth: 0'
      : '';
    io.out(workflowCommand('error', { title: 'Image Trust' }, `image-trust ${args.join(' ')}: ${message}${hint}`));
    return 2;
  }
  for (const line of annotations(outcome)) io.out(line);
  const sarifInput = getInput(env, 'sarif-file');
  if (sarifInput) writeFileSync(resolvePath(sarifInput), formatSarif(outcome.report, TOOL_VERSION));
  appendSummary(env, formatMarkdown(outcome.report, { changedSince: outcome.gate }));
  const c = counts(outcome);
  setOutputs(env, { ...c, 'sarif-file': sarifInput, 'exit-code': outcome.exitCode }, io.out);
  const failOn = getInput(env, 'fail-on') || 'warning';
  if (outcome.exitCode !== 0) {
    io.out(workflowCommand('error', { title: 'Image Trust' }, `${c.findings} finding(s); failing because of findings at or above "${failOn}" (input fail-on; "never" reports without failing).`));
  } else {
    io.out(`Image Trust: ${c.findings} finding(s), none at or above "${failOn}".`);
  }
  return outcome.exitCode;
}

/** Entry point: the runner starts `node dist/action.js` in the workspace. */
export function main(): void {
  if (process.env.GITHUB_WORKSPACE) process.chdir(process.env.GITHUB_WORKSPACE);
  runAction(process.env, { out: (line) => process.stdout.write(`${line}\n`) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stdout.write(`${workflowCommand('error', { title: 'Image Trust' }, `unexpected error: ${(err as Error).stack ?? err}`)}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) main();
