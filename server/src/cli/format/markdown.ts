// `--format markdown`: a compact pull-request review comment. Every value written here comes from the repository
// under review (paths, references, policy text), so all of it is escaped: a crafted reference cannot break the
// table, inject HTML or links.
import type { ChangedSinceSummary } from '../../core/changes';
import { RULES, type Finding, type Severity } from '../../core/findings';
import type { LineIndex } from '../../core/positions';
import { findingSources, type ScanReport } from '../../core/report';
import type { ImageRef } from '../../core/types';

/** A scanned file or the policy file: whatever has findings. */
interface Source {
  path: string;
  lines: LineIndex;
  findings: Finding[];
  refs?: ImageRef[];
}

export interface MarkdownOptions {
  /** With `--changed-since`: the summary, and how many references the change adds or alters. */
  changedSince?: { summary: ChangedSinceSummary; changedCount: number };
}

const SEVERITY_ORDER: Severity[] = ['error', 'warning', 'information', 'hint'];
const ICON: Record<Severity, string> = { error: '⛔', warning: '⚠️', information: 'ℹ️', hint: '💡' };

/** Plain text in a table cell or list: Markdown punctuation and HTML are escaped, line breaks become spaces. */
export function escapeMarkdown(text: string): string {
  return text.replace(/\r?\n|\r/g, ' ').replace(/[\\`*_{}[\]<>()#+!|~&]/g, (c) => (c === '&' ? '&amp;' : `\\${c}`));
}

/**
 * A code span that shows `text` literally: the fence is one backtick longer than any run inside, padded when the
 * text starts or ends with a backtick or space. In a table cell `|` still splits cells inside code spans (GFM), so
 * it is escaped there; GFM removes that backslash again.
 */
export function codeSpan(text: string, inTable: boolean): string {
  const flat = text.replace(/\r?\n|\r/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(flat) ? ' ' : '';
  const body = inTable ? flat.replace(/\|/g, '\\|') : flat;
  return `${fence}${pad}${body}${pad}${fence}`;
}

const FIX: Record<string, (path: string) => string> = {
  'unpinned-tag': (path) => `pin to its digest: ${codeSpan(`image-trust pin ${path}`, true)}`,
  'implicit-latest': (path) => `add the tested tag and pin its digest: ${codeSpan(`image-trust pin ${path}`, true)}`,
  templated: () => 'make sure the value supplied at deploy/build time is pinned by digest',
  'invalid-reference': () => 'correct the reference (the runtime would refuse it)',
  'tag-moved': () => 'find out why the tag moved before updating the pin',
  'digest-not-found': () => 'pin a digest that exists in this repository',
  'resolve-failed': () => 'check registry access (credentials, network), then run again',
  'single-platform-pin': () => 'pin the multi-platform index digest instead',
  'tag-not-allowed': (path) => `the policy requires a digest: ${codeSpan(`image-trust pin ${path}`, true)}`,
  unsigned: () => 'use a signed image, or sign it with a key the policy trusts',
  'untrusted-signer': () => 'use an image signed by a trusted signer (or review the policy change)',
  'invalid-signature': () => 'do not deploy: the signature does not match this image',
  'missing-attestation': () => 'publish the required attestation for this digest',
  'verify-failed': () => 'pin the digest and check registry access, then verify again',
  'exception-expired': () => 'fix the image, or renew the exception with a new owner-approved expiry',
  'policy-invalid': () => 'fix .image-trust.yaml: nothing verifies while it is broken',
};

function referenceOf(f: Source, d: Finding): string {
  const ref = f.refs?.find((r) => r.range.start <= d.range.start && d.range.end <= r.range.end);
  return ref?.reference ?? f.lines.text.slice(d.range.start, d.range.end);
}

function row(f: Source, d: Finding): string {
  const line = f.lines.positionAt(d.range.start).line + 1;
  // Admission findings: the message is the point (engine, policy, rule, the reason, expected vs observed).
  const title = d.code === 'invalid-reference' || d.code.startsWith('admission-') || !RULES[d.code] ? d.message : RULES[d.code].title;
  const finding = `${ICON[d.severity]} ${codeSpan(d.code, true)} ${escapeMarkdown(title)}`;
  const fix = FIX[d.code]?.(f.path) ?? escapeMarkdown(RULES[d.code]?.help ?? 'see docs/rules.md');
  return `| ${codeSpan(`${f.path}:${line}`, true)} | ${codeSpan(referenceOf(f, d), true)} | ${finding} | ${fix} |`;
}

function severityCounts(findings: Finding[]): string {
  return SEVERITY_ORDER.map((s) => [s, findings.filter((d) => d.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

function exceptionLines(summary: ChangedSinceSummary | undefined): string[] {
  if (!summary?.exceptionsAdded.length) return [];
  const given = (v: string | null, code: boolean) => (v === null ? '_(not given)_' : code ? codeSpan(v, false) : escapeMarkdown(v));
  return [
    '',
    `**Policy exceptions added or changed (${summary.exceptionsAdded.length})** — check the owner and the expiry:`,
    ...summary.exceptionsAdded.map((e) => `- ${given(e.image, true)} — owner ${given(e.owner, true)}, expires ${given(e.expires, true)}: ${given(e.reason, false)}`),
  ];
}

/** With `--admission --changed-since`: how many admission denials are new, and how many hit untouched references. */
function admissionLines(summary: ChangedSinceSummary | undefined): string[] {
  const a = summary?.admission;
  if (!a || a.newDenials === 0) return [];
  const unchanged = a.onUnchanged ? ` — ${a.onUnchanged} on reference(s) this change did not touch: a policy, or the resource around them, changed` : '';
  return ['', `**Admission: ${a.newDenials} new denial(s)** compared with the merge base${unchanged}.`];
}

export function formatMarkdown(report: ScanReport, opts: MarkdownOptions = {}): string {
  const findings = findingSources(report).flatMap((f: Source) => f.findings.map((d) => ({ f, d })));
  const summary = opts.changedSince?.summary;
  const scope = opts.changedSince
    ? `${opts.changedSince.changedCount} image reference(s) added or changed since ${codeSpan(opts.changedSince.summary.ref, false)}`
    : `${report.files.reduce((n, f) => n + f.refs.length, 0)} image reference(s)`;
  if (findings.length === 0) return `${['✅ **Image Trust**: no findings in ' + scope + '.', ...exceptionLines(summary)].join('\n')}\n`;
  const out = [
    `### Image Trust: ${findings.length} finding(s) (${severityCounts(findings.map((x) => x.d))}) in ${scope}`,
    '',
    '| file:line | reference | finding | fix |',
    '| --- | --- | --- | --- |',
    ...findings.map(({ f, d }) => row(f, d)),
    '',
    'Deploy by digest: a tag is a label that can move, a digest (`name:tag@sha256:…`) is the exact image you tested.',
    ...admissionLines(summary),
    ...exceptionLines(summary),
  ];
  return `${out.join('\n')}\n`;
}
