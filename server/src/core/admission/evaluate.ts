// Evaluates the workspace's admission policies for one image reference, with each engine's own semantics, through the
// one verifier of Image Trust: signatures and attestations are discovered once per digest (core/trust discovery) and
// judged with `prepareSigner` + `verifyDiscovered` per attestor / authority. Fails closed: a registry or network
// problem is an `error`, never a pass or a denial; anything not implemented is "not evaluated", never a pass.
import type { ImageRef } from '../types';
import type { RegistryReader } from '../registry/types';
import type { Resolution } from '../resolve';
import { discoverSignatures, prepareTrust, verifyDiscovered, type DiscoveryResult, type PreparedTrust, type SignerSpec } from '../trust';
import { attestationPredicate } from '../trust/bundle';
import { prepareSigner, trustMaterialFromRoot } from '../trust/signers';
import type { Policy } from '../policy/types';
import type { AttestationResult, SignatureResult, SignatureType } from '../trust/status';
import { evaluateConditions } from './conditions';
import { evaluateImageValidating, ivResourceMatches } from './ivpol';
import { kyvernoFailureAction, kyvernoRuleVariants, pcResourceMatches, PC_KINDS, ruleMatches } from './match';
import { ggcrParseReference, kyvernoImage, kyvernoMatchesAny, policyControllerGlobMatch, policyControllerResolved } from './names';
import type {
  AdmissionOutcome,
  AdmissionPolicySet,
  AdmissionReason,
  AdmissionResult,
  AttestorTarget,
  KyvernoAttestation,
  KyvernoAttestor,
  KyvernoAttestorSet,
  KyvernoPolicy,
  KyvernoVerifyImage,
  PcAuthority,
  PcPolicy,
  ResourceInfo,
  Site,
} from './types';

export interface AdmissionEnv {
  reader: RegistryReader;
  /** Sigstore trust material (Fulcio CAs, Rekor and CT log keys) the cluster's engines are assumed to trust. */
  material: PreparedTrust['material'];
  now: Date;
  signal?: AbortSignal;
  /** Discovery results per `name@digest`, shared by every policy and reference of one evaluation. */
  discoveries?: Map<string, Promise<DiscoveryResult>>;
  /**
   * The digest a tag written elsewhere in the same manifests resolves to, when known (ImageValidatingPolicy
   * validations see every image of the resource, after mutateDigest).
   */
  digestOf?: (image: string) => string | null;
}

/** The outcome of one check (an attestor entry, a set, an authority, a verifyImages entry). */
export interface Check {
  status: 'pass' | 'fail' | 'error' | 'not-evaluated';
  reason: AdmissionReason | null;
  message: string;
  expected?: string | null;
  observed?: string | null;
  observedSigners?: { subject: string; issuer: string }[];
  fixTarget?: AttestorTarget;
}

const pass = (message: string): Check => ({ status: 'pass', reason: null, message });
const notEvaluated = (why: string): Check => ({ status: 'not-evaluated', reason: 'admission-not-evaluated', message: `not evaluated: ${why}` });

/** The Sigstore trust material admission assumes the cluster trusts: the trust policy's `trustedRoot`, else public-good. */
export function admissionTrustMaterial(policy: Policy | null | undefined): AdmissionEnv['material'] {
  const root = policy?.trustedRoot?.json;
  return root !== undefined ? trustMaterialFromRoot(root) : prepareTrust([]).material;
}

export function discover(env: AdmissionEnv, name: string, digest: string): Promise<DiscoveryResult> {
  env.discoveries ??= new Map();
  const key = `${name}@${digest}`;
  let p = env.discoveries.get(key);
  if (!p) {
    p = discoverSignatures(env.reader, name, digest, { signal: env.signal });
    env.discoveries.set(key, p);
  }
  return p;
}

export function prepare(env: AdmissionEnv, specs: SignerSpec[]): PreparedTrust | string {
  try {
    return { signers: specs.map(prepareSigner), material: env.material };
  } catch (err) {
    return (err as Error).message;
  }
}

export function discoveryError(d: DiscoveryResult): Check {
  return { status: 'error', reason: 'admission-registry-error', message: `the registry could not be searched completely: ${d.errors.slice(0, 3).join('; ')}` };
}

/** Why no signature of `sigs` verified under `spec`: the most precise reason the results allow. */
export function classify(spec: SignerSpec, sigs: readonly SignatureResult[], what: string, d: DiscoveryResult): Check {
  const observedSigners = sigs.filter((s) => s.status === 'untrusted' && s.signer && s.issuer && s.reason.startsWith('Signed by')).map((s) => ({ subject: s.signer!, issuer: s.issuer! }));
  const observed = [...new Set(sigs.map((s) => (s.signer ? `${s.signer}${s.issuer ? ` (issuer ${s.issuer})` : ''}` : s.type === 'notation' ? 'a Notation signature' : 'a key signature')))].join(', ') || null;
  if (sigs.length === 0) {
    if (!d.complete) return discoveryError(d);
    return { status: 'fail', reason: 'admission-no-signature', message: `no ${what} found for this digest`, expected: expectedOf(spec), observed: null };
  }
  if (!d.complete) return discoveryError(d);
  const invalid = sigs.find((s) => s.status === 'invalid');
  if (spec.type === 'key') {
    const unlogged = sigs.find((s) => /no transparency-log entry/.test(s.reason));
    if (unlogged) return { status: 'fail', reason: 'admission-no-tlog', message: `the ${what} matches the key but has no transparency-log (Rekor) entry, which the policy requires`, expected: `a Rekor entry (rekor.ignoreTlog is not set)`, observed: 'no transparency-log entry' };
    if (invalid) return { status: 'fail', reason: 'admission-invalid-signature', message: `the ${what} is invalid: ${invalid.reason}`, expected: expectedOf(spec), observed: invalid.reason };
    return { status: 'fail', reason: 'admission-wrong-key', message: `the ${what} is not made with the policy's key`, expected: expectedOf(spec), observed };
  }
  if (observedSigners.length > 0) {
    return { status: 'fail', reason: 'admission-identity-mismatch', message: `the ${what} is made by another identity`, expected: expectedOf(spec), observed: observedSigners.map((o) => `subject ${o.subject}, issuer ${o.issuer}`).join('; '), observedSigners };
  }
  if (invalid) return { status: 'fail', reason: 'admission-invalid-signature', message: `the ${what} is invalid: ${invalid.reason}`, expected: expectedOf(spec), observed: invalid.reason };
  const errored = sigs.find((s) => s.status === 'error');
  if (errored && sigs.every((s) => s.status === 'error')) return { status: 'error', reason: 'admission-registry-error', message: `the ${what} could not be checked: ${errored.reason}` };
  return { status: 'fail', reason: spec.type === 'keyless' ? 'admission-identity-mismatch' : 'admission-wrong-key', message: `no ${what} verifies for ${expectedOf(spec)}: ${sigs[0].reason}`, expected: expectedOf(spec), observed };
}

function expectedOf(spec: SignerSpec): string {
  switch (spec.type) {
    case 'key':
      return `a signature by key ${spec.name}`;
    case 'keyless': {
      const shown = (spec as { display?: { subject: string; issuer: string } }).display;
      if (shown) return `subject ${shown.subject}, issuer ${shown.issuer}`;
      return spec.name ?? `subject ${spec.subject ?? `/${spec.subjectRegExp}/`}, issuer ${spec.issuer ?? `/${spec.issuerRegExp}/`}`;
    }
    case 'notation':
      return `a Notation signature chaining to ${spec.name ?? 'the configured certificate'}`;
    default:
      return spec.name;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Kyverno

function signatureTypes(type: KyvernoVerifyImage['type']): SignatureType[] {
  return type === 'Notary' ? ['notation'] : type === 'SigstoreBundle' ? ['sigstore-bundle'] : ['cosign'];
}

function attestationTypes(type: KyvernoVerifyImage['type']): SignatureType[] {
  return type === 'SigstoreBundle' ? ['sigstore-bundle'] : ['cosign-attestation'];
}

function attestorSpec(a: KyvernoAttestor): SignerSpec | string {
  switch (a.kind) {
    case 'key':
      return { type: 'key', name: a.keyName, publicKeyPem: a.pem, requireTlog: !a.ignoreTlog };
    case 'keyless': {
      // Kyverno's matchCertificateData: subject and issuer are go-wildcard patterns, the RegExps are unanchored
      // (Go's MatchString); unset means any. Both must hold when both are given: expressed as one anchored pattern.
      const subject = both(a.subject === undefined ? undefined : wildcardRegExp(a.subject), a.subjectRegExp === undefined ? undefined : unanchored(a.subjectRegExp));
      const issuer = both(a.issuer === undefined ? undefined : wildcardRegExp(a.issuer), a.issuerRegExp === undefined ? undefined : unanchored(a.issuerRegExp));
      return {
        type: 'keyless',
        name: `keyless ${a.subject ?? (a.subjectRegExp ? `/${a.subjectRegExp}/` : 'any subject')} (${a.issuer ?? (a.issuerRegExp ? `/${a.issuerRegExp}/` : 'any issuer')})`,
        subjectRegExp: subject ?? '[\\s\\S]*',
        issuerRegExp: issuer ?? '[\\s\\S]*',
        display: { subject: a.subject ?? (a.subjectRegExp ? `/${a.subjectRegExp}/` : 'any'), issuer: a.issuer ?? (a.issuerRegExp ? `/${a.issuerRegExp}/` : 'any') },
      } as SignerSpec;
    }
    case 'notary-certificate':
      return { type: 'notation', name: 'the certificate of the attestor', certificatePem: a.pem };
    case 'unsupported':
      return a.why;
    case 'nested':
      return 'nested';
  }
}

/** A go-wildcard pattern (`*` any run, `?` one character) as a regular expression matched whole. */
export function wildcardRegExp(pattern: string): string {
  return [...pattern].map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[\\^$.|?*+()[\]{}\/]/g, '\\$&'))).join('');
}

/** Go's `regexp.MatchString` finds a match anywhere: the same as a whole match of `.*(?:re).*`. */
export function unanchored(re: string): string {
  return `[\\s\\S]*(?:${re})[\\s\\S]*`;
}

function both(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return `(?=(?:${b})$)(?:${a})`;
}

interface Ctx {
  env: AdmissionEnv;
  discovery: DiscoveryResult;
  vi: KyvernoVerifyImage;
}

function checkSignatureEntry(c: Ctx, a: KyvernoAttestor): Check {
  if (a.kind === 'nested') return checkSet(c, a.set, (e) => checkSignatureEntry(c, e));
  const spec = attestorSpec(a);
  if (typeof spec === 'string') return notEvaluated(spec);
  const trust = prepare(c.env, [spec]);
  if (typeof trust === 'string') return notEvaluated(`the attestor cannot be used: ${trust}`);
  const types = signatureTypes(c.vi.type);
  const dt = verifyDiscovered(c.discovery, trust, [], { now: c.env.now });
  const sigs = dt.signatures.filter((s) => types.includes(s.type));
  const ok = sigs.find((s) => s.status === 'verified');
  if (ok) return pass(ok.reason);
  return classify(spec, sigs, `${c.vi.type} signature`, c.discovery);
}

/** An attestor set: `count` entries must pass (all when unset); every failure is kept to explain the first. */
function checkSet(c: Ctx, set: KyvernoAttestorSet, check: (a: KyvernoAttestor) => Check): Check {
  const required = set.count ?? set.entries.length;
  const results = set.entries.map(check);
  const passed = results.filter((r) => r.status === 'pass').length;
  if (passed >= required) return pass(`${passed} of ${set.entries.length} attestor(s) verified (${required} required)`);
  const failures = results.filter((r) => r.status !== 'pass');
  const counted = set.entries.length > 1 ? ` (${passed} of ${set.entries.length} attestors verified, ${required} required)` : '';
  const pick = (status: Check['status']) => failures.find((f) => f.status === status);
  const worst = pick('error') ?? pick('not-evaluated') ?? failures[0];
  // One undecidable entry could have made the count: the set is not evaluated (or an error), never a failure.
  const reachable = passed + failures.filter((f) => f.status === 'error' || f.status === 'not-evaluated').length >= required;
  if (reachable && worst.status !== 'fail') return { ...worst, message: `${worst.message}${counted}` };
  const fail = pick('fail') ?? worst;
  const observedSigners = failures.flatMap((f) => f.observedSigners ?? []);
  // An attestor for an observed signer goes into the innermost set that refused it.
  const fixTarget = fail.fixTarget ?? (observedSigners.length ? { kind: 'kyverno-attestor-set' as const, site: set.site } : undefined);
  return { ...fail, status: 'fail', message: `${fail.message}${counted}`, observedSigners, ...(fixTarget ? { fixTarget } : {}) };
}

function predicateTypesPresent(d: DiscoveryResult, c: Ctx): string[] {
  const all = verifyDiscovered(d, { signers: [], material: c.env.material }, [], { now: c.env.now });
  return [...new Set(all.attestations.map((a) => a.predicateType))];
}

function checkAttestationEntry(c: Ctx, att: KyvernoAttestation, a: KyvernoAttestor): Check {
  if (a.kind === 'nested') return checkSet(c, a.set, (e) => checkAttestationEntry(c, att, e));
  const spec = attestorSpec(a);
  if (typeof spec === 'string') return notEvaluated(spec);
  if (c.vi.type === 'Notary') return notEvaluated('Notary attestations (referrer artifacts) are not evaluated');
  const trust = prepare(c.env, [spec]);
  if (typeof trust === 'string') return notEvaluated(`the attestor cannot be used: ${trust}`);
  const types = attestationTypes(c.vi.type);
  const dt = verifyDiscovered(c.discovery, trust, [], { now: c.env.now });
  const ofType = dt.attestations.filter((x) => types.includes(x.type) && x.predicateType === att.type);
  const verified = ofType.filter((x) => x.status === 'verified');
  if (verified.length === 0) {
    if (!c.discovery.complete) return discoveryError(c.discovery);
    if (ofType.length === 0) {
      const present = predicateTypesPresent(c.discovery, c);
      return { status: 'fail', reason: 'admission-attestation-missing', message: `no attestation of type ${att.type} found`, expected: att.type, observed: present.length ? `attestation types present: ${present.join(', ')}` : 'no attestations' };
    }
    return classify(spec, ofType as AttestationResult[], `attestation of type ${att.type}`, c.discovery);
  }
  // Every statement of the type must satisfy the conditions (as Kyverno's verifyAttestation).
  for (const v of verified) {
    const predicate = attestationPredicate(v);
    const outcome = evaluateConditions(att.conditions, predicate ?? {});
    if (outcome.ok === 'not-evaluated') return notEvaluated(`the attestation conditions: ${outcome.why}`);
    if (outcome.ok === false) {
      return { status: 'fail', reason: 'admission-condition-false', message: `the ${att.type} attestation fails the condition ${outcome.expression}${outcome.message ? ` (${outcome.message})` : ''}`, expected: outcome.expression, observed: `the expression's value: ${JSON.stringify(outcome.value)}` };
    }
  }
  return pass(`attestation ${att.type} verified${att.conditions.length ? ' and its conditions hold' : ''}`);
}

function checkVerifyImage(c: Ctx): Check {
  for (const set of c.vi.attestors) {
    const r = checkSet(c, set, (a) => checkSignatureEntry(c, a));
    if (r.status !== 'pass') return r;
  }
  for (const att of c.vi.attestations) {
    if (!att.type) return { status: 'fail', reason: 'admission-attestation-missing', message: 'an attestation without a type fails the rule' };
    // No attestors: any signer of the trusted Sigstore deployment, as Kyverno's empty attestor.
    const sets = att.attestors.length ? att.attestors : [{ count: null, entries: [{ kind: 'keyless', ignoreTlog: false, ignoreSCT: true, site: att.site } as KyvernoAttestor], site: att.site }];
    for (const set of sets) {
      const r = checkSet(c, set, (a) => checkAttestationEntry(c, att, a));
      if (r.status !== 'pass') return r;
    }
  }
  return pass(c.vi.attestors.length || c.vi.attestations.length ? 'signatures and attestations verified' : 'no attestors or attestations: nothing to verify');
}

async function evaluateKyverno(policy: KyvernoPolicy, ref: ImageRef, res: ResourceInfo, namespace: string, set: AdmissionPolicySet, resolution: Resolution | null, env: AdmissionEnv): Promise<AdmissionResult[]> {
  const out: AdmissionResult[] = [];
  let image;
  try {
    image = kyvernoImage(ref.reference, set.kyvernoDefaultRegistry);
  } catch {
    return out;
  }
  for (const variant of kyvernoRuleVariants(policy)) {
    const decision = ruleMatches(policy, variant, res, namespace);
    if (decision === false) continue;
    for (const vi of variant.rule.verifyImages) {
      if (!kyvernoMatchesAny(vi.imageReferences, image.string)) continue;
      const base = { engine: 'kyverno' as const, policy: `${policy.kind}/${policy.namespace ? `${policy.namespace}/` : ''}${policy.name}`, rule: variant.name, site: vi.site, rewrite: null, expected: null, observed: null };
      const skip = kyvernoMatchesAny(vi.skipImageReferences, image.string);
      if (skip) {
        out.push({ ...base, result: 'admitted', reason: null, message: `skipImageReferences "${skip}" matches ${image.string}: this rule does not check it` });
        continue;
      }
      const action = kyvernoFailureAction(policy, variant.rule, namespace);
      const why = [...variant.rule.unsupported, ...vi.unsupported];
      if (decision !== true) why.push(`whether the rule matches depends on ${decision.unknown}`);
      if (action.unknown) why.push(`the failure action depends on ${action.unknown}`);
      let check: Check;
      const digest = ref.parsed?.digest ?? resolution?.tagDigest ?? null;
      if (why.length) check = notEvaluated(why.join('; '));
      else if (!digest) check = { status: 'error', reason: 'admission-registry-error', message: `the digest of ${image.string} is not known: ${resolution?.error?.message ?? 'the tag was not resolved'}` };
      else {
        let discovery: DiscoveryResult;
        try {
          discovery = await discover(env, ref.parsed!.name, digest);
          check = checkVerifyImage({ env, discovery, vi });
        } catch (err) {
          check = { status: 'error', reason: 'admission-registry-error', message: (err as Error).message };
        }
        if (check.status === 'pass' && vi.verifyDigest && !ref.parsed?.digest && !vi.mutateDigest) {
          check = { status: 'fail', reason: 'admission-digest-required', message: `verifyDigest requires a digest and mutateDigest is off: ${image.string} is refused (quick fix: Pin to digest)`, expected: 'an image reference with @sha256:…', observed: image.string };
        }
      }
      const rewrite = check.status === 'pass' && vi.mutateDigest && !ref.parsed?.digest && digest ? `${image.string}@${digest}` : null;
      out.push(toResult(base, check, action.action === 'Enforce' ? 'denied' : 'audit', rewrite, `${action.action}`));
    }
  }
  return out;
}

function toResult(base: Omit<AdmissionResult, 'result' | 'reason' | 'message' | 'rewrite'>, check: Check, failResult: 'denied' | 'audit', rewrite: string | null, mode: string): AdmissionResult {
  const result = check.status === 'pass' ? 'admitted' : check.status === 'fail' ? failResult : check.status;
  return {
    ...base,
    result,
    reason: check.reason,
    message: `${check.status === 'fail' ? `${failResult === 'denied' ? 'denied' : 'audit violation'} (${mode}): ` : ''}${check.message}`,
    expected: check.expected ?? base.expected ?? null,
    observed: check.observed ?? base.observed ?? null,
    rewrite,
    ...(check.observedSigners?.length ? { observedSigners: check.observedSigners } : {}),
    ...(check.observedSigners?.length && check.fixTarget ? { fixTarget: check.fixTarget } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Sigstore policy-controller

/** cosign's predicate type names (`--type`) as policy-controller accepts them; a URI stands for itself. */
export const PREDICATE_ALIASES: Record<string, string> = {
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};

function authoritySpecs(a: PcAuthority): SignerSpec[] {
  if (a.key) return [{ type: 'key', name: `the key of authority ${a.name}`, publicKeyPem: a.key.pem, requireTlog: a.ctlog }];
  // cosign's identity check: subject and issuer exact, the RegExps unanchored (Go's MatchString).
  return (a.keyless?.identities ?? []).map((id) => ({
    type: 'keyless',
    name: `subject ${id.subject ?? `/${id.subjectRegExp}/`}, issuer ${id.issuer ?? `/${id.issuerRegExp}/`}`,
    issuer: id.issuer,
    issuerRegExp: id.issuer === undefined && id.issuerRegExp !== undefined ? unanchored(id.issuerRegExp) : undefined,
    subject: id.subject,
    subjectRegExp: id.subject === undefined && id.subjectRegExp !== undefined ? unanchored(id.subjectRegExp) : undefined,
  }));
}

function checkAuthority(env: AdmissionEnv, a: PcAuthority, discovery: DiscoveryResult): Check {
  if (a.unsupported.length) return notEvaluated(`authority ${a.name}: ${a.unsupported.join('; ')}`);
  if (a.static) return a.static.action === 'pass' ? pass(`authority ${a.name}: static pass`) : { status: 'fail', reason: 'admission-static-fail', message: `authority ${a.name}: disallowed by static policy${a.static.message ? `: ${a.static.message}` : ''}` };
  const specs = authoritySpecs(a);
  if (specs.length === 0) return notEvaluated(`authority ${a.name} has no key or identities`);
  const trust = prepare(env, specs);
  if (typeof trust === 'string') return notEvaluated(`authority ${a.name} cannot be used: ${trust}`);
  const dt = verifyDiscovered(discovery, trust, [], { now: env.now });
  const spec = specs.length === 1 ? specs[0] : { ...specs[0], name: `one of ${specs.length} identities` };
  if (a.attestations.length === 0) {
    const types: SignatureType[] = a.bundle ? ['sigstore-bundle'] : ['cosign'];
    const sigs = dt.signatures.filter((s) => types.includes(s.type));
    const ok = sigs.find((s) => s.status === 'verified');
    if (ok) return pass(`authority ${a.name}: ${ok.reason}`);
    const c = classify(spec as SignerSpec, sigs, 'signature', discovery);
    return { ...c, message: `authority ${a.name}: ${c.message}` };
  }
  const types: SignatureType[] = a.bundle ? ['sigstore-bundle'] : ['cosign-attestation'];
  const atts = dt.attestations.filter((x) => types.includes(x.type));
  const verified = atts.filter((x) => x.status === 'verified');
  if (verified.length === 0) {
    const c = atts.length ? classify(spec as SignerSpec, atts, 'attestation', discovery) : discovery.complete ? { status: 'fail' as const, reason: 'admission-attestation-missing' as const, message: 'no matching attestations', expected: a.attestations.map((x) => PREDICATE_ALIASES[x.predicateType] ?? x.predicateType).join(', '), observed: 'no attestations' } : discoveryError(discovery);
    return { ...c, message: `authority ${a.name}: ${c.message}` };
  }
  for (const want of a.attestations) {
    const type = PREDICATE_ALIASES[want.predicateType] ?? want.predicateType;
    if (!verified.some((v) => v.predicateType === type)) {
      const present = [...new Set(verified.map((v) => v.predicateType))];
      return { status: 'fail', reason: 'admission-attestation-missing', message: `authority ${a.name}: no matching attestations with type ${want.predicateType}`, expected: type, observed: `verified attestation types: ${present.join(', ')}` };
    }
  }
  return pass(`authority ${a.name}: attestations ${a.attestations.map((x) => x.predicateType).join(', ')} verified`);
}

async function evaluatePolicyController(set: AdmissionPolicySet, ref: ImageRef, res: ResourceInfo, resolution: Resolution | null, env: AdmissionEnv): Promise<AdmissionResult[]> {
  if (set.policyController.length === 0 || !PC_KINDS.has(res.kind)) return [];
  const digest = ref.parsed?.digest ?? resolution?.tagDigest ?? null;
  const siteOf = (p: PcPolicy | null): Site => p?.site ?? set.pcConfig?.site ?? { file: '', range: { start: 0, end: 0 } };
  if (!digest) {
    return [{ engine: 'policy-controller', policy: '(all ClusterImagePolicies)', rule: null, result: 'error', reason: 'admission-registry-error', message: `the tag could not be resolved to a digest (${resolution?.error?.message ?? 'not resolved'}); policy-controller rejects images it cannot resolve`, expected: null, observed: null, rewrite: null, site: siteOf(set.policyController[0]) }];
  }
  const resolved = ref.parsed?.digest ? ref.reference : policyControllerResolved(ref.reference, digest);
  const parsed = resolved ? ggcrParseReference(resolved) : null;
  if (!resolved || !parsed) return [];
  const rewrite = ref.parsed?.digest ? null : resolved;
  const matching = set.policyController.filter((p) => pcResourceMatches(p, res) && p.globs.some((g) => policyControllerGlobMatch(g.glob, parsed.name) === true));
  if (matching.length === 0) {
    const cfg = set.pcConfig?.noMatchPolicy ?? 'deny';
    const result = cfg === 'allow' ? 'admitted' : 'no-policy-matched';
    const message = `no ClusterImagePolicy matches ${parsed.name}; no-match-policy is ${cfg}${set.pcConfig ? '' : ' (the default: no config-policy-controller ConfigMap in the workspace)'}`;
    return [{ engine: 'policy-controller', policy: '(no matching ClusterImagePolicy)', rule: null, result, reason: cfg === 'allow' ? null : 'admission-no-match', message: cfg === 'warn' ? `warning: ${message}` : cfg === 'deny' ? `denied: ${message}` : message, expected: null, observed: parsed.name, rewrite: cfg === 'allow' ? rewrite : null, site: siteOf(null) }];
  }
  const out: AdmissionResult[] = [];
  for (const p of matching) {
    const base = { engine: 'policy-controller' as const, policy: `ClusterImagePolicy/${p.name}`, site: p.site, expected: null, observed: null };
    if (p.unsupported.length) {
      out.push(toResult({ ...base, rule: null }, notEvaluated(p.unsupported.join('; ')), 'denied', null, p.mode));
      continue;
    }
    let discovery: DiscoveryResult;
    try {
      discovery = await discover(env, ref.parsed!.name, digest);
    } catch (err) {
      out.push(toResult({ ...base, rule: null }, { status: 'error', reason: 'admission-registry-error', message: (err as Error).message }, 'denied', null, p.mode));
      continue;
    }
    const checks = p.authorities.map((a) => ({ a, c: checkAuthority(env, a, discovery) }));
    const ok = checks.find((x) => x.c.status === 'pass');
    if (ok) {
      out.push(toResult({ ...base, rule: ok.a.name }, ok.c, 'denied', rewrite, p.mode));
      continue;
    }
    const pick = (s: Check['status']) => checks.find((x) => x.c.status === s);
    const decisive = pick('not-evaluated') ?? pick('error') ?? pick('fail') ?? checks[0];
    if (!decisive) {
      out.push(toResult({ ...base, rule: null }, { status: 'fail', reason: 'admission-no-signature', message: 'the policy has no authorities' }, p.mode === 'warn' ? 'audit' : 'denied', null, p.mode));
      continue;
    }
    const observedSigners = checks.flatMap((x) => x.c.observedSigners ?? []);
    // An identity for an observed signer goes into the first keyless authority that refused it.
    const refusing = checks.find((x) => x.a.keyless && x.c.observedSigners?.length);
    const fixTarget = refusing ? { kind: 'pc-authority' as const, site: refusing.a.site } : undefined;
    const c = { ...decisive.c, ...(observedSigners.length ? { observedSigners } : {}), ...(fixTarget ? { fixTarget } : {}), message: checks.length > 1 ? `no authority passed: ${checks.map((x) => x.c.message).join('; ')}` : decisive.c.message };
    out.push(toResult({ ...base, rule: decisive.a.name }, c, p.mode === 'warn' ? 'audit' : 'denied', null, p.mode));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Every admission result for one image reference of a Kubernetes manifest. `resource` is the object the reference
 * belongs to; a manifest without `metadata.namespace` is taken to be applied to `default` (said in the results).
 * Returns null when admission does not apply (no parsed reference, or no policies in the workspace).
 */
export async function evaluateAdmission(ref: ImageRef, resource: ResourceInfo | null, set: AdmissionPolicySet, resolution: Resolution | null, env: AdmissionEnv, object?: Record<string, unknown> | null): Promise<AdmissionOutcome | null> {
  if (!ref.parsed || ref.status === 'invalid' || ref.status === 'templated') return null;
  if (set.kyverno.length === 0 && set.policyController.length === 0 && set.imageValidating.length === 0 && set.notEvaluated.length === 0) return null;
  if (!resource) return null;
  const namespace = resource.namespace ?? 'default';
  const results: AdmissionResult[] = [];
  for (const p of set.kyverno) results.push(...(await evaluateKyverno(p, ref, resource, namespace, set, resolution, env)));
  results.push(...(await evaluatePolicyController(set, ref, resource, resolution, env)));
  for (const p of set.imageValidating) {
    if (!object) {
      if (ivResourceMatches(p, resource, namespace)) results.push({ engine: 'kyverno', policy: `${p.kind}/${p.name}`, rule: null, result: 'not-evaluated', reason: 'admission-not-evaluated', message: 'not evaluated: the manifest could not be read as one object', expected: null, observed: null, rewrite: null, site: p.site });
      continue;
    }
    const r = await evaluateImageValidating({ policy: p, ref, resource, object, namespace, resolution, env, set });
    if (r) results.push(r);
  }
  for (const n of set.notEvaluated) {
    results.push({ engine: n.engine, policy: `${n.kind}/${n.name}`, rule: null, result: 'not-evaluated', reason: 'admission-not-evaluated', message: `not evaluated: ${n.why}`, expected: null, observed: null, rewrite: null, site: n.site });
  }
  if (resource.namespace === null) for (const r of results) r.message += ' (the manifest sets no namespace: evaluated as namespace "default")';
  return { results, resource };
}
