// Checks the PEM material a policy names (cosign public keys, Notation certificates) before anything trusts it.

import { createHash, createPublicKey, X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

export type PemCheck<T> = { ok: true; value: T } | { ok: false; error: string };

export function looksLikeInlinePem(value: string): boolean {
  return value.trimStart().startsWith('-----BEGIN ');
}

function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], pem: m[0] }));
}

/** One public key; returns it re-encoded as SPKI PEM plus a short SHA-256 fingerprint of its DER. */
export function checkPublicKeyPem(text: string): PemCheck<{ pem: string; fingerprint: string }> {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) return { ok: false, error: 'no PEM block found (expected -----BEGIN PUBLIC KEY-----)' };
  if (blocks.length > 1) return { ok: false, error: `expected one public key, found ${blocks.length} PEM blocks; list each key as its own signer` };
  const { label, pem } = blocks[0];
  // A private key would "work" (Node derives the public half), but it must never sit in a shared policy file.
  if (label.includes('PRIVATE KEY')) return { ok: false, error: 'this is a PRIVATE key; remove it from the policy at once and use the public key (e.g. cosign.pub)' };
  if (label === 'CERTIFICATE') return { ok: false, error: 'this is a certificate, not a public key; for a Notation certificate use `notation: { certificate: … }`' };
  if (!label.endsWith('PUBLIC KEY')) return { ok: false, error: `unexpected PEM block "${label}" (expected PUBLIC KEY)` };
  try {
    const key = createPublicKey(pem);
    const der = key.export({ type: 'spki', format: 'der' });
    const fingerprint = createHash('sha256').update(der).digest('hex').slice(0, 16);
    return { ok: true, value: { pem: String(key.export({ type: 'spki', format: 'pem' })), fingerprint } };
  } catch (err) {
    return { ok: false, error: `invalid public key: ${errorText(err)}` };
  }
}

/** One or more X.509 certificates (a trust anchor and optional chain); returns the certificate blocks only. */
export function checkCertificatesPem(text: string): PemCheck<string> {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) return { ok: false, error: 'no PEM block found (expected -----BEGIN CERTIFICATE-----)' };
  for (const [i, { label, pem }] of blocks.entries()) {
    if (label.includes('PRIVATE KEY')) return { ok: false, error: 'this holds a PRIVATE key; remove it from the policy at once and keep only certificates' };
    if (label !== 'CERTIFICATE') return { ok: false, error: `PEM block ${i + 1} is "${label}", expected CERTIFICATE` };
    try {
      new X509Certificate(pem);
    } catch (err) {
      return { ok: false, error: `certificate ${i + 1} is invalid: ${errorText(err)}` };
    }
  }
  return { ok: true, value: blocks.map((b) => b.pem).join('\n') + '\n' };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
