// Content digests (`sha256:<hex>`, `sha512:<hex>`): validation and computation.

import { createHash } from 'node:crypto';
import { isDigest } from '../reference';

// One digest grammar for the whole core: the reference parser's.
export { isDigest };

/** Digest of `body` with the same algorithm as `like` (sha256 by default). */
export function digestOf(body: Buffer | Uint8Array, like = 'sha256:'): string {
  const algorithm = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(body).digest('hex')}`;
}

export function matchesDigest(body: Buffer | Uint8Array, digest: string): boolean {
  return isDigest(digest) && digestOf(body, digest) === digest;
}
