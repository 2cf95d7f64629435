// Reads `signers:` lists and the key/certificate material they name (a file path relative to the policy file, or
// inline PEM), checking every key before the policy may trust it.

import * as nodePath from 'node:path';
import type { Node } from 'yaml';
import { checkCertificatesPem, checkPublicKeyPem, errorText, looksLikeInlinePem } from './pem';
import type { ResolvedSigner } from './types';
import { childPath, type Field, type YamlReader } from './yaml-reader';

/** Where external files come from, and a record of every file read (it goes into the policy hash). */
export interface MaterialContext {
  policyDir: string;
  readFile: (absPath: string) => string;
  read: { path: string; text: string }[];
}

const SIGNER_KINDS = ['key', 'keyless', 'notation'] as const;
/** Keys a signer entry may hold: one kind, and `tlog` next to `key`. */
const SIGNER_KEYS = [...SIGNER_KINDS, 'tlog'] as const;
const KEYLESS_KEYS = ['issuer', 'subject', 'subjectRegExp'] as const;
const NOTATION_KEYS = ['certificate'] as const;

/** Reads an external file named in the policy; reports (at `node`) and returns null when it cannot be read. */
export function readPolicyFile(reader: YamlReader, ctx: MaterialContext, node: Node, path: string, written: string, what: string): string | null {
  const abs = nodePath.resolve(ctx.policyDir, written);
  try {
    const text = ctx.readFile(abs);
    ctx.read.push({ path: abs, text });
    return text;
  } catch (err) {
    reader.error(node, path, `cannot read ${what} \`${written}\` (${abs}): ${errorText(err)}`);
    return null;
  }
}

/** Inline PEM as written, or the content of the file it names. */
function readPemMaterial(reader: YamlReader, ctx: MaterialContext, node: Node, path: string, value: string, what: string): string | null {
  return looksLikeInlinePem(value) ? value : readPolicyFile(reader, ctx, node, path, value, what);
}

/** A `signers:` list. Returns null when any entry is invalid (errors reported). */
export function readSigners(reader: YamlReader, ctx: MaterialContext, node: Node | null, path: string): ResolvedSigner[] | null {
  const items = reader.sequence(node, path, '`signers`');
  if (!items) return null;
  const signers = items.map((item, i) => readSigner(reader, ctx, item, childPath(path, i)));
  return signers.every((s) => s !== null) ? (signers as ResolvedSigner[]) : null;
}

function readSigner(reader: YamlReader, ctx: MaterialContext, node: Node, path: string): ResolvedSigner | null {
  const fields = reader.mapping(node, path, SIGNER_KEYS, 'a signer (`key`, `keyless` or `notation`)');
  if (!fields) return null;
  const kinds = [...fields.entries()].filter(([name]) => name !== 'tlog');
  const tlogField = fields.get('tlog');
  if (kinds.length !== 1) {
    if (kinds.length === 0 && tlogField) {
      reader.error(tlogField.key, childPath(path, 'tlog'), '`tlog` applies only to `key` signers; this signer has no `key` (each signer needs exactly one of `key`, `keyless` or `notation`)');
      return null;
    }
    const at = kinds.length === 0 ? node : kinds[1][1].key;
    reader.error(at, path, 'each signer needs exactly one of `key`, `keyless` or `notation`; list several signers as separate entries');
    return null;
  }
  const [kind, field] = kinds[0];
  if (tlogField && kind !== 'key') {
    const why = kind === 'keyless'
      ? 'keyless signatures always need a transparency-log entry'
      : 'Notation signatures are not logged in a transparency log';
    reader.error(tlogField.key, childPath(path, 'tlog'), `\`tlog\` applies only to \`key\` signers (${why}); remove it`);
    return null;
  }
  const valuePath = childPath(path, kind);
  if (!field.value) {
    reader.error(field.key, valuePath, `\`${kind}\` needs a value`);
    return null;
  }
  if (kind === 'key') {
    // Read `tlog` first so that both a bad key and a bad `tlog` are reported.
    const requireTlog = tlogField ? readTlog(reader, tlogField, childPath(path, 'tlog')) : true;
    const signer = readKeySigner(reader, ctx, field.value, valuePath);
    if (!signer || requireTlog === null) return null;
    // Only an explicit `tlog: false` is recorded; absent (or `tlog: true`) means the verifier's default: required.
    return requireTlog ? signer : { ...signer, requireTlog: false };
  }
  if (kind === 'keyless') return readKeylessSigner(reader, field.value, valuePath);
  return readNotationSigner(reader, ctx, field.value, valuePath);
}

/**
 * `tlog: true|false` next to `key:`. cosign (`verify --key`) refuses a key signature without a transparency-log
 * entry unless told `--insecure-ignore-tlog`; `tlog: false` is that opt-out, written where reviewers see it.
 */
function readTlog(reader: YamlReader, field: Field, path: string): boolean | null {
  if (!field.value) {
    reader.error(field.key, path, '`tlog` needs a value: `false` to accept key signatures without a transparency-log entry (remove the key to require one)');
    return null;
  }
  return reader.boolean(field.value, path, '`tlog`');
}

function readKeySigner(reader: YamlReader, ctx: MaterialContext, node: Node, path: string): Extract<ResolvedSigner, { type: 'key' }> | null {
  const value = reader.string(node, path, '`key` (a path to a public key file, or inline PEM)');
  if (value === null) return null;
  const text = readPemMaterial(reader, ctx, node, path, value, 'key file');
  if (text === null) return null;
  const key = checkPublicKeyPem(text);
  if (!key.ok) {
    reader.error(node, path, `${looksLikeInlinePem(value) ? 'inline key' : `key file \`${value}\``}: ${key.error}`);
    return null;
  }
  const name = looksLikeInlinePem(value) ? `inline key SHA256:${key.value.fingerprint}` : value;
  return { type: 'key', publicKeyPem: key.value.pem, name };
}

function readKeylessSigner(reader: YamlReader, node: Node, path: string): ResolvedSigner | null {
  const fields = reader.mapping(node, path, KEYLESS_KEYS, '`keyless`');
  if (!fields) return null;
  const issuerNode = reader.required(fields, 'issuer', node, path, '`keyless`');
  const issuer = issuerNode && reader.string(issuerNode, childPath(path, 'issuer'), '`issuer`');
  const subjectNode = reader.optional(fields, 'subject', path);
  const regExpNode = reader.optional(fields, 'subjectRegExp', path);
  const subject = subjectNode === undefined ? undefined : subjectNode && reader.string(subjectNode, childPath(path, 'subject'), '`subject`');
  const subjectRegExp = regExpNode === undefined ? undefined : regExpNode && readSubjectRegExp(reader, regExpNode, childPath(path, 'subjectRegExp'));
  if (!issuer || subject === null || subjectRegExp === null) return null;
  if (!/^https:\/\//.test(issuer)) {
    reader.warn(issuerNode, childPath(path, 'issuer'), `\`issuer\` is usually an https URL of an OIDC provider, e.g. https://token.actions.githubusercontent.com`);
  }
  if (subject !== undefined && subjectRegExp !== undefined) {
    reader.error(fields.get('subjectRegExp')!.key, path, 'give either `subject` (exact) or `subjectRegExp`, not both');
    return null;
  }
  if (subject === undefined && subjectRegExp === undefined) {
    // Without an identity every certificate the issuer vouches for would do (on GitHub Actions: any workflow of any
    // repository); the verifier refuses such a signer, so it is an error here already.
    reader.error(node, path, `\`keyless\` needs \`subject\` or \`subjectRegExp\`: without one, any identity of ${issuer} would be trusted`);
    return null;
  }
  return {
    type: 'keyless',
    issuer,
    ...(subject !== undefined ? { subject } : {}),
    ...(subjectRegExp !== undefined ? { subjectRegExp } : {}),
  };
}

/**
 * The verifier matches the WHOLE subject, as `^(?:pattern)$` with the `u` flag (see core/trust/signers.ts); compile
 * it the same way so that a pattern accepted here is accepted there.
 */
function readSubjectRegExp(reader: YamlReader, node: Node, path: string): string | null {
  const source = reader.string(node, path, '`subjectRegExp`');
  if (source === null) return null;
  try {
    new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    reader.error(node, path, `\`subjectRegExp\` is not a valid regular expression: ${errorText(err)}`);
    return null;
  }
  // `^https://github\.com/acme/` reads like a prefix, but must match the whole subject, so it only matches itself.
  if (/\/\$?$/.test(source)) {
    reader.warn(node, path, '`subjectRegExp` must match the whole subject, so a pattern ending in `/` matches nothing below it; add `.*` (e.g. `^https://github\\.com/acme/.*`)');
  }
  return source;
}

function readNotationSigner(reader: YamlReader, ctx: MaterialContext, node: Node, path: string): ResolvedSigner | null {
  const fields = reader.mapping(node, path, NOTATION_KEYS, '`notation`');
  if (!fields) return null;
  const certNode = reader.required(fields, 'certificate', node, path, '`notation`');
  if (!certNode) return null;
  const certPath = childPath(path, 'certificate');
  const value = reader.string(certNode, certPath, '`certificate` (a path to a PEM certificate file, or inline PEM)');
  if (value === null) return null;
  const text = readPemMaterial(reader, ctx, certNode, certPath, value, 'certificate file');
  if (text === null) return null;
  const certs = checkCertificatesPem(text);
  if (!certs.ok) {
    reader.error(certNode, certPath, `${looksLikeInlinePem(value) ? 'inline certificate' : `certificate file \`${value}\``}: ${certs.error}`);
    return null;
  }
  return { type: 'notation', certificatePem: certs.value };
}
