// in-toto Statements carried in DSSE envelopes: parsing and the subject-digest check.

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** Predicate of the statement cosign 3 signs for an image when it writes a Sigstore bundle ("cosign sign"). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

export interface InTotoStatement {
  type: string;
  subjects: { name?: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: unknown;
}

const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1']);

/** Parses a DSSE payload as an in-toto Statement; throws an Error with a readable message when it is not one. */
export function parseStatement(payloadType: string, payload: Buffer): InTotoStatement {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new Error(`payload type is ${payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new Error('the in-toto statement is not JSON');
  }
  if (!isRecord(json) || typeof json._type !== 'string' || !STATEMENT_TYPES.has(json._type)) {
    throw new Error('the payload is not an in-toto Statement');
  }
  if (typeof json.predicateType !== 'string') throw new Error('the in-toto statement has no predicateType');
  if (!Array.isArray(json.subject)) throw new Error('the in-toto statement has no subject list');
  const subjects = json.subject.filter(isRecord).map((s) => ({
    name: typeof s.name === 'string' ? s.name : undefined,
    digest: isRecord(s.digest) ? (Object.fromEntries(Object.entries(s.digest).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : {},
  }));
  return { type: json._type, subjects, predicateType: json.predicateType, predicate: json.predicate };
}

/** True when a subject names exactly `digest` (`sha256:<hex>`, any supported algorithm), compared case-insensitively. */
export function statementCoversDigest(statement: InTotoStatement, digest: string): boolean {
  const [algorithm, hex] = splitDigest(digest);
  return statement.subjects.some((s) => s.digest[algorithm]?.toLowerCase() === hex);
}

export function splitDigest(digest: string): [string, string] {
  const i = digest.indexOf(':');
  return [digest.slice(0, i), digest.slice(i + 1).toLowerCase()];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
