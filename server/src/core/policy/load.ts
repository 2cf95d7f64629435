// Loads `.image-trust.yaml`: parse with node ranges, validate every key in code, read the key material it names.

import { createHash } from 'node:crypto';
import * as nodePath from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { checkSeverityEntry, SEVERITY_SETTINGS, type SeverityOverrides } from '../rules';
import { checkRepositoryGlob } from './globs';
import { readExceptions } from './load-exceptions';
import { readPolicyFile, readSigners, type MaterialContext } from './load-signers';
import { defaultRule } from './match';
import { errorText } from './pem';
import { POLICY_MODES, type AttestationRequirement, type Policy, type PolicyLoadResult, type PolicyMode, type ResolvedRule, type ResolvedSigner, type TrustedRootMaterial } from './types';
import { childPath, YamlReader } from './yaml-reader';

export interface LoadPolicyOptions {
  /** Absolute path of the policy file; relative key, certificate and trusted-root paths resolve from its folder. */
  policyPath: string;
  /** Reads a file named by the policy (absolute path). May throw; the error becomes a diagnostic. */
  readFile: (absPath: string) => string;
}

const TOP_KEYS = ['version', 'trustedRoot', 'rules', 'exceptions', 'severity'] as const;
const RULE_KEYS = ['name', 'match', 'mode', 'requireDigest', 'verifyPlatforms', 'signers', 'attestations'] as const;
const ATTESTATION_KEYS = ['predicateType', 'signers'] as const;
const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot';

/**
 * Parses and validates a policy. FAIL CLOSED: when the result is `broken` (`policy` null), callers must not report
 * any reference as verified or exempted; they show `diagnostics` (each with an offset range into `text`) instead.
 */
export function loadPolicy(text: string, opts: LoadPolicyOptions): PolicyLoadResult {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const reader = new YamlReader(doc, text.length);
  const ctx: MaterialContext = { policyDir: nodePath.dirname(opts.policyPath), readFile: opts.readFile, read: [] };
  // Only the first syntax error: the ones after it are mostly consequences of it.
  const [syntaxError] = doc.errors;
  if (syntaxError) reader.error({ start: syntaxError.pos[0], end: Math.max(syntaxError.pos[1], syntaxError.pos[0] + 1) }, '', `YAML syntax error: ${syntaxError.message}`);
  for (const w of doc.warnings) reader.warn({ start: w.pos[0], end: w.pos[1] }, '', w.message);

  // After a syntax error the tree is a guess; more messages about it would only distract from the real one.
  const policy = doc.errors.length === 0 ? readPolicy(reader, ctx, doc.contents as Node | null, opts.policyPath) : null;
  const broken = reader.broken || policy === null;
  const diagnostics = reader.diagnostics.sort((a, b) => a.range.start - b.range.start);
  return { policy: broken ? null : policy, broken, diagnostics, hash: policyHash(opts.policyPath, text, ctx) };
}

function policyHash(policyPath: string, text: string, ctx: MaterialContext): string {
  return createHash('sha256').update(JSON.stringify([policyPath, text, ctx.read])).digest('hex');
}

function readPolicy(reader: YamlReader, ctx: MaterialContext, root: Node | null, policyPath: string): Policy | null {
  if (!root) {
    reader.error(null, '', 'the policy file is empty; it needs at least `version: 1`');
    return null;
  }
  const fields = reader.mapping(root, '', TOP_KEYS, 'the policy file');
  if (!fields) return null;
  const versionNode = reader.required(fields, 'version', root, '', 'the policy file', 'add `version: 1` at the top');
  if (versionNode) readVersion(reader, versionNode);
  const trustedRootNode = reader.optional(fields, 'trustedRoot', '');
  const trustedRoot = trustedRootNode ? readTrustedRoot(reader, ctx, trustedRootNode) : null;
  const rulesNode = reader.optional(fields, 'rules', '');
  const rules = rulesNode ? readRules(reader, ctx, rulesNode) : [];
  const exceptionsNode = reader.optional(fields, 'exceptions', '');
  const exceptions = exceptionsNode ? readExceptions(reader, exceptionsNode, 'exceptions') : [];
  const severityNode = reader.optional(fields, 'severity', '');
  const severity = severityNode ? readSeverity(reader, severityNode) : {};
  return { version: 1, policyPath, trustedRoot, rules, defaultRule: defaultRule(), exceptions, severity };
}

/**
 * `severity:` maps rule ids to levels (`unpinned-tag: error`, `templated: off`). A wrong rule id or level is an error
 * at that key or value, and breaks the policy like any other error: the author asked for a severity that cannot be
 * honoured, and silently using the default could make a CI gate pass that was meant to fail.
 */
function readSeverity(reader: YamlReader, node: Node): SeverityOverrides {
  const map = reader.deref(node);
  const example = 'e.g. `unpinned-tag: error` or `templated: off`';
  if (!map || !isMap(map)) {
    reader.error(map ?? node, 'severity', `\`severity\` must be a mapping of rule id to level, ${example}`);
    return {};
  }
  const out: SeverityOverrides = {};
  for (const pair of map.items) {
    const key = pair.key as Node | null;
    if (!key || !isScalar(key) || typeof key.value !== 'string') {
      reader.error(key ?? map, 'severity', `keys of \`severity\` must be rule ids, ${example}`);
      continue;
    }
    const path = childPath('severity', key.value);
    const value = reader.deref(pair.value as Node | null);
    const empty = !value || (isScalar(value) && value.value === null);
    // An empty value is reported after the rule id is known to be right (a misspelled id is the first thing to fix).
    const level = empty ? SEVERITY_SETTINGS[0] : isScalar(value) ? value.value : isSeq(value) ? [] : {};
    const check = checkSeverityEntry(key.value, level);
    if (!check.ok) reader.error(check.part === 'rule' || empty ? key : value, path, check.message);
    else if (empty) reader.error(key, path, `\`${key.value}\` needs a level: one of ${SEVERITY_SETTINGS.join(', ')}`);
    else out[check.rule] = check.level;
  }
  return out;
}

function readVersion(reader: YamlReader, node: Node): void {
  const value = (reader.deref(node) as { value?: unknown } | null)?.value;
  if (value !== 1) reader.error(node, 'version', `unsupported policy version \`${String(value)}\`; this version of Image Trust reads \`version: 1\``);
}

function readTrustedRoot(reader: YamlReader, ctx: MaterialContext, node: Node): TrustedRootMaterial | null {
  const written = reader.string(node, 'trustedRoot', '`trustedRoot` (a path to a Sigstore trusted_root.json)');
  if (written === null) return null;
  const text = readPolicyFile(reader, ctx, node, 'trustedRoot', written, 'trusted root');
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    reader.error(node, 'trustedRoot', `trusted root \`${written}\` is not valid JSON: ${errorText(err)}`);
    return null;
  }
  const mediaType = (json as { mediaType?: unknown } | null)?.mediaType;
  if (typeof mediaType !== 'string' || !mediaType.startsWith(TRUSTED_ROOT_MEDIA_TYPE)) {
    reader.error(node, 'trustedRoot', `\`${written}\` is not a Sigstore trusted root (its mediaType should start with ${TRUSTED_ROOT_MEDIA_TYPE})`);
    return null;
  }
  return { path: nodePath.resolve(ctx.policyDir, written), json: json as Record<string, unknown> };
}

function readRules(reader: YamlReader, ctx: MaterialContext, node: Node): ResolvedRule[] {
  const items = reader.sequence(node, 'rules', '`rules`');
  if (!items) return [];
  const rules: ResolvedRule[] = [];
  items.forEach((item, i) => {
    const rule = readRule(reader, ctx, item, i);
    if (rule) rules.push(rule);
  });
  warnShadowedRules(reader, rules);
  return rules;
}

function readRule(reader: YamlReader, ctx: MaterialContext, node: Node, index: number): ResolvedRule | null {
  const path = childPath('rules', index);
  const fields = reader.mapping(node, path, RULE_KEYS, `rule ${path}`);
  if (!fields) return null;
  const nameNode = reader.optional(fields, 'name', path);
  const name = nameNode === undefined ? path : nameNode && reader.string(nameNode, childPath(path, 'name'), '`name`');
  const matchNode = reader.required(fields, 'match', node, path, `rule ${path}`);
  const match = matchNode ? readMatch(reader, matchNode, childPath(path, 'match')) : null;
  const modeNode = reader.optional(fields, 'mode', path);
  const mode = modeNode === undefined ? 'enforce' : modeNode && readMode(reader, modeNode, childPath(path, 'mode'));
  const requireDigestNode = reader.optional(fields, 'requireDigest', path);
  const requireDigest = requireDigestNode === undefined ? false : requireDigestNode && reader.boolean(requireDigestNode, childPath(path, 'requireDigest'), '`requireDigest`');
  const signersNode = reader.optional(fields, 'signers', path);
  const signers = signersNode === undefined ? [] : signersNode && readSigners(reader, ctx, signersNode, childPath(path, 'signers'));
  const attestationsNode = reader.optional(fields, 'attestations', path);
  const attestations = attestationsNode === undefined || !signers ? [] : attestationsNode && readAttestations(reader, ctx, attestationsNode, childPath(path, 'attestations'), signers);
  const platformsNode = reader.optional(fields, 'verifyPlatforms', path);
  const verifyPlatforms = platformsNode === undefined ? false : platformsNode && reader.boolean(platformsNode, childPath(path, 'verifyPlatforms'), '`verifyPlatforms`');
  if (name === null || !match || !mode || requireDigest === null || verifyPlatforms === null || !signers || !attestations) return null;

  if (mode === 'enforce' && signers.length === 0 && attestations.length === 0 && !requireDigest) {
    reader.warn(modeNode ?? node, path, `rule \`${name}\` is in enforce mode but requires nothing (no signers, no attestations, requireDigest false): every image it matches passes`);
  }
  return { name, match: match.map((m) => m.written), normalizedMatch: match.map((m) => m.normalized), mode, requireDigest, verifyPlatforms, signers, attestations, range: reader.rangeOf(node) };
}

function readMatch(reader: YamlReader, node: Node, path: string): { written: string; normalized: string; node: Node }[] | null {
  const entries = reader.stringList(node, path, '`match`');
  if (!entries) return null;
  if (entries.length === 0) {
    reader.error(node, path, '`match` is empty: give at least one repository glob, e.g. `registry.example.com/prod/**`');
    return null;
  }
  const out = entries.map(({ value, node: item }, i) => {
    const check = checkRepositoryGlob(value);
    if (!check.ok) {
      reader.error(item, childPath(path, i), check.error);
      return null;
    }
    if (check.warning) reader.warn(item, childPath(path, i), check.warning);
    return { written: value, normalized: check.normalized, node: item };
  });
  return out.every((m) => m !== null) ? (out as { written: string; normalized: string; node: Node }[]) : null;
}

function readMode(reader: YamlReader, node: Node, path: string): PolicyMode | null {
  const value = reader.string(node, path, '`mode`');
  if (value === null) return null;
  if (!(POLICY_MODES as readonly string[]).includes(value)) {
    reader.error(node, path, `\`mode\` must be one of ${POLICY_MODES.join(', ')}; got \`${value}\``);
    return null;
  }
  return value as PolicyMode;
}

function readAttestations(reader: YamlReader, ctx: MaterialContext, node: Node, path: string, ruleSigners: ResolvedSigner[]): AttestationRequirement[] | null {
  const items = reader.sequence(node, path, '`attestations`');
  if (!items) return null;
  const out = items.map((item, i) => readAttestation(reader, ctx, item, childPath(path, i), ruleSigners));
  return out.every((a) => a !== null) ? (out as AttestationRequirement[]) : null;
}

function readAttestation(reader: YamlReader, ctx: MaterialContext, node: Node, path: string, ruleSigners: ResolvedSigner[]): AttestationRequirement | null {
  const fields = reader.mapping(node, path, ATTESTATION_KEYS, `attestation ${path}`);
  if (!fields) return null;
  const typeNode = reader.required(fields, 'predicateType', node, path, `attestation ${path}`);
  const predicateType = typeNode && reader.string(typeNode, childPath(path, 'predicateType'), '`predicateType`');
  const signersNode = reader.optional(fields, 'signers', path);
  const signers = signersNode === undefined ? ruleSigners : signersNode && readSigners(reader, ctx, signersNode, childPath(path, 'signers'));
  if (!predicateType || !signers) return null;
  if (signers.length === 0) {
    reader.warn(node, path, `no signers for attestation \`${predicateType}\` (here or on the rule): it can never verify`);
  }
  return { predicateType, signers };
}

/** Warns about rules that can never apply because an earlier rule has the same pattern, or `**`. */
function warnShadowedRules(reader: YamlReader, rules: ResolvedRule[]): void {
  rules.forEach((rule, i) => {
    const earlier = rules.slice(0, i);
    const shadowing = rule.normalizedMatch.map((p) => earlier.find((e) => e.normalizedMatch.includes(p) || e.normalizedMatch.includes('**')));
    if (shadowing.length > 0 && shadowing.every((e) => e !== undefined)) {
      reader.warn(rule.range, `rules[${i}]`, `rule \`${rule.name}\` never applies: rule \`${shadowing[0]!.name}\` comes first and matches the same images (the first matching rule wins)`);
    }
  });
}
