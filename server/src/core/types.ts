// Shared data types of the core. No I/O, no editor imports.

export type FileKind = 'kubernetes' | 'dockerfile' | 'helm-values' | 'compose' | 'kustomize';
export const FILE_KINDS: readonly FileKind[] = ['kubernetes', 'dockerfile', 'helm-values', 'compose', 'kustomize'];

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
  | { type: 'inline'; range: OffsetRange }
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
}

export interface ParsedReference {
  /** Fully qualified name, e.g. `docker.io/library/nginx`. */
  name: string;
  /** Registry host (with port), e.g. `docker.io`, `localhost:5000`. */
  domain: string;
  /** Path inside the registry, e.g. `library/nginx`. */
  path: string;
  tag: string | null;
  digest: string | null;
  /** True when neither tag nor digest was written (Docker implies `:latest`). */
  implicitLatest: boolean;
  /** Familiar (short) form for display, e.g. `nginx:1.25`. */
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
