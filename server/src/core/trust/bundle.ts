// Sigstore bundles (v0.1–v0.3; message signature or DSSE) verified for an artifact digest.

import crypto from 'node:crypto';
import { assertBundleLatest, assertBundleV01, assertBundleV02, bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { summarizeAttestation } from './attestations';
import { errorText, verifyBundleEntity, type EntityOptions, type EntityOutcome } from './entity';
import type { PreparedTrust } from './signers';
import { COSIGN_SIGN_PREDICATE, parseStatement, splitDigest, statementCoversDigest, type InTotoStatement } from './statement';
import type { AttestationResult, FoundIn, SignatureResult, SignatureType } from './status';

/** The artifact a bundle is checked against: its digest, and its bytes when known (message signatures need them). */
export interface ArtifactRef {
  digest: string;
  bytes?: Buffer;
}

export type BundleVerification = { kind: 'signature'; result: SignatureResult } | { kind: 'attestation'; result: AttestationResult };

/** Parses and validates a bundle document; each media type version has its own required fields. */
export function parseSigstoreBundle(json: unknown): Bundle {
  const bundle = bundleFromJSON(json);
  const version = /version=(\d+\.\d+)|bundle\.v(\d+\.\d+)\+json/.exec(bundle.mediaType);
  switch (version?.[1] ?? version?.[2]) {
    case '0.1':
      assertBundleV01(bundle);
      break;
    case '0.2':
      assertBundleV02(bundle);
      break;
    case '0.3':
      assertBundleLatest(bundle);
      break;
    default:
      throw new Error(`unsupported bundle media type ${bundle.mediaType}`);
  }
  return bundle;
}

/**
 * Verifies a Sigstore bundle for `artifact`. A message signature must carry the artifact's digest and verify over
 * its bytes; a DSSE envelope must hold an in-toto Statement naming the digest as a subject. DSSE statements with the
 * cosign signing predicate count as signatures, all others as attestations.
 */
export function verifySigstoreBundle(
  bundleBytes: Buffer | string,
  artifact: ArtifactRef,
  trust: PreparedTrust,
  foundIn: FoundIn,
  opts: EntityOptions = {},
): BundleVerification {
  const type: SignatureType = 'sigstore-bundle';
  const signature = (status: SignatureResult['status'], reason: string): BundleVerification => ({ kind: 'signature', result: { status, type, foundIn, reason } });
  let bundle: Bundle;
  try {
    bundle = parseSigstoreBundle(JSON.parse(bundleBytes.toString()));
  } catch (err) {
    return signature('invalid', `The Sigstore bundle is malformed: ${errorText(err)}`);
  }
  if (bundle.content.$case === 'messageSignature') {
    const { messageDigest } = bundle.content.messageSignature;
    const [, hex] = splitDigest(artifact.digest);
    if (messageDigest.digest.toString('hex') !== hex) return signature('invalid', `The bundle signs another artifact (digest ${messageDigest.digest.toString('hex')}).`);
    if (!artifact.bytes) return signature('error', 'A message-signature bundle can only be checked with the artifact bytes, which were not available.');
    if (!digestMatches(artifact)) return signature('error', 'The artifact bytes do not match the expected digest.');
    return { kind: 'signature', result: { type, foundIn, ...verifyBundleEntity(bundle, artifact.bytes, trust, opts) } };
  }
  const envelope = bundle.content.dsseEnvelope;
  let statement: InTotoStatement;
  try {
    statement = parseStatement(envelope.payloadType, envelope.payload);
  } catch (err) {
    return signature('invalid', `The DSSE envelope does not hold an in-toto statement: ${errorText(err)}`);
  }
  const outcome = checkStatementAndVerify(bundle, statement, artifact.digest, trust, opts);
  return statementVerification(statement, outcome, type, foundIn);
}

/** Checks that the statement is about `digest`, then verifies the DSSE signature (over the PAE). */
export function checkStatementAndVerify(bundle: Bundle, statement: InTotoStatement, digest: string, trust: PreparedTrust, opts: EntityOptions): EntityOutcome {
  if (!statementCoversDigest(statement, digest)) {
    const subjects = statement.subjects.map((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join(' ')).join(', ');
    return { status: 'invalid', reason: `The statement is about another artifact (subjects: ${subjects || 'none'}), not ${digest}.` };
  }
  if (bundle.content.$case !== 'dsseEnvelope') return { status: 'invalid', reason: 'Not a DSSE envelope.' };
  const { payloadType, payload } = bundle.content.dsseEnvelope;
  return verifyBundleEntity(bundle, dsse.preAuthEncoding(payloadType, payload), trust, opts);
}

/** Wraps an outcome as a signature (cosign signing predicate) or as an attestation with its predicate summarized. */
export function statementVerification(statement: InTotoStatement, outcome: EntityOutcome, type: SignatureType, foundIn: FoundIn): BundleVerification {
  if (statement.predicateType === COSIGN_SIGN_PREDICATE) return { kind: 'signature', result: { type, foundIn, ...outcome } };
  const result: AttestationResult = { type, foundIn, ...outcome, predicateType: statement.predicateType, summary: summarizeAttestation(statement.predicateType, statement.predicate) };
  predicates.set(result, statement.predicate);
  return { kind: 'attestation', result };
}

// The predicate of each attestation result, kept beside the result object rather than in it: predicates can be
// megabytes (SBOMs) and results are cached and serialized. Admission conditions (Kyverno JMESPath) read it.
const predicates = new WeakMap<AttestationResult, unknown>();

/** The in-toto predicate an attestation result was verified with (only for the result object verifyDiscovered made). */
export function attestationPredicate(result: AttestationResult): unknown {
  return predicates.get(result);
}

function digestMatches(artifact: ArtifactRef): boolean {
  const [algorithm, hex] = splitDigest(artifact.digest);
  if (!artifact.bytes || !['sha256', 'sha384', 'sha512'].includes(algorithm)) return false;
  return crypto.createHash(algorithm).update(artifact.bytes).digest('hex') === hex;
}
