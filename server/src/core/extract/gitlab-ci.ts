// Image references in GitLab CI files (`.gitlab-ci.yml`, `*.gitlab-ci.yml`, and files the project includes with
// `include: local`): `image` and `services` at the top level (global, deprecated but valid), under `default:` and in
// every job (hidden `.template` jobs too), each a string or a mapping with `name` (`entrypoint`, `pull_policy`,
// `alias`, … are left alone).
//
// Variables: `$VAR`/`${VAR}` are expanded with the `variables:` defaults written in the same file (the job's own
// over the global ones, a value may use other variables), like Dockerfile ARG defaults. A reference that is entirely
// one variable is reported at that variable's value (where a digest belongs); one assembled from text and variables is
// reported where it is written. Anything left unresolved (predefined `$CI_…` variables, project settings, component
// inputs `$[[ inputs.x ]]`) is templated. A `$CI_DEPENDENCY_PROXY_…_IMAGE_PREFIX/` prefix is GitLab's pull-through
// cache of Docker Hub: the reference is the Docker Hub image after it (as Renovate reads it), reported after the
// prefix, so a pin appends its digest and keeps the prefix.

import { isMap, isScalar, isSeq } from 'yaml';
import type { Node, Scalar, YAMLMap } from 'yaml';
import type { OffsetRange, RawRef } from '../types';
import { isTemplated } from './templating';
import {
  extractFromDocuments,
  mapEntries,
  mapGet,
  mapGetMap,
  scalarSite,
  scalarString,
  type YamlDoc,
  type YamlExtraction,
} from './yaml-util';

/** Top-level keys that are not jobs. */
const RESERVED = new Set(['default', 'include', 'stages', 'variables', 'workflow', 'image', 'services', 'cache', 'before_script', 'after_script', 'types', 'spec']);

const DEPENDENCY_PROXY = /^\$\{?CI_DEPENDENCY_PROXY_(?:DIRECT_)?GROUP_IMAGE_PREFIX\}?\//;
const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
const COMPONENT_INPUT = /\$\[\[/;
const MAX_EXPANSION_DEPTH = 8;
const MAX_EXPANDED_LENGTH = 4096;

/** One place a reference is reported at, with every use of it (a variable's default can serve many jobs). */
interface Site {
  ref: RawRef;
  uses: Set<string>;
}

/** The uses of a site, for its context: the first few, and how many more. */
function usesText(uses: string[]): string {
  const shown = uses.slice(0, MAX_USES_SHOWN).join(', ');
  return uses.length > MAX_USES_SHOWN ? `${shown} and ${uses.length - MAX_USES_SHOWN} more` : shown;
}

const MAX_USES_SHOWN = 8;

/** A variable's default as written: its value and where that value's scalar stands. */
interface Variable {
  value: string;
  node: Scalar;
  name: string;
}
type Scope = Map<string, Variable>;

export function extractGitlabCi(text: string): RawRef[] {
  return extractGitlabCiWithErrors(text).refs;
}

export function extractGitlabCiWithErrors(text: string): YamlExtraction {
  return extractFromDocuments(text, 'gitlab-ci', (doc) => {
    const root = doc.deref(doc.doc.contents);
    if (!isMap(root)) return;
    const sites = new Map<string, Site>();
    const global = readVariables(doc, root, new Map());
    extractImages(doc, root, global, 'global', sites);
    const defaults = mapGetMap(doc, root, 'default');
    if (defaults) extractImages(doc, defaults, global, 'default', sites);
    for (const [name, job] of mapEntries(doc, root)) {
      if (RESERVED.has(name) || !isMap(job)) continue;
      extractImages(doc, job, readVariables(doc, job, global), `job ${name}`, sites);
    }
    for (const { ref, uses } of sites.values()) {
      const list = usesText([...uses]);
      doc.report({ ...ref, context: ref.context ? `${ref.context}, used by ${list}` : list });
    }
  });
}

/** `variables:` of a mapping (global or a job's), over `inherited`. Values are strings or `{ value: … }`. */
function readVariables(doc: YamlDoc, owner: YAMLMap, inherited: Scope): Scope {
  const block = mapGetMap(doc, owner, 'variables');
  if (!block) return inherited;
  const scope: Scope = new Map(inherited);
  for (const [name, entry] of mapEntries(doc, block)) {
    const node = isMap(entry) ? mapGet(doc, entry, 'value') : entry;
    if (!isScalar(node)) continue;
    scope.set(name, { value: scalarString(node) ?? '', node, name });
  }
  return scope;
}

function extractImages(doc: YamlDoc, owner: YAMLMap, scope: Scope, label: string, sites: Map<string, Site>): void {
  const image = mapGet(doc, owner, 'image');
  if (isScalar(image)) report(doc, image, scope, `${label} › image`, sites);
  else if (isMap(image)) report(doc, mapGet(doc, image, 'name'), scope, `${label} › image.name`, sites);
  const services = mapGet(doc, owner, 'services');
  if (!isSeq(services)) return;
  services.items.forEach((item, index) => {
    const service = doc.deref(item);
    if (isScalar(service)) report(doc, service, scope, `${label} › services[${index}]`, sites);
    else if (isMap(service)) report(doc, mapGet(doc, service, 'name'), scope, `${label} › services[${index}].name`, sites);
  });
}

interface Expansion {
  value: string;
  unresolved: boolean;
  /** The variable the whole value came from (followed through `A: $B` chains to the literal), if any. */
  sole?: Variable;
}

/** Expands `$VAR`/`${VAR}` with the scope's defaults; unknown variables stay as written (and make it unresolved). */
function expand(value: string, scope: Scope, depth = 0): Expansion {
  if (COMPONENT_INPUT.test(value)) return { value, unresolved: true };
  const whole = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/.exec(value);
  if (whole && depth < MAX_EXPANSION_DEPTH) {
    const variable = scope.get(whole[1] ?? whole[2]);
    if (!variable) return { value, unresolved: true };
    const inner = expand(variable.value, scope, depth + 1);
    return { ...inner, sole: inner.sole ?? variable };
  }
  let unresolved = false;
  const out = value.replace(VARIABLE, (match, braced: string | undefined, bare: string | undefined) => {
    const variable = depth < MAX_EXPANSION_DEPTH ? scope.get(braced ?? bare ?? '') : undefined;
    if (!variable) {
      unresolved = true;
      return match;
    }
    const inner = expand(variable.value, scope, depth + 1);
    unresolved ||= inner.unresolved;
    return inner.value;
  });
  if (out.length > MAX_EXPANDED_LENGTH) return { value, unresolved: true };
  return { value: out, unresolved: unresolved || COMPONENT_INPUT.test(out) };
}

function report(doc: YamlDoc, node: Node | undefined, scope: Scope, use: string, sites: Map<string, Site>): void {
  if (!isScalar(node) || typeof node.value !== 'string') return;
  const written = scalarString(node) ?? '';
  if (written.trim() === '') return;
  const site = scalarSite(doc.text, node);
  if (!site) return;

  let range: OffsetRange = site.range;
  let pinnable = site.pinnable && site.text === written;
  let rest = written;
  let via = '';
  const proxy = DEPENDENCY_PROXY.exec(written);
  if (proxy) {
    rest = written.slice(proxy[0].length);
    via = ' (through the GitLab Dependency Proxy)';
    if (pinnable) range = { start: site.range.start + proxy[0].length, end: site.range.end };
  }
  const expansion = expand(rest, scope);
  const templated = expansion.unresolved || isTemplated(expansion.value);
  let context: string | undefined;
  if (expansion.sole && !proxy && !templated) {
    // The whole reference is one variable's default: report (and pin) it there.
    const valueSite = scalarSite(doc.text, expansion.sole.node);
    if (valueSite) {
      range = valueSite.range;
      // Written as is (no YAML escapes); a value that uses other variables is pinned where it is written, as in
      // Dockerfiles (`golang:${GO_VERSION}-bookworm@sha256:…`).
      pinnable = valueSite.pinnable && valueSite.text === expansion.sole.value;
      context = `variables.${expansion.sole.name} default`;
    }
  }
  const key = `${range.start}:${range.end}`;
  const existing = sites.get(key);
  if (existing) {
    existing.uses.add(use + via);
    return;
  }
  const ref: RawRef = {
    kind: 'gitlab-ci',
    range,
    text: doc.text.slice(range.start, range.end),
    reference: expansion.value,
    templated,
    ...(context ? { context } : {}),
  };
  if (!templated && pinnable) ref.pin = { type: 'inline', range: { ...range } };
  sites.set(key, { ref, uses: new Set([use + via]) });
}
