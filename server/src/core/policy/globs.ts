// Repository-name globs (`match:`, exception `image:`) and workspace path globs (exception `scope:`).
//
// Repository globs are matched against fully qualified names (`docker.io/library/nginx`). A pattern written in the
// familiar Docker form is normalized the way Docker normalizes names, so `nginx`, `library/*` and `acme/*` mean what
// `docker pull` would make of them. `/` separates segments: `*` and `?` stay within one segment, `**` spans any
// number of segments (including none). `{a,b}` and `[abc]` work as in shell globs; `!` negation and extglobs are off.

import picomatch from 'picomatch';

const DOCKER_HUB = 'docker.io';
const GLOB_OPTIONS: picomatch.PicomatchOptions = { dot: true, nonegate: true, noextglob: true };
const PATTERN_CHARS = /^[A-Za-z0-9._\-/:*?{},[\]]+$/;

/**
 * Splits a name or pattern into registry host and path the Docker way: the first segment is a host when it holds
 * `.` or `:`, is `localhost`, or has upper-case letters; otherwise the host is `docker.io`. Docker Hub names with a
 * single path segment live under `library/`.
 */
function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isHost = slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  let domain = isHost ? first : DOCKER_HUB;
  let path = isHost ? name.slice(slash + 1) : name;
  if (domain === 'index.docker.io') domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  return { domain, path };
}

/** `nginx` → `docker.io/library/nginx`; fully qualified names are returned unchanged. */
export function normalizeRepositoryName(name: string): string {
  const { domain, path } = splitDomain(name);
  return `${domain}/${path}`;
}

export type GlobCheck =
  | { ok: true; normalized: string; warning?: string }
  | { ok: false; error: string };

/**
 * Checks a repository glob and normalizes it. A pattern whose first segment is `**` already spans every registry
 * and is kept as written.
 */
export function checkRepositoryGlob(pattern: string): GlobCheck {
  if (pattern.includes('@')) return { ok: false, error: `\`${pattern}\` holds a digest; match patterns are repository names without tag or digest` };
  if (!PATTERN_CHARS.test(pattern)) {
    return { ok: false, error: `\`${pattern}\` has characters that cannot occur in a repository name (allowed: letters, digits, . _ - / : and the glob characters * ? { } [ ] ,)` };
  }
  if (pattern.split('/').some((s) => s === '')) {
    return { ok: false, error: `\`${pattern}\` has an empty path segment (leading, trailing or double \`/\`)` };
  }
  const spansRegistries = pattern === '**' || pattern.startsWith('**/');
  const { domain, path } = spansRegistries ? { domain: '', path: pattern } : splitDomain(pattern);
  if (path.includes(':')) {
    return { ok: false, error: `\`${pattern}\` holds a tag; match patterns are repository names without tag or digest` };
  }
  const normalized = spansRegistries ? pattern : `${domain}/${path}`;
  if (path !== path.toLowerCase()) {
    return { ok: true, normalized, warning: `\`${pattern}\` has upper-case letters in the repository path; repository names are lower-case, so it never matches` };
  }
  return { ok: true, normalized };
}

/** Compiles normalized repository globs (from `checkRepositoryGlob`) into one predicate over fully qualified names. */
export function compileRepositoryGlobs(normalized: readonly string[]): (fullName: string) => boolean {
  if (normalized.length === 0) return () => false;
  const isMatch = picomatch([...normalized], GLOB_OPTIONS);
  return (fullName) => isMatch(fullName);
}

/** Workspace-relative path globs; `./` prefixes and Windows separators are ignored on both sides. */
export function compilePathGlobs(patterns: readonly string[]): (relPath: string) => boolean {
  if (patterns.length === 0) return () => false;
  const isMatch = picomatch(patterns.map(toPosixRelative), GLOB_OPTIONS);
  return (relPath) => isMatch(toPosixRelative(relPath));
}

function toPosixRelative(p: string): string {
  return p.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}
