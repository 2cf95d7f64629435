// Which files a GitLab project's `.gitlab-ci.yml` includes locally (`include: 'ci/build.yml'`, `include: [{ local:
// … }]`, globs such as `ci/*.yml` and `ci/**.yml`), followed through nested includes. Those files are GitLab CI files
// whatever their names (kind `gitlab-ci`). Paths are relative to the project root (the folder of `.gitlab-ci.yml`);
// a leading `/` means the same. Remote, project, template and component includes are other repositories' files; paths
// with variables are decided at pipeline time: both are not followed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';

const MAX_INCLUDED = 150; // GitLab's own limit of included files per pipeline
const MAX_LISTED = 20_000;
const MAX_FILE_BYTES = 1024 * 1024;
const SKIP_DIRS = new Set(['.git', 'node_modules']);

/** The local include paths written in a GitLab CI file, as written (leading `/` removed). Never throws. */
export function localIncludes(text: string): string[] {
  const out: string[] = [];
  try {
    for (const doc of parseAllDocuments(text, { uniqueKeys: false })) {
      const root = doc.contents;
      if (!isMap(root)) continue;
      const include = root.get('include', true);
      const items = isSeq(include) ? include.items : include ? [include] : [];
      for (const item of items) {
        let path: unknown;
        if (isScalar(item)) path = item.value;
        else if (isMap(item) && !item.has('project')) path = item.get('local');
        if (typeof path !== 'string' || path === '' || /^[a-z]+:\/\//i.test(path) || path.includes('$')) continue;
        out.push(path.replace(/^\/+/, ''));
      }
    }
  } catch {
    // a file that cannot be parsed includes nothing we can know
  }
  return out;
}

/** Absolute paths of the files the project at `projectRoot` includes locally (nested includes followed). */
export function gitlabIncludedFiles(projectRoot: string, rootFile = '.gitlab-ci.yml'): Set<string> {
  const root = resolve(projectRoot);
  const included = new Set<string>();
  const queue = [join(root, rootFile)];
  const read = new Set<string>(queue);
  let listing: string[] | undefined;
  while (queue.length > 0 && included.size < MAX_INCLUDED) {
    const file = queue.shift()!;
    const text = readSmall(file);
    if (text === null) continue;
    for (const pattern of localIncludes(text)) {
      const matches = /[*?[{]/.test(pattern) ? (listing ??= listFiles(root)).filter(globMatcher(pattern)).map((p) => join(root, p)) : [join(root, pattern)];
      for (const abs of matches) {
        if (!abs.startsWith(root + sep) || included.size >= MAX_INCLUDED) continue;
        included.add(abs);
        if (!read.has(abs)) {
          read.add(abs);
          queue.push(abs);
        }
      }
    }
  }
  return included;
}

/**
 * The GitLab project root for a path: the nearest folder at or above it that holds `.gitlab-ci.yml`, not looking past
 * a folder with `.git` (the repository root). `null` when there is none.
 */
export function gitlabProjectRoot(start: string): string | null {
  let dir = resolve(start);
  for (let i = 0; i < 64; i++) {
    if (existsSync(join(dir, '.gitlab-ci.yml'))) return dir;
    if (existsSync(join(dir, '.git'))) return null;
    const parent = resolve(dir, '..');
    if (parent === dir) return null;
    dir = parent;
  }
  return null;
}

/** GitLab's glob semantics for `include: local`: `*` within a folder, `**` across folders (`ci/**.yml`). */
function globMatcher(pattern: string): (path: string) => boolean {
  const normalized = pattern.replace(/(^|[^*])\*\*(?!\/)/g, '$1**/*');
  const m = picomatch(normalized, { dot: true });
  return (p) => m(p);
}

function readSmall(file: string): string | null {
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return null;
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Project-relative paths of the YAML files under `root` (bounded), for glob includes. */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (depth > 32 || out.length >= MAX_LISTED) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= MAX_LISTED) return;
      const abs = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) visit(abs, depth + 1);
      } else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(relative(root, abs).split(sep).join('/'));
    }
  };
  visit(root, 0);
  return out;
}
