// Typed errors: callers branch on `code`, users read `message`.

export type ImageTrustErrorCode =
  | 'INVALID_REFERENCE'
  | 'PARSE_ERROR'
  | 'FILE_TOO_LARGE'
  | 'IO_ERROR'
  | 'USAGE'
  | 'REGISTRY_UNAUTHORIZED'
  | 'REGISTRY_NOT_FOUND'
  | 'REGISTRY_UNREACHABLE'
  | 'REGISTRY_RATE_LIMITED'
  | 'REGISTRY_BAD_RESPONSE'
  | 'DIGEST_MISMATCH'
  | 'TOO_LARGE'
  | 'TIMEOUT'
  | 'OFFLINE'
  | 'POLICY_INVALID'
  | 'VERIFY_ERROR'
  | 'EDIT_CONFLICT'
  /** Verifying from the trust lock needed an object the lock does not hold. */
  | 'NOT_IN_LOCK'
  | 'GIT_ERROR';

export class ImageTrustError extends Error {
  constructor(
    readonly code: ImageTrustErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImageTrustError';
  }
}
