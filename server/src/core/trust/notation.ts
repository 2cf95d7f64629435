// Notary Project (Notation) signatures: JWS envelopes (JSON serialization) under the `notary.x509` signing scheme,
// verified against the policy's Notation certificates as trust anchors. COSE envelopes, revocation (OCSP/CRL) and
// timestamp countersignatures are not checked (documented gaps); an envelope needing them is never "verified".

import crypto, { X509Certificate } from 'node:crypto';
import type { EntityOptions } from './entity';
import type { PreparedSigner } from './signers';
import { isRecord } from './statement';
import { earliest, type FoundIn, type SignatureResult, type SignatureStatus, type SignerIdentity } from './status';

export const NOTATION_MEDIA_TYPES = { jws: 'application/jose+json', cose: 'application/cose' } as const;
export const NOTATION_PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
export const NOTATION_COSE_REASON = 'Notation COSE signature present, not verified: COSE envelopes are not supported yet';

/** The signature envelope: the single layer blob of a Notation signature manifest. */
export interface NotationEnvelope {
  mediaType: string;
  bytes: Buffer;
}

export type NotationSigner = Extract<PreparedSigner, { type: 'notation' }>;

const HEADERS = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  expiry: 'io.cncf.notary.expiry',
} as const;
/** Critical headers this verifier understands; any other critical header makes the signature unverifiable. */
const KNOWN_CRITICAL: ReadonlySet<string> = new Set([HEADERS.signingScheme, HEADERS.expiry]);
const SCHEME_X509 = 'notary.x509';
const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';

/** JWS algorithms the Notary Project allows, with the key each one requires. */
const ALGORITHMS: Record<string, { hash: string; key: 'rsa' | 'ec'; curve?: string }> = {
  PS256: { hash: 'sha256', key: 'rsa' },
  PS384: { hash: 'sha384', key: 'rsa' },
  PS512: { hash: 'sha512', key: 'rsa' },
  ES256: { hash: 'sha256', key: 'ec', curve: 'prime256v1' },
  ES384: { hash: 'sha384', key: 'ec', curve: 'secp384r1' },
  ES512: { hash: 'sha512', key: 'ec', curve: 'secp521r1' },
};

type Outcome = { status: SignatureStatus; reason: string; signer?: string; validUntil?: string; identity?: SignerIdentity };

/** A verification step failed: carries the status it earns (invalid or untrusted). */
class NotationFailure extends Error {
  constructor(readonly status: SignatureStatus, message: string) {
    super(message);
  }
}

const invalid = (message: string) => new NotationFailure('invalid', message);

/**
 * Verifies one Notation signature envelope for image `digest` against the configured Notation signers (at least
 * one). `verified` only when the JWS signature holds, it names exactly this digest, and its certificate chain
 * reaches one of the configured certificates and is valid both at the claimed signing time and now.
 */
export function verifyNotationSignature(
  envelope: NotationEnvelope,
  digest: string,
  signers: readonly NotationSigner[],
  foundIn: FoundIn,
  opts: EntityOptions = {},
): SignatureResult {
  const outcome = verifyEnvelope(envelope, digest, signers, opts.now ?? new Date());
  return { type: 'notation', foundIn, ...outcome };
}

function verifyEnvelope(envelope: NotationEnvelope, digest: string, signers: readonly NotationSigner[], now: Date): Outcome {
  if (envelope.mediaType === NOTATION_MEDIA_TYPES.cose) return { status: 'untrusted', reason: NOTATION_COSE_REASON };
  if (envelope.mediaType !== NOTATION_MEDIA_TYPES.jws) {
    return { status: 'invalid', reason: `The Notation signature envelope has media type ${envelope.mediaType || '(none)'}; expected ${NOTATION_MEDIA_TYPES.jws} or ${NOTATION_MEDIA_TYPES.cose}.` };
  }
  let claimed: string | undefined;
  try {
    const jws = parseJws(envelope.bytes);
    const chain = jws.certificates;
    claimed = commonName(chain[0]);
    verifyJwsSignature(jws);
    const target = targetDigest(jws.payloadB64);
    if (target !== digest) throw invalid(`The Notation signature is for another artifact (${target}), not ${digest}.`);
    const header = checkProtectedHeader(jws.header, now);
    const anchored = anchorChain(chain, signers);
    checkValidity(anchored.path, header.signingTime, now);
    // Checked against "now": the verdict holds until the signature's expiry or the first certificate's notAfter.
    const validUntil = earliest([header.expiry?.toISOString(), ...anchored.path.map((c) => new Date(c.validTo).toISOString())]);
    const identity: SignerIdentity = { kind: 'notation', subject: chain[0].subject, anchor: anchored.anchor.fingerprint256 };
    return { status: 'verified', signer: claimed ?? anchored.signer.name, identity, reason: `Notation signature verified: certificate chain to ${describe(anchored.anchor)}.`, ...(validUntil ? { validUntil } : {}) };
  } catch (err) {
    if (err instanceof NotationFailure) return { status: err.status, signer: claimed, reason: err.message };
    // A crypto call rejecting odd input must not abort the other signatures of the digest: not checked → error.
    return { status: 'error', signer: claimed, reason: `The Notation signature could not be checked: ${(err as Error).message}` };
  }
}

interface Jws {
  protectedB64: string;
  payloadB64: string;
  signature: Buffer;
  header: Record<string, unknown>;
  certificates: X509Certificate[];
}

/** JWS JSON serialization: `{payload, protected, header: {x5c}, signature}`, everything base64url but x5c (base64 DER). */
function parseJws(bytes: Buffer): Jws {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid(`The Notation JWS envelope is not JSON (${(err as Error).message}).`);
  }
  if (!isRecord(json) || typeof json.payload !== 'string' || typeof json.protected !== 'string' || typeof json.signature !== 'string' || !isRecord(json.header)) {
    throw invalid('The Notation JWS envelope is malformed: payload, protected, header and signature are required.');
  }
  const x5c = json.header.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => typeof c === 'string')) {
    throw invalid('The Notation JWS envelope carries no certificate chain (header.x5c).');
  }
  let certificates: X509Certificate[];
  try {
    certificates = x5c.map((c: string) => new X509Certificate(Buffer.from(c, 'base64')));
  } catch (err) {
    throw invalid(`A certificate of the Notation signature cannot be read (${(err as Error).message}).`);
  }
  const header = decodeJson(json.protected, 'protected header');
  return { protectedB64: json.protected, payloadB64: json.payload, signature: Buffer.from(json.signature, 'base64url'), header, certificates };
}

function decodeJson(b64url: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(b64url, 'base64url').toString('utf8'));
    if (isRecord(value)) return value;
  } catch {
    // Reported below, like a non-object.
  }
  throw invalid(`The Notation signature's ${what} is not a JSON object.`);
}

/** The signature covers the ASCII `protected.payload`, made with the leaf certificate's key and the header's alg. */
function verifyJwsSignature(jws: Jws): void {
  const alg = typeof jws.header.alg === 'string' ? ALGORITHMS[jws.header.alg] : undefined;
  if (!alg) throw invalid(`The Notation signature uses algorithm ${String(jws.header.alg)}; the Notary Project allows ${Object.keys(ALGORITHMS).join(', ')}.`);
  const key = jws.certificates[0].publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType !== alg.key || (alg.curve !== undefined && details.namedCurve !== alg.curve)) {
    throw invalid(`The Notation signature's algorithm ${String(jws.header.alg)} does not match its certificate's key.`);
  }
  const signingInput = Buffer.from(`${jws.protectedB64}.${jws.payloadB64}`, 'ascii');
  const verifyKey = alg.key === 'rsa'
    // RSASSA-PSS with a salt as long as the hash, as JWA (RFC 7518) specifies for PS*.
    ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.createHash(alg.hash).digest().length }
    // JWS ECDSA signatures are r||s (IEEE P1363), not DER.
    : { key, dsaEncoding: 'ieee-p1363' as const };
  if (!crypto.verify(alg.hash, signingInput, verifyKey, jws.signature)) {
    throw invalid('The Notation signature does not match its certificate (content modified or wrong signature).');
  }
}

function targetDigest(payloadB64: string): string {
  const target = decodeJson(payloadB64, 'payload').targetArtifact;
  if (!isRecord(target) || typeof target.digest !== 'string') throw invalid('The Notation signature payload names no targetArtifact digest.');
  return target.digest;
}

/** Content type, scheme, critical headers, signing time and optional expiry. */
function checkProtectedHeader(header: Record<string, unknown>, now: Date): { signingTime: Date; expiry?: Date } {
  if (header.cty !== NOTATION_PAYLOAD_TYPE) throw invalid(`The Notation signature's content type is ${String(header.cty)}; expected ${NOTATION_PAYLOAD_TYPE}.`);
  const crit = header.crit;
  if (!Array.isArray(crit) || !crit.every((c) => typeof c === 'string') || !crit.includes(HEADERS.signingScheme)) {
    throw invalid(`The Notation signature's protected header must list ${HEADERS.signingScheme} as critical.`);
  }
  const unknown = crit.filter((c: string) => !KNOWN_CRITICAL.has(c) || !(c in header));
  if (unknown.length > 0) throw invalid(`The Notation signature has critical headers this verifier cannot honour: ${unknown.join(', ')}.`);
  const scheme = header[HEADERS.signingScheme];
  if (scheme !== SCHEME_X509) {
    throw new NotationFailure('untrusted', `Notation signing scheme ${String(scheme)} is not supported: only ${SCHEME_X509} signatures are verified.`);
  }
  const signingTime = headerTime(header, HEADERS.signingTime);
  if (!signingTime) throw invalid(`The Notation signature has no valid ${HEADERS.signingTime}.`);
  if (HEADERS.expiry in header) {
    const expiry = headerTime(header, HEADERS.expiry);
    if (!expiry) throw invalid(`The Notation signature's ${HEADERS.expiry} is not a time.`);
    if (expiry < now) throw invalid(`The Notation signature expired at ${expiry.toISOString()}.`);
    return { signingTime, expiry };
  }
  return { signingTime };
}

function headerTime(header: Record<string, unknown>, name: string): Date | undefined {
  const value = header[name];
  const time = typeof value === 'string' ? new Date(value) : undefined;
  return time && !Number.isNaN(time.getTime()) ? time : undefined;
}

interface Anchored {
  /** Leaf to anchor, both included. */
  path: X509Certificate[];
  anchor: X509Certificate;
  signer: NotationSigner;
}

/**
 * x5c must be a chain (each certificate issued and signed by the next, issuers being CAs) from a code-signing leaf;
 * it is trusted when one of its certificates is a configured certificate, or is issued by one.
 */
function anchorChain(chain: X509Certificate[], signers: readonly NotationSigner[]): Anchored {
  const leaf = chain[0];
  if (leaf.ca) throw invalid(`The Notation signing certificate ${describe(leaf)} is a CA certificate.`);
  if (leaf.keyUsage !== undefined && !leaf.keyUsage.includes(CODE_SIGNING_EKU)) {
    throw invalid(`The Notation signing certificate ${describe(leaf)} is not for code signing (extended key usage).`);
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!issuedBy(chain[i], chain[i + 1])) throw invalid(`The Notation certificate chain is broken: ${describe(chain[i])} is not issued by ${describe(chain[i + 1])}.`);
  }
  const anchors = signers.flatMap((signer) => anchorsOf(signer).map((anchor) => ({ anchor, signer })));
  for (let k = 0; k < chain.length; k++) {
    const same = anchors.find(({ anchor }) => anchor.raw.equals(chain[k].raw));
    if (same) return { path: chain.slice(0, k + 1), ...same };
    const issuer = anchors.find(({ anchor }) => issuedBy(chain[k], anchor));
    if (issuer) return { path: [...chain.slice(0, k + 1), issuer.anchor], ...issuer };
  }
  throw new NotationFailure('untrusted', `The Notation certificate chain of ${describe(leaf)} does not lead to a configured Notation certificate.`);
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return issuer.ca && cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** Without a trusted timestamp the signing time is only the signer's claim, so the chain must also be valid now. */
function checkValidity(path: X509Certificate[], signingTime: Date, now: Date): void {
  for (const cert of path) {
    for (const [when, label] of [[signingTime, 'signing time'], [now, 'verification time']] as const) {
      if (when < new Date(cert.validFrom) || when > new Date(cert.validTo)) {
        throw invalid(`The Notation certificate ${describe(cert)} is not valid at the ${label} ${when.toISOString()} (valid ${cert.validFrom} to ${cert.validTo}).`);
      }
    }
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const anchorCache = new WeakMap<NotationSigner, X509Certificate[]>();

/** The signer's configured certificates (validated by prepareSigner), parsed once per prepared signer. */
function anchorsOf(signer: NotationSigner): X509Certificate[] {
  let anchors = anchorCache.get(signer);
  if (!anchors) {
    anchors = (signer.certificatePem.match(PEM_CERTIFICATE) ?? []).map((pem) => new X509Certificate(pem));
    anchorCache.set(signer, anchors);
  }
  return anchors;
}

function commonName(cert: X509Certificate): string | undefined {
  return /^CN=(.*)$/m.exec(cert.subject)?.[1];
}

function describe(cert: X509Certificate): string {
  return `"${cert.subject.replace(/\n/g, ', ')}"`;
}
