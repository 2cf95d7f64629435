// Repository-name globs (`match:`, exception `image:`) and workspace path globs (exception `scope:`).
//
// Repository globs are matched against canonical fully qualified names (`docker.io/library/nginx`). Names and patterns
// go through the one name grammar of `../reference`: a pattern written in the familiar Docker form is normalized the
// way Docker normalizes names, so `nginx`, `library/*` and `acme/*` mean what `docker pull` would make of them, and
// its registry host is canonicalized like every name's (`GHCR.IO:443/acme/**` → `ghcr.io/acme/**`,
// `registry-1.docker.io/library/*` → `docker.io/library/*`). `/` separates segments: `*` and `?` stay within one
// segment, `**` spans any number of segments (including none). `{a,b}` and `[abc]` work as in shell globs; `!`
// negation and extglobs are off. A bracketed IPv6 host (`[::1]:5000/**`) is taken literally, not as a `[…]` class.

import picomatch from 'picomatch';
import { isRegistryHost, splitRepositoryName } from '../reference';

const GLOB_OPTIONS: picomatch.PicomatchOptions = { dot: true, nonegate: true, noextglob: true };
/** Repository globs are never file paths: `\` is an escape (for IPv6 hosts), on every platform. */
const REPOSITORY_GLOB_OPTIONS: picomatch.PicomatchOptions = { ...GLOB_OPTIONS, windows: false };
const PATTERN_CHARS = /^[A-Za-z0-9._\-/:*?{},[\]]+$/;
const GLOB_CHARS = /[*?{}[\]]/;
/** Spellings canonical names never contain: a glob host holding one would never match. */
const NON_CANONICAL_HOST = /(?:^|[^a-z0-9-])(?:index|registry-1)\.docker\.io(?![a-z0-9.-])|:0*443(?![0-9])/;

/**
 * The canonical fully qualified form of a repository name (`nginx` → `docker.io/library/nginx`, `GHCR.IO:443/a/b` →
 * `ghcr.io/a/b`); canonical names are returned unchanged. Total: a name that is not valid is normalized as far as it
 * can be (the same split), never refused, so a caller matching it still sees the canonical host.
 */
export function normalizeRepositoryName(name: string): string {
  const { domain, path } = splitRepositoryName(name);
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
  const { domain, path } = spansRegistries ? { domain: '', path: pattern } : splitRepositoryName(pattern);
  if (path.includes(':')) {
    return { ok: false, error: `\`${pattern}\` holds a tag; match patterns are repository names without tag or digest` };
  }
  const normalized = spansRegistries ? pattern : `${domain}/${path}`;
  if (path !== path.toLowerCase()) {
    return { ok: true, normalized, warning: `\`${pattern}\` has upper-case letters in the repository path; repository names are lower-case, so it never matches` };
  }
  if (GLOB_CHARS.test(domain) && !isRegistryHost(domain) && NON_CANONICAL_HOST.test(domain)) {
    return { ok: true, normalized, warning: `\`${pattern}\`: names are compared with Docker Hub as \`docker.io\` and without the default port \`:443\`, so this spelling of the registry never matches; write \`docker.io\` or leave out \`:443\`` };
  }
  return { ok: true, normalized };
}

/** Compiles normalized repository globs (from `checkRepositoryGlob`) into one predicate over fully qualified names. */
export function compileRepositoryGlobs(normalized: readonly string[]): (fullName: string) => boolean {
  if (normalized.length === 0) return () => false;
  const isMatch = picomatch(normalized.map(literalIpv6Host), REPOSITORY_GLOB_OPTIONS);
  return (fullName) => isMatch(fullName);
}

/** Escapes the brackets of a pattern's IPv6 host (`[::1]:5000/**`), which would otherwise be a character class. */
function literalIpv6Host(pattern: string): string {
  const slash = pattern.indexOf('/');
  const host = slash === -1 ? pattern : pattern.slice(0, slash);
  if (!host.startsWith('[') || !isRegistryHost(host)) return pattern;
  return host.replace(/[[\]]/g, '\\$&') + pattern.slice(host.length);
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
