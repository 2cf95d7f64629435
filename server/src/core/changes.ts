// What a change adds or alters relative to a git ref, for the pre-merge gate (`scan --changed-since REF`) and the
// editor's "Compare with branch": the merge base of REF and HEAD is diffed against the WORKING TREE (like
// `git diff REF...` plus uncommitted edits and untracked, not ignored files), and a reference counts as changed only
// when its text changed — a reference that merely moved (lines inserted above it, a block cut and pasted) does not.
//
// git runs through execFile (never a shell) with a time limit, an output limit and no optional locks, so the gate
// never writes to the repository it inspects.
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { ImageTrustError } from './errors';
import type { Finding } from './findings';
import type { LineIndex } from './positions';
import type { FileReport, ScanReport } from './report';
import type { ImageRef, OffsetRange } from './types';

/** Lines of the working-tree file: 0-based (like positions.ts), half-open [start, end). */
export interface LineRange {
  start: number;
  end: number;
}

/** `end` of the range given to a file git does not track yet: every line is new, to the end of the file. */
export const TO_END_OF_FILE = Number.MAX_SAFE_INTEGER;

export type FileChangeStatus = 'added' | 'modified' | 'renamed' | 'deleted' | 'untracked';

/** One file's part of the diff, keyed by its working-tree path relative to the repository root (`/` separators). */
export interface FileDiff {
  path: string;
  /** Path at the merge base for renames (and the same path otherwise); null for added and untracked files. */
  oldPath: string | null;
  status: FileChangeStatus;
  /** Lines the working tree adds or changes. */
  added: LineRange[];
  /** Text of every removed line of this file's hunks, in order: what moved-but-unchanged text is compared with. */
  removed: string[];
}

export interface WorkingTreeDiff {
  /** Absolute, symlink-free path of the repository's top folder. */
  repoRoot: string;
  ref: string;
  /** Full commit id of `git merge-base REF HEAD`. */
  mergeBase: string;
  files: Map<string, FileDiff>;
}

const GIT_TIMEOUT_MS = 30_000;
const GIT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

class GitFailure extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(stderr);
  }
}

/** Runs `git args…` in `cwd`; resolves with stdout, rejects with GitFailure (git said no) or ImageTrustError. */
function git(args: string[], cwd: string): Promise<string> {
  // No optional locks: `git diff` would otherwise refresh the index, a write the gate must not make.
  const env = { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  return new Promise((resolvePromise, reject) => {
    execFile('git', args, { cwd, env, timeout: GIT_TIMEOUT_MS, maxBuffer: GIT_MAX_OUTPUT_BYTES, encoding: 'buffer', windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolvePromise(stdout.toString('utf8'));
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
      if (e.code === 'ENOENT') reject(new ImageTrustError('GIT_ERROR', '--changed-since needs git, but no `git` program was found on PATH'));
      else if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') reject(new ImageTrustError('GIT_ERROR', `git ${args[0]} printed more than ${GIT_MAX_OUTPUT_BYTES / 1048576} MiB; compare with a closer ref`));
      else if (e.killed) reject(new ImageTrustError('GIT_ERROR', `git ${args[0]} did not finish within ${GIT_TIMEOUT_MS / 1000} s`));
      else reject(new GitFailure(typeof e.code === 'number' ? e.code : null, stderr.toString('utf8').trim()));
    });
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

async function repositoryRoot(cwd: string): Promise<string> {
  try {
    return realpathSync((await git(['rev-parse', '--show-toplevel'], cwd)).trim());
  } catch (err) {
    if (err instanceof GitFailure) throw new ImageTrustError('GIT_ERROR', `--changed-since needs a git repository, and ${cwd} is not in one`);
    throw err;
  }
}

async function mergeBaseOf(repoRoot: string, ref: string): Promise<string> {
  // A leading dash would be read as an option by git: refuse it rather than quote it.
  if (ref === '' || ref.startsWith('-') || /[\0\n]/.test(ref)) throw new ImageTrustError('USAGE', `--changed-since: "${ref}" is not a git ref`);
  try {
    await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], repoRoot);
  } catch (err) {
    if (err instanceof GitFailure) throw new ImageTrustError('GIT_ERROR', `unknown git ref "${ref}": check the name, or fetch it first (e.g. git fetch origin ${ref})`);
    throw err;
  }
  try {
    return (await git(['merge-base', ref, 'HEAD'], repoRoot)).trim();
  } catch (err) {
    if (err instanceof GitFailure) {
      const why = err.stderr ? ` (${firstLine(err.stderr)})` : '';
      throw new ImageTrustError('GIT_ERROR', `no merge base between "${ref}" and HEAD${why}; in a shallow clone fetch the full history (actions/checkout fetch-depth: 0, GIT_DEPTH: 0)`);
    }
    throw err;
  }
}

/** The diff of the working tree against the merge base of `ref` and HEAD, for the repository holding `cwd`. */
export async function diffWorkingTree(cwd: string, ref: string): Promise<WorkingTreeDiff> {
  const repoRoot = await repositoryRoot(cwd);
  const mergeBase = await mergeBaseOf(repoRoot, ref);
  const diffArgs = [
    '-c', 'core.quotePath=false',
    'diff', '--no-ext-diff', '--no-textconv', '--no-color', '--ignore-submodules=all', '-U0', '-M',
    // Explicit prefixes: diff.noprefix / diff.mnemonicPrefix in a user's config would change the headers parsed here.
    '--src-prefix=a/', '--dst-prefix=b/',
    mergeBase, '--',
  ];
  let patch: string;
  let untracked: string;
  try {
    [patch, untracked] = await Promise.all([git(diffArgs, repoRoot), git(['ls-files', '--others', '--exclude-standard', '-z'], repoRoot)]);
  } catch (err) {
    if (err instanceof GitFailure) throw new ImageTrustError('GIT_ERROR', `git diff failed: ${firstLine(err.stderr) || `exit ${err.exitCode}`}`);
    throw err;
  }
  const files = new Map<string, FileDiff>();
  for (const f of parseUnifiedDiff(patch)) files.set(f.path, f);
  for (const path of untracked.split('\0')) {
    if (path) files.set(path, { path, oldPath: null, status: 'untracked', added: [{ start: 0, end: TO_END_OF_FILE }], removed: [] });
  }
  return { repoRoot, ref, mergeBase, files };
}

/**
 * The text of `path` (repository-relative, `/` separators) at `commit`, as stored (no textconv, no filters); null when
 * the commit has no such file. What `--changed-since --admission` reads the merge base's manifests and policies from.
 */
export async function fileAtCommit(repoRoot: string, commit: string, path: string): Promise<string | null> {
  if (!/^[0-9a-f]{7,64}$/.test(commit) || path.startsWith('-') || /[\0\n]/.test(path)) return null;
  try {
    return await git(['cat-file', 'blob', `${commit}:${path}`], repoRoot);
  } catch (err) {
    if (err instanceof GitFailure) return null;
    throw err;
  }
}

/** Changed line ranges per repository-relative path (deleted files are absent): what the editor marks. */
export async function changedLines(repoRoot: string, ref: string): Promise<Map<string, LineRange[]>> {
  const diff = await diffWorkingTree(repoRoot, ref);
  const out = new Map<string, LineRange[]>();
  for (const [path, f] of diff.files) if (f.status !== 'deleted' && f.added.length) out.set(path, f.added);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing `git diff -U0` output.

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** A path as git prints it: C-quoted ("a/x\"y", octal bytes) when it holds special characters. */
function unquotePath(written: string): string {
  if (!written.startsWith('"') || !written.endsWith('"') || written.length < 2) return written;
  const bytes: number[] = [];
  const body = written.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(C_ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `a/path`, `"b/pa\"th"`, or `/dev/null` (→ null) from a ---/+++ line's rest or a rename line. */
function sidePath(rest: string, prefix: string): string | null {
  // git appends a tab after a name containing a space (for GNU patch); it is not part of the name.
  const written = rest.endsWith('\t') ? rest.slice(0, -1) : rest;
  if (written === '/dev/null') return null;
  const path = unquotePath(written);
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

/** The path from `diff --git a/P b/P` when both halves are the same unquoted name (binary, mode-only changes). */
function headerPath(rest: string): string | null {
  if (!rest.startsWith('a/') || (rest.length - 1) % 2 !== 0) return null;
  const half = (rest.length - 1) / 2;
  const a = rest.slice(2, half);
  return rest.slice(half) === ` b/${a}` ? a : null;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

interface ParsingFile {
  header: string;
  oldPath: string | null;
  newPath: string | null;
  sawOld: boolean;
  sawNew: boolean;
  renamed: boolean;
  added: LineRange[];
  removed: string[];
}

function finish(f: ParsingFile): FileDiff | null {
  const oldPath = f.sawOld ? f.oldPath : f.oldPath ?? headerPath(f.header);
  const newPath = f.sawNew ? f.newPath : f.newPath ?? headerPath(f.header);
  if (newPath === null && oldPath === null) return null;
  if (newPath === null) return { path: oldPath!, oldPath, status: 'deleted', added: [], removed: f.removed };
  const status = oldPath === null ? 'added' : f.renamed || oldPath !== newPath ? 'renamed' : 'modified';
  return { path: newPath, oldPath, status, added: f.added, removed: f.removed };
}

/**
 * Parses `git diff -U0 --src-prefix=a/ --dst-prefix=b/` output. Hunk bodies are consumed by their line counts, so a
 * removed line that looks like a header (`--- a/x`) is read as content.
 */
export function parseUnifiedDiff(patch: string): FileDiff[] {
  const out: FileDiff[] = [];
  const lines = patch.split('\n');
  let cur: ParsingFile | null = null;
  const close = () => {
    const done = cur && finish(cur);
    if (done) out.push(done);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('diff --git ')) {
      close();
      cur = { header: line.slice('diff --git '.length), oldPath: null, newPath: null, sawOld: false, sawNew: false, renamed: false, added: [], removed: [] };
      continue;
    }
    if (!cur) continue;
    const hunk = HUNK.exec(line);
    if (hunk) {
      let oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      const newCount = hunk[4] === undefined ? 1 : Number(hunk[4]);
      let newLeft = newCount;
      // git numbers lines from 1; a hunk adding nothing names the line before it, which is not a change.
      if (newCount > 0) cur.added.push({ start: Number(hunk[3]) - 1, end: Number(hunk[3]) - 1 + newCount });
      while ((oldLeft > 0 || newLeft > 0) && i + 1 < lines.length) {
        const body = lines[++i];
        if (body.startsWith('-') && oldLeft > 0) {
          cur.removed.push(body.slice(1));
          oldLeft--;
        } else if (body.startsWith('+') && newLeft > 0) newLeft--;
        else if (!body.startsWith('\\')) break; // malformed: stop reading this hunk rather than misread the next
      }
      continue;
    }
    if (line.startsWith('--- ')) {
      cur.sawOld = true;
      cur.oldPath = sidePath(line.slice(4), 'a/');
    } else if (line.startsWith('+++ ')) {
      cur.sawNew = true;
      cur.newPath = sidePath(line.slice(4), 'b/');
    } else if (line.startsWith('rename from ')) {
      cur.renamed = true;
      cur.oldPath = sidePath(line.slice('rename from '.length), '');
    } else if (line.startsWith('rename to ')) {
      cur.newPath = sidePath(line.slice('rename to '.length), '');
    } else if (line.startsWith('new file mode')) {
      cur.sawOld = true;
    } else if (line.startsWith('deleted file mode')) {
      cur.sawNew = true;
    }
  }
  close();
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Deciding whether a reference (or any other span of a file, like a policy exception) changed.

/** Where a reference stands in the working-tree file: the lines it spans and the text that identifies it. */
export interface ReferenceSite {
  lines: LineRange;
  /** The reference text; for a multi-line site, its lines (trimmed) joined by `\n`. */
  text: string;
}

const REFERENCE_CHAR = /[A-Za-z0-9._:/@-]/;

/** Whether `needle` occurs in `haystack` not glued to more reference characters (`nginx:1.25` is not in `nginx:1.25-alpine`). */
function containsToken(haystack: string, needle: string): boolean {
  const checkBefore = REFERENCE_CHAR.test(needle[0] ?? '');
  const checkAfter = REFERENCE_CHAR.test(needle[needle.length - 1] ?? '');
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
    const before = haystack[at - 1] ?? ' ';
    const after = haystack[at + needle.length] ?? ' ';
    if ((!checkBefore || !REFERENCE_CHAR.test(before)) && (!checkAfter || !REFERENCE_CHAR.test(after))) return true;
  }
  return false;
}

/** Whether the site's text lines occur, in order and contiguously, within the removed lines (i.e. it moved). */
function appearsInRemoved(text: string, removed: readonly string[]): boolean {
  const needles = text.split('\n').map((l) => l.trim());
  if (needles.every((n) => n === '')) return false;
  for (let i = 0; i + needles.length <= removed.length; i++) {
    if (needles.every((n, k) => containsToken(removed[i + k], n))) return true;
  }
  return false;
}

/**
 * Pure: whether the working tree adds or changes the reference at `site`. It must touch an added line, and its
 * text must not appear among the same file's removed lines — there it merely moved. Untracked and added files have
 * no removed lines, so everything in them is changed; a file absent from the diff is unchanged.
 */
export function isReferenceChanged(diff: FileDiff | undefined, site: ReferenceSite): boolean {
  if (!diff || diff.status === 'deleted') return false;
  const touched = diff.added.some((r) => r.start < site.lines.end && site.lines.start < r.end);
  return touched && !appearsInRemoved(site.text, diff.removed);
}

function lineText(lines: LineIndex, line: number): string {
  const start = lines.offsetAt({ line, character: 0 });
  return lines.text.slice(start, lines.lineEndOf(start));
}

/** Column where a line's key starts, after indentation and `- ` sequence markers; whether it had a marker. */
function keyColumn(text: string): { column: number; item: boolean } {
  const m = /^(\s*)((?:-\s+)*)/.exec(text)!;
  return { column: m[0].length, item: m[2].length > 0 };
}

/** First line of the YAML block mapping holding the key on `line` whose keys start at column `indent`. */
function blockStart(lines: LineIndex, line: number, indent: number): number {
  if (keyColumn(lineText(lines, line)).item) return line;
  let start = line;
  for (let l = line - 1; l >= 0; l--) {
    const text = lineText(lines, l);
    if (text.trim() === '') break;
    const { column, item } = keyColumn(text);
    if (item && column === indent) return l; // `- name: …` opens this sequence item
    // A sibling key (same column) or a nested value (deeper) belongs to the mapping; anything shallower ends it.
    if (item || column < indent) break;
    start = l;
  }
  return start;
}

/**
 * The site of a reference: its own line, or for a reference assembled from a YAML mapping (Helm `image:` block,
 * kustomize `images[]` entry) every line of that mapping, so a changed `tag:` or `registry:` counts.
 */
export function referenceSite(ref: ImageRef, lines: LineIndex): ReferenceSite {
  const first = lines.positionAt(ref.range.start).line;
  const last = lines.positionAt(ref.range.end).line;
  if (ref.pin?.type !== 'mapping-key' || ref.pin.flow) return { lines: { start: first, end: last + 1 }, text: ref.text };
  const start = blockStart(lines, first, ref.pin.indent.length);
  const end = Math.max(last, lines.positionAt(ref.pin.insertAt).line, ref.pin.digestRange ? lines.positionAt(ref.pin.digestRange.end).line : last);
  return spanSite(lines, start, end + 1);
}

function spanSite(lines: LineIndex, start: number, end: number): ReferenceSite {
  const texts: string[] = [];
  for (let l = start; l < end; l++) texts.push(lineText(lines, l).trim());
  return { lines: { start, end }, text: texts.join('\n') };
}

// ---------------------------------------------------------------------------------------------------------------
// Applying the diff to a scan report and to the trust policy.

/** Path of `absPath` relative to the repository root with `/` separators, or null when it is outside. */
export function repoRelativePath(repoRoot: string, absPath: string): string | null {
  let real = absPath;
  try {
    real = realpathSync(absPath);
  } catch {
    // A file that vanished since the scan keeps its given path.
  }
  const rel = relative(repoRoot, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return rel.split(sep).join('/');
}

export interface ChangedSelection {
  /** The same files (and policy file), with only the changed references and the findings about them. */
  report: ScanReport;
  /** The references of a file of `report` that the change leaves as they were (for the JSON `changed: false`). */
  unchangedRefs: (file: FileReport) => ImageRef[];
  /** How many references are changed. */
  changedCount: number;
}

function overlaps(a: OffsetRange, b: OffsetRange): boolean {
  if (a.start === a.end || b.start === b.end) return a.start <= b.end && b.start <= a.end; // empty: touching counts
  return a.start < b.end && b.start < a.end;
}

function selectFile(f: FileReport, diff: FileDiff | undefined): { file: FileReport; unchanged: ImageRef[] } {
  const changed: ImageRef[] = [];
  const unchanged: ImageRef[] = [];
  for (const r of f.refs) (isReferenceChanged(diff, referenceSite(r, f.lines)) ? changed : unchanged).push(r);
  const keep = (d: Finding) => {
    if (changed.some((r) => overlaps(r.range, d.range))) return true;
    if (unchanged.some((r) => overlaps(r.range, d.range))) return false;
    // A finding about no reference (a future file-level rule) is judged by its own lines.
    const start = f.lines.positionAt(d.range.start).line;
    const end = f.lines.positionAt(d.range.end).line + 1;
    return isReferenceChanged(diff, { lines: { start, end }, text: f.lines.text.slice(d.range.start, d.range.end) });
  };
  const keepProblem = (p: { message: string; range: OffsetRange }) => keep({ code: 'unreadable-yaml', severity: 'warning', message: p.message, range: p.range });
  return { file: { ...f, refs: changed, problems: f.problems.filter(keepProblem), findings: f.findings.filter(keep) }, unchanged };
}

/**
 * Keeps only what the diff adds or changes. Run it before --resolve/--verify so only changed references reach a
 * registry; findings are matched to references by range, so every kind of finding follows its reference.
 */
export function selectChanged(report: ScanReport, diff: WorkingTreeDiff): ChangedSelection {
  const unchangedByPath = new Map<string, ImageRef[]>();
  let changedCount = 0;
  const files = report.files.map((f) => {
    const rel = repoRelativePath(diff.repoRoot, f.absPath);
    const { file, unchanged } = selectFile(f, rel === null ? undefined : diff.files.get(rel));
    unchangedByPath.set(f.absPath, unchanged);
    changedCount += file.refs.length;
    return file;
  });
  return { report: { ...report, files }, unchangedRefs: (file) => unchangedByPath.get(file.absPath) ?? [], changedCount };
}

/** An exception entry of `.image-trust.yaml` that the change adds or edits, as written (valid or not). */
export interface AddedException {
  image: string | null;
  owner: string | null;
  expires: string | null;
  reason: string | null;
}

export interface ChangedSinceSummary {
  ref: string;
  mergeBase: string;
  exceptionsAdded: AddedException[];
  /**
   * With `--admission`: admission denials the change introduces (admission evaluated at the merge base and in the
   * working tree, each with its own policies); `onUnchanged` of them are on references the change did not touch
   * (a policy, or the resource around the reference, changed).
   */
  admission?: { newDenials: number; onUnchanged: number };
}

function scalarText(node: unknown): string | null {
  if (!isScalar(node) || node.value === null || node.value === undefined) return null;
  return String(node.value);
}

/**
 * Exceptions the change adds or edits in the policy file (its working-tree `text`): every `exceptions[]` entry
 * whose lines changed. Read with the YAML parser only, not validated, so reviewers also see entries the policy
 * loader would reject.
 */
export function addedExceptions(text: string, diff: FileDiff | undefined, lines: LineIndex): AddedException[] {
  if (!diff) return [];
  const doc = parseDocument(text, { prettyErrors: false });
  const root = doc.contents;
  const seq = isMap(root) ? root.get('exceptions', true) : null;
  if (!isSeq(seq)) return [];
  const out: AddedException[] = [];
  for (const item of seq.items as Node[]) {
    if (!item?.range) continue;
    const start = lines.positionAt(item.range[0]).line;
    const end = lines.positionAt(Math.max(item.range[0], item.range[1] - 1)).line + 1;
    if (!isReferenceChanged(diff, spanSite(lines, start, end))) continue;
    const field = (key: string) => (isMap(item) ? scalarText(item.get(key, true)) : null);
    out.push({ image: isMap(item) ? field('image') : scalarText(item), owner: field('owner'), expires: field('expires'), reason: field('reason') });
  }
  return out;
}
