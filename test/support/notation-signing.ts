// Notary Project signing material for tests: a CA and a code-signing leaf made with the `openssl` CLI, and JWS
// envelopes (JSON serialization) built with node:crypto the way `notation sign` writes them.

import { execFileSync } from 'node:child_process';
import crypto, { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const NOTATION_JWS_MEDIA_TYPE = 'application/jose+json';
export const NOTATION_COSE_MEDIA_TYPE = 'application/cose';
export const NOTATION_PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
const OPENSSL_TIMEOUT_MS = 30_000;

export type NotationKeyType = 'rsa' | 'ec';

export interface NotationPki {
  rootPem: string;
  leafPem: string;
  leafKey: crypto.KeyObject;
  keyType: NotationKeyType;
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, timeout: OPENSSL_TIMEOUT_MS, stdio: ['ignore', 'ignore', 'pipe'] });
}

const KEY_ARGS: Record<NotationKeyType, string[]> = {
  rsa: ['-newkey', 'rsa:2048'],
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
};

/**
 * A self-signed root CA (basicConstraints CA:TRUE) and a leaf it issued for code signing, valid from now for
 * `days` days. `leafExtensions` replaces the leaf's extensions (to make a non-code-signing leaf, for instance).
 */
export function makeNotationPki(keyType: NotationKeyType, name: string, opts: { days?: number; leafExtensions?: string } = {}): NotationPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'notation-pki-'));
  try {
    const days = String(opts.days ?? 2);
    openssl(dir, ['req', '-x509', ...KEY_ARGS[keyType], '-nodes', '-keyout', 'root.key', '-out', 'root.crt', '-days', days, '-subj', `/O=Image Trust Tests/CN=${name} Root CA`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    openssl(dir, ['req', ...KEY_ARGS[keyType], '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/O=Image Trust Tests/CN=${name} Signer`]);
    writeFileSync(path.join(dir, 'leaf.ext'), opts.leafExtensions ?? 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n');
    openssl(dir, ['x509', '-req', '-in', 'leaf.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-set_serial', '2', '-days', days, '-extfile', 'leaf.ext', '-out', 'leaf.crt']);
    return {
      rootPem: readFileSync(path.join(dir, 'root.crt'), 'utf8'),
      leafPem: readFileSync(path.join(dir, 'leaf.crt'), 'utf8'),
      leafKey: crypto.createPrivateKey(readFileSync(path.join(dir, 'leaf.key'))),
      keyType,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface JwsOptions {
  /** The digest the payload names (normally the image's own). */
  digest: string;
  /** x5c certificates in PEM, leaf first (default: leaf, root). */
  chainPem?: string[];
  signingTime?: Date;
  /** Merged over the default protected header (e.g. another signing scheme, extra critical headers). */
  header?: Record<string, unknown>;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A Notation JWS envelope (notary.x509 scheme) signed by the PKI's leaf: PS256 for RSA, ES256 for P-256. */
export function notationJws(pki: NotationPki, opts: JwsOptions): Buffer {
  const alg = pki.keyType === 'rsa' ? 'PS256' : 'ES256';
  const protectedB64 = b64url({
    alg,
    cty: NOTATION_PAYLOAD_TYPE,
    crit: ['io.cncf.notary.signingScheme'],
    'io.cncf.notary.signingScheme': 'notary.x509',
    'io.cncf.notary.signingTime': (opts.signingTime ?? new Date()).toISOString(),
    ...opts.header,
  });
  const payloadB64 = b64url({ targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: opts.digest, size: 1 } });
  const input = Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii');
  const signature = pki.keyType === 'rsa'
    ? crypto.sign('sha256', input, { key: pki.leafKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    : crypto.sign('sha256', input, { key: pki.leafKey, dsaEncoding: 'ieee-p1363' });
  const x5c = (opts.chainPem ?? [pki.leafPem, pki.rootPem]).map((pem) => new X509Certificate(pem).raw.toString('base64'));
  return Buffer.from(JSON.stringify({
    payload: payloadB64,
    protected: protectedB64,
    header: { x5c, 'io.cncf.notary.signingAgent': 'image-trust-tests/1.0' },
    signature: signature.toString('base64url'),
  }));
}
