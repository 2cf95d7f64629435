// Docker/OCI image reference parsing and normalization, following distribution/reference (Parse,
// ParseNormalizedNamed, ParseDockerRef, FamiliarName).
//
// The grammar is scanned by hand instead of with the upstream regular expressions: this runs for every
// reference on every keystroke, so each check walks its slice once (linear time, no backtracking) and only
// the parts that end up in the result are copied out of the input.
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path
//   path       := path-comp { "/" path-comp }                                (at most 255 characters)
//   domain     := host [ ":" port-digits ]
//   host       := label { "." label } | "[" { hex-digit | ":" }+ "]"        (label: [a-zA-Z0-9] ends, '-' inside)
//   path-comp  := [a-z0-9]+ { separator [a-z0-9]+ }      separator := "." | "_" | "__" | "-"+
//   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//   digest     := algorithm ":" hex       algorithm := [A-Za-z][A-Za-z0-9]* { [-_+.] [A-Za-z][A-Za-z0-9]* }
//
// Digests: sha256 (64 lowercase hex digits) and sha512 (128) are supported; other algorithms are rejected.
//
// This module is the one place that splits and normalizes image names. Everything that compares names (policy
// rules and exceptions, registry hosts, cache keys) uses the canonical form it produces:
//
//   - the registry host is the first component when it holds '.' or ':', is `localhost`, or has upper-case letters;
//     otherwise the name is on Docker Hub (`docker.io`), where one-component paths live under `library/`;
//   - host names are case-insensitive: the canonical host is lower-case, except a host that lower-case would turn
//     into a Docker Hub namespace (`LocalDomain/x`: no '.', no ':', not localhost), which is upper-case instead;
//   - `:443` (HTTPS, the default port) is dropped and leading zeros of a port are dropped; other ports stay;
//   - `index.docker.io` and `registry-1.docker.io` are `docker.io`.
//
// `parseRaw` alone keeps the name exactly as written (Go's `reference.Parse`).

import { ImageTrustError } from './errors';
import type { ParsedReference } from './types';

export type InvalidReferenceReason =
  | 'empty'
  | 'input-too-long'
  | 'uppercase-repository'
  | 'name-too-long'
  | 'tag-too-long'
  | 'invalid-tag'
  | 'invalid-digest'
  | 'digest-length'
  | 'unsupported-digest-algorithm'
  | 'invalid-domain'
  | 'invalid-format'
  | 'image-id';

export class InvalidReferenceError extends ImageTrustError {
  constructor(
    readonly reason: InvalidReferenceReason,
    message: string,
    /** The reference as given to the parser. */
    readonly input: string,
  ) {
    super('INVALID_REFERENCE', message);
    this.name = 'InvalidReferenceError';
  }
}

/** Result of {@link parseRaw}: the reference exactly as written, split into its parts. */
export interface RawParsed {
  /** Repository name as written: `domain/path`, or just `path` when no domain was written. */
  name: string;
  /** Registry host (with port) as written, '' when the name has none. */
  domain: string;
  path: string;
  tag: string | null;
  digest: string | null;
}

/** Longer input is refused before scanning; real references are a few hundred characters at most. */
export const MAX_REFERENCE_INPUT_LENGTH = 4096;
/** Upstream's NameTotalLengthMax, which it checks against the path (the part after the registry host). */
export const MAX_PATH_LENGTH = 255;
export const MAX_TAG_LENGTH = 128;

/** Docker Hub's canonical registry host. */
export const DEFAULT_DOMAIN = 'docker.io';
/** Other hosts that serve Docker Hub: the same registry as `docker.io`. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set(['index.docker.io', 'registry-1.docker.io']);
/** The one alias upstream's normalization rewrites (case-sensitively); {@link canonicalHost} handles them all. */
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const GLOBSTAR = '**';
const LOCALHOST = 'localhost';
/** Registries are HTTPS; a port equal to its default names the same registry. */
const DEFAULT_PORT = '443';

/** Hex length of each supported digest algorithm. */
const DIGEST_HEX_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha512', 128],
]);

// ---------------------------------------------------------------------------------------------------------
// Public API

/** Parse without normalization (Go's `reference.Parse`): the name, domain and path stay as written. */
export function parseRaw(input: string): RawParsed {
  checkInput(input);
  const parts = splitReference(input);
  const { domain, path } = splitRawName(input, parts.name);
  checkPathLength(input, path);
  return { name: parts.name, domain, path, tag: validTag(input, parts.tag), digest: validDigest(input, parts.digest) };
}

/**
 * Parse and normalize (Go's `ParseNormalizedNamed`, then the canonical host): `nginx` → `docker.io/library/nginx`,
 * `index.docker.io` / `registry-1.docker.io` → `docker.io`, `GHCR.IO:443/a/b` → `ghcr.io/a/b`. `name`, `domain`
 * and `familiar` are canonical (see the top of this file). Tag and digest are both kept when both are written;
 * `implicitLatest` is true when neither is.
 */
export function parseReference(input: string): ParsedReference {
  return parseNormalized(input, true);
}

/**
 * Go's `ParseNormalizedNamed` exactly: like {@link parseReference}, but the registry host stays as written (only
 * `index.docker.io` becomes `docker.io`, as upstream does): `Foo/bar` keeps `Foo`, `ghcr.io:443/a` keeps `:443`.
 * For comparing with upstream's vectors; never for comparing names (policy, exceptions, cache keys).
 */
export function parseNormalizedNamed(input: string): ParsedReference {
  return parseNormalized(input, false);
}

function parseNormalized(input: string, canonical: boolean): ParsedReference {
  checkInput(input);
  if (isImageId(input)) {
    throw new InvalidReferenceError(
      'image-id',
      `${quote(input)} is a 64-character hexadecimal image ID, not a repository name`,
      input,
    );
  }
  const parts = splitReference(input);
  const { name, domain, path } = parseName(input, parts.name, canonical);
  const tag = validTag(input, parts.tag);
  const digest = validDigest(input, parts.digest);
  return {
    name,
    domain,
    path,
    tag,
    digest,
    implicitLatest: tag === null && digest === null,
    familiar: formatReference({ name: familiarName(name), tag, digest }),
  };
}

/**
 * Go's `ParseDockerRef`: the normalized reference as a string, with `:latest` added when neither tag nor digest
 * is written, and the tag dropped when a digest is present (the digest alone decides what is pulled).
 */
export function dockerRef(input: string): string {
  const ref = parseReference(input);
  if (ref.digest !== null) return formatReference({ name: ref.name, tag: null, digest: ref.digest });
  return formatReference({ name: ref.name, tag: ref.tag ?? 'latest', digest: null });
}

/**
 * Familiar (short) form of a fully qualified name, as Docker displays it: `docker.io/library/nginx` → `nginx`,
 * `docker.io/foo/bar` → `foo/bar`; names on other registries are unchanged. A trailing `:tag`/`@digest` is kept.
 */
export function familiarName(fullName: string): string {
  const prefix = DEFAULT_DOMAIN + '/';
  if (!fullName.startsWith(prefix)) return fullName;
  const path = fullName.slice(prefix.length);
  // Only single-level official images drop `library/`: `docker.io/library/foo/bar` stays `library/foo/bar`.
  if (path.startsWith(OFFICIAL_REPO_PREFIX) && path.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1) {
    return path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return path;
}

/** `name[:tag][@digest]`. */
export function formatReference(p: { name: string; tag: string | null; digest: string | null }): string {
  let out = p.name;
  if (p.tag !== null) out += ':' + p.tag;
  if (p.digest !== null) out += '@' + p.digest;
  return out;
}

/** A repository name (no tag, no digest) split into its canonical parts. */
export interface RepositoryName {
  /** Canonical fully qualified name: `domain/path`. */
  name: string;
  /** Canonical registry host (with port when not 443). */
  domain: string;
  /** Repository path inside the registry, with `library/` for Docker Hub official images. */
  path: string;
}

/**
 * Parse and canonicalize a repository name without tag or digest: `GHCR.IO:443/acme/api` →
 * `{ name: 'ghcr.io/acme/api', domain: 'ghcr.io', path: 'acme/api' }`, `nginx` → `docker.io/library/nginx`.
 * Throws an {@link InvalidReferenceError} for anything that is not a valid name (a tag or digest included).
 */
export function parseRepositoryName(input: string): RepositoryName {
  checkInput(input);
  if (isImageId(input)) {
    throw new InvalidReferenceError('image-id', `${quote(input)} is a 64-character hexadecimal image ID, not a repository name`, input);
  }
  return parseName(input, input);
}

/** The canonical fully qualified form of a repository name (see {@link parseRepositoryName}); throws when invalid. */
export function normalizeName(input: string): string {
  return parseRepositoryName(input).name;
}

/**
 * The same split and canonicalization as {@link parseRepositoryName}, without validating: for name patterns
 * (`GHCR.IO/acme/*` → `{ domain: 'ghcr.io', path: 'acme/*' }`, `*` → `{ domain: 'docker.io', path: 'library/*' }`)
 * and names of unknown quality. Never throws. For a valid name it agrees with {@link parseRepositoryName}. A path
 * that is just `**` gets no `library/` (`docker.io/**` covers all of Docker Hub).
 */
export function splitRepositoryName(name: string): { domain: string; path: string } {
  const end = domainEnd(name);
  const domain = end === -1 ? DEFAULT_DOMAIN : canonicalHost(name.slice(0, end));
  const path = end === -1 ? name : name.slice(end + 1);
  // `docker.io/**` is every repository on Docker Hub: `**` spans segments, it is not a one-component name.
  if (path === GLOBSTAR) return { domain, path };
  return withOfficialPrefix(domain, path);
}

/**
 * The canonical spelling of a registry host (`host[:port]`), so that every spelling of one registry compares equal:
 * lower-case (`GHCR.IO` → `ghcr.io`); `:443` and leading zeros of a port dropped (`ghcr.io:0443` → `ghcr.io`,
 * `h:05000` → `h:5000`); Docker Hub's aliases `index.docker.io` and `registry-1.docker.io` → `docker.io`. A result
 * that would no longer read as a host in a name (no '.', no ':', not `localhost`: `MyReg` → `myreg` is a Docker Hub
 * namespace) is upper-case instead (`MYREG`), or keeps `:443` when it has no letter (`5000:443`).
 *
 * Total (never throws, does not validate), so it also canonicalizes the host part of a glob (`*.Example.COM`).
 */
export function canonicalHost(host: string): string {
  let hostname = host;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && colon > host.lastIndexOf(']') && colon + 1 < host.length && isDigitRange(host, colon + 1, host.length)) {
    hostname = host.slice(0, colon);
    let start = colon + 1;
    while (start < host.length - 1 && host.charCodeAt(start) === ZERO) start++;
    port = host.slice(start);
  }
  hostname = hostname.toLowerCase();
  if (port === '' || port === DEFAULT_PORT) {
    if (DOCKER_HUB_ALIASES.has(hostname)) return DEFAULT_DOMAIN;
    if (looksLikeDomain(hostname, hostname.length)) return hostname;
    // Lower-case (or without its port) it would be read as a Docker Hub namespace, a different image.
    if (hasLetter(hostname)) return hostname.toUpperCase();
    return port === '' ? hostname : `${hostname}:${DEFAULT_PORT}`;
  }
  return `${hostname}:${port}`;
}

/** True for a valid `host[:port]` as the grammar allows it in front of a repository path. */
export function isRegistryHost(host: string): boolean {
  return domainProblem(host, 0, host.length) === null;
}

/** True for a valid, supported digest string: `sha256:` + 64 or `sha512:` + 128 lowercase hex digits. */
export function isDigest(s: string): boolean {
  return digestProblem(s) === null;
}

/** True for a valid tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export function isTag(s: string): boolean {
  return tagProblem(s) === null;
}

/**
 * Split `name[:tag][@digest]` without validating any part: the first '@' starts the digest, a ':' after the last
 * '/' (and after an IPv6 host's ']') starts the tag. Never throws; the parts may be empty. For patterns and other
 * text that {@link parseReference} would refuse (exception `image:` globs).
 */
export function splitTagAndDigest(input: string): { name: string; tag: string | null; digest: string | null } {
  const at = input.indexOf('@');
  const beforeDigest = at === -1 ? input : input.slice(0, at);
  const digest = at === -1 ? null : input.slice(at + 1);
  const colon = beforeDigest.lastIndexOf(':');
  // A ':' before a ']' belongs to an IPv6 host: `[::1]` alone is then reported as a host, not as a bad tag.
  const hasTag = colon !== -1 && colon > beforeDigest.lastIndexOf('/') && colon > beforeDigest.lastIndexOf(']');
  return { name: hasTag ? beforeDigest.slice(0, colon) : beforeDigest, tag: hasTag ? beforeDigest.slice(colon + 1) : null, digest };
}

// ---------------------------------------------------------------------------------------------------------
// Splitting

interface ReferenceParts {
  name: string;
  tag: string | null;
  digest: string | null;
}

function checkInput(input: string): void {
  if (input.length === 0) throw new InvalidReferenceError('empty', 'image reference is empty', input);
  if (input.length > MAX_REFERENCE_INPUT_LENGTH) {
    throw new InvalidReferenceError(
      'input-too-long',
      `image reference is ${input.length} characters; at most ${MAX_REFERENCE_INPUT_LENGTH} are accepted`,
      input,
    );
  }
  // A common paste mistake; without this it would surface as a confusing "invalid registry host "https:"".
  if (input.includes('://')) {
    throw new InvalidReferenceError(
      'invalid-format',
      `image reference must not contain a URL scheme: ${quote(input)}`,
      input,
    );
  }
}

/**
 * Split `name[:tag][@digest]`. The split is unambiguous: names, tags and digests contain no '@', so the first '@'
 * starts the digest; tags contain no ':' or '/' and a name's only ':' is a port that a '/' follows, so a ':' after
 * the last '/' starts the tag.
 */
function splitReference(input: string): ReferenceParts {
  const parts = splitTagAndDigest(input);
  if (parts.name.length === 0) {
    const separator = parts.tag !== null ? ':' : '@';
    throw new InvalidReferenceError('invalid-format', `missing repository name before "${separator}"`, input);
  }
  return parts;
}

/**
 * Go's `Parse` name split: the first component is the domain when it is a valid host[:port] and a '/' follows;
 * otherwise the whole name must be a repository path.
 */
function splitRawName(input: string, name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  if (slash !== -1 && domainProblem(name, 0, slash) === null) {
    checkRepositoryPath(input, name, slash + 1);
    return { domain: name.slice(0, slash), path: name.slice(slash + 1) };
  }
  if (isRepositoryPath(name, 0)) return { domain: '', path: name };
  // Pick the most useful explanation: a domain-looking first component is blamed before the path.
  if (slash !== -1 && looksLikeDomain(name, slash) && !isRepositoryPath(name.toLowerCase(), 0)) {
    throw invalidDomain(input, name.slice(0, slash));
  }
  throw repositoryPathError(input, name);
}

/**
 * Go's `splitDockerDomain`: where the registry host of a name ends (the index of its '/'), or -1 when the name has
 * none and lives on Docker Hub. A first component is a registry host only when it contains '.' or ':', is
 * `localhost`, or contains uppercase letters (Docker Hub namespaces are lowercase).
 */
function domainEnd(name: string): number {
  const slash = name.indexOf('/');
  if (slash !== -1 && (looksLikeDomain(name, slash) || hasUppercase(name, 0, slash))) return slash;
  return -1;
}

/** Docker Hub's single-component names are official images under `library/`. */
function withOfficialPrefix(domain: string, path: string): { domain: string; path: string } {
  if (domain === DEFAULT_DOMAIN && path.indexOf('/') === -1) return { domain, path: OFFICIAL_REPO_PREFIX + path };
  return { domain, path };
}

/**
 * Split ({@link domainEnd}), validate and canonicalize the name part of a reference. Without `canonical`, the host
 * stays as written except for Go's one rewrite, `index.docker.io` → `docker.io`.
 */
function parseName(input: string, name: string, canonical = true): RepositoryName {
  const end = domainEnd(name);
  let domain = DEFAULT_DOMAIN;
  if (end !== -1) {
    const problem = domainProblem(name, 0, end);
    if (problem !== null) throw invalidDomain(input, name.slice(0, end), problem);
    domain = name.slice(0, end);
    domain = canonical ? canonicalHost(domain) : domain === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : domain;
  }
  const pathStart = end + 1;
  checkRepositoryPath(input, name, pathStart);
  const parts = withOfficialPrefix(domain, pathStart === 0 ? name : name.slice(pathStart));
  checkPathLength(input, parts.path);
  return { name: `${parts.domain}/${parts.path}`, domain: parts.domain, path: parts.path };
}

/** `name.slice(0, end)` is read as a registry host in front of a path without help from upper-case letters. */
function looksLikeDomain(name: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = name.charCodeAt(i);
    if (c === DOT || c === COLON) return true;
  }
  return end === LOCALHOST.length && name.startsWith(LOCALHOST);
}

function isImageId(s: string): boolean {
  return s.length === 64 && isLowerHexRange(s, 0, 64);
}

// ---------------------------------------------------------------------------------------------------------
// Validation of each part (each throws an InvalidReferenceError naming the offending part)

/**
 * The 255-character limit applies to the repository path, not the registry host (as upstream: the vectors accept
 * `example.com/` + 255 characters and reject `domain/` + 256).
 */
function checkPathLength(input: string, path: string): void {
  if (path.length > MAX_PATH_LENGTH) {
    throw new InvalidReferenceError(
      'name-too-long',
      `repository path ${quote(path)} is ${path.length} characters; at most ${MAX_PATH_LENGTH} are allowed`,
      input,
    );
  }
}

function invalidDomain(
  input: string,
  domain: string,
  problem = domainProblem(domain, 0, domain.length),
): InvalidReferenceError {
  return new InvalidReferenceError('invalid-domain', `invalid registry host ${quote(domain)}: ${problem}`, input);
}

/** Check `name.slice(start)` as a repository path. */
function checkRepositoryPath(input: string, name: string, start: number): void {
  if (!isRepositoryPath(name, start)) throw repositoryPathError(input, name.slice(start));
}

/** The error for an invalid repository path, naming its first bad component. */
function repositoryPathError(input: string, path: string): InvalidReferenceError {
  if (path.startsWith('[') && path.indexOf('/') === -1) {
    // `[::1]:5000` alone: an IPv6 host is only recognized in front of a repository path.
    return new InvalidReferenceError(
      'invalid-format',
      `registry host ${quote(path)} must be followed by "/" and a repository path`,
      input,
    );
  }
  if (isRepositoryPath(path.toLowerCase(), 0)) {
    return new InvalidReferenceError('uppercase-repository', `repository name must be lowercase: ${quote(path)}`, input);
  }
  const component = firstBadComponent(path);
  const what =
    component === ''
      ? `repository path ${quote(path)} has an empty component`
      : `invalid repository path component ${quote(component)} in ${quote(path)}`;
  return new InvalidReferenceError(
    'invalid-format',
    `${what}; path components are lowercase letters and digits separated by ".", "_", "__" or "-"`,
    input,
  );
}

function firstBadComponent(path: string): string {
  let start = 0;
  for (;;) {
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    if (pathComponentEnd(path, start, end) !== end) return path.slice(start, end);
    if (end === path.length) return path; // not reached for an invalid path
    start = end + 1;
  }
}

function validTag(input: string, tag: string | null): string | null {
  if (tag === null) return null;
  const problem = tagProblem(tag);
  if (problem !== null) throw new InvalidReferenceError(problem.reason, problem.message, input);
  return tag;
}

function tagProblem(tag: string): Problem | null {
  if (tag.length === 0) return { reason: 'invalid-tag', message: 'tag is empty after ":"' };
  if (!isWordChar(tag.charCodeAt(0))) {
    return { reason: 'invalid-tag', message: `tag ${quote(tag)} must start with a letter, digit or "_"` };
  }
  for (let i = 1; i < tag.length; i++) {
    const c = tag.charCodeAt(i);
    if (!isWordChar(c) && c !== DOT && c !== DASH) {
      return {
        reason: 'invalid-tag',
        message: `tag ${quote(tag)} contains ${quote(tag[i]!)}; tags may contain only letters, digits, "_", "." and "-"`,
      };
    }
  }
  if (tag.length > MAX_TAG_LENGTH) {
    return { reason: 'tag-too-long', message: `tag is ${tag.length} characters; at most ${MAX_TAG_LENGTH} are allowed` };
  }
  return null;
}

function validDigest(input: string, digest: string | null): string | null {
  if (digest === null) return null;
  const problem = digestProblem(digest);
  if (problem !== null) throw new InvalidReferenceError(problem.reason, problem.message, input);
  return digest;
}

interface Problem {
  reason: InvalidReferenceReason;
  message: string;
}

function digestProblem(digest: string): Problem | null {
  if (digest.length === 0) return { reason: 'invalid-digest', message: 'digest is empty after "@"' };
  const colon = digest.indexOf(':');
  if (colon === -1) {
    return { reason: 'invalid-digest', message: `digest ${quote(digest)} must have the form algorithm:hex` };
  }
  if (!isDigestAlgorithm(digest, colon)) {
    return { reason: 'invalid-digest', message: `digest algorithm ${quote(digest.slice(0, colon))} is malformed` };
  }
  const hexStart = colon + 1;
  for (let i = hexStart; i < digest.length; i++) {
    const c = digest.charCodeAt(i);
    if (!isLowerHex(c) && !(c >= UPPER_A && c <= UPPER_F)) {
      return {
        reason: 'invalid-digest',
        message: `digest ${quote(digest)} contains ${quote(digest[i]!)}; only hex digits may follow the algorithm`,
      };
    }
  }
  const algorithm = digest.slice(0, colon);
  const expected = DIGEST_HEX_LENGTHS.get(algorithm);
  if (expected === undefined) {
    return {
      reason: 'unsupported-digest-algorithm',
      message: `digest algorithm ${quote(algorithm)} is not supported; use sha256 or sha512`,
    };
  }
  const hexLength = digest.length - hexStart;
  if (hexLength !== expected) {
    return {
      reason: 'digest-length',
      message: `${algorithm} digest must have ${expected} hex characters, got ${hexLength}`,
    };
  }
  if (!isLowerHexRange(digest, hexStart, digest.length)) {
    return { reason: 'invalid-digest', message: `${algorithm} digest hex must be lowercase: ${quote(digest)}` };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Scanners over [start, end) of a string; none allocates.

const DOT = 0x2e;
const COLON = 0x3a;
const ZERO = 0x30;
const DASH = 0x2d;
const UNDERSCORE = 0x5f;
const PLUS = 0x2b;
const OPEN_BRACKET = 0x5b;
const UPPER_A = 0x41;
const UPPER_F = 0x46;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isLowerAlnum(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x7a);
}
function isUpper(c: number): boolean {
  return c >= UPPER_A && c <= 0x5a;
}
function isLetter(c: number): boolean {
  return isUpper(c) || (c >= 0x61 && c <= 0x7a);
}
function isAlnum(c: number): boolean {
  return isLowerAlnum(c) || isUpper(c);
}
function isWordChar(c: number): boolean {
  return isAlnum(c) || c === UNDERSCORE;
}
function isLowerHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66);
}
function isHex(c: number): boolean {
  return isLowerHex(c) || (c >= UPPER_A && c <= UPPER_F);
}

function isDigitRange(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

function hasLetter(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isLetter(s.charCodeAt(i))) return true;
  return false;
}

function isLowerHexRange(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isLowerHex(s.charCodeAt(i))) return false;
  return true;
}

function hasUppercase(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (isUpper(s.charCodeAt(i))) return true;
  return false;
}

/** `s.slice(start)` is one or more path components separated by single '/'. */
function isRepositoryPath(s: string, start: number): boolean {
  let i = start;
  for (;;) {
    let end = s.indexOf('/', i);
    if (end === -1) end = s.length;
    if (pathComponentEnd(s, i, end) !== end) return false;
    if (end === s.length) return true;
    i = end + 1;
  }
}

/**
 * Scan `[a-z0-9]+ (separator [a-z0-9]+)*` from `start`, stopping at `end`; returns where the valid prefix ends
 * (equal to `end` when the whole range is one valid component, -1 when it does not even start validly).
 */
function pathComponentEnd(s: string, start: number, end: number): number {
  let i = start;
  for (;;) {
    const runStart = i;
    while (i < end && isLowerAlnum(s.charCodeAt(i))) i++;
    if (i === runStart) return -1;
    if (i === end) return end;
    const c = s.charCodeAt(i);
    if (c === DOT) i++;
    else if (c === UNDERSCORE) i += i + 1 < end && s.charCodeAt(i + 1) === UNDERSCORE ? 2 : 1; // '_' or '__'
    else if (c === DASH) while (i < end && s.charCodeAt(i) === DASH) i++;
    else return i;
  }
}

/** Why `s.slice(start, end)` is not a valid `host[:port]`, or null when it is. */
function domainProblem(s: string, start: number, end: number): string | null {
  if (start === end) return 'registry host is empty';
  let i: number;
  if (s.charCodeAt(start) === OPEN_BRACKET) {
    const close = s.indexOf(']', start);
    if (close === -1 || close >= end) return 'IPv6 address is missing its closing "]"';
    if (close === start + 1) return 'IPv6 address is empty';
    for (let j = start + 1; j < close; j++) {
      const c = s.charCodeAt(j);
      if (!isHex(c) && c !== COLON) return 'an IPv6 address may contain only hex digits and ":"';
    }
    i = close + 1;
  } else {
    i = hostnameEnd(s, start, end);
    if (i === -1) {
      return 'host names are labels of letters, digits and "-" (not at either end) separated by "."';
    }
  }
  if (i === end) return null;
  if (s.charCodeAt(i) !== COLON) return `${quote(s[i]!)} is not allowed in a host name`;
  if (i + 1 === end) return 'port is empty';
  for (let j = i + 1; j < end; j++) if (!isDigit(s.charCodeAt(j))) return 'port must be digits';
  return null;
}

/** Scan dot-separated labels `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` up to ':' or `end`; -1 when malformed. */
function hostnameEnd(s: string, start: number, end: number): number {
  let i = start;
  for (;;) {
    if (i === end || !isAlnum(s.charCodeAt(i))) return -1;
    let last = s.charCodeAt(i);
    i++;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (!isAlnum(c) && c !== DASH) break;
      last = c;
      i++;
    }
    if (last === DASH) return -1;
    if (i < end && s.charCodeAt(i) === DOT) {
      i++;
      continue;
    }
    return i;
  }
}

/** `s.slice(0, end)` is `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*`. */
function isDigestAlgorithm(s: string, end: number): boolean {
  let i = 0;
  for (;;) {
    if (i === end || !isLetter(s.charCodeAt(i))) return false;
    i++;
    while (i < end && isAlnum(s.charCodeAt(i))) i++;
    if (i === end) return true;
    const c = s.charCodeAt(i);
    if (c !== DASH && c !== UNDERSCORE && c !== PLUS && c !== DOT) return false;
    i++;
  }
}

/** Quote a part of the input for a message, shortened so a huge input cannot flood a diagnostic. */
function quote(s: string): string {
  const limit = 80;
  return JSON.stringify(s.length > limit ? s.slice(0, limit) + '…' : s);
}
