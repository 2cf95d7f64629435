// THE table of rules: every finding code Image Trust emits, with its title, default severity and help text, and the
// one format of severity settings shared by the editor (`imageTrust.severity`), the CLI (`--severity rule=level`) and
// the policy file (`severity:`). Rule ids are public: diagnostics (`code`), JSON/SARIF output, suppression comments;
// docs/rules.md has a section for each, package.json and schemas/image-trust.schema.json list each
// (test/unit/rules-table.test.ts checks all of them; `node --import tsx scripts/sync-rules.ts` rewrites the lists).

import { editDistance } from './edit-distance';

export type Severity = 'error' | 'warning' | 'information' | 'hint';
export type SeveritySetting = Severity | 'off';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint'];
/** The levels a severity setting accepts, in the order shown to users. */
export const SEVERITY_SETTINGS: readonly SeveritySetting[] = [...SEVERITIES, 'off'];

export type RuleId =
  // Offline, from the reference text
  | 'unpinned-tag'
  | 'implicit-latest'
  | 'templated'
  | 'invalid-reference'
  | 'unreadable-yaml'
  | 'duplicate-key'
  // Editor only (the CLI reports these cases as notices)
  | 'file-too-large'
  | 'analysis-failed'
  // Need a registry
  | 'tag-moved'
  | 'digest-not-found'
  | 'resolve-failed'
  | 'single-platform-pin'
  // Admission preview (Kyverno, Sigstore policy-controller policies in the workspace)
  | 'admission-denied'
  | 'admission-audit'
  | 'admission-error'
  | 'admission-not-evaluated'
  | 'admission-policy-invalid'
  // Trust policy
  | 'unsigned'
  | 'untrusted-signer'
  | 'invalid-signature'
  | 'missing-attestation'
  | 'verify-failed'
  | 'exception-expired'
  | 'tag-not-allowed'
  | 'policy-invalid'
  // Trust lock (`scan --verify --locked`)
  | 'not-in-lock'
  | 'lock-policy-changed';

export interface RuleInfo {
  id: RuleId;
  title: string;
  /**
   * Severity when nothing overrides it. For a policy rule this is only the fallback (`audit` → warning): the finding's
   * real severity follows the mode of the policy rule that matched (`enforce` → error), or, for `policy-invalid`,
   * the severity of the policy file problem.
   */
  defaultSeverity: Severity;
  /** One paragraph for SARIF help and hovers: what it means and how to fix it. The long form is in docs/rules.md. */
  help: string;
  /** The fix is pinning the reference to its digest: the *Pin to digest* quick fix and `image-trust pin` apply. */
  pinFix: boolean;
  /** A trust-policy rule: its severity follows the policy (rule mode), so a setting must not lower it (`canLower`). */
  policyRule: boolean;
}

const POLICY_SUFFIX = "Severity follows the policy rule's mode (enforce → error, audit → warning). See docs/policy.md.";

function rule<K extends RuleId>(id: K, title: string, defaultSeverity: Severity, help: string, pinFix = false): RuleInfo & { id: K } {
  return { id, title, defaultSeverity, help, pinFix, policyRule: false };
}

function policyRule<K extends RuleId>(id: K, title: string, help: string, pinFix = false): RuleInfo & { id: K } {
  return { id, title, defaultSeverity: 'warning', help: `${help} ${POLICY_SUFFIX}`, pinFix, policyRule: true };
}

const TABLE = {
  'unpinned-tag': rule('unpinned-tag', 'Image pinned by a mutable tag', 'warning', 'A tag is a label that can be moved to different bytes at any time; a digest (sha256:…) names exactly one image. Pin the reference to its digest, keeping the tag for humans: nginx:1.25@sha256:….', true),
  'implicit-latest': rule('implicit-latest', 'Image without tag or digest (implicit :latest)', 'warning', 'A reference with neither tag nor digest means :latest, the tag that moves most often. Pin it to the digest you have tested.', true),
  templated: rule('templated', 'Image reference built from a template', 'information', 'The reference is completed at deploy or build time (a template or variable), so it cannot be checked here. Make sure the value supplied there is pinned by digest.'),
  'invalid-reference': rule('invalid-reference', 'Invalid image reference', 'error', 'The text is not a valid image reference; the container runtime would refuse it. The message says which part is wrong.'),
  'unreadable-yaml': rule('unreadable-yaml', 'YAML document could not be read', 'warning', 'A YAML document in this file could not be parsed, so image references in it are not checked. Tools such as kubectl may still accept it: fix the syntax so nothing hides there.'),
  'duplicate-key': rule('duplicate-key', 'Key written twice in one YAML mapping', 'warning', 'A mapping has the same key more than once (a second selector:, a second image:). Tools disagree about which value wins (kubectl, Helm and PyYAML take the last, others the first or refuse the file), so what runs depends on the tool. Image Trust reads every value; remove the copy that is not meant.'),
  'file-too-large': rule('file-too-large', 'File skipped: too large', 'information', 'The file is larger than the imageTrust.maxFileSizeKB setting and was not analyzed, so the editor stays fast. Raise the setting to check it, or scan it with the image-trust CLI.'),
  'analysis-failed': rule('analysis-failed', 'File could not be analyzed', 'error', 'Image Trust could not analyze this file (the message says why); image references in it are not checked. Other files are not affected. Please report it, with the file if you can.'),
  'tag-moved': rule('tag-moved', 'Tag moved under a pinned digest', 'warning', 'The tag now points to a different digest than the pin. Moving release tags can mean a rebuild — or a swapped image. Check why before updating the pin.'),
  'digest-not-found': rule('digest-not-found', 'Pinned digest does not exist', 'error', 'The pinned digest does not exist in the repository (deleted, mistyped or from another repository); pulling it will fail.'),
  'resolve-failed': rule('resolve-failed', 'Registry could not be asked', 'information', 'The registry did not answer (unauthorized, not found, unreachable, rate-limited). Nothing is concluded about the image.'),
  'single-platform-pin': rule('single-platform-pin', 'Pinned to one platform of a multi-platform image', 'information', "The digest names one platform's manifest while the tag is a multi-platform index: the pin runs only on that platform."),
  'admission-denied': rule('admission-denied', 'An admission policy in the repository would reject this image', 'error', 'A Kyverno (Enforce) or Sigstore policy-controller (enforce) policy found in the workspace would refuse this image at admission; the message names engine, policy, rule and the precise reason (see "Admission reasons" in docs/rules.md). Fix the image, or the policy.'),
  'admission-audit': rule('admission-audit', 'An admission policy would report a violation (audit / warn)', 'warning', 'A Kyverno Audit or policy-controller warn policy (or no-match-policy: warn) would admit this image but report a violation; the message gives the reason.'),
  'admission-error': rule('admission-error', 'An admission policy could not be evaluated for this image (registry error)', 'warning', 'The registry could not be asked (network, authentication, unknown tag): the preview says neither admitted nor denied, as Kyverno reports such a rule as an error.'),
  'admission-not-evaluated': rule('admission-not-evaluated', 'An admission policy is not evaluated here', 'information', 'The policy uses something the preview does not evaluate (CUE/Rego, ImageValidatingPolicy CEL, Kyverno JMESPath functions or request variables, KMS keys, Secrets not in the repository, user or namespace-label matches): the image is not reported as admitted by it. The message says what.'),
  'admission-policy-invalid': rule('admission-policy-invalid', 'An admission policy file is malformed', 'error', 'A Kyverno policy or ClusterImagePolicy in the workspace has an error the engine would refuse (missing imageReferences, invalid glob, count larger than entries, a bad regular expression): fix it at the marked place.'),
  unsigned: policyRule('unsigned', 'No signature found for the image digest', 'The policy requires a signature, and none exists for this digest (cosign tags and OCI referrers were searched). Sign the image, or add an exception with an owner and an expiry.'),
  'untrusted-signer': policyRule('untrusted-signer', 'Signed, but not by a signer the policy trusts', 'Signatures exist, but none verifies with a key or identity the policy lists. Check who signed it; add the signer to the policy only if you trust it.'),
  'invalid-signature': policyRule('invalid-signature', 'A signature is invalid', 'A signature names another digest, its payload was tampered with, or its certificate or transparency-log proof does not hold. Do not deploy this image until you know why.'),
  'missing-attestation': policyRule('missing-attestation', 'A required attestation is missing or not verified', 'The policy requires an attestation (e.g. SLSA provenance) signed by a trusted signer for this image; none verified.'),
  'verify-failed': policyRule('verify-failed', 'Signatures could not be checked', 'The registry could not be asked (offline, unauthorized, unreachable) or the trust material is unusable. "Could not look" is never "unsigned": under an enforce rule this fails.'),
  'exception-expired': policyRule('exception-expired', 'A policy exception has expired', 'The exception that covered this image expired; renew it (with its owner) or fix the image.'),
  'tag-not-allowed': policyRule('tag-not-allowed', 'The policy requires a digest for this image', 'The matching policy rule has requireDigest: pin the reference to its digest.', true),
  'policy-invalid': {
    id: 'policy-invalid',
    title: 'The trust policy has a problem',
    defaultSeverity: 'warning',
    help: 'The trust policy file has an error: nothing is reported verified under a broken policy until it is fixed. Severity follows the problem (error or warning). See docs/policy.md.',
    pinFix: false,
    policyRule: true,
  },
  'not-in-lock': rule('not-in-lock', 'Reference not in the trust lock', 'error', 'scan --locked verifies from .image-trust.lock only, and this reference has no entry there (a new or changed pin, or a tag without a digest): nothing vouches for it offline. Pin it and run image-trust lock, then review and commit the lock.'),
  'lock-policy-changed': rule('lock-policy-changed', 'The trust lock was made under another policy', 'error', 'The trust policy (or its key files, or the Sigstore trusted root) changed since .image-trust.lock was made. Verdicts are derived again under the current policy, but the lock was reviewed under the old one: run image-trust lock and review the change.'),
} satisfies { [K in RuleId]: RuleInfo & { id: K } };

/** Every rule id, in table order (the order of docs/rules.md, SARIF and the settings lists). */
export const RULE_IDS: readonly RuleId[] = Object.keys(TABLE) as RuleId[];

/**
 * The table, by id. Typed by `string` so that a finding's `code` (a string) can index it: an unknown code gives
 * undefined at run time. Use `RULE_IDS` / `isRuleId` for the typed view.
 */
export const RULES: Readonly<Record<string, RuleInfo>> = TABLE;

export function isRuleId(code: unknown): code is RuleId {
  return typeof code === 'string' && Object.hasOwn(TABLE, code);
}

export function isSeveritySetting(level: unknown): level is SeveritySetting {
  return typeof level === 'string' && (SEVERITY_SETTINGS as readonly string[]).includes(level);
}

/** Severity per rule, or `off`: the value of `imageTrust.severity`, `--severity rule=level` and the policy's `severity:`. */
export type SeverityOverrides = Partial<Record<RuleId, SeveritySetting>>;

/** Severity from the table; `warning` for a code that is not in it. */
export function defaultSeverity(code: string): Severity {
  return RULES[code]?.defaultSeverity ?? 'warning';
}

/**
 * Whether a user or policy severity setting may lower this rule's findings. False for policy rules: their severity
 * follows the policy (an `enforce` rule fails closed, a broken policy must stay visible). Raising is always safe.
 * Callers decide what to do when `effectiveSeverity` would lower such a finding (e.g. keep the policy's severity).
 */
export function canLower(code: string): boolean {
  return !RULES[code]?.policyRule;
}

/**
 * The configured severity of a rule, by precedence: the user's setting (`imageTrust.severity` in the editor,
 * `--severity` in the CLI) over the policy file's `severity:` block over the table default. Pure: it knows nothing of
 * a finding's own severity, so for policy rules (whose severity comes from the policy rule's mode) check `canLower`.
 */
export function effectiveSeverity(code: string, overrides: { policy?: SeverityOverrides; user?: SeverityOverrides } = {}): SeveritySetting {
  if (isRuleId(code)) {
    const set = overrides.user?.[code] ?? overrides.policy?.[code];
    if (set !== undefined) return set;
  }
  return defaultSeverity(code);
}

const SEVERITY_RANK: Record<SeveritySetting, number> = { off: 0, hint: 1, information: 2, warning: 3, error: 4 };

/** -1, 0 or 1 as `a` is less severe than, as severe as, or more severe than `b` (`off` is the least). */
export function compareSeverity(a: SeveritySetting, b: SeveritySetting): number {
  return Math.sign(SEVERITY_RANK[a] - SEVERITY_RANK[b]);
}

/** A problem with one severity entry: `part` says whether the rule or the level is wrong (for pointing at it). */
export interface SeverityEntryError {
  rule: string;
  part: 'rule' | 'level';
  message: string;
}

export type SeverityEntryCheck = { ok: true; rule: RuleId; level: SeveritySetting } | ({ ok: false } & SeverityEntryError);

/** Checks one `rule → level` entry, with a message that names what is wrong and what would be right. */
export function checkSeverityEntry(rule: string, level: unknown): SeverityEntryCheck {
  if (!isRuleId(rule)) return { ok: false, rule, part: 'rule', message: unknownRuleMessage(rule) };
  if (!isSeveritySetting(level)) return { ok: false, rule, part: 'level', message: unknownLevelMessage(rule, level) };
  return { ok: true, rule, level };
}

/**
 * Validates severity settings: a mapping (`{ "unpinned-tag": "error" }`, as in the editor and the policy file) or
 * `[rule, level]` pairs (the CLI's `--severity`, in order: a later entry for the same rule wins). Valid entries are
 * kept even when others are wrong; `errors` lists the wrong ones, each with a specific message.
 */
export function parseSeverityOverrides(entries: Iterable<readonly [string, unknown]> | Readonly<Record<string, unknown>>): {
  overrides: SeverityOverrides;
  errors: SeverityEntryError[];
} {
  const pairs = Symbol.iterator in entries ? (entries as Iterable<readonly [string, unknown]>) : Object.entries(entries);
  const overrides: SeverityOverrides = {};
  const errors: SeverityEntryError[] = [];
  for (const [rule, level] of pairs) {
    const check = checkSeverityEntry(rule, level);
    if (check.ok) overrides[check.rule] = check.level;
    else errors.push({ rule: check.rule, part: check.part, message: check.message });
  }
  return { overrides, errors };
}

function unknownRuleMessage(rule: string): string {
  const near = closeRuleIds(rule);
  const hint = near.length > 0 ? `did you mean ${near.join(' or ')}?` : `rules are: ${RULE_IDS.join(', ')}`;
  return `unknown rule "${rule}"; ${hint}`;
}

function unknownLevelMessage(rule: string, level: unknown): string {
  const levels = SEVERITY_SETTINGS.join(', ');
  if (typeof level !== 'string') {
    const got = level === null || level === undefined ? 'nothing' : Array.isArray(level) ? 'a list' : typeof level === 'object' ? 'a mapping' : String(level);
    return `the severity of rule ${rule} must be one of ${levels} (got ${got})`;
  }
  const text = level.trim().toLowerCase();
  const near = SEVERITY_SETTINGS.find((s) => text.length >= 2 && (s.startsWith(text) || editDistance(s, text) <= 2));
  const hint = near ? ` (did you mean ${near}?)` : '';
  return `unknown severity "${level}" for rule ${rule}; use one of ${levels}${hint}`;
}

/** Rule ids close to a misspelled one: a small edit distance, or one contains the other. */
export function closeRuleIds(text: string): RuleId[] {
  const t = text.toLowerCase().trim();
  if (!t) return [];
  const scored = RULE_IDS.map((id) => ({ id, d: editDistance(id, t) }))
    .filter(({ id, d }) => d <= Math.max(2, Math.floor(id.length / 4)) || (t.length >= 4 && (id.includes(t) || t.includes(id))))
    .sort((a, b) => a.d - b.d);
  return scored.slice(0, 3).map(({ id }) => id);
}

