// Walks files and folders for the CLI: skips `.git`, `node_modules` and what `.gitignore` files ignore, never follows
// symlinked folders, and bounds the walk (file count, depth, file size).
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { ImageTrustError } from './errors';
import { gitlabIncludedFiles, gitlabProjectRoot } from './gitlab-includes';
import { chartOfTemplate, detectKind, isYamlName, kindFromName, type KindGlobs } from './kinds';
import type { FileKind } from './types';

export const MAX_FILE_BYTES = 5 * 1024 * 1024;
const MAX_FILES = 200_000;
const MAX_DEPTH = 64;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);

export interface WorkspaceFile {
  absPath: string;
  kind: FileKind;
  /** File text with a leading BOM removed (positions are then those an editor shows). */
  text: string;
  hadBom: boolean;
}

export interface SkippedFile {
  absPath: string;
  reason: string;
}

export interface WalkOptions {
  /** Force one kind for every file (CLI `--kind`). */
  forceKind?: FileKind;
  extraGlobs?: KindGlobs;
  maxFileBytes?: number;
}

export interface WalkResult {
  files: WorkspaceFile[];
  skipped: SkippedFile[];
}

interface IgnoreLayer {
  base: string;
  rules: Ignore;
}

function loadGitignore(dir: string): IgnoreLayer | null {
  const p = join(dir, '.gitignore');
  if (!existsSync(p)) return null;
  try {
    return { base: dir, rules: ignore().add(readFileSync(p, 'utf8')) };
  } catch {
    return null;
  }
}

function isIgnored(layers: IgnoreLayer[], abs: string, isDir: boolean): boolean {
  for (const layer of layers) {
    const rel = relative(layer.base, abs).split(sep).join('/');
    if (!rel || rel.startsWith('..')) continue;
    if (layer.rules.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/** Reads a file as text; `null` with a reason when it is too large or not text. */
export function readTextFile(absPath: string, maxBytes = MAX_FILE_BYTES): { text: string; hadBom: boolean } | { skip: string } {
  const size = statSync(absPath).size;
  if (size > maxBytes) {
    return { skip: `skipped: ${(size / 1048576).toFixed(1)} MiB is over the ${(maxBytes / 1048576).toFixed(0)} MiB limit for one file` };
  }
  const buf = readFileSync(absPath);
  if (buf.subarray(0, 8192).includes(0)) return { skip: 'skipped: binary file (contains NUL bytes)' };
  let text = buf.toString('utf8');
  const hadBom = text.charCodeAt(0) === 0xfeff;
  if (hadBom) text = text.slice(1);
  return { text, hadBom };
}

export function classifyFile(
  absPath: string,
  text: string | undefined,
  root: string,
  opts: WalkOptions,
  gitlabIncluded: ReadonlySet<string> = new Set(),
): FileKind | null {
  if (opts.forceKind) return opts.forceKind;
  const relativePath = relative(root, absPath).split(sep).join('/');
  const hasChartYaml = existsSync(join(dirname(absPath), 'Chart.yaml'));
  const chartTemplate = chartOfTemplate(absPath, existsSync) !== null;
  return detectKind(absPath, text, { hasChartYaml, chartTemplate, gitlabIncluded: gitlabIncluded.has(absPath), extraGlobs: opts.extraGlobs, relativePath });
}

/** Whether a file is worth reading at all (by name), before its content is sniffed. */
function isCandidate(absPath: string, root: string, opts: WalkOptions): boolean {
  if (opts.forceKind) return true;
  const relativePath = relative(root, absPath).split(sep).join('/');
  return kindFromName(absPath, { hasChartYaml: true, chartTemplate: true, extraGlobs: opts.extraGlobs, relativePath }) !== null || isYamlName(absPath);
}

export function walk(paths: string[], opts: WalkOptions = {}): WalkResult {
  const result: WalkResult = { files: [], skipped: [] };
  const maxBytes = opts.maxFileBytes ?? MAX_FILE_BYTES;
  let count = 0;
  // Files a GitLab project includes locally are GitLab CI files whatever their names: the project's `.gitlab-ci.yml`
  // is read before the files (above the scanned paths, or when a scanned folder holds one).
  const gitlabIncluded = new Set<string>();
  const gitlabProjects = new Set<string>();
  const addGitlabProject = (dir: string) => {
    if (opts.forceKind || gitlabProjects.has(dir)) return;
    gitlabProjects.add(dir);
    for (const f of gitlabIncludedFiles(dir)) gitlabIncluded.add(f);
  };

  const visitFile = (abs: string, root: string, explicit: boolean) => {
    if (++count > MAX_FILES) throw new ImageTrustError('USAGE', `more than ${MAX_FILES} files under the given paths; scan a narrower folder`);
    if (!explicit && !isCandidate(abs, root, opts)) return;
    const read = readTextFile(abs, maxBytes);
    if ('skip' in read) {
      result.skipped.push({ absPath: abs, reason: read.skip });
      return;
    }
    const kind = classifyFile(abs, read.text, root, opts, gitlabIncluded);
    if (kind) result.files.push({ absPath: abs, kind, text: read.text, hadBom: read.hadBom });
    else if (explicit) {
      result.skipped.push({
        absPath: abs,
        reason: 'skipped: not a Kubernetes, Dockerfile, Helm values or template, compose, kustomize, GitHub Actions, GitLab CI or dev container file (use --kind to force one)',
      });
    }
  };

  const visitDir = (dir: string, root: string, layers: IgnoreLayer[], depth: number) => {
    if (depth > MAX_DEPTH) return;
    const own = loadGitignore(dir);
    const active = own ? [...layers, own] : layers;
    if (existsSync(join(dir, '.gitlab-ci.yml'))) addGitlabProject(dir);
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (err) {
      result.skipped.push({ absPath: dir, reason: `skipped: cannot read folder (${(err as NodeJS.ErrnoException).code ?? err})` });
      return;
    }
    for (const name of entries) {
      const abs = join(dir, name);
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) continue; // never follow links out of the scanned tree
      if (st.isDirectory()) {
        if (SKIP_DIRS.has(name) || isIgnored(active, abs, true)) continue;
        visitDir(abs, root, active, depth + 1);
      } else if (st.isFile()) {
        if (isIgnored(active, abs, false)) continue;
        visitFile(abs, root, false);
      }
    }
  };

  for (const p of paths) {
    const abs = resolve(p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new ImageTrustError('IO_ERROR', `cannot read ${p}: no such file or folder`);
    }
    const project = opts.forceKind ? null : gitlabProjectRoot(st.isDirectory() ? abs : dirname(abs));
    if (project) addGitlabProject(project);
    if (st.isDirectory()) visitDir(abs, abs, [], 0);
    else visitFile(abs, dirname(abs), true);
  }
  return result;
}

