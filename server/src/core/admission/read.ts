// Reads the admission policies kept in a workspace: Kyverno `kyverno.io/v1` (and `v2beta1`) ClusterPolicy/Policy rules
// with `verifyImages`, Sigstore policy-controller `policy.sigstore.dev` ClusterImagePolicy, the `config-policy-controller`
// and `kyverno` ConfigMaps, and Secrets holding `cosign.pub`. Documents are recognized by apiVersion + kind, anywhere.
// Malformed documents and features that are not evaluated become problems at their place in the file; nothing is
// dropped silently: an entry that cannot be evaluated stays in the model as "unsupported" with the reason.
import { isMap, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import { compilePolicyControllerGlob } from './names';
import type {
  AdmissionPolicySet,
  IvAttestor,
  IvPolicy,
  IvResourceRule,
  KyvernoAttestation,
  KyvernoAttestor,
  KyvernoAttestorSet,
  KyvernoCondition,
  KyvernoConditionBlock,
  KyvernoMatch,
  KyvernoPolicy,
  KyvernoResourceFilter,
  KyvernoRule,
  KyvernoVerifyImage,
  LabelSelector,
  PcAuthority,
  PcPolicy,
  PolicyProblem,
  Site,
  WorkspaceSecret,
} from './types';

/** Cheap pre-check: a file that mentions none of these holds nothing admission-related. */
const MENTIONS = /kyverno\.io|policy\.sigstore\.dev|config-policy-controller|kind:\s*["']?Secret\b|kyverno/;

const KYVERNO_API = /^kyverno\.io\/(v1|v2beta1)$/;
const IVPOL_API = /^policies\.kyverno\.io\/(v1alpha1|v1beta1|v1)$/;
const PC_API = /^policy\.sigstore\.dev\/(v1alpha1|v1beta1)$/;
const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';

export function mayHoldAdmissionPolicies(text: string): boolean {
  return MENTIONS.test(text);
}

/** An empty set: no policies. */
export function emptyPolicySet(): AdmissionPolicySet {
  return { kyverno: [], policyController: [], imageValidating: [], pcConfig: null, kyvernoDefaultRegistry: 'docker.io', problems: [], notEvaluated: [], files: [] };
}

type Json = unknown;
type Path = (string | number)[];

function isObj(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strList(v: Json): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** One document being read: its JS value and the offsets of its nodes. */
class Reader {
  constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    readonly problems: PolicyProblem[],
  ) {}

  site(path: Path): Site {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && (isMap(node) || isSeq(node) || isScalar(node)) && node.range) return { file: this.file, range: { start: node.range[0], end: node.range[1] } };
    }
    const r = this.doc.contents?.range;
    return { file: this.file, range: { start: r?.[0] ?? 0, end: r?.[1] ?? 0 } };
  }

  problem(path: Path, severity: PolicyProblem['severity'], message: string): void {
    this.problems.push({ site: this.site(path), severity, message });
  }
}

/** Reads every admission-related document of one file into `set`. */
export function readAdmissionFile(file: string, text: string, set: AdmissionPolicySet, secrets: WorkspaceSecret[]): void {
  if (!mayHoldAdmissionPolicies(text)) return;
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { prettyErrors: false }) as Document.Parsed[];
  } catch {
    return;
  }
  if (!Array.isArray(docs)) return;
  let found = false;
  for (const doc of docs) {
    if (doc.errors.length > 0) continue;
    let value: Json;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch {
      continue;
    }
    if (!isObj(value)) continue;
    const apiVersion = str(value.apiVersion) ?? '';
    const kind = str(value.kind) ?? '';
    const r = new Reader(file, doc, set.problems);
    const meta = isObj(value.metadata) ? value.metadata : {};
    if (KYVERNO_API.test(apiVersion) && (kind === 'ClusterPolicy' || kind === 'Policy')) {
      const p = readKyverno(r, value, apiVersion, kind);
      if (p) {
        set.kyverno.push(p);
        found = true;
      }
    } else if (PC_API.test(apiVersion) && kind === 'ClusterImagePolicy') {
      const p = readPolicyController(r, value, apiVersion);
      if (p) {
        set.policyController.push(p);
        found = true;
      }
    } else if (IVPOL_API.test(apiVersion) && (kind === 'ImageValidatingPolicy' || kind === 'NamespacedImageValidatingPolicy')) {
      const p = readImageValidating(r, value, apiVersion, kind);
      if (p) set.imageValidating.push(p);
      found = true;
    } else if (apiVersion === 'v1' && kind === 'ConfigMap' && str(meta.name) === 'config-policy-controller') {
      const data = isObj(value.data) ? value.data : {};
      const v = str(data['no-match-policy']);
      // Anything but allow/warn is deny, as the engine reads it.
      set.pcConfig = { noMatchPolicy: v === 'allow' ? 'allow' : v === 'warn' ? 'warn' : 'deny', site: r.site(['data', 'no-match-policy']) };
      if (v !== undefined && v !== 'allow' && v !== 'warn' && v !== 'deny') r.problem(['data', 'no-match-policy'], 'warning', `no-match-policy "${v}" is not allow, warn or deny: policy-controller treats it as deny.`);
      found = true;
    } else if (apiVersion === 'v1' && kind === 'ConfigMap' && str(meta.name) === 'kyverno') {
      const data = isObj(value.data) ? value.data : {};
      const reg = str(data.defaultRegistry);
      if (reg) set.kyvernoDefaultRegistry = reg;
      found = true;
    } else if (apiVersion === 'v1' && kind === 'Secret') {
      const data: Record<string, string> = {};
      if (isObj(value.data)) for (const [k, v] of Object.entries(value.data)) if (typeof v === 'string') data[k] = Buffer.from(v, 'base64').toString('utf8');
      if (isObj(value.stringData)) for (const [k, v] of Object.entries(value.stringData)) if (typeof v === 'string') data[k] = v;
      const name = str(meta.name);
      if (name) secrets.push({ name, namespace: str(meta.namespace) ?? null, data });
    }
  }
  if (found && !set.files.includes(file)) set.files.push(file);
}

/** Resolves Secret references once every file has been read (a Secret may be in another file than its policy). */
export function resolveSecrets(set: AdmissionPolicySet, secrets: WorkspaceSecret[]): void {
  const find = (namespace: string | null, name: string) => secrets.find((s) => s.name === name && (namespace === null || s.namespace === namespace || (s.namespace === null && namespace === 'default')));
  const fixSet = (as: KyvernoAttestorSet) => {
    as.entries = as.entries.flatMap((e): KyvernoAttestor[] => {
      if (e.kind === 'nested') {
        fixSet(e.set);
        return [e];
      }
      if (e.kind !== 'unsupported' || !e.why.startsWith('secret:')) return [e];
      const [, ns, name, ignoreTlog, ignoreSCT] = e.why.split('\0');
      const s = find(ns, name);
      const pem = s?.data['cosign.pub'];
      if (!pem) return [{ kind: 'unsupported', why: `the public key is in Secret ${ns}/${name}, which is not in the workspace (or has no cosign.pub)`, site: e.site }];
      return [{ kind: 'key', pem, keyName: `Secret ${ns}/${name}`, ignoreTlog: ignoreTlog === 'true', ignoreSCT: ignoreSCT === 'true', site: e.site }];
    });
  };
  for (const p of set.kyverno) for (const r of p.rules) for (const vi of r.verifyImages) {
    vi.attestors.forEach(fixSet);
    for (const a of vi.attestations) a.attestors.forEach(fixSet);
  }
  for (const p of set.policyController) for (const a of p.authorities) {
    const ref = a.unsupported.find((u) => u.startsWith('secret:'));
    if (!ref) continue;
    a.unsupported = a.unsupported.filter((u) => u !== ref);
    const [, ns, name] = ref.split('\0');
    const s = secrets.find((x) => x.name === name && (ns === '' || x.namespace === ns));
    const pem = s ? Object.values(s.data).find((v) => v.includes('-----BEGIN')) : undefined;
    if (pem) a.key = { pem };
    else a.unsupported.push(`the public key is in Secret ${ns ? `${ns}/` : ''}${name}, which is not in the workspace`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Kyverno

function failureAction(v: Json): 'Enforce' | 'Audit' | null | 'invalid' {
  if (v === undefined || v === null) return null;
  if (v === 'Enforce' || v === 'enforce') return 'Enforce';
  if (v === 'Audit' || v === 'audit') return 'Audit';
  return 'invalid';
}

function readKyverno(r: Reader, v: Record<string, Json>, apiVersion: string, kind: 'ClusterPolicy' | 'Policy'): KyvernoPolicy | null {
  const meta = isObj(v.metadata) ? v.metadata : {};
  const name = str(meta.name);
  if (!name) r.problem(['metadata'], 'error', `${kind} without metadata.name: Kyverno would refuse it.`);
  const spec = isObj(v.spec) ? v.spec : null;
  if (!spec) {
    r.problem([], 'error', `${kind} ${name ?? ''} has no spec: nothing is evaluated.`);
    return null;
  }
  const rulesJson = Array.isArray(spec.rules) ? spec.rules : [];
  const hasVerifyImages = rulesJson.some((x) => isObj(x) && Array.isArray(x.verifyImages) && x.verifyImages.length > 0);
  if (!hasVerifyImages) return null;
  let action = failureAction(spec.validationFailureAction);
  if (action === 'invalid') {
    r.problem(['spec', 'validationFailureAction'], 'error', `validationFailureAction must be Audit or Enforce (got ${JSON.stringify(spec.validationFailureAction)}).`);
    action = null;
  }
  const annotations = isObj(meta.annotations) ? meta.annotations : {};
  const overrides = (Array.isArray(spec.validationFailureActionOverrides) ? spec.validationFailureActionOverrides : []).flatMap((o, i) => {
    if (!isObj(o)) return [];
    const a = failureAction(o.action);
    if (a === null || a === 'invalid') return [];
    return [{ action: a, namespaces: Array.isArray(o.namespaces) ? strList(o.namespaces) : null, ...(o.namespaceSelector ? { unknown: `validationFailureActionOverrides[${i}] selects namespaces by label` } : {}) }];
  });
  const policy: KyvernoPolicy = {
    engine: 'kyverno',
    kind,
    apiVersion,
    name: name ?? '(unnamed)',
    namespace: kind === 'Policy' ? str(meta.namespace) ?? 'default' : null,
    validationFailureAction: action ?? 'Audit',
    overrides,
    autogenAnnotation: str(annotations[AUTOGEN_ANNOTATION]) ?? null,
    rules: [],
    site: r.site([]),
  };
  rulesJson.forEach((rule, i) => {
    if (!isObj(rule) || !Array.isArray(rule.verifyImages) || rule.verifyImages.length === 0) return;
    const rr = readKyvernoRule(r, rule, ['spec', 'rules', i]);
    if (rr) policy.rules.push(rr);
  });
  return policy;
}

function readFilter(r: Reader, f: Json, path: Path): KyvernoResourceFilter {
  const o = isObj(f) ? f : {};
  const res = isObj(o.resources) ? o.resources : {};
  const names = [...strList(res.names), ...(str(res.name) ? [str(res.name)!] : [])];
  const unknown: string[] = [];
  if (Array.isArray(o.subjects) && o.subjects.length) unknown.push('subjects (who applies the manifest)');
  if (Array.isArray(o.roles) && o.roles.length) unknown.push('roles');
  if (Array.isArray(o.clusterRoles) && o.clusterRoles.length) unknown.push('clusterRoles');
  if (res.namespaceSelector) unknown.push("namespaceSelector (the namespace's labels)");
  const filter: KyvernoResourceFilter = {
    kinds: strList(res.kinds),
    names,
    namespaces: strList(res.namespaces),
    selector: isObj(res.selector) ? (res.selector as LabelSelector) : undefined,
    annotations: isObj(res.annotations) ? (res.annotations as Record<string, string>) : undefined,
    operations: strList(res.operations),
    hasDescription: Object.keys(res).length > 0 || unknown.length > 0,
    ...(unknown.length ? { unknown: unknown.join(', ') } : {}),
  };
  if (!isObj(f)) r.problem(path, 'error', 'A match/exclude filter must be a mapping.');
  return filter;
}

function readMatch(r: Reader, m: Json, path: Path): KyvernoMatch {
  const o = isObj(m) ? m : {};
  const any = Array.isArray(o.any) ? o.any.map((f, i) => readFilter(r, f, [...path, 'any', i])) : [];
  const all = Array.isArray(o.all) ? o.all.map((f, i) => readFilter(r, f, [...path, 'all', i])) : [];
  const single = o.resources || o.subjects || o.roles || o.clusterRoles ? readFilter(r, o, path) : null;
  return { any, all, single };
}

function readKyvernoRule(r: Reader, rule: Record<string, Json>, path: Path): KyvernoRule | null {
  const name = str(rule.name) ?? '';
  if (!name) r.problem(path, 'error', 'A rule needs a name.');
  const unsupported: string[] = [];
  if (rule.preconditions) unsupported.push('preconditions');
  if (rule.celPreconditions) unsupported.push('celPreconditions');
  if (rule.context) unsupported.push('context entries (ConfigMaps, API calls)');
  for (const u of unsupported) r.problem([...path, u.split(' ')[0]], 'information', `Rule ${name}: ${u} are not evaluated by the admission preview; its images are reported "not evaluated".`);
  if (!isObj(rule.match)) r.problem(path, 'error', `Rule ${name} has no match block: Kyverno would refuse it.`);
  const out: KyvernoRule = {
    name,
    match: readMatch(r, rule.match, [...path, 'match']),
    exclude: rule.exclude ? readMatch(r, rule.exclude, [...path, 'exclude']) : null,
    verifyImages: [],
    unsupported,
    site: r.site(path),
  };
  (rule.verifyImages as Json[]).forEach((vi, i) => {
    const p = [...path, 'verifyImages', i];
    if (!isObj(vi)) {
      r.problem(p, 'error', 'A verifyImages entry must be a mapping.');
      return;
    }
    out.verifyImages.push(readVerifyImage(r, vi, p, i));
  });
  return out;
}

function bool(v: Json, dflt: boolean): boolean {
  return typeof v === 'boolean' ? v : dflt;
}

function readVerifyImage(r: Reader, vi: Record<string, Json>, path: Path, index: number): KyvernoVerifyImage {
  const unsupported: string[] = [];
  let fa = failureAction(vi.failureAction);
  if (fa === 'invalid') {
    r.problem([...path, 'failureAction'], 'error', `failureAction must be Audit or Enforce (got ${JSON.stringify(vi.failureAction)}).`);
    fa = null;
  }
  const typeRaw = str(vi.type) ?? 'Cosign';
  const type = typeRaw === 'Notary' || typeRaw === 'SigstoreBundle' ? typeRaw : 'Cosign';
  if (typeRaw !== type) r.problem([...path, 'type'], 'error', `type must be Cosign, SigstoreBundle or Notary (got "${typeRaw}").`);
  const imageReferences = [...strList(vi.imageReferences), ...(str(vi.image) ? [str(vi.image)!] : [])];
  if (imageReferences.length === 0) r.problem(path, 'error', 'verifyImages needs imageReferences: Kyverno would refuse this rule.');
  for (const key of ['repository', 'imageRegistryCredentials', 'validate'] as const) {
    if (vi[key] !== undefined && vi[key] !== null && !(key === 'validate' && isObj(vi[key]) && Object.keys(vi[key] as object).length === 0)) {
      const what = key === 'repository' ? 'repository (signatures in another repository)' : key === 'validate' ? 'validate.deny conditions' : 'imageRegistryCredentials';
      unsupported.push(what);
      r.problem([...path, key], 'information', `${what} is not evaluated by the admission preview: images this entry covers are "not evaluated".`);
    }
  }
  const attestors: KyvernoAttestorSet[] = [];
  // Deprecated single-attestor fields (`key`, `issuer`/`subject`), converted as Kyverno's Convert() does.
  if (str(vi.key)) attestors.push({ count: null, entries: [keyAttestor(r, str(vi.key)!, false, false, [...path, 'key'], 'key')], site: r.site([...path, 'key']) });
  else if (str(vi.issuer)) attestors.push({ count: null, entries: [{ kind: 'keyless', issuer: str(vi.issuer), subject: str(vi.subject), ignoreTlog: false, ignoreSCT: false, site: r.site([...path, 'issuer']) }], site: r.site([...path, 'issuer']) });
  if (Array.isArray(vi.attestors)) vi.attestors.forEach((s, i) => attestors.push(readAttestorSet(r, s, [...path, 'attestors', i], type)));
  const attestations: KyvernoAttestation[] = [];
  if (Array.isArray(vi.attestations)) {
    vi.attestations.forEach((a, i) => {
      const ap = [...path, 'attestations', i];
      if (!isObj(a)) return r.problem(ap, 'error', 'An attestation must be a mapping.');
      const t = str(a.type) || str(a.predicateType) || '';
      if (!t) r.problem(ap, 'error', 'An attestation needs a type (or the deprecated predicateType): Kyverno fails the rule without one.');
      const conditions: KyvernoConditionBlock[] = (Array.isArray(a.conditions) ? a.conditions : []).map((c) => readConditionBlock(c));
      attestations.push({
        type: t,
        name: str(a.name),
        attestors: Array.isArray(a.attestors) ? a.attestors.map((s, j) => readAttestorSet(r, s, [...ap, 'attestors', j], type)) : [],
        conditions,
        site: r.site(ap),
      });
    });
  }
  const mutateDigest = bool(vi.mutateDigest, true);
  const verifyImage: KyvernoVerifyImage = {
    index,
    failureAction: fa,
    type,
    imageReferences,
    skipImageReferences: strList(vi.skipImageReferences),
    attestors,
    attestations,
    mutateDigest,
    verifyDigest: bool(vi.verifyDigest, true),
    required: bool(vi.required, true),
    unsupported,
    site: r.site(path),
  };
  return verifyImage;
}

function readConditionBlock(c: Json): KyvernoConditionBlock {
  const toCond = (x: Json): KyvernoCondition => {
    const o = isObj(x) ? x : {};
    return { key: o.key, operator: str(o.operator) ?? '', value: o.value, message: str(o.message) };
  };
  if (Array.isArray(c)) return { any: null, all: c.map(toCond) };
  const o = isObj(c) ? c : {};
  return { any: Array.isArray(o.any) ? o.any.map(toCond) : null, all: Array.isArray(o.all) ? o.all.map(toCond) : [] };
}

const PEM_BLOCK = /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g;

function keyAttestor(r: Reader, keys: string, ignoreTlog: boolean, ignoreSCT: boolean, path: Path, keyName: string): KyvernoAttestor {
  const site = r.site(path);
  if (keys.includes('{{')) return { kind: 'unsupported', why: 'the key is a Kyverno variable ({{ … }}), resolved only in the cluster', site };
  const m = /^k8s:\/\/([^/]+)\/(.+)$/.exec(keys.trim());
  if (m) return { kind: 'unsupported', why: `secret:\0${m[1]}\0${m[2]}\0${ignoreTlog}\0${ignoreSCT}`, site };
  if (/^[a-z0-9]+:\/\//.test(keys.trim())) return { kind: 'unsupported', why: `the key is in a KMS (${keys.trim()}), which the preview does not query`, site };
  return { kind: 'key', pem: keys, keyName, ignoreTlog, ignoreSCT, site };
}

function readAttestorSet(r: Reader, s: Json, path: Path, type: KyvernoVerifyImage['type']): KyvernoAttestorSet {
  const o = isObj(s) ? s : {};
  const entriesJson = Array.isArray(o.entries) ? o.entries : [];
  if (entriesJson.length === 0) r.problem(path, 'error', 'An attestor set needs entries.');
  const entries: KyvernoAttestor[] = [];
  entriesJson.forEach((e, i) => entries.push(...readAttestor(r, e, [...path, 'entries', i], type)));
  let count: number | null = typeof o.count === 'number' && o.count > 0 ? o.count : null;
  if (o.count !== undefined && typeof o.count !== 'number') r.problem([...path, 'count'], 'error', 'count must be a number.');
  if (count !== null && count > entriesJson.length) r.problem([...path, 'count'], 'error', `count ${count} is larger than the number of entries (${entriesJson.length}): Kyverno refuses this.`);
  if (count !== null && !Number.isInteger(count)) count = Math.ceil(count);
  return { count, entries, site: r.site(path) };
}

function readAttestor(r: Reader, e: Json, path: Path, type: KyvernoVerifyImage['type']): KyvernoAttestor[] {
  const site = r.site(path);
  if (!isObj(e)) {
    r.problem(path, 'error', 'An attestor entry must be a mapping.');
    return [{ kind: 'unsupported', why: 'malformed entry', site }];
  }
  const present = ['keys', 'certificates', 'keyless', 'attestor'].filter((k) => e[k] !== undefined && e[k] !== null);
  if (present.length !== 1) {
    r.problem(path, 'error', 'An attestor entry needs exactly one of keys, certificates, keyless or attestor.');
    return [{ kind: 'unsupported', why: 'malformed entry (needs exactly one of keys, certificates, keyless, attestor)', site }];
  }
  const unsupportedExtras: string[] = [];
  if (e.repository) unsupportedExtras.push('repository');
  if (e.annotations) unsupportedExtras.push('annotations');
  if (unsupportedExtras.length) {
    r.problem(path, 'information', `${unsupportedExtras.join(' and ')} on an attestor entry is not evaluated.`);
    return [{ kind: 'unsupported', why: `the entry sets ${unsupportedExtras.join(' and ')}, which the preview does not evaluate`, site }];
  }
  const rekor = (o: Record<string, Json>) => (isObj(o.rekor) ? o.rekor : null);
  const ctlog = (o: Record<string, Json>) => (isObj(o.ctlog) ? o.ctlog : null);
  const rekorUnsupported = (o: Record<string, Json>, p: Path): string | null => {
    const rk = rekor(o);
    const ct = ctlog(o);
    if (rk && str(rk.pubkey)) return 'a custom Rekor public key (rekor.pubkey)';
    if (ct && (str(ct.pubkey) || str(ct.tsaCertChain))) return 'a custom CT log key or TSA chain (ctlog.pubkey / tsaCertChain)';
    void p;
    return null;
  };
  if (e.keys !== undefined) {
    const k = isObj(e.keys) ? e.keys : {};
    const ignoreTlog = bool(rekor(k)?.ignoreTlog, false);
    const ignoreSCT = bool(ctlog(k)?.ignoreSCT, false);
    const custom = rekorUnsupported(k, path);
    if (custom) return [{ kind: 'unsupported', why: `the entry uses ${custom}`, site }];
    if (str(k.kms)) return [{ kind: 'unsupported', why: `the key is in a KMS (${str(k.kms)}), which the preview does not query`, site }];
    if (isObj(k.secret)) return [{ kind: 'unsupported', why: `secret:\0${str(k.secret.namespace) ?? ''}\0${str(k.secret.name) ?? ''}\0${ignoreTlog}\0${ignoreSCT}`, site }];
    const pk = str(k.publicKeys);
    if (!pk) {
      r.problem([...path, 'keys'], 'error', 'keys needs publicKeys, kms or secret.');
      return [{ kind: 'unsupported', why: 'keys without publicKeys', site }];
    }
    if (type === 'Notary') r.problem([...path, 'keys'], 'error', 'keys are not allowed for type Notary.');
    const blocks = pk.includes('{{') || /^[a-z0-9]+:\/\//.test(pk.trim()) ? null : pk.match(PEM_BLOCK);
    // Several keys in one entry are several entries (ExpandStaticKeys): `count` applies across them.
    if (blocks && blocks.length > 1) return blocks.map((b, i) => keyAttestor(r, b, ignoreTlog, ignoreSCT, [...path, 'keys', 'publicKeys'], `publicKeys[${i}]`));
    return [keyAttestor(r, pk, ignoreTlog, ignoreSCT, [...path, 'keys', 'publicKeys'], 'publicKeys')];
  }
  if (e.keyless !== undefined) {
    const k = isObj(e.keyless) ? e.keyless : {};
    if (type === 'Notary') r.problem([...path, 'keyless'], 'error', 'keyless is not allowed for type Notary.');
    if (!rekor(k) && !str(k.roots)) r.problem([...path, 'keyless'], 'error', 'keyless needs rekor (with a url) or roots: Kyverno refuses it without.');
    if (str(k.roots)) return [{ kind: 'unsupported', why: 'keyless with custom roots (a private Fulcio)', site }];
    if (isObj(k.additionalExtensions) && Object.keys(k.additionalExtensions).length) return [{ kind: 'unsupported', why: 'keyless additionalExtensions', site }];
    const custom = rekorUnsupported(k, path);
    if (custom) return [{ kind: 'unsupported', why: `the entry uses ${custom}`, site }];
    for (const key of ['subjectRegExp', 'issuerRegExp'] as const) {
      const re = str(k[key]);
      if (re !== undefined) {
        try {
          new RegExp(re, 'u');
        } catch (err) {
          r.problem([...path, 'keyless', key], 'error', `${key} is not a valid regular expression: ${(err as Error).message}`);
          return [{ kind: 'unsupported', why: `invalid ${key}`, site }];
        }
      }
    }
    return [{ kind: 'keyless', subject: str(k.subject), subjectRegExp: str(k.subjectRegExp), issuer: str(k.issuer), issuerRegExp: str(k.issuerRegExp), ignoreTlog: bool(rekor(k)?.ignoreTlog, false), ignoreSCT: bool(ctlog(k)?.ignoreSCT, false), site }];
  }
  if (e.certificates !== undefined) {
    const c = isObj(e.certificates) ? e.certificates : {};
    if (type === 'Notary' && str(c.cert)) return [{ kind: 'notary-certificate', pem: `${str(c.cert)}\n${str(c.certChain) ?? ''}`, site }];
    if (type === 'Notary' && str(c.certChain)) return [{ kind: 'notary-certificate', pem: str(c.certChain)!, site }];
    return [{ kind: 'unsupported', why: 'certificates attestors for cosign signatures (cert / certChain) are not evaluated', site }];
  }
  let nested: Json = e.attestor;
  if (typeof nested === 'string') {
    try {
      nested = JSON.parse(nested);
    } catch {
      nested = null;
    }
  }
  if (!isObj(nested)) {
    r.problem([...path, 'attestor'], 'error', 'A nested attestor must be an attestor set (count, entries).');
    return [{ kind: 'unsupported', why: 'malformed nested attestor', site }];
  }
  return [{ kind: 'nested', set: readAttestorSet(r, nested, [...path, 'attestor'], type), site }];
}

// ---------------------------------------------------------------------------------------------------------
// Sigstore policy-controller

function readPolicyController(r: Reader, v: Record<string, Json>, apiVersion: string): PcPolicy | null {
  const meta = isObj(v.metadata) ? v.metadata : {};
  const name = str(meta.name) ?? '(unnamed)';
  const spec = isObj(v.spec) ? v.spec : null;
  if (!spec) {
    r.problem([], 'error', `ClusterImagePolicy ${name} has no spec: nothing is evaluated.`);
    return null;
  }
  const globs: PcPolicy['globs'] = [];
  (Array.isArray(spec.images) ? spec.images : []).forEach((im, i) => {
    const g = isObj(im) ? str(im.glob) : undefined;
    if (!g) return r.problem(['spec', 'images', i], 'error', 'images[] entries need a glob.');
    const re = compilePolicyControllerGlob(g);
    if (typeof re === 'string') return r.problem(['spec', 'images', i, 'glob'], 'error', `${re}: policy-controller refuses this policy.`);
    globs.push({ glob: g, site: r.site(['spec', 'images', i, 'glob']) });
  });
  if (globs.length === 0) r.problem(['spec'], 'error', `ClusterImagePolicy ${name} matches no image (images is empty or invalid).`);
  const modeRaw = spec.mode === undefined ? 'enforce' : str(spec.mode);
  if (modeRaw !== 'enforce' && modeRaw !== 'warn') r.problem(['spec', 'mode'], 'error', `mode must be enforce or warn (got ${JSON.stringify(spec.mode)}).`);
  const unsupported: string[] = [];
  if (spec.policy) {
    unsupported.push(`a policy-level ${str(isObj(spec.policy) ? spec.policy.type : undefined) ?? ''} policy (CUE/Rego)`.replace('  ', ' '));
    r.problem(['spec', 'policy'], 'information', 'A ClusterImagePolicy-level CUE/Rego policy is not evaluated by the admission preview: images it covers are "not evaluated".');
  }
  const authoritiesJson = Array.isArray(spec.authorities) ? spec.authorities : [];
  if (authoritiesJson.length === 0) r.problem(['spec'], 'error', `ClusterImagePolicy ${name} has no authorities: policy-controller refuses it (by default).`);
  const authorities = authoritiesJson.map((a, i) => readAuthority(r, a, ['spec', 'authorities', i], i));
  const match = (Array.isArray(spec.match) ? spec.match : []).filter(isObj).map((m) => ({
    group: str(m.group) ?? '',
    version: str(m.version) ?? '',
    resource: str(m.resource) ?? '',
    ...(isObj(m.selector) ? { selector: m.selector as LabelSelector } : {}),
  }));
  return { engine: 'policy-controller', apiVersion, name, globs, authorities, mode: modeRaw === 'warn' ? 'warn' : 'enforce', match, unsupported, site: r.site([]) };
}

function readAuthority(r: Reader, a: Json, path: Path, index: number): PcAuthority {
  const o = isObj(a) ? a : {};
  const name = str(o.name) || `authority-${index}`;
  const auth: PcAuthority = { name, ctlog: isObj(o.ctlog), attestations: [], bundle: o.signatureFormat === 'bundle', unsupported: [], site: r.site(path) };
  const kinds = ['key', 'keyless', 'static'].filter((k) => o[k] !== undefined && o[k] !== null);
  if (kinds.length !== 1) {
    r.problem(path, 'error', `Authority ${name} needs exactly one of key, keyless or static.`);
    auth.unsupported.push('malformed authority (needs exactly one of key, keyless, static)');
    return auth;
  }
  if (isObj(o.key)) {
    const k = o.key;
    if (str(k.data)) auth.key = { pem: str(k.data)! };
    else if (str(k.kms)) auth.unsupported.push(`the key is in a KMS (${str(k.kms)}), which the preview does not query`);
    else if (isObj(k.secretRef)) auth.unsupported.push(`secret:\0${str(k.secretRef.namespace) ?? ''}\0${str(k.secretRef.name) ?? ''}`);
    else {
      r.problem([...path, 'key'], 'error', 'key needs data, kms or secretRef.');
      auth.unsupported.push('key without data');
    }
    if (str(k.hashAlgorithm) && !['sha256', ''].includes(str(k.hashAlgorithm)!)) auth.unsupported.push(`hashAlgorithm ${str(k.hashAlgorithm)}`);
  }
  if (isObj(o.keyless)) {
    const k = o.keyless;
    const identities = (Array.isArray(k.identities) ? k.identities : []).filter(isObj).map((id) => ({
      issuer: str(id.issuer),
      subject: str(id.subject),
      issuerRegExp: str(id.issuerRegExp),
      subjectRegExp: str(id.subjectRegExp),
    }));
    if (identities.length === 0) r.problem([...path, 'keyless'], 'error', 'keyless needs identities: policy-controller refuses it without.');
    identities.forEach((id, i) => {
      if (!id.subject && !id.subjectRegExp) r.problem([...path, 'keyless', 'identities', i], 'error', 'An identity needs subject or subjectRegExp.');
      if (!id.issuer && !id.issuerRegExp) r.problem([...path, 'keyless', 'identities', i], 'error', 'An identity needs issuer or issuerRegExp.');
      for (const key of ['subjectRegExp', 'issuerRegExp'] as const) {
        if (id[key] === undefined) continue;
        try {
          new RegExp(id[key]!, 'u');
        } catch (err) {
          r.problem([...path, 'keyless', 'identities', i, key], 'error', `${key} is not a valid regular expression: ${(err as Error).message}`);
          auth.unsupported.push(`invalid ${key}`);
        }
      }
    });
    if (k['ca-cert']) auth.unsupported.push('keyless with a custom CA (ca-cert)');
    if (str(k.trustRootRef)) auth.unsupported.push(`a TrustRoot (${str(k.trustRootRef)})`);
    auth.keyless = { url: str(k.url) ?? 'https://fulcio.sigstore.dev', identities, insecureIgnoreSCT: k.insecureIgnoreSCT === true };
  }
  if (isObj(o.static)) {
    const action = str(o.static.action);
    if (action !== 'pass' && action !== 'fail') {
      r.problem([...path, 'static', 'action'], 'error', 'static.action must be pass or fail.');
      auth.unsupported.push('static authority without a valid action');
    } else auth.static = { action, message: str(o.static.message) };
  }
  if (Array.isArray(o.source) && o.source.length) auth.unsupported.push('source (signatures in another repository)');
  if (isObj(o.ctlog) && str(o.ctlog.trustRootRef)) auth.unsupported.push(`a TrustRoot for the log (${str(o.ctlog.trustRootRef)})`);
  if (o.rfc3161timestamp) auth.unsupported.push('rfc3161timestamp (signed timestamps)');
  (Array.isArray(o.attestations) ? o.attestations : []).forEach((att, i) => {
    if (!isObj(att) || !str(att.predicateType)) {
      r.problem([...path, 'attestations', i], 'error', 'An attestation needs a name and a predicateType.');
      return;
    }
    const policyType = isObj(att.policy) ? str(att.policy.type) ?? 'unknown' : undefined;
    if (policyType) {
      auth.unsupported.push(`a ${policyType} policy on attestation ${str(att.name) ?? i}`);
      r.problem([...path, 'attestations', i, 'policy'], 'information', `The ${policyType} policy on this attestation is not evaluated by the admission preview (CUE/Rego): authority ${name} is "not evaluated".`);
    }
    auth.attestations.push({ name: str(att.name) ?? `attestation-${i}`, predicateType: str(att.predicateType)!, ...(policyType ? { policyType } : {}) });
  });
  for (const u of auth.unsupported) if (!u.startsWith('secret:') && !u.startsWith('invalid ') && !u.startsWith('malformed') && !u.includes('policy on attestation')) r.problem(path, 'information', `Authority ${name}: ${u} is not evaluated by the admission preview.`);
  return auth;
}

/** Reads every admission policy of a set of files (the workspace's YAML files). */
export function readAdmissionPolicies(files: Iterable<{ file: string; text: string }>): AdmissionPolicySet {
  const set = emptyPolicySet();
  const secrets: WorkspaceSecret[] = [];
  for (const f of files) readAdmissionFile(f.file, f.text, set, secrets);
  resolveSecrets(set, secrets);
  return set;
}

// ---------------------------------------------------------------------------------------------------------
// Kyverno ImageValidatingPolicy (policies.kyverno.io v1alpha1 / v1beta1 / v1)

function readResourceRules(v: Json): IvResourceRule[] {
  return (Array.isArray(v) ? v : []).filter(isObj).map((x) => ({
    apiGroups: strList(x.apiGroups),
    apiVersions: strList(x.apiVersions),
    resources: strList(x.resources),
    operations: strList(x.operations),
  }));
}

/** A `{ value }` / `{ expression }` field: the value, or why it is not evaluated. */
function valueOrExpression(v: Json, what: string): { value: string } | { why: string } | null {
  if (typeof v === 'string') return { value: v };
  if (!isObj(v)) return null;
  if (str(v.value) !== undefined) return { value: str(v.value)! };
  if (str(v.expression) !== undefined) return { why: `${what} is a CEL expression (resolved only in the cluster)` };
  return null;
}

function readIvAttestor(r: Reader, a: Json, path: Path): IvAttestor | null {
  const site = r.site(path);
  if (!isObj(a) || !str(a.name)) {
    r.problem(path, 'error', 'An attestor needs a name.');
    return null;
  }
  const name = str(a.name)!;
  const unsupported = (why: string): IvAttestor => {
    r.problem(path, 'information', `Attestor ${name}: ${why}; checks that use it are "not evaluated".`);
    return { name, kind: 'unsupported', why, site };
  };
  if (isObj(a.notary)) {
    const certs = valueOrExpression(a.notary.certs, 'notary.certs');
    if (!certs) return unsupported('notary without certs');
    if ('why' in certs) return unsupported(certs.why);
    if (a.notary.tsaCerts) return unsupported('notary tsaCerts (signed timestamps)');
    return { name, kind: 'notary', certificatePem: certs.value, site };
  }
  if (!isObj(a.cosign)) {
    r.problem(path, 'error', `Attestor ${name} needs cosign or notary.`);
    return null;
  }
  const c = a.cosign;
  const ctlog = isObj(c.ctlog) ? c.ctlog : {};
  for (const [key, what] of [['source', 'source (signatures in another repository)'], ['tuf', 'a TUF root'], ['trustedRoot', 'a custom trusted root'], ['annotations', 'annotations'], ['certificate', 'certificate attestors']] as const) {
    if (c[key] !== undefined && c[key] !== null) return unsupported(what);
  }
  if (str(ctlog.rekorPubKey) || str(ctlog.ctLogPubKey) || str(ctlog.tsaCertChain)) return unsupported('a custom Rekor / CT log key or TSA chain');
  if (ctlog.insecureIgnoreSCT === true) return unsupported('insecureIgnoreSCT (Image Trust always requires the SCT of keyless certificates)');
  if (isObj(c.key)) {
    if (str(c.key.kms)) return unsupported(`the key is in a KMS (${str(c.key.kms)})`);
    if (str(c.key.expression)) return unsupported('the key is a CEL expression');
    if (isObj(c.key.secretRef)) return unsupported('the key is in a Secret of the Kyverno namespace');
    if (str(c.key.hashAlgorithm) && str(c.key.hashAlgorithm) !== 'sha256') return unsupported(`hashAlgorithm ${str(c.key.hashAlgorithm)}`);
    if (!str(c.key.data)) return unsupported('key without data');
    return { name, kind: 'cosign-key', pem: str(c.key.data)!, requireTlog: ctlog.insecureIgnoreTlog !== true, site };
  }
  if (isObj(c.keyless)) {
    if (str(c.keyless.roots)) return unsupported('keyless with custom roots');
    if (isObj(c.keyless.additionalExtensions) && Object.keys(c.keyless.additionalExtensions).length) return unsupported('keyless additionalExtensions');
    if (ctlog.insecureIgnoreTlog === true) return unsupported('insecureIgnoreTlog on a keyless attestor');
    const ids = (Array.isArray(c.keyless.identities) ? c.keyless.identities : []).filter(isObj);
    if (ids.some((i) => i.subjectExpression !== undefined)) return unsupported('an identity with subjectExpression');
    const identities = ids.map((i) => ({ issuer: str(i.issuer), subject: str(i.subject), issuerRegExp: str(i.issuerRegExp), subjectRegExp: str(i.subjectRegExp) }));
    if (identities.length === 0) return unsupported('keyless without identities');
    for (const id of identities) {
      for (const re of [id.issuerRegExp, id.subjectRegExp]) {
        if (re === undefined) continue;
        try {
          new RegExp(re, 'u');
        } catch (err) {
          r.problem(path, 'error', `Attestor ${name}: invalid regular expression ${JSON.stringify(re)}: ${(err as Error).message}`);
          return { name, kind: 'unsupported', why: 'an invalid regular expression', site };
        }
      }
    }
    return { name, kind: 'cosign-keyless', identities, site };
  }
  return unsupported('cosign without key or keyless');
}

function readImageValidating(r: Reader, v: Record<string, Json>, apiVersion: string, kind: string): IvPolicy | null {
  const meta = isObj(v.metadata) ? v.metadata : {};
  const name = str(meta.name) ?? '(unnamed)';
  const spec = isObj(v.spec) ? v.spec : null;
  if (!spec) {
    r.problem([], 'error', `${kind} ${name} has no spec: nothing is evaluated.`);
    return null;
  }
  const unsupported: string[] = [];
  const note = (path: Path, what: string) => {
    unsupported.push(what);
    r.problem(path, 'information', `${kind} ${name}: ${what} is not evaluated by the admission preview; images it covers are "not evaluated".`);
  };
  const evaluation = isObj(spec.evaluation) ? spec.evaluation : {};
  if (str(evaluation.mode) === 'JSON') note(['spec', 'evaluation', 'mode'], 'evaluation mode JSON (payloads, not Kubernetes resources)');
  const mc = isObj(spec.matchConstraints) ? spec.matchConstraints : null;
  if (mc && isObj(mc.namespaceSelector) && (Object.keys(mc.namespaceSelector).length > 0)) note(['spec', 'matchConstraints', 'namespaceSelector'], "matchConstraints.namespaceSelector (the namespace's labels)");
  if (spec.credentials) note(['spec', 'credentials'], 'credentials');
  if (Array.isArray(spec.auditAnnotations) && spec.auditAnnotations.length) {
    /* audit annotations only annotate: they never change the decision */
  }
  const actions = strList(spec.validationActions).filter((a): a is 'Deny' | 'Audit' | 'Warn' => a === 'Deny' || a === 'Audit' || a === 'Warn');
  if (strList(spec.validationActions).length === 0) r.problem(['spec'], 'error', `${kind} ${name} has no validationActions (Deny, Audit or Warn): Kyverno refuses it.`);
  const vc = isObj(spec.validationConfigurations) ? spec.validationConfigurations : {};
  const attestors = (Array.isArray(spec.attestors) ? spec.attestors : []).map((a, i) => readIvAttestor(r, a, ['spec', 'attestors', i])).filter((a): a is IvAttestor => a !== null);
  const attestations = (Array.isArray(spec.attestations) ? spec.attestations : []).filter(isObj).flatMap((a, i): IvPolicy['attestations'] => {
    const n = str(a.name);
    if (!n) {
      r.problem(['spec', 'attestations', i], 'error', 'An attestation needs a name.');
      return [];
    }
    if (isObj(a.intoto) && str(a.intoto.type)) return [{ name: n, kind: 'intoto' as const, type: str(a.intoto.type)! }];
    if (isObj(a.referrer) && str(a.referrer.type)) return [{ name: n, kind: 'referrer' as const, type: str(a.referrer.type)! }];
    r.problem(['spec', 'attestations', i], 'error', `Attestation ${n} needs intoto.type or referrer.type.`);
    return [];
  });
  const named = (x: Json) => (Array.isArray(x) ? x : []).filter(isObj).map((e) => ({ name: str(e.name) ?? '', expression: str(e.expression) ?? '' }));
  const validations = (Array.isArray(spec.validations) ? spec.validations : []).flatMap((x, i) => {
    if (!isObj(x) || !str(x.expression)) {
      r.problem(['spec', 'validations', i], 'error', 'A validation needs an expression.');
      return [];
    }
    return [{ expression: str(x.expression)!, message: str(x.message), messageExpression: str(x.messageExpression), site: r.site(['spec', 'validations', i, 'expression']) }];
  });
  if (validations.length === 0) r.problem(['spec'], 'error', `${kind} ${name} has no validations.`);
  const autogen = isObj(spec.autogen) && isObj(spec.autogen.podControllers) && Array.isArray(spec.autogen.podControllers.controllers) ? strList(spec.autogen.podControllers.controllers) : null;
  return {
    engine: 'kyverno',
    kind,
    apiVersion,
    name,
    namespace: kind === 'NamespacedImageValidatingPolicy' ? str(meta.namespace) ?? 'default' : null,
    resourceRules: mc ? readResourceRules(mc.resourceRules) : null,
    excludeResourceRules: mc ? readResourceRules(mc.excludeResourceRules) : [],
    ...(mc && isObj(mc.objectSelector) ? { objectSelector: mc.objectSelector as LabelSelector } : {}),
    autogenControllers: autogen,
    matchConditions: named(spec.matchConditions),
    matchImageReferences: (Array.isArray(spec.matchImageReferences) ? spec.matchImageReferences : []).filter(isObj).map((m) => ({ glob: str(m.glob), expression: str(m.expression) })),
    images: named(spec.images),
    variables: named(spec.variables),
    attestors,
    attestations,
    validations,
    actions,
    // v1beta1+ validationConfigurations; v1alpha1 had them at the top of spec.
    mutateDigest: bool(vc.mutateDigest ?? spec.mutateDigest, true),
    verifyDigest: bool(vc.verifyDigest ?? spec.verifyDigest, true),
    required: bool(vc.required ?? spec.required, true),
    unsupported,
    site: r.site([]),
  };
}
