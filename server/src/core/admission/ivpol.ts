// Kyverno ImageValidatingPolicy (policies.kyverno.io) for one image reference, with the engine's semantics (read from
// kyverno/kyverno pkg/image/verification/evaluator, pkg/cel/libs/imageverify, pkg/cel/compiler):
// - the policy applies to a resource its matchConstraints select (a Pod policy also to pod controllers, as autogen
//   does) when its matchConditions hold; the images are the resource's containers, initContainers and
//   ephemeralContainers (plus `images` extractors), after mutateDigest wrote `…@sha256:…` onto tags;
// - matchImageReferences (`glob`: gobwas/glob without separators, so `*` crosses `/`; `expression`: CEL over `ref`)
//   select the images the policy and its verify functions look at;
// - verifyDigest: a selected image without a digest fails; then the `validations` (CEL, with @bufbuild/cel) run in
//   order over `object`, `images`, `attestors`, `attestations`, `variables`, and the first false one fails with its
//   message; `verifyImageSignatures`, `verifyAttestationSignatures` and `extractPayload` are evaluated through Image
//   Trust's one verifier; `required`: every selected image must have been verified by some check.
// Whatever cannot be evaluated exactly (an unknown CEL function, an attestor with a KMS key, referrer attestations,
// namespace selectors…) makes the result "not evaluated" with the reason; registry problems make it "error".
import { celFunc, CelScalar, isCelError, isCelList, isCelMap, listType, run } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { parseReference } from '../reference';
import type { ImageRef } from '../types';
import type { Resolution } from '../resolve';
import { verifyDiscovered, type DiscoveryResult, type SignerSpec } from '../trust';
import { attestationPredicate } from '../trust/bundle';
import type { AttestationResult, SignatureResult, SignatureType } from '../trust/status';
import { classify, discover, discoveryError, prepare, unanchored, type AdmissionEnv, type Check } from './evaluate';
import { groupVersion, selectorMatches } from './match';
import type { AdmissionResult, AdmissionReason, AdmissionPolicySet, IvAttestor, IvPolicy, IvResourceRule, ResourceInfo } from './types';

// ---------------------------------------------------------------------------------------------------------
// Matching

/** gobwas/glob `Compile(pattern)` without separators: `*` any run (also `/`), `?` one character, `[…]`/`[!…]` classes, `{a,b}` alternatives, `\` escapes. */
export function gobwasGlobRegExp(pattern: string): RegExp | null {
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (i + 1 >= pattern.length) return null;
      out += pattern[++i].replace(/[\\^$.|?*+()[\]{}/-]/g, '\\$&');
    } else if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) return null;
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      if (body === '') return null;
      out += `[${negate ? '^' : ''}${body.replace(/[\\^\]]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += c.replace(/[\\^$.|?*+()[\]{}/-]/g, '\\$&');
  }
  if (depth !== 0) return null;
  try {
    return new RegExp(`^(?:${out})$`, 'u');
  } catch {
    return null;
  }
}

const POD_CONTROLLERS: Record<string, { group: string; resource: string }> = {
  Deployment: { group: 'apps', resource: 'deployments' },
  StatefulSet: { group: 'apps', resource: 'statefulsets' },
  DaemonSet: { group: 'apps', resource: 'daemonsets' },
  ReplicaSet: { group: 'apps', resource: 'replicasets' },
  Job: { group: 'batch', resource: 'jobs' },
  CronJob: { group: 'batch', resource: 'cronjobs' },
};

function ruleCovers(rule: IvResourceRule, group: string, version: string, resource: string): boolean {
  const has = (list: string[], v: string) => list.length === 0 || list.includes('*') || list.includes(v);
  return has(rule.apiGroups, group) && has(rule.apiVersions, version) && (rule.resources.includes('*') || rule.resources.includes(resource)) && has(rule.operations, 'CREATE');
}

/** Whether matchConstraints select the resource (as created: operation CREATE); pod controllers through autogen. */
export function ivResourceMatches(p: IvPolicy, res: ResourceInfo, namespace: string): boolean {
  if (!p.resourceRules) return false;
  if (p.namespace !== null && p.namespace !== namespace) return false;
  const [group, version] = groupVersion(res.apiVersion);
  const resource = res.kind === 'Pod' ? 'pods' : POD_CONTROLLERS[res.kind]?.resource ?? `${res.kind.toLowerCase()}s`;
  const direct = p.resourceRules.some((r) => ruleCovers(r, group, version, resource));
  // Autogen: a policy for pods also covers the pod controllers (all, or those autogen.podControllers names).
  const ctrl = POD_CONTROLLERS[res.kind];
  const auto = !!ctrl && ctrl.group === group && p.resourceRules.some((r) => ruleCovers(r, '', 'v1', 'pods')) && (p.autogenControllers === null || p.autogenControllers.includes(ctrl.resource));
  if (!direct && !auto) return false;
  if (p.excludeResourceRules.some((r) => ruleCovers(r, group, version, resource))) return false;
  if (p.objectSelector && !selectorMatches(p.objectSelector, res.labels)) return false;
  return true;
}

function podSpec(object: Record<string, unknown>, kind: string): Record<string, unknown> | null {
  const o = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
  const spec = o(object.spec);
  if (!spec) return null;
  if (kind === 'Pod') return spec;
  if (kind === 'CronJob') return o(o(o(o(spec.jobTemplate)?.spec)?.template)?.spec);
  return o(o(spec.template)?.spec);
}

/** The built-in image extractors: `containers`, `initContainers`, `ephemeralContainers` of the pod spec. */
export function extractImages(object: Record<string, unknown>, kind: string): Map<string, string[]> {
  const spec = podSpec(object, kind);
  const out = new Map<string, string[]>();
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = spec && Array.isArray(spec[key]) ? (spec[key] as unknown[]) : [];
    out.set(key, list.flatMap((c) => (typeof c === 'object' && c !== null && typeof (c as { image?: unknown }).image === 'string' ? [(c as { image: string }).image] : [])));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation

/** Why the evaluation stopped short of a verdict: something not evaluated, or a registry problem. */
class Stop extends Error {
  constructor(
    readonly kind: 'not-evaluated' | 'error' | 'fail',
    message: string,
    readonly check?: Check,
  ) {
    super(message);
  }
}

interface Trace {
  call: string;
  count: number;
  of: number;
  /** Why the first attestor that did not verify refused the image. */
  why: Check | null;
}

interface ImageState {
  discovery?: DiscoveryResult;
  error?: string;
  traces: Trace[];
  /** Attestation names verified for this image (for extractPayload): the verified statements. */
  verifiedAttestations: Map<string, AttestationResult[]>;
}

function attestorSpecs(a: IvAttestor): SignerSpec[] {
  switch (a.kind) {
    case 'cosign-key':
      return [{ type: 'key', name: `attestor ${a.name}`, publicKeyPem: a.pem, requireTlog: a.requireTlog }];
    case 'cosign-keyless':
      // cosign's identities: subject and issuer exact, the RegExps unanchored (Go's MatchString); any identity.
      return a.identities.map((id) => ({
        type: 'keyless',
        name: `attestor ${a.name}: subject ${id.subject ?? `/${id.subjectRegExp}/`}, issuer ${id.issuer ?? `/${id.issuerRegExp}/`}`,
        issuer: id.issuer,
        issuerRegExp: id.issuer === undefined && id.issuerRegExp !== undefined ? unanchored(id.issuerRegExp) : id.issuer === undefined ? '[\\s\\S]*' : undefined,
        subject: id.subject,
        subjectRegExp: id.subject === undefined && id.subjectRegExp !== undefined ? unanchored(id.subjectRegExp) : id.subject === undefined ? '[\\s\\S]*' : undefined,
      }));
    case 'notary':
      return [{ type: 'notation', name: `attestor ${a.name}`, certificatePem: a.certificatePem }];
    case 'unsupported':
      return [];
  }
}

/** cosign attestors read Sigstore bundles when the image has any (cosign v3), else the legacy `.sig`/`.att` tags. */
function cosignTypes(d: DiscoveryResult, attestations: boolean): SignatureType[] {
  const bundles = d.items.some((i) => i.kind === 'sigstore-bundle');
  return bundles ? ['sigstore-bundle'] : [attestations ? 'cosign-attestation' : 'cosign'];
}

function nameOf(v: unknown): string | null {
  if (isCelMap(v)) {
    const n = v.get('name');
    return typeof n === 'string' ? n : null;
  }
  return null;
}

function bool(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

export interface IvInput {
  policy: IvPolicy;
  ref: ImageRef;
  resource: ResourceInfo;
  object: Record<string, unknown>;
  namespace: string;
  resolution: Resolution | null;
  env: AdmissionEnv;
  set: AdmissionPolicySet;
}

/** The mutated image string (mutateDigest) of an image as written, or why it cannot be known. */
function mutated(image: string, p: IvPolicy, env: AdmissionEnv, own: { ref: ImageRef; digest: string | null }): string | { error: string } {
  let parsed;
  try {
    parsed = parseReference(image);
  } catch {
    return image;
  }
  if (parsed.digest || !p.mutateDigest) return image;
  const digest = image === own.ref.reference ? own.digest : env.digestOf?.(image) ?? null;
  if (!digest) return { error: `the digest of ${image} is not known, so admission's tag-to-digest rewrite cannot be previewed` };
  return `${image}@${digest}`;
}

/** Evaluates one ImageValidatingPolicy for one image reference; null when the policy does not concern the image. */
export async function evaluateImageValidating(input: IvInput): Promise<AdmissionResult | null> {
  const { policy: p, ref, resource, object, namespace, env } = input;
  if (!ivResourceMatches(p, resource, namespace)) return null;
  const base = { engine: 'kyverno' as const, policy: `${p.kind}/${p.namespace ? `${p.namespace}/` : ''}${p.name}`, rule: null, expected: null, observed: null, rewrite: null, site: p.site };
  const failResult: 'denied' | 'audit' = p.actions.includes('Deny') ? 'denied' : 'audit';
  const result = (result: AdmissionResult['result'], reason: AdmissionReason | null, message: string, extra: Partial<AdmissionResult> = {}): AdmissionResult => ({ ...base, result, reason, message, ...extra });
  const notEvaluated = (why: string) => result('not-evaluated', 'admission-not-evaluated', `not evaluated: ${why}`);
  if (p.unsupported.length) return notEvaluated(p.unsupported.join('; '));
  if (p.validations.length === 0) return notEvaluated('the policy has no validations');

  const ownDigest = ref.parsed?.digest ?? input.resolution?.tagDigest ?? null;
  const request = { operation: 'CREATE', namespace, name: resource.name, kind: { group: groupVersion(resource.apiVersion)[0], version: groupVersion(resource.apiVersion)[1], kind: resource.kind }, object };
  const bindings: Record<string, unknown> = { object, oldObject: null, request, namespaceObject: null };
  const images = new Map<string, string>();
  const state = new Map<string, ImageState>();
  let stop: Stop | null = null;

  const celRun = (expr: string, what: string): unknown => {
    const out = run(expr, bindings as never, { funcs: [...strings, ...functions] });
    if (stop) throw stop;
    if (isCelError(out)) {
      const msg = String(out.message ?? out);
      throw new Stop('not-evaluated', `${what} ${JSON.stringify(expr)} could not be evaluated here: ${msg.replace(/^Error: /, '')}`);
    }
    return out;
  };
  const matchesImageRefs = (image: string): boolean => {
    if (p.matchImageReferences.length === 0) return true;
    for (const m of p.matchImageReferences) {
      if (m.glob !== undefined) {
        const re = gobwasGlobRegExp(m.glob);
        if (!re) throw new Stop('not-evaluated', `matchImageReferences glob ${JSON.stringify(m.glob)} is invalid`);
        if (re.test(image)) return true;
      } else if (m.expression !== undefined) {
        const out = run(m.expression, { ref: image }, { funcs: strings });
        if (isCelError(out) || typeof out !== 'boolean') throw new Stop('not-evaluated', `matchImageReferences expression ${JSON.stringify(m.expression)} could not be evaluated here${isCelError(out) ? `: ${String(out.message)}` : ''}`);
        if (out) return true;
      }
    }
    return false;
  };
  const stateOf = (image: string): ImageState => {
    let s = state.get(image);
    if (!s) state.set(image, (s = { traces: [], verifiedAttestations: new Map() }));
    return s;
  };
  const attestorsOf = (list: unknown, fn: string): IvAttestor[] => {
    if (!isCelList(list)) throw new Stop('not-evaluated', `${fn}: the attestors argument is not a list`);
    return [...list].map((v) => {
      const n = nameOf(v);
      const a = p.attestors.find((x) => x.name === n);
      if (!a) throw new Stop('not-evaluated', `${fn}: an attestor that is not one of the policy's attestors`);
      if (a.kind === 'unsupported') throw new Stop('not-evaluated', `attestor ${a.name}: ${a.why}`);
      return a;
    });
  };
  const discoveryFor = (image: string): DiscoveryResult => {
    const s = stateOf(image);
    if (s.error) throw new Stop('error', s.error);
    if (!s.discovery) throw new Stop('error', `${image} was not read from the registry`);
    if (!s.discovery.complete) throw new Stop('error', discoveryError(s.discovery).message, discoveryError(s.discovery));
    return s.discovery;
  };

  const functions = [
    celFunc('verifyImageSignatures', [CelScalar.STRING, listType(CelScalar.DYN)], CelScalar.INT, (image: string, list: unknown) => {
      try {
        const attestors = attestorsOf(list, 'verifyImageSignatures');
        if (!matchesImageRefs(image)) return 0n;
        const d = discoveryFor(image);
        let count = 0;
        let why: Check | null = null;
        for (const a of attestors) {
          const specs = attestorSpecs(a);
          const trust = prepare(env, specs);
          if (typeof trust === 'string') throw new Stop('not-evaluated', `attestor ${a.name} cannot be used: ${trust}`);
          const types = a.kind === 'notary' ? (['notation'] as SignatureType[]) : cosignTypes(d, false);
          const sigs = verifyDiscovered(d, trust, [], { now: env.now }).signatures.filter((s: SignatureResult) => types.includes(s.type));
          if (sigs.some((s) => s.status === 'verified')) count++;
          else why ??= classify(specs.length === 1 ? specs[0] : { ...specs[0], name: `one of the identities of attestor ${a.name}` }, sigs, `${a.kind === 'notary' ? 'Notary' : 'cosign'} signature`, d);
        }
        stateOf(image).traces.push({ call: `verifyImageSignatures(${image}, [${attestors.map((a) => `attestors.${a.name}`).join(', ')}])`, count, of: attestors.length, why });
        return BigInt(count);
      } catch (err) {
        stop ??= err instanceof Stop ? err : new Stop('error', (err as Error).message);
        throw stop;
      }
    }),
    celFunc('verifyAttestationSignatures', [CelScalar.STRING, CelScalar.STRING, listType(CelScalar.DYN)], CelScalar.INT, (image: string, attestation: string, list: unknown) => {
      try {
        const attestors = attestorsOf(list, 'verifyAttestationSignatures');
        const att = p.attestations.find((a) => a.name === attestation);
        if (!att) throw new Stop('fail', `attestation not found in policy: ${attestation}`);
        if (att.kind === 'referrer') throw new Stop('not-evaluated', `attestation ${att.name} is an OCI referrer (${att.type}), which the preview does not evaluate`);
        if (!matchesImageRefs(image)) return 0n;
        const d = discoveryFor(image);
        let count = 0;
        let why: Check | null = null;
        for (const a of attestors) {
          if (a.kind === 'notary') throw new Stop('not-evaluated', `attestor ${a.name}: Notary attestations are not evaluated`);
          const specs = attestorSpecs(a);
          const trust = prepare(env, specs);
          if (typeof trust === 'string') throw new Stop('not-evaluated', `attestor ${a.name} cannot be used: ${trust}`);
          const types = cosignTypes(d, true);
          const ofType = verifyDiscovered(d, trust, [], { now: env.now }).attestations.filter((x) => types.includes(x.type) && x.predicateType === att.type);
          const verified = ofType.filter((x) => x.status === 'verified');
          if (verified.length) {
            count++;
            stateOf(image).verifiedAttestations.set(att.name, [...(stateOf(image).verifiedAttestations.get(att.name) ?? []), ...verified]);
          } else if (!why) {
            const present = [...new Set(verifyDiscovered(d, { signers: [], material: env.material }, [], { now: env.now }).attestations.map((x) => x.predicateType))];
            why = ofType.length
              ? classify(specs[0], ofType as AttestationResult[], `attestation of type ${att.type}`, d)
              : { status: 'fail', reason: 'admission-attestation-missing', message: `no attestation of type ${att.type} found`, expected: att.type, observed: present.length ? `attestation types present: ${present.join(', ')}` : 'no attestations' };
          }
        }
        stateOf(image).traces.push({ call: `verifyAttestationSignatures(${image}, attestations.${att.name}, [${attestors.map((a) => `attestors.${a.name}`).join(', ')}])`, count, of: attestors.length, why });
        return BigInt(count);
      } catch (err) {
        stop ??= err instanceof Stop ? err : new Stop('error', (err as Error).message);
        throw stop;
      }
    }),
    celFunc('extractPayload', [CelScalar.STRING, CelScalar.STRING], CelScalar.DYN, (image: string, attestation: string) => {
      const att = p.attestations.find((a) => a.name === attestation);
      const verified = stateOf(image).verifiedAttestations.get(attestation) ?? [];
      if (!att || verified.length === 0) {
        stop ??= new Stop('fail', `extractPayload(${image}, ${attestation}): no verified ${att?.type ?? attestation} attestation (Kyverno: failed to get payload)`, { status: 'fail', reason: 'admission-attestation-missing', message: `no verified attestation ${attestation} to read`, expected: att?.type ?? attestation, observed: null });
        throw stop;
      }
      return (attestationPredicate(verified[0]) ?? null) as never;
    }),
  ];

  try {
    // Images: the built-in extractors plus the policy's own, the tags rewritten as mutateDigest does.
    const extracted = extractImages(object, resource.kind);
    for (const ex of p.images) {
      const out = celRun(ex.expression, `images[${ex.name}]`);
      if (!isCelList(out)) throw new Stop('not-evaluated', `images[${ex.name}] is not a list of strings`);
      extracted.set(ex.name, [...out].filter((x): x is string => typeof x === 'string'));
    }
    let ownImage: string | null = null;
    const filtered = new Map<string, string[]>();
    for (const [category, list] of extracted) {
      const kept: string[] = [];
      for (const written of list) {
        const m = mutated(written, p, env, { ref, digest: ownDigest });
        // An image whose rewrite is unknown could change what every validation sees: no verdict for the resource.
        if (typeof m !== 'string') throw new Stop('error', m.error);
        if (!matchesImageRefs(m)) continue;
        kept.push(m);
        images.set(m, written);
        if (written === ref.reference) ownImage = m;
      }
      filtered.set(category, kept);
    }
    if (!ownImage) return null;
    const rewrite = ownImage !== ref.reference ? ownImage : null;
    // matchConditions: the policy applies only when they all hold.
    for (const mc of p.matchConditions) {
      const out = celRun(mc.expression, `matchConditions[${mc.name}]`);
      if (bool(out) === null) throw new Stop('not-evaluated', `matchConditions[${mc.name}] is not a boolean`);
      if (out === false) return null;
    }
    // verifyDigest: a selected image without a digest fails the policy.
    if (p.verifyDigest) {
      for (const img of images.keys()) {
        if (!parseReference(img).digest) {
          const own = img === ownImage;
          return result(failResult, 'admission-digest-required', `${failResult === 'denied' ? 'denied' : 'audit violation'}: image ${img} does not have a digest${own ? ' (mutateDigest is off; quick fix: Pin to digest)' : ''}`, { expected: 'an image reference with @sha256:…', observed: img });
        }
      }
    }
    // The registry, once per selected image (its signatures and attestations).
    await Promise.all(
      [...images.keys()].map(async (img) => {
        const s = stateOf(img);
        const parsed = parseReference(img);
        if (!parsed.digest) return void (s.error = `${img} has no digest`);
        try {
          s.discovery = await discover(env, parsed.name, parsed.digest);
        } catch (err) {
          s.error = `${img}: ${(err as Error).message}`;
        }
      }),
    );
    bindings.images = filtered;
    bindings.attestors = Object.fromEntries(p.attestors.map((a) => [a.name, { name: a.name }]));
    bindings.attestations = Object.fromEntries(p.attestations.map((a) => [a.name, a.name]));
    const variables: Record<string, unknown> = {};
    bindings.variables = variables;
    for (const v of p.variables) variables[v.name] = celRun(v.expression, `variables.${v.name}`);
    for (let i = 0; i < p.validations.length; i++) {
      const v = p.validations[i];
      const out = celRun(v.expression, `validations[${i}]`);
      const ok = bool(out);
      if (ok === null) throw new Stop('not-evaluated', `validations[${i}] does not evaluate to a boolean`);
      if (ok) continue;
      let message = v.message ?? '';
      if (v.messageExpression) {
        try {
          const m = celRun(v.messageExpression, `validations[${i}].messageExpression`);
          message = typeof m === 'string' ? m : message;
        } catch {
          /* the static message, as Kyverno falls back */
        }
      }
      if (!message) message = `CEL expression validation failed at index ${i}`;
      return failed(i, message, rewrite);
    }
    // required: the image must have been verified by a check (of this policy: other policies are not modeled).
    if (p.required) {
      const traces = stateOf(ownImage).traces;
      if (traces.some((t) => t.count > 0)) return result('admitted', null, `all ${p.validations.length} validation(s) hold`, { rewrite });
      if (traces.length) return failed(null, `image ${ownImage} failed signature or attestation verification`, null);
      const others = input.set.imageValidating.filter((o) => o !== p && ivResourceMatches(o, resource, namespace));
      if (others.length) return notEvaluated(`required: no check of this policy verifies ${ownImage}; another ImageValidatingPolicy of the request may (evidence across policies is not modeled)`);
      return failed(null, `image ${ownImage} is not verified: no policy performed a signature or attestation check on it`, null);
    }
    return result('admitted', null, `all ${p.validations.length} validation(s) hold`, { rewrite });

    function failed(index: number | null, message: string, rw: string | null): AdmissionResult {
      const traces = stateOf(ownImage!).traces;
      const refusing = traces.find((t) => t.count === 0 && t.why) ?? traces.find((t) => t.why);
      const word = failResult === 'denied' ? 'denied' : 'audit violation';
      const where = index === null ? '' : ` (validations[${index}])`;
      const calls = traces.map((t) => `${t.call} = ${t.count}`).join('; ');
      if (refusing?.why && refusing.count < refusing.of) {
        const w = refusing.why;
        return result(failResult, w.reason, `${word}${where}: ${message} — ${refusing.call} = ${refusing.count}: ${w.message}`, { expected: w.expected ?? null, observed: w.observed ?? null, rewrite: rw, ...(w.observedSigners?.length ? { observedSigners: w.observedSigners } : {}) });
      }
      return result(failResult, 'admission-condition-false', `${word}${where}: ${message}`, { expected: index === null ? 'every selected image verified by a check' : p.validations[index].expression, observed: calls ? `this image's checks: ${calls}` : "this image's checks: none", rewrite: rw });
    }
  } catch (err) {
    const s = err instanceof Stop ? err : stop ?? new Stop('error', (err as Error).message);
    if (s.kind === 'not-evaluated') return notEvaluated(s.message);
    if (s.kind === 'fail') {
      const c = s.check;
      return result(failResult, c?.reason ?? 'admission-condition-false', `${failResult === 'denied' ? 'denied' : 'audit violation'}: ${s.message}`, { expected: c?.expected ?? null, observed: c?.observed ?? null });
    }
    return result('error', 'admission-registry-error', s.check?.message ?? s.message);
  }
}
