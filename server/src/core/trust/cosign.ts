// cosign's legacy signature format (tag `sha256-<hex>.sig` / `.att`): layers with annotations. Each layer is
// converted into a v0.1-style Sigstore bundle (the Rekor SET becomes an inclusion promise) and verified by the library.

import crypto from 'node:crypto';
import { bundleFromJSON, envelopeFromJSON, type Bundle } from '@sigstore/bundle';
import { pem } from '@sigstore/core';
import { checkStatementAndVerify, statementVerification, type BundleVerification } from './bundle';
import { errorText, verifyBundleEntity, type EntityOptions } from './entity';
import type { PreparedTrust } from './signers';
import { isRecord, parseStatement, type InTotoStatement } from './statement';
import type { FoundIn, SignatureResult } from './status';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export const ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  rekorBundle: 'dev.sigstore.cosign/bundle',
} as const;

/** One layer of a cosign signature/attestation manifest: media type, the blob, the layer annotations. */
export interface CosignLayer {
  mediaType: string;
  payload: Buffer;
  annotations: Record<string, string>;
}

/** A signature layer is simple-signing JSON with a signature annotation; anything else is some other attachment. */
export function isCosignSignatureLayer(layer: { mediaType: string; annotations?: Record<string, string> }): boolean {
  return layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE && typeof layer.annotations?.[ANNOTATIONS.signature] === 'string';
}

export function isCosignAttestationLayer(layer: { mediaType: string }): boolean {
  return layer.mediaType === DSSE_MEDIA_TYPE;
}

/**
 * Verifies a cosign simple-signing layer for image `digest`: the payload must name exactly that digest and the
 * cosign signature type, and its signature must verify over the exact payload bytes for a policy signer.
 * Certificates are checked at the Rekor integrated time (as cosign does), so expired short-lived certificates are
 * valid if the SET proves the signature was logged while they were valid.
 */
export function verifyCosignSignature(layer: CosignLayer, digest: string, trust: PreparedTrust, foundIn: FoundIn, opts: EntityOptions = {}): SignatureResult {
  const result = (status: SignatureResult['status'], reason: string): SignatureResult => ({ status, type: 'cosign', foundIn, reason });
  const claim = readSimpleSigningPayload(layer.payload);
  if (typeof claim === 'string') return result('invalid', claim);
  if (claim.type !== COSIGN_SIGNATURE_TYPE) return result('invalid', `The payload type is "${claim.type}", not "${COSIGN_SIGNATURE_TYPE}".`);
  if (claim.digest !== digest) return result('invalid', `The signature is for another image digest (${claim.digest}).`);
  let bundle: Bundle;
  try {
    const signature = decodeBase64(layer.annotations[ANNOTATIONS.signature] ?? '', 'signature');
    const messageSignature = {
      messageDigest: { algorithm: 'SHA2_256', digest: crypto.createHash('sha256').update(layer.payload).digest('base64') },
      signature: signature.toString('base64'),
    };
    bundle = toLegacyBundle(layer.annotations, { messageSignature });
  } catch (err) {
    return result('invalid', `The signature annotations are malformed: ${errorText(err)}`);
  }
  return { type: 'cosign', foundIn, ...verifyBundleEntity(bundle, layer.payload, trust, opts) };
}

/** Verifies a cosign attestation layer (a DSSE envelope blob) whose in-toto statement must name `digest`. */
export function verifyCosignAttestation(layer: CosignLayer, digest: string, trust: PreparedTrust, foundIn: FoundIn, opts: EntityOptions = {}): BundleVerification {
  const invalid = (reason: string): BundleVerification => ({ kind: 'signature', result: { status: 'invalid', type: 'cosign-attestation', foundIn, reason } });
  let bundle: Bundle;
  let statement: InTotoStatement;
  try {
    const envelope = envelopeFromJSON(JSON.parse(layer.payload.toString('utf8')));
    statement = parseStatement(envelope.payloadType, envelope.payload);
    bundle = toLegacyBundle(layer.annotations, { dsseEnvelope: JSON.parse(layer.payload.toString('utf8')) });
  } catch (err) {
    return invalid(`The attestation cannot be read: ${errorText(err)}`);
  }
  return statementVerification(statement, checkStatementAndVerify(bundle, statement, digest, trust, opts), 'cosign-attestation', foundIn);
}

interface SimpleSigningClaim {
  type: unknown;
  digest: unknown;
}

function readSimpleSigningPayload(payload: Buffer): SimpleSigningClaim | string {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'The signature payload is not JSON.';
  }
  const critical = isRecord(json) && isRecord(json.critical) ? json.critical : undefined;
  if (!critical) return 'The signature payload has no "critical" section.';
  const image = isRecord(critical.image) ? critical.image : {};
  return { type: critical.type, digest: image['docker-manifest-digest'] };
}

/** Builds a v0.1 bundle (JSON form) from cosign annotations and the signed content, validated by the library. */
function toLegacyBundle(annotations: Record<string, string>, content: Record<string, unknown>): Bundle {
  const certificate = annotations[ANNOTATIONS.certificate];
  // Only the leaf is used: intermediates in the chain annotation are untrusted input. Trust anchors and
  // intermediates come from the trusted root or the configured PKI.
  const verificationMaterial = certificate
    ? { x509CertificateChain: { certificates: [{ rawBytes: pem.toDER(certificate).toString('base64') }] } }
    : { publicKey: { hint: '' } };
  const rekor = annotations[ANNOTATIONS.rekorBundle];
  return bundleFromJSON({
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: { ...verificationMaterial, tlogEntries: rekor ? [tlogEntryFromRekorBundle(rekor)] : [] },
    ...content,
  });
}

/**
 * cosign's `dev.sigstore.cosign/bundle` annotation: `{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex,
 * logID}}`. Payload.body is the base64 canonicalized Rekor entry, exactly what the SET signs, so it becomes the
 * entry's canonicalizedBody and the SET its inclusion promise.
 */
export function tlogEntryFromRekorBundle(annotation: string): Record<string, unknown> {
  const json: unknown = JSON.parse(annotation);
  const payload = isRecord(json) && isRecord(json.Payload) ? json.Payload : undefined;
  if (!payload || !isRecord(json) || typeof json.SignedEntryTimestamp !== 'string') throw new Error('the Rekor bundle lacks SignedEntryTimestamp or Payload');
  const { body, integratedTime, logIndex, logID } = payload;
  if (typeof body !== 'string' || typeof integratedTime !== 'number' || typeof logIndex !== 'number' || typeof logID !== 'string') {
    throw new Error('the Rekor bundle payload is incomplete');
  }
  const entry: unknown = JSON.parse(decodeBase64(body, 'Rekor body').toString('utf8'));
  if (!isRecord(entry) || typeof entry.kind !== 'string' || typeof entry.apiVersion !== 'string') throw new Error('the Rekor body has no kind/apiVersion');
  if (!/^[0-9a-f]+$/i.test(logID)) throw new Error('the Rekor log ID is not hexadecimal');
  return {
    logIndex: String(logIndex),
    logId: { keyId: Buffer.from(logID, 'hex').toString('base64') },
    kindVersion: { kind: entry.kind, version: entry.apiVersion },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: json.SignedEntryTimestamp },
    canonicalizedBody: body,
  };
}

function decodeBase64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) throw new Error(`the ${what} is not base64`);
  return Buffer.from(compact, 'base64');
}
