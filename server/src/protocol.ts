// Custom LSP messages and shared settings shape, read by both the server and the client. Type imports only (erased
// from the client bundle): the tree's trust facts have the core's one shape, the same as the CLI's JSON.
import type { AdmissionFact, AttestationFact, PolicyFact, SignatureFact, TrustFact } from './core/facts';

export const SECTION = 'imageTrust';

export interface ImageTrustSettings {
  /** Severity per rule id, or "off". */
  severity: Record<string, 'error' | 'warning' | 'information' | 'hint' | 'off'>;
  /** Extra globs per file kind (workspace-relative), e.g. { "kubernetes": ["deploy/**\/*.tpl.yaml"] }. */
  files: Record<string, string[]>;
  /** Files larger than this are skipped with an Information diagnostic. */
  maxFileSizeKB: number;
  offline: boolean;
  insecureRegistries: string[];
  caFile: string;
  cacheTtlMinutes: number;
  concurrency: number;
  policyPath: string;
  /** Git ref to compare with (e.g. "origin/main"): references the branch adds or changes are marked. Empty: off. */
  compareWithBranch: string;
  /** "Update pin" (quick fix, Update All Pins) refuses candidates younger than this (`7d`, `12h`); empty: no minimum. */
  updateMinAge: string;
}

export const DEFAULT_SETTINGS: ImageTrustSettings = {
  severity: {},
  files: {},
  maxFileSizeKB: 5120,
  offline: false,
  insecureRegistries: [],
  caFile: '',
  cacheTtlMinutes: 10,
  concurrency: 8,
  policyPath: '.image-trust.yaml',
  compareWithBranch: '',
  updateMinAge: '',
};

/** Request `imageTrust/tree`: every image reference of the open/known workspace files, for the trust tree. */
export const TREE_REQUEST = 'imageTrust/tree';
/** Notification `imageTrust/treeChanged`: the tree data changed (files or verification results). */
export const TREE_CHANGED_NOTIFICATION = 'imageTrust/treeChanged';
/** Notification `imageTrust/busy` `{ busy: boolean }`: background registry/verification work started or finished. */
export const BUSY_NOTIFICATION = 'imageTrust/busy';

export interface TreeReference {
  uri: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
  reference: string;
  name: string | null;
  familiar: string | null;
  tag: string | null;
  digest: string | null;
  status: 'pinned' | 'unpinned' | 'templated' | 'invalid';
  findings: { code: string; severity: string; message: string }[];
  /** What the tag points to now, when the registry answered. */
  resolvedDigest: string | null;
  platforms: { os: string; architecture: string; variant: string | null; digest: string }[];
  /** Trust of the digest under the policy; null until checked. Same shape as the CLI's JSON (core/facts.ts). */
  trust: TrustFact | null;
  signatures: SignatureFact[];
  attestations: AttestationFact[];
  policy: PolicyFact | null;
  /** Short text for tooltips: the hover's first lines. */
  summary: string;
  /** With "Compare with branch": whether the current branch adds or changes this reference; null when off. */
  changed: boolean | null;
  /**
   * What the workspace's admission policies decide (issue 11), the CLI's `admission[]` shape; empty when they do not
   * apply; null while being evaluated.
   */
  admission: AdmissionFact[] | null;
}

export interface TreeFile {
  uri: string;
  kind: string;
  references: TreeReference[];
}

export interface TreeResult {
  files: TreeFile[];
  /** The ref compared with ("Compare with branch"), or null; `compareError` says why the comparison failed. */
  compareWith: string | null;
  compareError?: string;
}
