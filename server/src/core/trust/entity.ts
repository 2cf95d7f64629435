// Verifies one signed entity (a Sigstore bundle, native or converted from cosign annotations) against the policy's
// signers with @sigstore/verify: certificate chains, SCTs, Rekor SETs/inclusion proofs and TSA timestamps are all
// checked by the library. This module only picks the trust material per signer and classifies the outcome.

import crypto from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { crypto as sigstoreCrypto, X509Certificate, type ASN1Obj } from '@sigstore/core';
import { toSignedEntity, Verifier, type SignedEntity, type TrustMaterial, type VerifierOptions } from '@sigstore/verify';
import { identityMatches, type PreparedSigner, type PreparedTrust } from './signers';
import { earliest, type SignatureStatus, type SignerIdentity } from './status';

export interface EntityOutcome {
  status: SignatureStatus;
  signer?: string;
  issuer?: string;
  logIndex?: number;
  integratedTime?: number;
  /** See SignatureResult.validUntil. */
  validUntil?: string;
  /** See SignatureResult.identity (verified outcomes only). */
  identity?: SignerIdentity;
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
  const logged = entity.tlogEntries.length > 0;
  const failures: string[] = [];
  let proofError: unknown;
  let unloggedBy: string | undefined;
  for (const signer of keySigners) {
    const namesThisKey = hint !== '' && (hint === signer.keyId || hint === signer.name);
    if (signer.requireTlog && !logged) {
      // As `cosign verify --key`: without a Rekor entry the signature is not accepted, even when it matches the key.
      if (entity.signature.verifySignature(signer.key)) {
        unloggedBy ??= signer.name;
        failures.push(`${signer.name}: the signature matches, but has no transparency-log entry`);
        continue;
      }
      if (namesThisKey) return { status: 'invalid', signer: signer.name, reason: 'Signature does not verify with the key it names.' };
      failures.push(`${signer.name}: signature verification failed`);
      continue;
    }
    const material: TrustMaterial = { ...trust.material, publicKey: () => ({ publicKey: signer.key, validFor: () => true }) };
    // Every log entry and timestamp present is verified whatever the thresholds say (a bad SET is invalid, also with
    // `tlog: false`); the threshold only says whether one must be there. A key has no validity period, so no
    // timestamp is needed: a Rekor v2 entry with an inclusion proof and no SET counts as a log entry.
    const error = tryVerify(entity, material, { tlogThreshold: signer.requireTlog ? 1 : 0, timestampThreshold: 0, ctlogThreshold: 0 });
    if (!error) {
      const reason = logged
        ? `Signature verified with key ${signer.name}.`
        : `Signature verified with key ${signer.name}; no transparency-log entry (allowed by policy).`;
      return { status: 'verified', signer: signer.name, identity: { kind: 'key', keyId: signer.keyId }, reason };
    }
    failures.push(`${signer.name}: ${errorText(error)}`);
    // The signature names this key and still fails: it is wrong, not merely by someone else.
    if (namesThisKey) return { status: 'invalid', signer: signer.name, reason: `Signature does not verify with the key it names: ${errorText(error)}` };
    // Failures before the signature check (log proof, timestamps) are properties of the artifact, not of the key.
    if (!isSignatureMismatch(error)) proofError ??= error;
  }
  if (proofError) return { status: 'invalid', reason: `Verification failed: ${errorText(proofError)}` };
  if (unloggedBy !== undefined) {
    return {
      status: 'untrusted',
      reason: `The signature matches key ${unloggedBy} but has no transparency-log entry, and the policy requires one (as cosign verify --key does). ` +
        'Sign with a Rekor upload, or add `tlog: false` to that key signer to accept signatures without a log entry.',
    };
  }
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
    // Issued by a trusted CA, yet with a name that does not decode: refused, never compared (cosign's Go parser
    // rejects such a certificate outright).
    if (who.malformed.length > 0) return { status: 'invalid', ...claimed, reason: malformedIdentityReason(who) };
    for (const signer of trust.signers) {
      if (signer.type === 'keyless' && identityMatches(signer.identity, who.sans, who.issuer)) {
        // The identity is the SAN the policy matched (a certificate may carry several) with the OIDC issuer.
        const subject = who.sans.find((san) => identityMatches(signer.identity, [san], who.issuer)) ?? who.sans[0];
        const identity: SignerIdentity = { kind: 'keyless', subject, issuer: who.issuer ?? '' };
        return { status: 'verified', ...claimed, signer: signer.name, identity, reason: `Keyless signature by ${who.sans[0]} (${who.issuer ?? 'no issuer'}) verified.` };
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
    if (who.malformed.length > 0) return { status: 'invalid', ...claimed, reason: `${malformedIdentityReason(who)} (The chain to ${signer.name} verified.)` };
    if (identityMatches(signer.identity, who.sans, undefined)) {
      // Without a logged or timestamped time the chain was checked at "now": the verdict holds until the first notAfter.
      const checkedNow = entity.timestamps.length === 0;
      const validUntil = checkedNow ? earliest([leaf.notAfter, ...signer.material.certificateAuthorities.flatMap((ca) => ca.certChain.map((c) => c.notAfter))].map((d) => d.toISOString())) : undefined;
      const subject = who.sans.find((san) => identityMatches(signer.identity, [san], undefined)) ?? who.sans[0];
      const identity: SignerIdentity = { kind: 'certificate', subject, authority: signer.name };
      return { status: 'verified', ...claimed, signer: signer.name, identity, reason: `Certificate signature by ${who.sans[0]} verified against ${signer.name}.`, ...(validUntil ? { validUntil } : {}) };
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
      // A key with PSS parameters fixes its salt length, and OpenSSL then refuses "auto": verify with the key's own.
      return ['sha256', 'sha384', 'sha512'].some((hash) => attempt(hash, { saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO }) || attempt(hash));
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
  /**
   * Subject alternative names that decode under their ASN.1 type, in this order: URIs, e-mail addresses, DNS names
   * (IA5String: printable 7-bit ASCII), Fulcio usernames (otherName 1.3.6.1.4.1.57264.1.7, UTF8String).
   */
  sans: string[];
  /** Fulcio OIDC issuer extension (v2 preferred, v1 legacy); undefined when absent or malformed. */
  issuer?: string;
  /**
   * Identity fields that do not decode, described with their bytes escaped. A certificate with any of them matches
   * no identity: its names are never compared in a mangled form (e.g. 0xC0 read as "@" with the high bit cleared).
   */
  malformed: string[];
}

const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_FULCIO_USERNAME = '1.3.6.1.4.1.57264.1.7';
/** IA5String GeneralNames read as identities, in the order they are listed (the first SAN is shown as the signer). */
const IA5_SANS: readonly { tag: number; kind: string }[] = [
  { tag: 6, kind: 'URI' },
  { tag: 1, kind: 'e-mail' },
  { tag: 2, kind: 'DNS name' },
];
const UTF8_STRING = 12;
// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a leading BOM stays in the text instead of vanishing.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// C0 controls, DEL and C1 controls: never part of an identity.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * The identity a certificate claims, decoded per ASN.1 type. Undecodable names are left out of `sans` and listed in
 * `malformed`; callers must not match a certificate whose `malformed` is not empty.
 */
export function certificateIdentity(cert: X509Certificate): CertificateIdentity {
  const malformed: string[] = [];
  const sans = readSubjectAltNames(cert, malformed);
  const issuer = readFulcioIssuer(cert, malformed);
  return { sans, issuer, malformed };
}

function readSubjectAltNames(cert: X509Certificate, malformed: string[]): string[] {
  let names: ASN1Obj[];
  try {
    const ext = singleExtension(cert, OID_SUBJECT_ALT_NAME, 'subject alternative name', malformed);
    if (!ext) return [];
    const outer = ext.valueObj.subs;
    const seq = outer[0];
    if (outer.length !== 1 || !seq.tag.isUniversal() || seq.tag.number !== 0x10 || !seq.tag.constructed) {
      malformed.push('the subject alternative name extension is not a DER sequence of names');
      return [];
    }
    names = seq.subs;
  } catch (err) {
    malformed.push(`the subject alternative name extension cannot be read (${errorText(err)})`);
    return [];
  }
  const byKind = IA5_SANS.map(({ tag, kind }) =>
    names.filter((gn) => gn.tag.isContextSpecific(tag)).flatMap((gn) => {
      // IMPLICIT IA5String: primitive, printable 7-bit ASCII only. No byte is masked, dropped or replaced.
      if (gn.tag.constructed || gn.value.length === 0 || !gn.value.every((b) => b >= 0x20 && b <= 0x7e)) {
        malformed.push(`${kind} SAN "${escapeBytes(gn.value)}" is not 7-bit printable ASCII (IA5String)`);
        return [];
      }
      return [gn.value.toString('latin1')];
    }),
  );
  const usernames = names.filter((gn) => gn.tag.isContextSpecific(0)).flatMap((gn) => readUsernameOtherName(gn, malformed));
  return [...byKind.flat(), ...usernames];
}

/** otherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }; only Fulcio's username (a UTF8String) is an identity. */
function readUsernameOtherName(gn: ASN1Obj, malformed: string[]): string[] {
  let oid: string;
  try {
    if (!gn.tag.constructed || gn.subs.length !== 2) throw new Error('not a type-id and a value');
    oid = gn.subs[0].toOID();
  } catch (err) {
    malformed.push(`an otherName SAN cannot be read (${errorText(err)})`);
    return [];
  }
  if (oid !== OID_FULCIO_USERNAME) return []; // Other otherNames are not identities this verifier knows: not compared.
  const wrapper = gn.subs[1];
  const value = wrapper.tag.isContextSpecific(0) && wrapper.tag.constructed && wrapper.subs.length === 1 ? wrapper.subs[0] : undefined;
  if (!value || !isUtf8StringTag(value)) {
    malformed.push('the username otherName SAN is not a UTF8String');
    return [];
  }
  const text = decodeUtf8Text(value.value);
  if (text === undefined) {
    malformed.push(`username otherName SAN "${escapeBytes(value.value)}" is not valid UTF-8 text`);
    return [];
  }
  return [text];
}

/**
 * Fulcio's OIDC issuer: v2 (1.3.6.1.4.1.57264.1.8) is a DER UTF8String, v1 (…1.1) the raw string. When v2 is
 * present it decides alone: a malformed v2 is not replaced by v1.
 */
function readFulcioIssuer(cert: X509Certificate, malformed: string[]): string | undefined {
  try {
    const v2 = singleExtension(cert, FULCIO_ISSUER_V2, 'OIDC issuer (v2)', malformed);
    if (v2 === null) return undefined;
    if (v2) {
      const inner = v2.valueObj.subs;
      if (inner.length !== 1 || !isUtf8StringTag(inner[0])) {
        malformed.push('the OIDC issuer extension (v2) is not a DER UTF8String');
        return undefined;
      }
      const text = decodeUtf8Text(inner[0].value);
      if (text === undefined) malformed.push(`the OIDC issuer extension (v2) "${escapeBytes(inner[0].value)}" is not valid UTF-8 text`);
      return text;
    }
    const v1 = singleExtension(cert, FULCIO_ISSUER_V1, 'OIDC issuer (v1)', malformed);
    if (!v1) return undefined;
    const text = decodeUtf8Text(v1.value);
    if (text === undefined) malformed.push(`the OIDC issuer extension (v1) "${escapeBytes(v1.value)}" is not valid UTF-8 text`);
    return text;
  } catch (err) {
    malformed.push(`the OIDC issuer extension cannot be read (${errorText(err)})`);
    return undefined;
  }
}

/** The extension with `oid`: undefined when absent, null (reported) when it occurs more than once (RFC 5280 4.2). */
function singleExtension(cert: X509Certificate, oid: string, what: string, malformed: string[]) {
  const count = cert.extensions.filter((ext) => ext.subs[0]?.toOID() === oid).length;
  if (count > 1) {
    malformed.push(`the ${what} extension occurs ${count} times`);
    return null;
  }
  return cert.extension(oid);
}

function isUtf8StringTag(obj: ASN1Obj): boolean {
  return obj.tag.isUniversal() && obj.tag.number === UTF8_STRING && !obj.tag.constructed;
}

/** Strict UTF-8 without control characters, or undefined. Empty is not a name. */
function decodeUtf8Text(bytes: Buffer): string | undefined {
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  return text === '' || CONTROL.test(text) ? undefined : text;
}

/** Printable ASCII as is (backslash doubled), every other byte as \xHH: safe to show, never mistaken for the name. */
function escapeBytes(bytes: Buffer): string {
  const shown = [...bytes.subarray(0, 256)]
    .map((b) => (b === 0x5c ? '\\\\' : b >= 0x20 && b <= 0x7e && b !== 0x22 ? String.fromCharCode(b) : `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
  return bytes.length > 256 ? `${shown}…` : shown;
}

function malformedIdentityReason(who: CertificateIdentity): string {
  return `The signing certificate's identity is malformed, so it matches no identity of the policy: ${who.malformed.join('; ')}.`;
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
