// The admission policies of a workspace, as each engine reads them, and what evaluating them for one image says.
// Pure data: no I/O.
import type { OffsetRange } from '../types';

export type Engine = 'kyverno' | 'policy-controller';

/** Where something is in a policy file: its path and the offsets of the YAML node. */
export interface Site {
  /** Absolute path of the file. */
  file: string;
  range: OffsetRange;
}

/** A problem with a policy file itself: malformed, or using a feature that is not evaluated. */
export interface PolicyProblem {
  site: Site;
  severity: 'error' | 'warning' | 'information';
  message: string;
}

// ---------------------------------------------------------------------------------------------------------
// Kubernetes resources (what a reference belongs to) and label selectors

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** The resource an image reference belongs to, as admission sees it. */
export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  name: string;
  /** metadata.namespace as written; null when the manifest does not say (the namespace kubectl applies it to). */
  namespace: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------------
// Kyverno (kyverno.io/v1 ClusterPolicy / Policy)

export interface KyvernoResourceFilter {
  kinds: string[];
  names: string[];
  namespaces: string[];
  selector?: LabelSelector;
  annotations?: Record<string, string>;
  operations: string[];
  /** Set when the filter uses something a preview cannot know (user info, namespace labels): why. */
  unknown?: string;
  /** True when the filter has any resource description at all. */
  hasDescription: boolean;
}

export interface KyvernoMatch {
  any: KyvernoResourceFilter[];
  all: KyvernoResourceFilter[];
  /** The legacy single block (`match.resources` / `match.subjects`…). */
  single: KyvernoResourceFilter | null;
}

export type KyvernoAttestor =
  | { kind: 'key'; pem: string; keyName: string; ignoreTlog: boolean; ignoreSCT: boolean; site: Site }
  | { kind: 'keyless'; subject?: string; subjectRegExp?: string; issuer?: string; issuerRegExp?: string; ignoreTlog: boolean; ignoreSCT: boolean; site: Site }
  | { kind: 'notary-certificate'; pem: string; site: Site }
  | { kind: 'nested'; set: KyvernoAttestorSet; site: Site }
  /** An entry that cannot be evaluated here (KMS key, Secret not in the workspace, custom roots…): why. */
  | { kind: 'unsupported'; why: string; site: Site };

export interface KyvernoAttestorSet {
  /** `count`; null means every entry must verify. */
  count: number | null;
  entries: KyvernoAttestor[];
  site: Site;
}

/** One Kyverno condition: key and value may hold `{{ JMESPath }}` variables. */
export interface KyvernoCondition {
  key: unknown;
  operator: string;
  value: unknown;
  message?: string;
}

export interface KyvernoConditionBlock {
  any: KyvernoCondition[] | null;
  all: KyvernoCondition[];
}

export interface KyvernoAttestation {
  type: string;
  name?: string;
  attestors: KyvernoAttestorSet[];
  conditions: KyvernoConditionBlock[];
  site: Site;
}

export interface KyvernoVerifyImage {
  index: number;
  /** verifyImages[i].failureAction, when set. */
  failureAction: 'Enforce' | 'Audit' | null;
  type: 'Cosign' | 'SigstoreBundle' | 'Notary';
  imageReferences: string[];
  skipImageReferences: string[];
  attestors: KyvernoAttestorSet[];
  attestations: KyvernoAttestation[];
  mutateDigest: boolean;
  verifyDigest: boolean;
  required: boolean;
  /** Features of this entry that are not evaluated (its result is then "not evaluated"). */
  unsupported: string[];
  site: Site;
}

export interface KyvernoRule {
  name: string;
  match: KyvernoMatch;
  exclude: KyvernoMatch | null;
  verifyImages: KyvernoVerifyImage[];
  /** Rule-level features that are not evaluated (preconditions, context entries). */
  unsupported: string[];
  site: Site;
}

export interface KyvernoPolicy {
  engine: 'kyverno';
  kind: 'ClusterPolicy' | 'Policy';
  apiVersion: string;
  name: string;
  /** For a namespaced Policy: its namespace (`default` when the manifest does not say). */
  namespace: string | null;
  validationFailureAction: 'Enforce' | 'Audit';
  overrides: { action: 'Enforce' | 'Audit'; namespaces: string[] | null; unknown?: string }[];
  /** The `pod-policies.kyverno.io/autogen-controllers` annotation, when set. */
  autogenAnnotation: string | null;
  rules: KyvernoRule[];
  site: Site;
}

// ---------------------------------------------------------------------------------------------------------
// Sigstore policy-controller (policy.sigstore.dev ClusterImagePolicy)

export interface PcIdentity {
  issuer?: string;
  subject?: string;
  issuerRegExp?: string;
  subjectRegExp?: string;
}

export interface PcAuthority {
  name: string;
  key?: { pem: string } ;
  keyless?: { url: string; identities: PcIdentity[]; insecureIgnoreSCT: boolean };
  static?: { action: 'pass' | 'fail'; message?: string };
  /** True when `ctlog` is configured (key signatures then need a transparency-log entry). */
  ctlog: boolean;
  attestations: { name: string; predicateType: string; policyType?: string }[];
  /** `signatureFormat: bundle` reads Sigstore bundles (referrers); otherwise cosign's legacy `.sig`/`.att` tags. */
  bundle: boolean;
  /** What makes this authority impossible to evaluate here, if anything. */
  unsupported: string[];
  site: Site;
}

export interface PcPolicy {
  engine: 'policy-controller';
  apiVersion: string;
  name: string;
  globs: { glob: string; site: Site }[];
  authorities: PcAuthority[];
  mode: 'enforce' | 'warn';
  match: { group: string; version: string; resource: string; selector?: LabelSelector }[];
  /** Policy-level features not evaluated (a CIP-level CUE/Rego `policy`). */
  unsupported: string[];
  site: Site;
}

/** `config-policy-controller` ConfigMap: what happens to an image no ClusterImagePolicy matches. */
export interface PcConfig {
  noMatchPolicy: 'deny' | 'allow' | 'warn';
  site: Site | null;
}

// ---------------------------------------------------------------------------------------------------------
// Kyverno ImageValidatingPolicy (policies.kyverno.io): CEL validations over the resource's images

export type IvAttestor =
  | { name: string; kind: 'cosign-key'; pem: string; requireTlog: boolean; site: Site }
  | { name: string; kind: 'cosign-keyless'; identities: PcIdentity[]; site: Site }
  | { name: string; kind: 'notary'; certificatePem: string; site: Site }
  /** An attestor that cannot be evaluated here (KMS, custom roots, certificates, expressions): why. */
  | { name: string; kind: 'unsupported'; why: string; site: Site };

export interface IvResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
}

export interface IvPolicy {
  engine: 'kyverno';
  kind: string;
  apiVersion: string;
  name: string;
  /** NamespacedImageValidatingPolicy: its namespace (it applies only there). */
  namespace: string | null;
  /** matchConstraints.resourceRules; null when the policy has no matchConstraints. */
  resourceRules: IvResourceRule[] | null;
  excludeResourceRules: IvResourceRule[];
  objectSelector?: LabelSelector;
  /** autogen.podControllers.controllers when set (which pod controllers a Pod policy also covers). */
  autogenControllers: string[] | null;
  matchConditions: { name: string; expression: string }[];
  matchImageReferences: { glob?: string; expression?: string }[];
  images: { name: string; expression: string }[];
  variables: { name: string; expression: string }[];
  attestors: IvAttestor[];
  attestations: { name: string; kind: 'intoto' | 'referrer'; type: string }[];
  validations: { expression: string; message?: string; messageExpression?: string; site: Site }[];
  /** validationActions: Deny refuses; Audit / Warn only report. */
  actions: ('Deny' | 'Audit' | 'Warn')[];
  mutateDigest: boolean;
  verifyDigest: boolean;
  required: boolean;
  /** Policy-level features not evaluated (its images are "not evaluated"): why. */
  unsupported: string[];
  site: Site;
}

export type AdmissionPolicy = KyvernoPolicy | PcPolicy | IvPolicy;

/** A Secret found in the workspace (Kyverno `keys.secret` / `k8s://` and policy-controller `secretRef`). */
export interface WorkspaceSecret {
  namespace: string | null;
  name: string;
  data: Record<string, string>;
}

/** Everything admission-related found in the workspace. */
export interface AdmissionPolicySet {
  kyverno: KyvernoPolicy[];
  policyController: PcPolicy[];
  /** The policy-controller configuration from the workspace, or null (the engine's default: deny). */
  pcConfig: PcConfig | null;
  /** Kyverno's `defaultRegistry` (the `kyverno` ConfigMap), default `docker.io`. */
  kyvernoDefaultRegistry: string;
  problems: PolicyProblem[];
  /** Kyverno ImageValidatingPolicies (CEL). */
  imageValidating: IvPolicy[];
  /** Image policies recognized but not evaluated at all: name, site, why. */
  notEvaluated: { engine: Engine; kind: string; name: string; why: string; site: Site }[];
  /** Files that held admission policies or their configuration (absolute paths). */
  files: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Results

export type AdmissionResultKind = 'admitted' | 'denied' | 'audit' | 'error' | 'not-evaluated' | 'no-policy-matched';

/** Reason ids (docs/rules.md, section "Admission reasons"). */
export type AdmissionReason =
  | 'admission-no-signature'
  | 'admission-identity-mismatch'
  | 'admission-no-tlog'
  | 'admission-wrong-key'
  | 'admission-invalid-signature'
  | 'admission-attestation-missing'
  | 'admission-condition-false'
  | 'admission-registry-error'
  | 'admission-digest-required'
  | 'admission-static-fail'
  | 'admission-no-match'
  | 'admission-not-evaluated';

/** The outcome of one policy rule (Kyverno) or one policy (policy-controller) for one image. */
export interface AdmissionResult {
  engine: Engine;
  /** `ClusterPolicy/require-signed` style: kind and name. */
  policy: string;
  /** Kyverno rule name (autogen-… for pod controllers); for policy-controller the authority that decided, or null. */
  rule: string | null;
  result: AdmissionResultKind;
  /** Reason id when not admitted; null when admitted. */
  reason: AdmissionReason | null;
  /** One sentence for people. */
  message: string;
  /** What the policy required (e.g. the expected subject and issuer), when it says. */
  expected: string | null;
  /** What was found instead (e.g. the observed subject and issuer), when known. */
  observed: string | null;
  /** What admission would write into the manifest (mutateDigest / tag resolution), when it rewrites the image. */
  rewrite: string | null;
  /** Where the deciding policy (entry) is. */
  site: Site;
  /** Observed keyless identities that verified cryptographically but no attestor accepted (for "Add an attestor"). */
  observedSigners?: { subject: string; issuer: string }[];
  /**
   * Where an attestor for an observed signer would go: the Kyverno attestor set whose entries refused it, or the
   * policy-controller keyless authority whose identities did.
   */
  fixTarget?: AttestorTarget;
}

export interface AttestorTarget {
  kind: 'kyverno-attestor-set' | 'pc-authority';
  site: Site;
}

/** Admission facts of one reference: every policy that had something to say, or why none did. */
export interface AdmissionOutcome {
  results: AdmissionResult[];
  /** The resource the reference belongs to, when known. */
  resource: ResourceInfo | null;
}
