// Verifies one signed entity (a Sigstore bundle, native or converted from cosign annotations) against the policy's
// signers with @sigstore/verify: certificate chains, SCTs, Rekor SETs/inclusion proofs and TSA timestamps are all
// checked by the library. This module only picks the trust material per signer and classifies the outcome.

import crypto from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { crypto as sigstoreCrypto, X509Certificate, type ASN1Obj } from '@sigstore/core';
import { toSignedEntity, Verifier, type SignedEntity, type TrustMaterial, type VerifierOptions } from '@sigstore/verify';
import { identityMatches, type PreparedSigner, type PreparedTrust } from './signers';
import { earliest, type SignatureStatus } from './status';

export interface EntityOutcome {
  status: SignatureStatus;
  signer?: string;
  issuer?: string;
  logIndex?: number;
  integratedTime?: number;
  /** See SignatureResult.validUntil. */
  validUntil?: string;
  reason: string;
}

export interface EntityOptions {
  /** Verification time for certificates without any trusted timestamp (private PKI without Rekor). Default: now. */
  now?: Date;
}

const FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

/**
 * Verifies `bundle` whose signature covers exactly `signedData` (the payload for message signatures, the DSSE PAE
 * for envelopes). Returns `verified` with the name of the first policy signer that accepts it.
 */
export function verifyBundleEntity(bundle: Bundle, signedData: Buffer, trust: PreparedTrust, opts: EntityOptions = {}): EntityOutcome {
  let entity: SignedEntity;
  try {
    entity = withMultiAlgorithmSignature(bundle, toSignedEntity(bundle, signedData), signedData);
  } catch (err) {
    return { status: 'invalid', reason: `The signature cannot be read: ${errorText(err)}` };
  }
  const log = logInfo(entity);
  const outcome = entity.key.$case === 'public-key' ? verifyWithKeys(entity, trust) : verifyWithCertificate(entity, entity.key.certificate, trust, opts);
  return { ...log, ...outcome };
}

function verifyWithKeys(entity: SignedEntity, trust: PreparedTrust): EntityOutcome {
  const keySigners = trust.signers.filter((s): s is Extract<PreparedSigner, { type: 'key' }> => s.type === 'key');
  if (keySigners.length === 0) return { status: 'untrusted', reason: 'Signed with a public key, but the policy trusts no keys.' };
  const hint = entity.key.$case === 'public-key' ? entity.key.hint : '';
  const failures: string[] = [];
  let proofError: unknown;
  for (const signer of keySigners) {
    if (signer.requireTlog && entity.tlogEntries.length === 0) {
      failures.push(`${signer.name}: requires a transparency log entry, the signature has none`);
      continue;
    }
    const material: TrustMaterial = { ...trust.material, publicKey: () => ({ publicKey: signer.key, validFor: () => true }) };
    const needsLog = signer.requireTlog ? 1 : 0;
    const error = tryVerify(entity, material, { tlogThreshold: needsLog, timestampThreshold: needsLog, ctlogThreshold: 0 });
    if (!error) return { status: 'verified', signer: signer.name, reason: `Signature verified with key ${signer.name}.` };
    failures.push(`${signer.name}: ${errorText(error)}`);
    // The signature names this key and still fails: it is wrong, not merely by someone else.
    if (hint !== '' && (hint === signer.keyId || hint === signer.name)) return { status: 'invalid', signer: signer.name, reason: `Signature does not verify with the key it names: ${errorText(error)}` };
    // Failures before the signature check (log proof, timestamps) are properties of the artifact, not of the key.
    if (!isSignatureMismatch(error)) proofError ??= error;
  }
  if (proofError) return { status: 'invalid', reason: `Verification failed: ${errorText(proofError)}` };
  return { status: 'untrusted', reason: `Not signed by any trusted key (unknown key or modified content): ${failures.join('; ')}` };
}

function verifyWithCertificate(entity: SignedEntity, leaf: X509Certificate, trust: PreparedTrust, opts: EntityOptions): EntityOutcome {
  const who = certificateIdentity(leaf);
  const claimed = { signer: who.sans[0], issuer: who.issuer };
  if (!entity.signature.verifySignature(crypto.createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' }))) {
    return { status: 'invalid', ...claimed, reason: 'The signature does not match its certificate (content modified or wrong signature).' };
  }

  // Fulcio (keyless): chain to a CA of the trusted root, SCT, and a transparency log timestamp are all required.
  const fulcioError = entity.timestamps.length === 0
    ? new Error('no transparency log entry or trusted timestamp (keyless signatures need one)')
    : tryVerify(entity, trust.material, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
  if (!fulcioError) {
    for (const signer of trust.signers) {
      if (signer.type === 'keyless' && identityMatches(signer.identity, who.sans, who.issuer)) {
        return { status: 'verified', ...claimed, signer: signer.name, reason: `Keyless signature by ${who.sans[0]} (${who.issuer ?? 'no issuer'}) verified.` };
      }
    }
    return { status: 'untrusted', ...claimed, reason: `Signed by ${who.sans.join(', ') || 'an unnamed identity'} (issuer ${who.issuer ?? 'none'}), which the policy does not trust.` };
  }

  // Private PKI: chain to the configured roots; a Rekor entry, if present, must still verify.
  const pkiErrors: string[] = [];
  for (const signer of trust.signers) {
    if (signer.type !== 'certificate') continue;
    const material: TrustMaterial = { ...trust.material, certificateAuthorities: signer.material.certificateAuthorities, ctlogs: [] };
    const error = tryVerify(withVerificationTime(entity, opts.now ?? new Date()), material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    if (error) {
      pkiErrors.push(`${signer.name}: ${errorText(error)}`);
      continue;
    }
    if (identityMatches(signer.identity, who.sans, undefined)) {
      // Without a logged or timestamped time the chain was checked at "now": the verdict holds until the first notAfter.
      const checkedNow = entity.timestamps.length === 0;
      const validUntil = checkedNow ? earliest([leaf.notAfter, ...signer.material.certificateAuthorities.flatMap((ca) => ca.certChain.map((c) => c.notAfter))].map((d) => d.toISOString())) : undefined;
      return { status: 'verified', ...claimed, signer: signer.name, reason: `Certificate signature by ${who.sans[0]} verified against ${signer.name}.`, ...(validUntil ? { validUntil } : {}) };
    }
    pkiErrors.push(`${signer.name}: certificate identity ${who.sans.join(', ')} is not the one configured`);
  }
  const prefix = (fulcioError as { code?: string }).code === 'CERTIFICATE_ERROR' || !isProvablyWrong(fulcioError) ? 'Certificate not trusted' : 'Verification failed';
  const reason = [`${prefix}: ${errorText(fulcioError)}`, ...pkiErrors].join('; ');
  return { status: isProvablyWrong(fulcioError) ? 'invalid' : 'untrusted', ...claimed, reason };
}

/** Runs the library verifier; returns the error, or undefined when everything verified. */
function tryVerify(entity: SignedEntity, material: TrustMaterial, options: VerifierOptions): unknown {
  try {
    new Verifier(material, options).verify(entity);
    return undefined;
  } catch (err) {
    return err ?? new Error('verification failed');
  }
}

/**
 * cosign keys may be ECDSA P-256/P-384/P-521 (hashed with SHA-256, or the curve's own hash for newer cosign),
 * RSA PKCS#1 v1.5 or PSS, or Ed25519; the library verifies with a single default hash only.
 */
export function verifyWithAnyAlgorithm(key: crypto.KeyObject, data: Buffer, signature: Buffer): boolean {
  const attempt = (algorithm: string | null, extra: Partial<crypto.VerifyKeyObjectInput> = {}): boolean => {
    try {
      return crypto.verify(algorithm, data, { key, ...extra }, signature);
    } catch {
      return false;
    }
  };
  switch (key.asymmetricKeyType) {
    case 'ed25519':
    case 'ed448':
      return attempt(null);
    case 'ec': {
      const curveHash: Record<string, string> = { 'P-384': 'sha384', secp384r1: 'sha384', 'P-521': 'sha512', secp521r1: 'sha512' };
      const own = curveHash[key.asymmetricKeyDetails?.namedCurve ?? ''];
      return attempt('sha256') || (own !== undefined && attempt(own));
    }
    case 'rsa':
      return ['sha256', 'sha384', 'sha512'].some(
        (hash) => attempt(hash) || attempt(hash, { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO }),
      );
    case 'rsa-pss':
      return ['sha256', 'sha384', 'sha512'].some((hash) => attempt(hash, { saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO }));
    default:
      return false;
  }
}

function withMultiAlgorithmSignature(bundle: Bundle, entity: SignedEntity, signedData: Buffer): SignedEntity {
  const content = entity.signature;
  // Rekor v2 logs a DSSE envelope as a hashedrekord of its PAE ("hashedrekord-over-DSSE"): the logged digest is
  // then SHA-256 of exactly the signed bytes, which the library does not know yet.
  const paeDigest = bundle.content.$case === 'dsseEnvelope' && entity.tlogEntries.length > 0 && entity.tlogEntries.every((e) => e.kindVersion.kind === 'hashedrekord')
    ? crypto.createHash('sha256').update(signedData).digest()
    : undefined;
  return {
    ...entity,
    signature: {
      signature: content.signature,
      compareSignature: (sig) => content.compareSignature(sig),
      compareDigest: (digest) => (paeDigest ? sigstoreCrypto.bufferEqual(digest, paeDigest) : content.compareDigest(digest)),
      verifySignature: (key) => verifyWithAnyAlgorithm(key, signedData, content.signature),
    },
  };
}

/**
 * The library takes the time at which certificates must be valid from the entity's trusted timestamps. A private
 * PKI signature without a Rekor entry has none; cosign then checks the chain at the current time, and so do we by
 * adding that time as the only timestamp (no log entry is added, so nothing is claimed to be logged).
 */
function withVerificationTime(entity: SignedEntity, now: Date): SignedEntity {
  if (entity.timestamps.length > 0) return entity;
  const tlogEntry = {
    logIndex: '0',
    logId: { keyId: Buffer.alloc(0) },
    kindVersion: { kind: 'verification-time', version: '0' },
    integratedTime: String(Math.floor(now.getTime() / 1000)),
    inclusionPromise: { signedEntryTimestamp: Buffer.alloc(0) },
    inclusionProof: undefined,
    canonicalizedBody: Buffer.alloc(0),
  };
  return { ...entity, timestamps: [{ $case: 'transparency-log', tlogEntry }] };
}

export interface CertificateIdentity {
  /** All subject alternative names: URIs, e-mail addresses, DNS names. */
  sans: string[];
  /** Fulcio OIDC issuer extension (v2 preferred, v1 legacy). */
  issuer?: string;
}

const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const SAN_TAGS = [0x06, 0x01, 0x02]; // URI, rfc822Name, dNSName

export function certificateIdentity(cert: X509Certificate): CertificateIdentity {
  let names: ASN1Obj[] = [];
  try {
    names = cert.extension(OID_SUBJECT_ALT_NAME)?.valueObj.subs[0]?.subs ?? [];
  } catch {
    names = [];
  }
  const sans = SAN_TAGS.flatMap((tag) => names.filter((gn) => gn.tag.isContextSpecific(tag)).map((gn) => gn.value.toString('ascii')));
  let issuer: string | undefined;
  try {
    const v2 = cert.extension(FULCIO_ISSUER_V2);
    // v2 is a DER UTF8String inside the extension value; v1 is the raw string.
    issuer = v2 ? v2.valueObj.subs?.[0]?.value.toString('utf8') : cert.extension(FULCIO_ISSUER_V1)?.value.toString('utf8');
  } catch {
    issuer = undefined;
  }
  return { sans, issuer };
}

function logInfo(entity: SignedEntity): { logIndex?: number; integratedTime?: number } {
  const entry = entity.tlogEntries[0];
  if (!entry) return {};
  const time = Number(entry.integratedTime);
  return { logIndex: Number(entry.logIndex), integratedTime: time > 0 ? time : undefined };
}

function isSignatureMismatch(err: unknown): boolean {
  return (err as { code?: string }).code === 'SIGNATURE_ERROR';
}

/** Errors that prove the signature wrong, as opposed to "signed by someone we do not know". */
function isProvablyWrong(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  if (code.startsWith('TLOG_') || code === 'SIGNATURE_ERROR' || code === 'TIMESTAMP_ERROR') return true;
  return code === 'CERTIFICATE_ERROR' && /expired|not valid/i.test(errorText(err));
}

export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== err.message ? `${err.message} (${cause.message})` : err.message;
}
