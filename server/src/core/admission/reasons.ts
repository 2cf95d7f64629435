// Why an admission engine would refuse an image: one id per reason, each explained in docs/rules.md
// ("Admission reasons"). The finding codes themselves (admission-denied, admission-audit, admission-error,
// admission-not-evaluated) are in core/rules.ts; these ids are in each finding's message and in JSON `reason`.
import type { AdmissionReason } from './types';

export const ADMISSION_REASONS: Readonly<Record<AdmissionReason, string>> = {
  'admission-no-signature': 'No signature (of the type the policy reads) was found for the image digest',
  'admission-identity-mismatch': 'Signed, but by another keyless identity than the policy expects',
  'admission-no-tlog': 'The signature matches the key but has no transparency-log (Rekor) entry',
  'admission-wrong-key': 'Signed, but not with the key the policy names',
  'admission-invalid-signature': 'A signature is invalid (wrong digest, broken signature, bad log proof)',
  'admission-attestation-missing': 'A required attestation type is missing or not verified',
  'admission-condition-false': 'An attestation condition is false',
  'admission-registry-error': 'The registry could not be asked (network, authentication, unknown digest)',
  'admission-digest-required': 'The policy requires a digest and does not add one itself',
  'admission-static-fail': 'A static authority fails every image it matches',
  'admission-no-match': 'No ClusterImagePolicy matches the image and no-match-policy is deny or warn',
  'admission-not-evaluated': 'The policy uses something the preview does not evaluate',
};

export const ADMISSION_REASON_IDS = Object.keys(ADMISSION_REASONS) as AdmissionReason[];
