// Each admission engine's own image-name normalization and pattern semantics, read from the engines' sources:
//
// - Kyverno (kyverno.io/v1 verifyImages, `pkg/utils/image/infos.go`, `ext/wildcard` → IGLOU-EU/go-wildcard v1.0.3):
//   `docker.io/` is put in front of a name whose first component is not a host (no `.`/`:`, not `localhost`, all
//   lower-case); **no** `library/` is added; the host is kept as written. The string patterns are matched against is
//   `registry/path@digest` when a digest is written (the tag is dropped) and `registry/path:tag` otherwise (tag
//   `latest` when none). Wildcards: `*` is any run of characters, `/` included; `?` is exactly one character; every
//   other character (`.` too) is literal; the whole string must match; case-sensitive.
// - Sigstore policy-controller (`pkg/apis/glob/glob.go`, go-containerregistry v0.21.3 `name.ParseReference`): names
//   are fully qualified as `index.docker.io/library/foo`: a first component is a registry only when it contains `.`
//   or `:` (so `localhost/foo` is a Docker Hub repository), `docker.io` becomes `index.docker.io`, other hosts stay
//   as written (`registry-1.docker.io` too). The mutating webhook first resolves a tag to its digest and writes
//   `name:tag@digest`; the validating webhook matches globs against `name@digest` (the tag dropped). Globs may only
//   use `[a-zA-Z0-9-_:/*.@]`; `*` matches within one `/`-segment, `**` crosses `/`, `.` is literal, the whole string
//   must match; the bare globs `*` and `*/*` mean `index.docker.io/library/*` and `index.docker.io/*/*`.
import { parseRaw } from '../reference';

// ---------------------------------------------------------------------------------------------------------
// Kyverno

export interface KyvernoImage {
  registry: string;
  path: string;
  tag: string | null;
  digest: string | null;
  /** What Kyverno matches `imageReferences` against: `registry/path@digest`, else `registry/path:tag`. */
  string: string;
}

/** Kyverno's ImageInfo for an image as written in a pod spec (`GetImageInfo` with the default configuration). */
export function kyvernoImage(image: string, defaultRegistry = 'docker.io'): KyvernoImage {
  const slash = image.indexOf('/');
  const first = slash === -1 ? '' : image.slice(0, slash);
  const full = slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first) ? `${defaultRegistry}/${image}` : image;
  const raw = parseRaw(full);
  const tag = raw.tag ?? (raw.digest ? null : 'latest');
  const base = raw.domain ? `${raw.domain}/${raw.path}` : raw.path;
  return { registry: raw.domain, path: raw.path, tag, digest: raw.digest, string: raw.digest ? `${base}@${raw.digest}` : `${base}:${tag}` };
}

/**
 * IGLOU-EU/go-wildcard v1.0.3 `Match`, which Kyverno uses for image references, names, namespaces and kinds: `*` any
 * run (including none and `/`), `?` exactly one character, everything else literal, whole string, case-sensitive.
 * An empty pattern matches only the empty string. Iterative (no exponential backtracking), same answers.
 */
export function kyvernoWildcard(pattern: string, name: string): boolean {
  if (pattern === '') return name === '';
  if (pattern === '*') return true;
  const p = [...pattern];
  const s = [...name];
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    if (pi < p.length && p[pi] === '*') {
      starP = pi++;
      starS = si;
    } else if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      pi++;
      si++;
    } else if (starP !== -1) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

export function kyvernoMatchesAny(patterns: readonly string[], name: string): string | null {
  return patterns.find((p) => kyvernoWildcard(p, name)) ?? null;
}

// ---------------------------------------------------------------------------------------------------------
// Sigstore policy-controller (go-containerregistry names)

const GGCR_DEFAULT_REGISTRY = 'index.docker.io';
const GGCR_REPOSITORY_CHARS = /^[a-z0-9_\-./]+$/;
const GGCR_TAG_CHARS = /^[A-Za-z0-9_\-.]{1,128}$/;

export interface GgcrReference {
  registry: string;
  /** Repository with `library/` for a single-component Docker Hub name. */
  repository: string;
  tag: string | null;
  digest: string | null;
  /** `Name()`: `registry/repository@digest` for a digest reference, else `registry/repository:tag`. */
  name: string;
  /** The repository alone: `registry/repository`. */
  repositoryName: string;
}

/** go-containerregistry v0.21.3 `name.ParseReference(s, WeakValidation)`: null when it would fail. */
export function ggcrParseReference(s: string): GgcrReference | null {
  return ggcrTag(s) ?? ggcrDigest(s);
}

function ggcrRepository(name: string): { registry: string; repository: string } | null {
  if (name === '') return null;
  let registry = '';
  let repo = name;
  const slash = name.indexOf('/');
  if (slash !== -1 && /[.:]/.test(name.slice(0, slash))) {
    registry = name.slice(0, slash);
    repo = name.slice(slash + 1);
  }
  if (repo.length === 0 || repo.length > 255 || !GGCR_REPOSITORY_CHARS.test(repo)) return null;
  if (registry !== '' && !/^[^/?#@\s]+$/.test(registry)) return null;
  if (registry === '' || registry === 'docker.io') registry = GGCR_DEFAULT_REGISTRY;
  const repository = registry === GGCR_DEFAULT_REGISTRY && !repo.includes('/') ? `library/${repo}` : repo;
  return { registry, repository };
}

function ggcrTag(s: string): GgcrReference | null {
  const parts = s.split(':');
  let base = s;
  let tag = '';
  const last = parts[parts.length - 1];
  if (parts.length > 1 && !last.includes('/')) {
    base = parts.slice(0, -1).join(':');
    tag = last;
    if (tag === '') return null;
  }
  if (tag !== '' && !GGCR_TAG_CHARS.test(tag)) return null;
  const repo = ggcrRepository(base);
  if (!repo) return null;
  const t = tag || 'latest';
  const repositoryName = `${repo.registry}/${repo.repository}`;
  return { ...repo, tag: t, digest: null, repositoryName, name: `${repositoryName}:${t}` };
}

function ggcrDigest(s: string): GgcrReference | null {
  const parts = s.split('@');
  if (parts.length !== 2) return null;
  const [base0, digest] = parts;
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) return null;
  let base = base0;
  const tagged = ggcrTag(base0);
  if (tagged) base = tagged.repositoryName;
  const repo = ggcrRepository(base);
  if (!repo) return null;
  const repositoryName = `${repo.registry}/${repo.repository}`;
  return { ...repo, tag: tagged?.tag ?? null, digest, repositoryName, name: `${repositoryName}@${digest}` };
}

const VALID_GLOB = /^[a-zA-Z0-9\-_:/*.@]+$/;

/** policy-controller's `glob.Compile`: a regular expression, or an error message for an invalid glob. */
export function compilePolicyControllerGlob(glob: string): RegExp | string {
  let g = glob;
  if (g === '*/*') g = 'index.docker.io/*/*';
  if (g === '*') g = 'index.docker.io/library/*';
  if (!VALID_GLOB.test(g)) return `invalid glob "${glob}": only letters, digits and - _ : / * . @ are allowed`;
  g = g.replaceAll('.', '\\.').replaceAll('**', '#').replaceAll('*', '[^/]*').replaceAll('#', '.*');
  return new RegExp(`^${g}$`);
}

/**
 * policy-controller's `glob.Match(glob, image)`: the glob against the reference's fully qualified `Name()`, and, when
 * that differs from the image string, against the image string as written (a fallback upstream keeps for
 * compatibility). `image` is what the validating webhook sees: normally `name@digest` after tag resolution.
 */
export function policyControllerGlobMatch(glob: string, image: string): boolean | string {
  const re = compilePolicyControllerGlob(glob);
  if (typeof re === 'string') return re;
  const ref = ggcrParseReference(image);
  if (!ref) return `could not parse reference: ${image}`;
  return re.test(ref.name) || (ref.name !== image && re.test(image));
}

/**
 * What the policy-controller's mutating webhook writes for an image (`resolvePodSpec`): a tag reference becomes
 * `Name():tag@digest` (fully qualified, tag kept), a digest reference its `String()` (as written).
 */
export function policyControllerResolved(image: string, digest: string): string | null {
  const ref = ggcrParseReference(image);
  if (!ref) return null;
  return ref.digest ? image : `${ref.name}@${digest}`;
}
