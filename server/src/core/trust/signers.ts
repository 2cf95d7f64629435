// Signer specs (who the policy trusts) and trust material (which CAs and logs anchor keyless signatures),
// parsed once into ready-to-use keys. Pure: no I/O.

import crypto from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import seeds from '@sigstore/tuf/seeds.json';
import { ImageTrustError } from '../errors';

/**
 * A signer the policy trusts.
 * - `key`: a cosign key pair (`cosign.pub`, PEM SPKI). ECDSA P-256/P-384/P-521, RSA (PKCS#1 v1.5 or PSS), Ed25519.
 *   `requireTlog` (default true, as `cosign verify --key`) demands a Rekor entry (SET or inclusion proof) that
 *   verifies against the trusted root. `requireTlog: false` (policy `tlog: false`, cosign's --insecure-ignore-tlog)
 *   also accepts a signature with no entry; an entry that is present must verify all the same.
 * - `keyless`: a Fulcio certificate from the trusted root whose OIDC issuer equals `issuer` (or matches
 *   `issuerRegExp`) and whose SAN equals `subject` or matches `subjectRegExp` (anchored: the whole SAN must match).
 *   A verified Rekor entry and an SCT are required, as cosign requires them.
 * - `certificate`: a private PKI (cosign `--certificate-chain`): the signing certificate must chain to `rootsPem`
 *   through `intermediatesPem` (both configured: intermediates carried by the signature itself are not trusted as
 *   anchors). Identity as for `keyless`; no OIDC issuer. Checked at the Rekor time if there is an entry, else now.
 * - `notation`: Notation trust anchors (PEM, one or more). JWS signatures under `notary.x509` whose certificate chain
 *   reaches one of them are verified (`notation.ts`); COSE envelopes are detected but not verified (documented gap).
 */
export type SignerSpec =
  | { type: 'key'; name: string; publicKeyPem: string; requireTlog?: boolean }
  | { type: 'keyless'; name?: string; issuer?: string; issuerRegExp?: string; subject?: string; subjectRegExp?: string }
  | { type: 'certificate'; name: string; rootsPem: string; intermediatesPem?: string; subject?: string; subjectRegExp?: string }
  | { type: 'notation'; name?: string; certificatePem: string };

/** Trust material: a Sigstore `trusted_root.json` (protobuf-specs JSON). Default: the public-good instance. */
export interface TrustMaterialSpec {
  trustedRoot?: unknown;
}

export interface IdentityMatcher {
  subject?: string;
  subjectRegExp?: RegExp;
  issuer?: string;
  issuerRegExp?: RegExp;
}

export type PreparedSigner =
  | { type: 'key'; name: string; key: crypto.KeyObject; keyId: string; requireTlog: boolean }
  | { type: 'keyless'; name: string; identity: IdentityMatcher }
  | { type: 'certificate'; name: string; identity: IdentityMatcher; material: Pick<TrustMaterial, 'certificateAuthorities'> }
  | { type: 'notation'; name: string; certificatePem: string };

/** Everything verification needs, parsed once; reuse it across digests. */
export interface PreparedTrust {
  signers: PreparedSigner[];
  /** Trust material of the trusted root (Fulcio CAs, Rekor logs, CT logs, TSAs). */
  material: TrustMaterial;
}

const TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';

let publicGoodRoot: unknown;

/**
 * The public-good Sigstore trusted root, as embedded in the `@sigstore/tuf` package (its TUF seed), so it is
 * updated with that dependency and bundled by esbuild; no network access.
 */
export function publicGoodTrustedRoot(): unknown {
  if (publicGoodRoot === undefined) {
    const target = (seeds as Record<string, { targets: Record<string, string> }>)[TUF_MIRROR]?.targets['trusted_root.json'];
    if (!target) throw new ImageTrustError('VERIFY_ERROR', 'The bundled Sigstore trusted root is missing from @sigstore/tuf.');
    publicGoodRoot = JSON.parse(Buffer.from(target, 'base64').toString('utf8'));
  }
  return publicGoodRoot;
}

/**
 * Every key and CA of a trusted root must say since when it is valid. A missing start would otherwise be read as
 * "valid forever", widening trust beyond what the root's author meant, so such a root is rejected.
 */
function assertValidityStarts(root: TrustedRoot): void {
  const missing = [
    ...root.tlogs.filter((t) => !t.publicKey?.validFor?.start).map((t) => `transparency log ${t.baseUrl}`),
    ...root.ctlogs.filter((t) => !t.publicKey?.validFor?.start).map((t) => `CT log ${t.baseUrl}`),
    ...root.certificateAuthorities.filter((c) => !c.validFor?.start).map((c) => `certificate authority ${c.uri}`),
    ...root.timestampAuthorities.filter((c) => !c.validFor?.start).map((c) => `timestamp authority ${c.uri}`),
  ];
  if (missing.length > 0) {
    throw new ImageTrustError('POLICY_INVALID', `The Sigstore trusted root is malformed: no validFor.start for ${missing.join(', ')}.`);
  }
}

/** Parses a trusted_root.json document into library trust material. */
export function trustMaterialFromRoot(rootJson: unknown): TrustMaterial {
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(rootJson);
  } catch (err) {
    throw new ImageTrustError('POLICY_INVALID', `The Sigstore trusted root cannot be read: ${(err as Error).message}`, { cause: err });
  }
  assertValidityStarts(root);
  try {
    return memoizeAnchors(toTrustMaterial(root));
  } catch (err) {
    throw new ImageTrustError('POLICY_INVALID', `The Sigstore trusted root cannot be read: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The certificates of a trusted root never change, yet the library re-encodes them (`toDER`) and re-checks their
 * signatures for every signature it verifies. Remember those answers on the anchor objects themselves: the same
 * inputs give the same results, and keyless verification gets several times cheaper. Leaf certificates (new for
 * every signature) are untouched.
 */
function memoizeAnchors(material: TrustMaterial): TrustMaterial {
  for (const ca of material.certificateAuthorities) {
    for (const cert of ca.certChain) {
      const c = cert as unknown as {
        root: { toDER(): Buffer };
        tbsCertificate: { toDER(): Buffer };
        verify(issuer?: unknown): boolean;
      };
      for (const part of [c.root, c.tbsCertificate]) {
        const toDER = part.toDER.bind(part);
        let der: Buffer | undefined;
        part.toDER = () => (der ??= toDER());
      }
      const verify = c.verify.bind(c);
      const results = new WeakMap<object, boolean>();
      let self: boolean | undefined;
      c.verify = (issuer?: unknown) => {
        if (issuer === undefined) return (self ??= verify());
        if (typeof issuer !== 'object' || issuer === null) return verify(issuer);
        let r = results.get(issuer);
        if (r === undefined) results.set(issuer, (r = verify(issuer)));
        return r;
      };
    }
  }
  return material;
}

let publicGoodMaterial: TrustMaterial | undefined;

export function prepareTrust(signers: readonly SignerSpec[], trust: TrustMaterialSpec = {}): PreparedTrust {
  const material = trust.trustedRoot !== undefined
    ? trustMaterialFromRoot(trust.trustedRoot)
    : (publicGoodMaterial ??= trustMaterialFromRoot(publicGoodTrustedRoot()));
  return { signers: signers.map(prepareSigner), material };
}

export function prepareSigner(spec: SignerSpec): PreparedSigner {
  switch (spec.type) {
    case 'key': {
      const key = parsePublicKey(spec.publicKeyPem, spec.name);
      return { type: 'key', name: spec.name, key, keyId: publicKeyId(key), requireTlog: spec.requireTlog ?? true };
    }
    case 'keyless': {
      const identity = identityMatcher(spec, describeSigner(spec));
      if (!identity.issuer && !identity.issuerRegExp) {
        throw new ImageTrustError('POLICY_INVALID', `Keyless signer ${describeSigner(spec)} needs an OIDC issuer (issuer or issuerRegExp).`);
      }
      return { type: 'keyless', name: spec.name ?? describeSigner(spec), identity };
    }
    case 'certificate': {
      const roots = parseCertificates(spec.rootsPem, spec.name);
      if (roots.length === 0) throw new ImageTrustError('POLICY_INVALID', `Signer ${spec.name}: rootsPem holds no certificate.`);
      const intermediates = spec.intermediatesPem ? parseCertificates(spec.intermediatesPem, spec.name) : [];
      return {
        type: 'certificate',
        name: spec.name,
        identity: identityMatcher(spec, spec.name),
        material: privatePkiMaterial([...intermediates, ...roots]),
      };
    }
    case 'notation':
      parseCertificates(spec.certificatePem, spec.name ?? 'notation');
      return { type: 'notation', name: spec.name ?? 'Notation certificate', certificatePem: spec.certificatePem };
  }
}

/** A short human name for a signer, e.g. `https://github.com/login/oauth: mitr@redhat.com`. */
export function describeSigner(spec: SignerSpec): string {
  switch (spec.type) {
    case 'keyless':
      return spec.name ?? `${spec.issuer ?? `/${spec.issuerRegExp}/`} ${spec.subject ?? `/${spec.subjectRegExp}/`}`;
    default:
      return spec.name ?? spec.type;
  }
}

/** Parses a PEM SPKI public key; the error names the signer so the user knows which policy entry is wrong. */
export function parsePublicKey(pem: string, signerName: string): crypto.KeyObject {
  try {
    const key = crypto.createPublicKey(pem);
    if (key.type !== 'public') throw new Error('not a public key');
    return key;
  } catch (err) {
    throw new ImageTrustError('POLICY_INVALID', `Signer ${signerName}: publicKeyPem is not a PEM public key (${(err as Error).message}).`, { cause: err });
  }
}

/** Key id used in Sigstore bundle hints by some signers: hex SHA-256 of the DER SPKI. */
export function publicKeyId(key: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('hex');
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function parseCertificates(pem: string, signerName: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  try {
    return blocks.map((block) => X509Certificate.parse(block));
  } catch (err) {
    throw new ImageTrustError('POLICY_INVALID', `Signer ${signerName}: a PEM certificate cannot be parsed (${(err as Error).message}).`, { cause: err });
  }
}

function identityMatcher(
  spec: { subject?: string; subjectRegExp?: string; issuer?: string; issuerRegExp?: string },
  signerName: string,
): IdentityMatcher {
  if (spec.subject === undefined && spec.subjectRegExp === undefined) {
    throw new ImageTrustError('POLICY_INVALID', `Signer ${signerName} needs a certificate identity (subject or subjectRegExp).`);
  }
  return {
    subject: spec.subject,
    subjectRegExp: spec.subjectRegExp === undefined ? undefined : anchoredRegExp(spec.subjectRegExp, signerName),
    issuer: spec.issuer,
    issuerRegExp: spec.issuerRegExp === undefined ? undefined : anchoredRegExp(spec.issuerRegExp, signerName),
  };
}

/** Regular expressions match the whole value, as cosign's `--certificate-identity-regexp` users expect. */
function anchoredRegExp(source: string, signerName: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    throw new ImageTrustError('POLICY_INVALID', `Signer ${signerName}: invalid regular expression ${source}: ${(err as Error).message}`, { cause: err });
  }
}

/** True when one of the certificate's SANs and its issuer satisfy the matcher. */
export function identityMatches(matcher: IdentityMatcher, sans: readonly string[], issuer: string | undefined): boolean {
  const subjectOk = sans.some(
    (san) => (matcher.subject !== undefined && san === matcher.subject) || (matcher.subjectRegExp?.test(san) ?? false),
  );
  if (!subjectOk) return false;
  if (matcher.issuer !== undefined && issuer !== matcher.issuer) return false;
  if (matcher.issuerRegExp && (issuer === undefined || !matcher.issuerRegExp.test(issuer))) return false;
  return true;
}

/**
 * The configured private PKI as one certificate authority. Every certificate in it is configured by the user, so
 * all may serve as anchors, as in a Sigstore trusted root.
 */
function privatePkiMaterial(certificates: X509Certificate[]): Pick<TrustMaterial, 'certificateAuthorities'> {
  return { certificateAuthorities: [{ certChain: certificates, validFor: { start: new Date(0), end: new Date(8640000000000000) } }] };
}
