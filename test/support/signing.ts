// Signatures and attestations for integration tests, stored in a real registry the way signing tools store them:
//
// - cosign's tag scheme: a manifest under tag `sha256-<hex>.sig` with one layer per signature (layer media type =
//   the signature's mimeType, blob = the signed payload, layer annotations = cosign's annotations). Real cosign
//   output comes from ../shared/cosign-fixtures (`readCosignFixtureSignature`); new ones from a local key
//   (`cosignKeySignature`). Written with plain distribution API calls (`pushCosignSignatures`).
// - Sigstore bundles made with @sigstore/sign (key signers, or keyless through @sigstore/mock's in-process Fulcio and
//   Rekor, `MockSigstore`) and attached as OCI referrers with @sigstore/oci (`attachBundle`), which writes the
//   referrers tag-schema fallback on registries without a referrers API (distribution 2.8).
//
// Every request is bounded in time.

import crypto from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleToJSON } from '@sigstore/bundle';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler } from '@sigstore/mock';
import { mock } from '@sigstore/mock/dist/mock';
import { attachArtifactToImage } from '@sigstore/oci';
import { DSSEBundleBuilder, FulcioSigner, MessageSignatureBundleBuilder, RekorWitness, type Signer } from '@sigstore/sign';
import { classify } from '../../server/src/core/analyze';
import { loadPolicyFile } from '../../server/src/core/policy-file';
import { createRegistryClient, noCredentials, staticCredentials, type RegistryClient } from '../../server/src/core/registry';
import { resolveReference } from '../../server/src/core/resolve';
import { verifyReference, type ReferenceVerification } from '../../server/src/core/verification';
import { ANNOTATIONS, COSIGN_SIGNATURE_TYPE, SIMPLE_SIGNING_MEDIA_TYPE, type CosignLayer } from '../../server/src/core/trust/cosign';
import { IN_TOTO_PAYLOAD_TYPE } from '../../server/src/core/trust/statement';
import { publicKeyId } from '../../server/src/core/trust/signers';
import { runCli } from './cli';
import { sha256, type BasicCreds, type TestRegistry } from './registry';

const REQUEST_TIMEOUT_MS = 10_000;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const NOTATION_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const SPDX_DOCUMENT = 'https://spdx.dev/Document';

// ---- registry writes (distribution API) -------------------------------------------------------------------------

function authHeaders(creds: BasicCreds | undefined): Record<string, string> {
  return creds ? { authorization: `Basic ${Buffer.from(`${creds.user}:${creds.pass}`).toString('base64')}` } : {};
}

async function registryRequest(url: string, init: { method: string; headers?: Record<string, string>; body?: Buffer }, expected: number): Promise<Response> {
  const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (res.status !== expected) throw new Error(`${init.method} ${url} → HTTP ${res.status} (expected ${expected}): ${(await res.text()).slice(0, 500)}`);
  return res;
}

/** Uploads a blob with a monolithic upload (POST a session, PUT the bytes with their digest). Returns its descriptor. */
export async function uploadBlob(reg: TestRegistry, repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(bytes);
  const headers = authHeaders(reg.auth);
  const session = await registryRequest(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers }, 202);
  const location = new URL(session.headers.get('location') ?? '', reg.url);
  location.searchParams.set('digest', digest);
  await registryRequest(location.href, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: bytes }, 201);
  return { digest, size: bytes.length };
}

/** PUTs manifest bytes under `reference` (tag or digest); returns the digest the registry answers. */
export async function putManifest(reg: TestRegistry, repo: string, reference: string, bytes: Buffer, mediaType = OCI_MANIFEST): Promise<string> {
  const res = await registryRequest(`${reg.url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: { ...authHeaders(reg.auth), 'content-type': mediaType }, body: bytes }, 201);
  const digest = res.headers.get('docker-content-digest');
  if (digest !== sha256(bytes)) throw new Error(`PUT manifest ${repo}:${reference}: registry answered digest ${digest}, expected ${sha256(bytes)}`);
  return digest;
}

/** `sha256:<hex>` → cosign's signature tag `sha256-<hex>.sig` (or `.att`). */
export function cosignTag(imageDigest: string, suffix: 'sig' | 'att' = 'sig'): string {
  return `${imageDigest.replace(':', '-')}.${suffix}`;
}

/**
 * Stores signature layers as cosign does: every payload and a config uploaded as blobs, then a manifest with one
 * layer per signature under `sha256-<hex>.sig`. Returns the signature manifest's digest.
 */
export async function pushCosignSignatures(reg: TestRegistry, repo: string, imageDigest: string, layers: CosignLayer[], suffix: 'sig' | 'att' = 'sig'): Promise<string> {
  const config = await uploadBlob(reg, repo, Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } })));
  const descriptors = [];
  for (const layer of layers) {
    const blob = await uploadBlob(reg, repo, layer.payload);
    descriptors.push({ mediaType: layer.mediaType, ...blob, annotations: layer.annotations });
  }
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, ...config }, layers: descriptors };
  return putManifest(reg, repo, cosignTag(imageDigest, suffix), Buffer.from(JSON.stringify(manifest)));
}

// ---- cosign signatures ------------------------------------------------------------------------------------------

/**
 * Reads `signature-N` of a cosign fixture: a `\0sigstore-json` line, then `{mimeType, payload (base64), annotations}`
 * — the fields of one layer of cosign's signature manifest.
 */
export function readCosignFixtureSignature(file: string): CosignLayer {
  const text = readFileSync(file, 'utf8');
  const json = JSON.parse(text.slice(text.indexOf('\n') + 1)) as { mimeType: string; payload: string; annotations: Record<string, string> };
  return { mediaType: json.mimeType, payload: Buffer.from(json.payload, 'base64'), annotations: json.annotations };
}

/** The fixture folder's image manifest bytes and the signature layers found next to it. */
export function readCosignFixture(fixturesDir: string, name: string): { manifest: Buffer; signatures: CosignLayer[] } {
  const dir = path.join(fixturesDir, name);
  const signatures = readdirSync(dir)
    .filter((file) => /^signature-\d+$/.test(file))
    .sort()
    .map((file) => readCosignFixtureSignature(path.join(dir, file)));
  return { manifest: readFileSync(path.join(dir, 'manifest.json')), signatures };
}

/**
 * A cosign simple-signing signature made with a local key, as `cosign sign --key --tlog-upload=false` writes it
 * (no transparency-log entry: a policy accepts it only from a key signer with `tlog: false`): the payload names
 * `signedDigest` (normally the image's own digest), the signature annotation holds the base64 signature over the
 * exact payload bytes.
 */
export function cosignKeySignature(privateKey: crypto.KeyObject, dockerReference: string, signedDigest: string): CosignLayer {
  const payload = Buffer.from(JSON.stringify({
    critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': signedDigest }, type: COSIGN_SIGNATURE_TYPE },
    optional: null,
  }));
  const signature = crypto.sign('sha256', payload, privateKey).toString('base64');
  return { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, payload, annotations: { [ANNOTATIONS.signature]: signature } };
}

// ---- keys and Sigstore bundles ----------------------------------------------------------------------------------

export function newKeyPair(): crypto.KeyPairKeyObjectResult {
  return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function publicKeyPem(key: crypto.KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

/** A @sigstore/sign signer over a local key pair, announcing its key id as hint (as cosign's bundles do). */
export function keySigner(pair: crypto.KeyPairKeyObjectResult): Signer {
  return {
    sign: async (data) => ({
      signature: crypto.sign('sha256', data, pair.privateKey),
      key: { $case: 'publicKey', publicKey: publicKeyPem(pair.publicKey), hint: publicKeyId(pair.publicKey) },
    }),
  };
}

/** A bundle whose message signature covers `data` (for an image: the manifest bytes). */
export async function messageBundle(signer: Signer, data: Buffer, witnesses: RekorWitness[] = []): Promise<Buffer> {
  const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses }).create({ data });
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

/** A bundle holding a DSSE envelope over an in-toto statement. */
export async function dsseBundle(signer: Signer, statementBytes: Buffer, witnesses: RekorWitness[] = []): Promise<Buffer> {
  const bundle = await new DSSEBundleBuilder({ signer, witnesses }).create({ data: statementBytes, type: IN_TOTO_PAYLOAD_TYPE });
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

/** An in-toto v1 statement about one image digest. */
export function inTotoStatement(subjectName: string, subjectDigest: string, predicateType: string, predicate: unknown): Buffer {
  return Buffer.from(JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: subjectName, digest: { sha256: subjectDigest.replace(/^sha256:/, '') } }],
    predicateType,
    predicate,
  }));
}

export const SLSA_V1_PREDICATE = {
  buildDefinition: {
    buildType: 'https://actions.github.io/buildtypes/workflow/v1',
    externalParameters: { workflow: { ref: 'refs/heads/main', repository: 'https://github.com/acme/app', path: '.github/workflows/release.yml' } },
    internalParameters: { github: { event_name: 'push' } },
    resolvedDependencies: [{ uri: 'git+https://github.com/acme/app@refs/heads/main', digest: { gitCommit: 'c0ffee1234567890c0ffee1234567890c0ffee12' } }],
  },
  runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
};

export const SPDX_PREDICATE = { spdxVersion: 'SPDX-2.3', packages: [{ name: 'openssl' }, { name: 'zlib' }, { name: 'musl' }] };

/**
 * A private Sigstore deployment in-process: @sigstore/mock's Fulcio, CT log and Rekor behind fake URLs (intercepted
 * by nock; other hosts, such as the test registry, pass through), and the `trusted_root.json` that anchors them.
 */
export class MockSigstore {
  static readonly FULCIO_URL = 'https://fulcio.image-trust.test';
  static readonly REKOR_URL = 'https://rekor.image-trust.test';

  private constructor(
    private readonly ca: Awaited<ReturnType<typeof initializeCA>>,
    private readonly tlog: Awaited<ReturnType<typeof initializeTLog>>,
    /** The trusted root (protobuf-specs JSON) to write where the policy's `trustedRoot` points. */
    readonly trustedRoot: Record<string, unknown>,
  ) {}

  static async create(): Promise<MockSigstore> {
    const caKeys = newKeyPair();
    const ctlog = await initializeCTLog(caKeys);
    const ca = await initializeCA(caKeys, ctlog);
    const tlog = await initializeTLog(MockSigstore.REKOR_URL, newKeyPair());
    const start = '2000-01-01T00:00:00Z';
    const logKey = (key: Buffer) => ({ rawBytes: key.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } });
    const trustedRoot = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{ baseUrl: MockSigstore.REKOR_URL, hashAlgorithm: 'SHA2_256', publicKey: logKey(tlog.publicKey), logId: { keyId: crypto.createHash('sha256').update(tlog.publicKey).digest('base64') } }],
      certificateAuthorities: [{
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: MockSigstore.FULCIO_URL,
        certChain: { certificates: [{ rawBytes: Buffer.from(ca.rootCertificate.buffer).toString('base64') }] },
        validFor: { start },
      }],
      ctlogs: [{ baseUrl: 'https://ctfe.image-trust.test', hashAlgorithm: 'SHA2_256', publicKey: logKey(ctlog.publicKey), logId: { keyId: Buffer.from(ctlog.logID.buffer).toString('base64') } }],
      timestampAuthorities: [],
    };
    return new MockSigstore(ca, tlog, trustedRoot);
  }

  /**
   * Signs through the mock Fulcio (certificate for the identity in `claims`: `iss`, `sub`, optionally `email`) and
   * logs in the mock Rekor. Each call registers exactly one interception per service, used by this signing.
   */
  async keyless(claims: Record<string, string>, build: (signer: Signer, witnesses: RekorWitness[]) => Promise<Buffer>): Promise<Buffer> {
    mock(MockSigstore.FULCIO_URL, fulcioHandler(this.ca));
    mock(MockSigstore.REKOR_URL, rekorHandler(this.tlog));
    const jwt = [{ alg: 'none' }, { aud: 'sigstore', ...claims }].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2ln';
    const signer = new FulcioSigner({ identityProvider: { getToken: async () => jwt }, fulcioBaseURL: MockSigstore.FULCIO_URL, retry: 0, timeout: REQUEST_TIMEOUT_MS });
    // The mock log stores the proposed entry as its body; only the intoto kind's proposal has a real entry's shape.
    return build(signer, [new RekorWitness({ rekorBaseURL: MockSigstore.REKOR_URL, retry: 0, timeout: REQUEST_TIMEOUT_MS, entryType: 'intoto' })]);
  }

  /**
   * Logs what `build` signs (with a key signer, e.g. `keySigner`) in the mock Rekor, as `cosign sign --key` does by
   * default: a key signature with a transparency-log entry. One interception per call, like `keyless`.
   */
  async logged(build: (witnesses: RekorWitness[]) => Promise<Buffer>): Promise<Buffer> {
    mock(MockSigstore.REKOR_URL, rekorHandler(this.tlog));
    return build([new RekorWitness({ rekorBaseURL: MockSigstore.REKOR_URL, retry: 0, timeout: REQUEST_TIMEOUT_MS, entryType: 'intoto' })]);
  }
}

// ---- X.509 certificates built byte by byte ----------------------------------------------------------------------
//
// Certificates whose extensions hold exactly the bytes a test wants — including bytes no certificate tool would
// write (a URI SAN with 0xC0, an otherName that is not UTF-8) — DER-encoded here and signed with node:crypto
// (ECDSA P-256, SHA-256). Only what the verifiers read is encoded: names, validity, key, extensions.

/** DER tag-length-value. */
export function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length = n < 0x80 ? Buffer.from([n]) : (() => {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
  })();
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

export function derOid(oid: string): Buffer {
  const [a, b, ...rest] = oid.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const enc = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) enc.unshift((v & 0x7f) | 0x80);
    bytes.push(...enc);
  }
  return der(0x06, Buffer.from(bytes));
}

const derSeq = (...content: Buffer[]) => der(0x30, ...content);
const derUtf8 = (text: string | Buffer) => der(0x0c, Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));
const DER_TRUE = Buffer.from([0x01, 0x01, 0xff]);

function derTime(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? der(0x17, Buffer.from(iso.slice(2), 'ascii')) : der(0x18, Buffer.from(iso, 'ascii'));
}

function derName(commonName: string): Buffer {
  const rdn = (oid: string, value: string) => der(0x31, derSeq(derOid(oid), derUtf8(value)));
  return derSeq(rdn('2.5.4.10', 'Image Trust Tests'), rdn('2.5.4.3', commonName));
}

/** One extension: `value` is the extnValue content (the bytes inside its OCTET STRING). */
export function derExtension(oid: string, value: Buffer, critical = false): Buffer {
  return derSeq(derOid(oid), ...(critical ? [DER_TRUE] : []), der(0x04, value));
}

/** A GeneralName of a subjectAltName, with raw bytes where a test needs them. */
export type GeneralNameSpec =
  | { uri: string | Buffer }
  | { email: string | Buffer }
  | { dns: string | Buffer }
  /** otherName: `value` is the DER of the value inside the [0] EXPLICIT wrapper (default: a UTF8String of `text`). */
  | { otherName: { oid: string; text?: string | Buffer; value?: Buffer } };

const rawBytes = (v: string | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(v, 'latin1'));

export function derGeneralName(name: GeneralNameSpec): Buffer {
  if ('uri' in name) return der(0x86, rawBytes(name.uri));
  if ('email' in name) return der(0x81, rawBytes(name.email));
  if ('dns' in name) return der(0x82, rawBytes(name.dns));
  const value = name.otherName.value ?? derUtf8(name.otherName.text ?? '');
  return der(0xa0, derOid(name.otherName.oid), der(0xa0, value));
}

export const OID = {
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  fulcioIssuerV1: '1.3.6.1.4.1.57264.1.1',
  fulcioIssuerV2: '1.3.6.1.4.1.57264.1.8',
  fulcioOtherNameUsername: '1.3.6.1.4.1.57264.1.7',
} as const;

/** Fulcio's OIDC issuer extensions: v2 holds a DER UTF8String, v1 the raw bytes. */
export const fulcioIssuerV2 = (issuer: string | Buffer) => derExtension(OID.fulcioIssuerV2, derUtf8(issuer));
export const fulcioIssuerV1 = (issuer: string | Buffer) => derExtension(OID.fulcioIssuerV1, rawBytes(issuer));
export const subjectAltNames = (...names: GeneralNameSpec[]) => derExtension(OID.subjectAltName, derSeq(...names.map(derGeneralName)), true);

export interface TestCertificate {
  der: Buffer;
  pem: string;
  commonName: string;
  keys: crypto.KeyPairKeyObjectResult;
}

/**
 * A certificate for `commonName`, issued by `issuer` (self-signed when absent). A CA gets basicConstraints CA:TRUE
 * and keyCertSign; a leaf digitalSignature and the code-signing EKU, plus `extensions` (e.g. `subjectAltNames(…)`).
 */
export function makeCertificate(opts: { commonName: string; issuer?: TestCertificate; ca?: boolean; extensions?: Buffer[]; notBefore?: Date; notAfter?: Date; serial?: number }): TestCertificate {
  const keys = newKeyPair();
  const now = Date.now();
  const notBefore = opts.notBefore ?? new Date(now - 60_000);
  const notAfter = opts.notAfter ?? new Date(now + 86_400_000);
  const ecdsaSha256 = derSeq(derOid('1.2.840.10045.4.3.2'));
  const extensions = opts.ca
    ? [derExtension(OID.basicConstraints, derSeq(DER_TRUE), true), derExtension(OID.keyUsage, der(0x03, Buffer.from([0x01, 0x06])), true)]
    : [derExtension(OID.keyUsage, der(0x03, Buffer.from([0x07, 0x80])), true), derExtension(OID.extKeyUsage, derSeq(derOid(OID.codeSigning)))];
  const tbs = derSeq(
    der(0xa0, der(0x02, Buffer.from([0x02]))), // version v3
    der(0x02, Buffer.from([0x01, (opts.serial ?? 1) & 0x7f])),
    ecdsaSha256,
    derName(opts.issuer?.commonName ?? opts.commonName),
    derSeq(derTime(notBefore), derTime(notAfter)),
    derName(opts.commonName),
    keys.publicKey.export({ format: 'der', type: 'spki' }),
    der(0xa3, derSeq(...extensions, ...(opts.extensions ?? []))),
  );
  const signature = crypto.sign('sha256', tbs, (opts.issuer?.keys ?? keys).privateKey);
  const certDer = derSeq(tbs, ecdsaSha256, der(0x03, Buffer.from([0x00]), signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${certDer.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  return { der: certDer, pem, commonName: opts.commonName, keys };
}

/** A cosign simple-signing signature by a certificate's key, with the certificate annotation (cosign --certificate). */
export function cosignCertificateSignature(cert: TestCertificate, dockerReference: string, signedDigest: string): CosignLayer {
  const layer = cosignKeySignature(cert.keys.privateKey, dockerReference, signedDigest);
  return { ...layer, annotations: { ...layer.annotations, [ANNOTATIONS.certificate]: cert.pem } };
}

// ---- OCI referrers (@sigstore/oci) ------------------------------------------------------------------------------

// Bounded requests, no retries. (The declared type wants proxy settings too; make-fetch-happen treats them as optional.)
const OCI_FETCH_OPTIONS = { timeout: REQUEST_TIMEOUT_MS, retry: false } as unknown as NonNullable<Parameters<typeof attachArtifactToImage>[0]['fetchOpts']>;

function ociCredentials(reg: TestRegistry): { username: string; password: string } {
  // @sigstore/oci signs in by answering the registry's auth challenge: it needs a registry with auth.
  if (!reg.auth) throw new Error('attaching referrers with @sigstore/oci needs a registry started with auth');
  return { username: reg.auth.user, password: reg.auth.pass };
}

/**
 * Attaches a Sigstore bundle to `repo@imageDigest` as a referrer whose artifact type is the bundle's media type
 * (as cosign 3 does). On distribution 2.8 this also writes the referrers index under tag `sha256-<hex>`.
 */
export async function attachBundle(reg: TestRegistry, repo: string, imageDigest: string, bundle: Buffer): Promise<string> {
  const mediaType = String((JSON.parse(bundle.toString('utf8')) as { mediaType?: unknown }).mediaType);
  const descriptor = await attachArtifactToImage({
    imageName: `${reg.host}/${repo}`,
    imageDigest,
    artifact: bundle,
    mediaType,
    credentials: ociCredentials(reg),
    fetchOpts: OCI_FETCH_OPTIONS,
  });
  return descriptor.digest;
}

/**
 * Attaches a Notary Project signature as `notation sign` does: a manifest with artifact type
 * `application/vnd.cncf.notary.signature`, an empty config, one layer = the envelope (`application/jose+json` or
 * `application/cose`), and `subject` = the image. The referrers tag-schema index (`sha256-<hex>`) is written too,
 * merged with what is there, for registries without a referrers API (distribution 2.8). Returns the manifest digest.
 */
export async function attachNotationSignature(
  reg: TestRegistry,
  repo: string,
  image: { digest: string; bytes: Buffer },
  envelope: Buffer,
  envelopeMediaType = 'application/jose+json',
): Promise<string> {
  const config = await uploadBlob(reg, repo, Buffer.from('{}'));
  const layer = await uploadBlob(reg, repo, envelope);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: NOTATION_ARTIFACT_TYPE,
    config: { mediaType: OCI_EMPTY, ...config },
    layers: [{ mediaType: envelopeMediaType, ...layer }],
    subject: { mediaType: OCI_MANIFEST, digest: image.digest, size: image.bytes.length },
  }));
  const digest = await putManifest(reg, repo, sha256(manifest), manifest);
  const indexTag = image.digest.replace(':', '-');
  const index = (await getManifestJson(reg, repo, indexTag)) ?? { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
  (index.manifests as unknown[]).push({ mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: NOTATION_ARTIFACT_TYPE });
  await putManifest(reg, repo, indexTag, Buffer.from(JSON.stringify(index)), OCI_INDEX);
  return digest;
}

/** GETs a manifest's JSON by tag or digest; undefined when the registry answers 404. */
async function getManifestJson(reg: TestRegistry, repo: string, reference: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${reference}`, {
    headers: { ...authHeaders(reg.auth), accept: OCI_INDEX },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET manifest ${repo}:${reference} → HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`);
  return (await res.json()) as Record<string, unknown>;
}

// ---- workspaces -------------------------------------------------------------------------------------------------

/** A Kubernetes Pod manifest with one container per image reference (container names c0, c1, …). */
export function podManifest(images: string[]): string {
  const containers = images.map((image, i) => `    - name: c${i}\n      image: "${image}"\n`).join('');
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: verify\nspec:\n  containers:\n${containers}`;
}

// ---- drivers: the core (verifyReference) and the built CLI ------------------------------------------------------

/** A registry client for tests: given credentials only (never the user's Docker config), no disk cache. */
export function testRegistryClient(opts: { reg?: TestRegistry; offline?: boolean; cacheDir?: string } = {}): RegistryClient {
  const creds = opts.reg?.auth;
  return createRegistryClient({
    credentials: creds && opts.reg ? staticCredentials({ [opts.reg.host]: { username: creds.user, password: creds.pass } }) : noCredentials,
    offline: opts.offline,
    cacheDir: opts.cacheDir,
    timeoutMs: REQUEST_TIMEOUT_MS,
    retry: { attempts: 2, baseDelayMs: 50 },
  });
}

/**
 * Judges one image reference under a policy file through the core, as the CLI and the language server do: the
 * reference is classified, its tag resolved when unpinned, then `verifyReference` runs.
 */
export async function verifyOne(client: RegistryClient, reference: string, policyPath: string, opts: { now?: Date; path?: string } = {}): Promise<ReferenceVerification> {
  const ref = classify({ kind: 'kubernetes', range: { start: 0, end: reference.length }, text: reference, reference, templated: false });
  const resolution = ref.status === 'unpinned' ? await resolveReference(client, ref) : null;
  const result = await verifyReference(client, ref, resolution, loadPolicyFile(policyPath).result, { now: opts.now ?? new Date(), path: opts.path });
  if (!result) throw new Error(`${reference}: not a verifiable reference (${ref.status})`);
  return result;
}

/** One reference of `scan --verify --format json`, with the fields verification adds. */
export interface JsonReference {
  text: string;
  digest: string | null;
  status: string;
  signatures: Array<{ status: string; signer: string | null; issuer: string | null; type: string; logIndex: number | null; integratedTime: number | null; foundIn: string; reason: string }>;
  attestations: Array<{ predicateType: string; status: string; summary: string | null; signer: string | null; foundIn: string; reason: string }>;
  policy: { rule: string | null; mode: string | null; exception: { owner: string; reason: string; expires: string; daysLeft: number; active: boolean; message: string } | null; error?: string } | null;
  trust: { digest: string | null; status: string; reason: string; cached: boolean; cacheAgeMs?: number | null } | null;
}

export interface JsonDiagnostic {
  path: string;
  range: { start: { line: number; character: number } };
  severity: string;
  code: string;
  message: string;
}

export interface VerifyScan {
  status: number | null;
  stderr: string;
  references: JsonReference[];
  diagnostics: JsonDiagnostic[];
  /** The reference whose text contains `fragment` (exactly one must). */
  ref(fragment: string): JsonReference;
  /** Diagnostics of the line holding the reference whose text contains `fragment`. */
  findingsOf(fragment: string): JsonDiagnostic[];
}

/** Runs `image-trust scan --verify --format json <args>` in `cwd` and parses its report. */
export function scanVerify(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): VerifyScan {
  const r = runCli(['scan', '--verify', '--format', 'json', ...args], { cwd: opts.cwd, env: opts.env, timeoutMs: 90_000 });
  let out: { references: JsonReference[]; diagnostics: JsonDiagnostic[] };
  try {
    out = JSON.parse(r.stdout);
  } catch {
    throw new Error(`image-trust exited ${r.status} without a JSON report:\n${r.stdout}\n${r.stderr}`);
  }
  const refOf = (fragment: string) => {
    const found = out.references.filter((x) => x.text.includes(fragment));
    if (found.length !== 1) throw new Error(`${found.length} references contain "${fragment}": ${out.references.map((x) => x.text).join(', ')}`);
    return found[0];
  };
  return {
    status: r.status,
    stderr: r.stderr,
    references: out.references,
    diagnostics: out.diagnostics,
    ref: refOf,
    findingsOf(fragment) {
      const ref = refOf(fragment) as JsonReference & { path: string; range: { start: { line: number } } };
      return out.diagnostics.filter((d) => d.path === ref.path && d.range.start.line === ref.range.start.line);
    },
  };
}
