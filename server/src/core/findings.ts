// Findings (editor diagnostics, CLI results) derived from classified references. Rule ids are public: they appear
// in diagnostics (`code`), JSON/SARIF output and suppression comments, and docs/rules.md explains each.
import { isSuppressed } from './suppressions';
import type { ImageRef, OffsetRange } from './types';

export type Severity = 'error' | 'warning' | 'information' | 'hint';
export type SeveritySetting = Severity | 'off';

export interface RuleInfo {
  id: string;
  title: string;
  defaultSeverity: Severity;
  /** One paragraph for SARIF help and hovers; the long form is in docs/rules.md. */
  help: string;
}

export const RULES: Record<string, RuleInfo> = {
  'unpinned-tag': {
    id: 'unpinned-tag',
    title: 'Image pinned by a mutable tag',
    defaultSeverity: 'warning',
    help: 'A tag is a label that can be moved to different bytes at any time; a digest (sha256:…) names exactly one image. Pin the reference to its digest, keeping the tag for humans: nginx:1.25@sha256:….',
  },
  'implicit-latest': {
    id: 'implicit-latest',
    title: 'Image without tag or digest (implicit :latest)',
    defaultSeverity: 'warning',
    help: 'A reference with neither tag nor digest means :latest, the tag that moves most often. Pin it to the digest you have tested.',
  },
  templated: {
    id: 'templated',
    title: 'Image reference built from a template',
    defaultSeverity: 'information',
    help: 'The reference is completed at deploy or build time (a template or variable), so it cannot be checked here. Make sure the value supplied there is pinned by digest.',
  },
  'invalid-reference': {
    id: 'invalid-reference',
    title: 'Invalid image reference',
    defaultSeverity: 'error',
    help: 'The text is not a valid image reference; the container runtime would refuse it. The message says which part is wrong.',
  },
  'unreadable-yaml': {
    id: 'unreadable-yaml',
    title: 'YAML document could not be read',
    defaultSeverity: 'warning',
    help: 'A YAML document in this file could not be parsed, so image references in it are not checked. Tools such as kubectl may still accept it: fix the syntax so nothing hides there.',
  },
  'tag-moved': {
    id: 'tag-moved',
    title: 'Tag moved under a pinned digest',
    defaultSeverity: 'warning',
    help: 'The tag now points to a different digest than the pin. Moving release tags can mean a rebuild — or a swapped image. Check why before updating the pin.',
  },
  'digest-not-found': {
    id: 'digest-not-found',
    title: 'Pinned digest does not exist',
    defaultSeverity: 'error',
    help: 'The pinned digest does not exist in the repository (deleted, mistyped or from another repository); pulling it will fail.',
  },
  'resolve-failed': {
    id: 'resolve-failed',
    title: 'Registry could not be asked',
    defaultSeverity: 'information',
    help: 'The registry did not answer (unauthorized, not found, unreachable, rate-limited). Nothing is concluded about the image.',
  },
  'single-platform-pin': {
    id: 'single-platform-pin',
    title: 'Pinned to one platform of a multi-platform image',
    defaultSeverity: 'information',
    help: 'The digest names one platform\'s manifest while the tag is a multi-platform index: the pin runs only on that platform.',
  },
  // Trust policy rules: the severity follows the mode of the matching policy rule (enforce → error, audit → warning).
  unsigned: policyRule('unsigned', 'No signature found for the image digest', 'The policy requires a signature, and none exists for this digest (cosign tags and OCI referrers were searched). Sign the image, or add an exception with an owner and an expiry.'),
  'untrusted-signer': policyRule('untrusted-signer', 'Signed, but not by a signer the policy trusts', 'Signatures exist, but none verifies with a key or identity the policy lists. Check who signed it; add the signer to the policy only if you trust it.'),
  'invalid-signature': policyRule('invalid-signature', 'A signature is invalid', 'A signature names another digest, its payload was tampered with, or its certificate or transparency-log proof does not hold. Do not deploy this image until you know why.'),
  'missing-attestation': policyRule('missing-attestation', 'A required attestation is missing or not verified', 'The policy requires an attestation (e.g. SLSA provenance) signed by a trusted signer for this image; none verified.'),
  'verify-failed': policyRule('verify-failed', 'Signatures could not be checked', 'The registry could not be asked (offline, unauthorized, unreachable) or the trust material is unusable. "Could not look" is never "unsigned": under an enforce rule this fails.'),
  'exception-expired': policyRule('exception-expired', 'A policy exception has expired', 'The exception that covered this image expired; renew it (with its owner) or fix the image.'),
  'tag-not-allowed': policyRule('tag-not-allowed', 'The policy requires a digest for this image', 'The matching policy rule has requireDigest: pin the reference to its digest.'),
  'policy-invalid': policyRule('policy-invalid', 'The trust policy has a problem', 'The trust policy file has an error: nothing is reported verified under a broken policy until it is fixed.'),
};

function policyRule(id: string, title: string, help: string): RuleInfo {
  return { id, title, defaultSeverity: 'warning', help: `${help} Severity follows the policy rule's mode (enforce → error, audit → warning). See docs/policy.md.` };
}

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  range: OffsetRange;
}

export type SeverityOverrides = Partial<Record<string, SeveritySetting>>;

function describe(ref: ImageRef): string {
  return ref.parsed?.familiar ?? ref.reference;
}

/** The offline findings for one reference (no registry needed). */
export function referenceFindings(ref: ImageRef, overrides: SeverityOverrides = {}): Finding[] {
  const out: Finding[] = [];
  const add = (code: string, message: string) => {
    const setting = overrides[code] ?? RULES[code]?.defaultSeverity ?? 'warning';
    if (setting === 'off' || isSuppressed(ref.ignored, code)) return;
    out.push({ code, severity: setting, message, range: ref.range });
  };
  switch (ref.status) {
    case 'invalid':
      add('invalid-reference', `Invalid image reference "${ref.reference}": ${ref.error ?? 'cannot be parsed'}.`);
      break;
    case 'templated':
      add('templated', `Image "${ref.reference}" is built from a template or variable, so its pin cannot be checked here; make sure the value supplied at deploy/build time is pinned by digest.`);
      break;
    case 'unpinned':
      if (ref.parsed?.implicitLatest) {
        add('implicit-latest', `Image ${describe(ref)} has no tag or digest, so it means ${describe(ref)}:latest, which moves with every release; pin it to a digest (quick fix "Pin to digest", or image-trust pin).`);
      } else {
        add('unpinned-tag', `Image ${describe(ref)} is pinned only by the tag "${ref.parsed?.tag}", which can be moved to other bytes at any time; pin it to its digest (quick fix "Pin to digest", or image-trust pin) to deploy exactly what you tested.`);
      }
      break;
    case 'pinned':
      break;
  }
  return out;
}

/** A YAML document that could not be read hides whatever it holds: say so instead of passing silently. */
export function problemFindings(problems: { message: string; range: OffsetRange }[], overrides: SeverityOverrides = {}): Finding[] {
  const setting = overrides['unreadable-yaml'] ?? RULES['unreadable-yaml'].defaultSeverity;
  if (setting === 'off') return [];
  return problems.map((p) => ({
    code: 'unreadable-yaml',
    severity: setting,
    message: `Image Trust could not read this YAML document (${p.message}); image references in it are not checked.`,
    range: p.range,
  }));
}
