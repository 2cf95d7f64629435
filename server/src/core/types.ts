// Shared data types of the core. No I/O, no editor imports.

export type FileKind =
  | 'kubernetes'
  | 'dockerfile'
  | 'helm-values'
  | 'compose'
  | 'kustomize'
  | 'github-actions'
  | 'gitlab-ci'
  | 'devcontainer'
  | 'helm-template';
export const FILE_KINDS: readonly FileKind[] = [
  'kubernetes',
  'dockerfile',
  'helm-values',
  'compose',
  'kustomize',
  'github-actions',
  'gitlab-ci',
  'devcontainer',
  'helm-template',
];

/** Half-open range of UTF-16 code unit offsets into the document text: [start, end). */
export interface OffsetRange {
  start: number;
  end: number;
}

export type RefStatus = 'pinned' | 'unpinned' | 'templated' | 'invalid';

/**
 * Where and how a digest is written when this reference is pinned.
 * - `inline`: the text at `range` is a reference; the pinned form replaces it (`repo:tag` → `repo:tag@sha256:…`).
 * - `mapping-key`: the reference lives in a YAML block (Helm values, kustomize images[]): a `digest:` key is set in
 *   the mapping. `mapRange` covers the mapping; `digestRange` is the existing digest value, if any; `indent` is the
 *   column of the block's keys; `afterOffset` is the end of the last key's line where a new key may be inserted.
 */
export type PinSite =
  | {
      type: 'inline';
      range: OffsetRange;
      /**
       * The digest replaces the tag instead of joining it (`x:1` → `x@sha256:…`): for dev container Features, whose
       * reference implementation refuses `name:tag@digest`.
       */
      dropTag?: boolean;
    }
  | { type: 'mapping-key'; key: string; digestRange?: OffsetRange; insertAt: number; indent: string; flow: boolean };

/** One image reference found in a file, before any network work. */
export interface RawRef {
  kind: FileKind;
  /** Range of `text` in the document. `text === documentText.slice(range.start, range.end)` always. */
  range: OffsetRange;
  /** The source text at `range`, as written. */
  text: string;
  /**
   * The full reference this place stands for, after assembling (Helm block, kustomize entry, Dockerfile ARG
   * substitution). Equal to `text` for a plain inline reference.
   */
  reference: string;
  /** True when the value holds unresolved template syntax (`{{ }}`, `${…}` with no default). */
  templated: boolean;
  /** Where a pin is written. Absent when the reference cannot be pinned in place (templated). */
  pin?: PinSite;
  /** Free-form context for humans (e.g. "Deployment web / container app", "FROM (stage build)"). */
  context?: string;
  /**
   * Read leniently: the YAML parser refused the document, and the reference was found by the tolerant line-based
   * reading (`extract/yaml-lenient.ts`). Absent otherwise. CLI JSON: `lenient: true`.
   */
  lenient?: true;
  /**
   * Helm chart templates: the `.Values` paths the template reads to build this reference, in order, each with the
   * range of its mention in the template (e.g. `image.repository`). Linked to the chart's values file by
   * `core/helm-links.ts` (hover, go to definition). Absent for other kinds.
   */
  values?: ValuesMention[];
}

/** One `.Values.a.b` mention inside a Helm template expression. */
export interface ValuesMention {
  /** Dotted path below `.Values`, e.g. `image.repository`; `image` when the template passes the whole block. */
  path: string;
  /** The mention in the template text (e.g. the `.Values.image.tag` token). */
  range: OffsetRange;
}

/**
 * A parsed reference in canonical form (see `reference.ts`): every spelling of one image has the same `name` and
 * `domain`, so policy rules, exceptions and cache keys compare them directly. The text as written stays in
 * `RawRef.text`/`reference`; edits use that, never these fields.
 */
export interface ParsedReference {
  /**
   * Canonical fully qualified name, e.g. `docker.io/library/nginx` for `nginx`, `index.docker.io/nginx` or
   * `registry-1.docker.io/library/nginx`; `ghcr.io/acme/api` for `GHCR.IO:443/acme/api`.
   */
  name: string;
  /**
   * Canonical registry host (with port unless 443), e.g. `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`:
   * lower-case (upper-case only for a dotless host such as `LOCALDOMAIN` that lower-case would make a Docker Hub
   * namespace). The registry's API host is derived from it (`registry/hosts.ts` `apiHost`).
   */
  domain: string;
  /** Path inside the registry, e.g. `library/nginx`. */
  path: string;
  tag: string | null;
  digest: string | null;
  /** True when neither tag nor digest was written (Docker implies `:latest`). */
  implicitLatest: boolean;
  /** Familiar (short) form of the canonical name for display, e.g. `nginx:1.25`, `ghcr.io/acme/api:1`. */
  familiar: string;
}

/** A reference with its classification. */
export interface ImageRef extends RawRef {
  status: RefStatus;
  parsed: ParsedReference | null;
  /** Why the reference is invalid (status `invalid`). */
  error?: string;
  /** Line-level suppressions found in a trailing `# image-trust: ignore <rule…>` comment. */
  ignored?: string[];
}
