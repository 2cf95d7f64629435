// Content digests (`sha256:<hex>`, `sha512:<hex>`): validation and computation.

import { createHash } from 'node:crypto';

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/** Digest of `body` with the same algorithm as `like` (sha256 by default). */
export function digestOf(body: Buffer | Uint8Array, like = 'sha256:'): string {
  const algorithm = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(body).digest('hex')}`;
}

export function matchesDigest(body: Buffer | Uint8Array, digest: string): boolean {
  return isDigest(digest) && digestOf(body, digest) === digest;
}
