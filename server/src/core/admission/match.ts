// Which admission policies apply to a resource, as each engine decides it (read from the engines' sources):
// Kyverno's match/exclude blocks with its wildcards, Pod-controller autogen and namespaced Policy scope; the
// policy-controller's `match` on group/version/resource and its globs. No I/O.
import { kyvernoWildcard } from './names';
import type { KyvernoMatch, KyvernoPolicy, KyvernoResourceFilter, KyvernoRule, LabelSelector, PcPolicy, ResourceInfo } from './types';

/** A match decision: yes, no, or it depends on something a preview cannot know (with why). */
export type MatchDecision = true | false | { unknown: string };

// ---------------------------------------------------------------------------------------------------------
// Kyverno

export const KYVERNO_POD_CONTROLLERS = ['DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'CronJob'] as const;
const NON_CRONJOB_CONTROLLERS = ['DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController'];
const POD_AND_CONTROLLERS = new Set<string>(['Pod', ...KYVERNO_POD_CONTROLLERS]);

const VERSION = /^(v\d+((alpha|beta)\d+)?|\*)$/;

/** Kyverno's `ParseKindSelector`: group, version, kind, subresource (`*` where not given). */
export function parseKindSelector(input: string): [string, string, string, string] {
  let parts = input.split('/');
  if (parts.length > 0) parts = [...parts.slice(0, -1), ...parts[parts.length - 1].split('.')];
  switch (parts.length) {
    case 1:
      return ['*', '*', parts[0], ''];
    case 2:
      if (parts[0] === '*' && parts[1] === '*') return ['*', '*', '*', '*'];
      if (parts[0] === '*' && parts[1].toLowerCase() === parts[1]) return ['*', '*', parts[0], parts[1]];
      if (VERSION.test(parts[0])) return ['*', parts[0], parts[1], ''];
      return ['*', '*', parts[0], parts[1]];
    case 3:
      if (VERSION.test(parts[0])) return ['*', parts[0], parts[1], parts[2]];
      return [parts[0], parts[1], parts[2], ''];
    case 4:
      return [parts[0], parts[1], parts[2], parts[3]];
    default:
      return ['', '', '', ''];
  }
}

export function groupVersion(apiVersion: string): [string, string] {
  const i = apiVersion.indexOf('/');
  return i === -1 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

/** Kyverno's `CheckKind` for a resource (no subresource). */
export function kindMatches(kinds: readonly string[], apiVersion: string, kind: string): boolean {
  const [g, v] = groupVersion(apiVersion);
  return kinds.some((k) => {
    const [group, version, kk, sub] = parseKindSelector(k);
    return kyvernoWildcard(group, g) && kyvernoWildcard(version, v) && kyvernoWildcard(kk, kind) && kyvernoWildcard(sub, '');
  });
}

function containsKind(kinds: readonly string[], kind: string): boolean {
  return kinds.some((k) => parseKindSelector(k)[2] === kind);
}

/** Label selector (matchLabels with Kyverno's wildcards, matchExpressions In/NotIn/Exists/DoesNotExist). */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (!Object.entries(labels).some(([lk, lv]) => kyvernoWildcard(k, lk) && kyvernoWildcard(String(v), lv))) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** One resource filter (`doesResourceMatchConditionBlock`). The operation is CREATE (a manifest being applied). */
function filterMatches(f: KyvernoResourceFilter, res: ResourceInfo, namespace: string): MatchDecision {
  if (!f.hasDescription) return false;
  if (f.operations.length > 0 && !f.operations.includes('CREATE')) return false;
  if (f.kinds.length > 0 && !kindMatches(f.kinds, res.apiVersion, res.kind)) return false;
  if (f.names.length > 0 && !f.names.some((n) => kyvernoWildcard(n, res.name))) return false;
  if (f.namespaces.length > 0) {
    const ns = res.kind === 'Namespace' ? res.name : namespace;
    if (!f.namespaces.some((n) => kyvernoWildcard(n, ns))) return false;
  }
  if (f.annotations) {
    for (const [k, v] of Object.entries(f.annotations)) {
      if (!Object.entries(res.annotations).some(([ak, av]) => kyvernoWildcard(k, ak) && kyvernoWildcard(String(v), av))) return false;
    }
  }
  if (f.selector && !selectorMatches(f.selector, res.labels)) return false;
  if (f.unknown) return { unknown: f.unknown };
  return true;
}

function all(ds: MatchDecision[]): MatchDecision {
  if (ds.some((d) => d === false)) return false;
  return ds.find((d) => d !== true) ?? true;
}

function some(ds: MatchDecision[]): MatchDecision {
  if (ds.some((d) => d === true)) return true;
  return ds.find((d) => d !== false) ?? false;
}

function blockMatches(m: KyvernoMatch, res: ResourceInfo, ns: string): MatchDecision {
  if (m.any.length > 0) return some(m.any.map((f) => filterMatches(f, res, ns)));
  if (m.all.length > 0) return all(m.all.map((f) => filterMatches(f, res, ns)));
  return m.single ? filterMatches(m.single, res, ns) : false;
}

function excludes(m: KyvernoMatch, res: ResourceInfo, ns: string): MatchDecision {
  if (m.any.length > 0) return some(m.any.map((f) => filterMatches(f, res, ns)));
  if (m.all.length > 0) return all(m.all.map((f) => filterMatches(f, res, ns)));
  return m.single ? filterMatches(m.single, res, ns) : false;
}

/** `MatchesResourceDescription`: namespaced Policy scope, match, then exclude. */
export function ruleMatches(policy: KyvernoPolicy, rule: KyvernoRuleVariant, res: ResourceInfo, namespace: string): MatchDecision {
  if (policy.kind === 'Policy' && policy.namespace !== namespace) return false;
  const m = blockMatches(rule.match, res, namespace);
  if (m === false) return false;
  if (rule.exclude) {
    const x = excludes(rule.exclude, res, namespace);
    if (x === true) return false;
    if (x !== false) return x;
  }
  return m;
}

/** A rule as Kyverno evaluates it: the rule itself, or one it generated for Pod controllers (autogen). */
export interface KyvernoRuleVariant {
  rule: KyvernoRule;
  /** The name Kyverno reports: the rule's, or `autogen-<rule>` / `autogen-cronjob-<rule>` (63 characters at most). */
  name: string;
  match: KyvernoMatch;
  exclude: KyvernoMatch | null;
}

function allFilters(m: KyvernoMatch | null): KyvernoResourceFilter[] {
  if (!m) return [];
  return [...m.any, ...m.all, ...(m.single ? [m.single] : [])];
}

function filterKinds(m: KyvernoMatch | null): string[] {
  return allFilters(m).flatMap((f) => f.kinds);
}

/** Kyverno's `CanAutoGen` over the whole policy: the controllers its Pod rules are copied to, or none. */
export function autogenControllers(policy: KyvernoPolicy): string[] {
  let needed = false;
  for (const rule of policy.rules) {
    for (const f of [...allFilters(rule.match), ...allFilters(rule.exclude)]) {
      const mixed = f.kinds.length > 1 && containsKind(f.kinds, 'Pod');
      if (f.names.length > 0 || f.selector || f.annotations || mixed) return [];
      if (f.kinds.some((k) => POD_AND_CONTROLLERS.has(k))) needed = true;
    }
  }
  if (!needed) return [];
  const ann = policy.autogenAnnotation;
  if (ann === null) return [...KYVERNO_POD_CONTROLLERS];
  if (ann === 'none') return [];
  return ann.split(',').map((s) => s.trim());
}

function truncate(name: string): string {
  return name.length > 63 ? name.slice(0, 63) : name;
}

function replaceKinds(m: KyvernoMatch, kinds: string[], isExclude: boolean): KyvernoMatch {
  const swap = (f: KyvernoResourceFilter): KyvernoResourceFilter => (containsKind(f.kinds, 'Pod') ? { ...f, kinds } : f);
  if (m.any.length > 0) return { ...m, any: m.any.map(swap) };
  if (m.all.length > 0) return { ...m, all: m.all.map(swap) };
  if (!m.single) return m;
  if (isExclude && m.single.kinds.length === 0) return m;
  return { ...m, single: { ...m.single, kinds } };
}

/** The rules Kyverno evaluates for a policy: its own, then those autogen makes for Pod controllers. */
export function kyvernoRuleVariants(policy: KyvernoPolicy): KyvernoRuleVariant[] {
  const out: KyvernoRuleVariant[] = policy.rules.map((rule) => ({ rule, name: rule.name, match: rule.match, exclude: rule.exclude }));
  const controllers = autogenControllers(policy);
  if (controllers.length === 0) return out;
  const joined = controllers.join(',');
  const all = joined.includes('all');
  const podControllers = all ? NON_CRONJOB_CONTROLLERS : controllers.filter((c) => NON_CRONJOB_CONTROLLERS.includes(c));
  const cronJob = all || controllers.includes('CronJob');
  for (const rule of policy.rules) {
    if (rule.name.startsWith('autogen-')) continue;
    const matchKinds = filterKinds(rule.match);
    const excludeKinds = filterKinds(rule.exclude);
    if (!containsKind(matchKinds, 'Pod') || (excludeKinds.length > 0 && !containsKind(excludeKinds, 'Pod'))) continue;
    if (podControllers.length === 0) continue;
    const sorted = [...podControllers].sort();
    out.push({
      rule,
      name: truncate(`autogen-${rule.name}`),
      match: replaceKinds(rule.match, sorted, false),
      exclude: rule.exclude ? replaceKinds(rule.exclude, sorted, true) : null,
    });
    if (cronJob) {
      out.push({
        rule,
        name: truncate(`autogen-cronjob-${rule.name}`),
        match: replaceKinds(rule.match, ['CronJob'], false),
        exclude: rule.exclude ? replaceKinds(rule.exclude, ['CronJob'], true) : null,
      });
    }
  }
  return out;
}

/**
 * The failure action of a rule for a resource in `namespace`: a verifyImages entry's own `failureAction` (Enforce
 * wins when several say), else the first `validationFailureActionOverrides` entry for the namespace, else the
 * policy's `validationFailureAction` (default Audit). An override by namespace labels cannot be decided: `unknown`.
 */
export function kyvernoFailureAction(policy: KyvernoPolicy, rule: KyvernoRule, namespace: string): { action: 'Enforce' | 'Audit'; unknown?: string } {
  const own = rule.verifyImages.map((v) => v.failureAction).filter((a): a is 'Enforce' | 'Audit' => a !== null);
  if (own.length) return { action: own.includes('Enforce') ? 'Enforce' : own[0] };
  for (const o of policy.overrides) {
    if (o.unknown) return { action: policy.validationFailureAction, unknown: o.unknown };
    if (o.namespaces === null || o.namespaces.some((n) => kyvernoWildcard(n, namespace))) return { action: o.action };
  }
  return { action: policy.validationFailureAction };
}

// ---------------------------------------------------------------------------------------------------------
// policy-controller

/** Kinds the policy-controller webhook validates (pods and the pod-spec-able workloads). */
export const PC_KINDS = new Set(['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicationController']);

/** `meta.UnsafeGuessKindToResource`: the plural resource name of a kind. */
export function guessResource(kind: string): string {
  const k = kind.toLowerCase();
  if (k === '') return '';
  if (k.endsWith('s')) return `${k}es`;
  if (k.endsWith('y')) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/** A ClusterImagePolicy's `match`: none means every resource; otherwise one entry must select this one. */
export function pcResourceMatches(policy: PcPolicy, res: ResourceInfo): boolean {
  if (policy.match.length === 0) return true;
  const [group, version] = groupVersion(res.apiVersion);
  const resource = guessResource(res.kind);
  return policy.match.some((m) => m.resource === resource && (m.version === version || m.version === '*') && m.group === group && (!m.selector || selectorMatches(m.selector, res.labels)));
}
