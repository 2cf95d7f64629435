// Data model of the trust policy file `.image-trust.yaml` after loading and validation. No I/O here.

import type { SeverityOverrides } from '../rules';
import type { OffsetRange } from '../types';

/** What a rule does with an image that does not satisfy it: `enforce` → Error, `audit` → Warning, `off` → nothing. */
export type PolicyMode = 'enforce' | 'audit' | 'off';
export const POLICY_MODES: readonly PolicyMode[] = ['enforce', 'audit', 'off'];

/**
 * A signer the policy trusts, with its key material already read and checked. The shapes are exactly the signer
 * specs of the signature verifier (`core/trust/`), so callers pass them through unchanged.
 * - `key`: a cosign public key; `name` is the path as written in the policy, or `inline key SHA256:<fingerprint>`.
 * - `keyless`: a Fulcio certificate identity; `subjectRegExp` is the pattern source (already checked to compile).
 * - `notation`: a Notary Project trust anchor; `certificatePem` holds one or more PEM certificates.
 */
export type ResolvedSigner =
  | { type: 'key'; publicKeyPem: string; name: string; /** Rekor entry required (default true; `tlog: false` opts out). */ requireTlog?: boolean }
  | { type: 'keyless'; issuer: string; subject?: string; subjectRegExp?: string }
  | { type: 'notation'; certificatePem: string };

/** An attestation that must be present and signed by one of `signers` (the rule's signers when not given). */
export interface AttestationRequirement {
  predicateType: string;
  signers: ResolvedSigner[];
}

export interface ResolvedRule {
  /** `name` from the file, or `rules[i]`; `default` for the built-in default rule. */
  name: string;
  /** Patterns as written in the file (for display). */
  match: string[];
  /** The same patterns normalized to fully qualified form (`nginx` → `docker.io/library/nginx`). */
  normalizedMatch: string[];
  mode: PolicyMode;
  requireDigest: boolean;
  /**
   * For a multi-platform index, also verify each platform manifest's digest: the image passes when the index itself
   * verifies or when every platform manifest does (as `cosign sign --recursive` signs them).
   */
  verifyPlatforms: boolean;
  signers: ResolvedSigner[];
  attestations: AttestationRequirement[];
  /** Where the rule is written in the policy file; null for the default rule. */
  range: OffsetRange | null;
}

/** The image an exception covers: one exact digest of a repository, or every image of repositories matching a glob. */
export type ExceptionImage =
  | { type: 'digest'; name: string; digest: string }
  | { type: 'glob'; pattern: string };

/** A valid exception entry as written in the file (time-independent). */
export interface PolicyException {
  index: number;
  /** `image` as written. */
  image: string;
  target: ExceptionImage;
  reason: string;
  owner: string;
  /** `YYYY-MM-DD`; the exception applies through the end of that day, UTC. */
  expires: string;
  /** Workspace-relative path globs; null = everywhere. */
  scope: string[] | null;
  /** The whole entry, and its `expires` value, in the policy file. */
  range: OffsetRange;
  expiresRange: OffsetRange;
}

/** An exception as seen at a given time (`findException`). */
export interface ExceptionInfo extends PolicyException {
  /** Whole UTC days from `now` until the expiry date: 0 on the last day, negative once expired. */
  daysLeft: number;
  /** Sentence for the user, e.g. `exception expired on 2026-01-31 (owner team-platform)`. */
  message: string;
}

export interface TrustedRootMaterial {
  /** Absolute path of the file. */
  path: string;
  /** Parsed JSON of a Sigstore `trusted_root.json`. */
  json: Record<string, unknown>;
}

export interface Policy {
  version: 1;
  /** Absolute path of the policy file; null for the built-in default policy. */
  policyPath: string | null;
  /** Custom Sigstore trusted root; null = the public-good root shipped with the extension. */
  trustedRoot: TrustedRootMaterial | null;
  /** In file order; the first matching rule wins. */
  rules: ResolvedRule[];
  /** Applies when no rule matches. */
  defaultRule: ResolvedRule;
  /** Valid exceptions only; malformed ones are reported and dropped. */
  exceptions: PolicyException[];
  /**
   * The `severity:` block: severity per rule id, or `off`. Overrides the table default; the editor setting and the
   * CLI's `--severity` override it (see `effectiveSeverity` in core/rules.ts). `{}` when absent.
   */
  severity: SeverityOverrides;
}

export type PolicySeverity = 'error' | 'warning';

export interface PolicyDiagnostic {
  message: string;
  /** Offsets into the policy file text. */
  range: OffsetRange;
  severity: PolicySeverity;
  /** Where in the document, e.g. `rules[0].signers[1].key`; empty for the whole file. */
  path: string;
}

/**
 * Result of `loadPolicy`.
 *
 * FAIL CLOSED: when `broken` is true, `policy` is null and callers MUST NOT report any image as verified (nor
 * exempted) until the policy is fixed — show the diagnostics instead. A broken policy is never replaced by the
 * default policy. Errors confined to one `exceptions[i]` entry do not break the policy: that exception is dropped
 * (which can only make the result stricter) and the error is still reported.
 */
export interface PolicyLoadResult {
  policy: Policy | null;
  broken: boolean;
  diagnostics: PolicyDiagnostic[];
  /** sha256 (hex) of the policy path, text and every key/certificate/trusted-root file read; for caching. */
  hash: string;
}
