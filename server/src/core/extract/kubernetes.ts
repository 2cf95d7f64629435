// Image references in Kubernetes manifests.
//
// Workload kinds of the built-in API groups are read at their exact pod-spec paths. Any other kind (CRDs such as
// Argo Rollouts/Workflows, Knative services, Tekton tasks, unknown kinds, documents without a kind) is searched for
// every `image:` key with a scalar value, at any depth. ConfigMaps and Secrets hold data, never images. Text inside a
// string value is never looked into, so a ConfigMap embedding a manifest yields nothing.

import { isMap, isSeq } from 'yaml';
import type { Node, YAMLMap } from 'yaml';
import type { RawRef } from '../types';
import {
  extractFromDocuments,
  formatPath,
  isStringScalar,
  itemLabel,
  keyName,
  mapGet,
  mapGetMap,
  reportInline,
  scalarString,
  walkMappings,
  type YamlDoc,
  type YamlExtraction,
} from './yaml-util';

/** Where each built-in workload kind keeps its pod spec, as a key path from the manifest root. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  PodTemplate: ['template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** Kinds that carry data, not workloads: their contents are never images. */
const DATA_KINDS = new Set(['ConfigMap', 'Secret']);

/**
 * API groups whose kinds have the built-in schema. A same-named kind from another group (a CRD called
 * `Deployment`) is searched generically instead, so no image is missed because of an assumed layout.
 */
const BUILTIN_GROUP = /^(v1|(apps|extensions|batch)\/[^/]+)$/;

export function extractKubernetes(text: string): RawRef[] {
  return extractKubernetesWithErrors(text).refs;
}

/** Like `extractKubernetes`, also returning the YAML errors of the documents that yielded nothing. */
export function extractKubernetesWithErrors(text: string): YamlExtraction {
  return extractFromDocuments(text, 'kubernetes', (doc) => {
    extractManifest(doc, doc.doc.contents, new Set());
  });
}

/** One manifest (or a `List`/top-level sequence of them). `seen` stops alias loops between lists. */
function extractManifest(doc: YamlDoc, value: unknown, seen: Set<Node>): void {
  const node = doc.deref(value);
  if (!node || seen.has(node)) return;
  seen.add(node);
  if (isSeq(node)) {
    for (const item of node.items) extractManifest(doc, item, seen);
    return;
  }
  if (!isMap(node)) return;
  const kind = scalarString(mapGet(doc, node, 'kind')) ?? '';
  const items = mapGet(doc, node, 'items');
  if (kind.endsWith('List') && isSeq(items)) {
    for (const item of items.items) extractManifest(doc, item, seen);
    return;
  }
  if (DATA_KINDS.has(kind)) return;
  const label = manifestLabel(doc, node, kind);
  const podSpecPath = POD_SPEC_PATHS[kind];
  if (podSpecPath && hasBuiltinSchema(doc, node)) extractPodSpec(doc, followPath(doc, node, podSpecPath), label);
  else extractAnyImageKey(doc, node, label);
}

function hasBuiltinSchema(doc: YamlDoc, manifest: YAMLMap): boolean {
  const apiVersion = scalarString(mapGet(doc, manifest, 'apiVersion'));
  return !apiVersion || BUILTIN_GROUP.test(apiVersion);
}

/** "Deployment web" — kind and metadata.name (or generateName, as Argo workflows use), as far as they are known. */
function manifestLabel(doc: YamlDoc, manifest: YAMLMap, kind: string): string {
  const metadata = mapGetMap(doc, manifest, 'metadata');
  const name = metadata
    ? scalarString(mapGet(doc, metadata, 'name')) || scalarString(mapGet(doc, metadata, 'generateName'))
    : undefined;
  return [kind || 'manifest', name].filter(Boolean).join(' ');
}

function followPath(doc: YamlDoc, root: YAMLMap, path: readonly string[]): YAMLMap | undefined {
  let node: YAMLMap | undefined = root;
  for (const key of path) {
    if (!node) return undefined;
    node = mapGetMap(doc, node, key);
  }
  return node;
}

function extractPodSpec(doc: YamlDoc, podSpec: YAMLMap | undefined, label: string): void {
  if (!podSpec) return;
  for (const list of CONTAINER_LISTS) {
    const containers = mapGet(doc, podSpec, list);
    if (!isSeq(containers)) continue;
    containers.items.forEach((item, index) => {
      const container = doc.deref(item);
      if (!isMap(container)) return;
      const context = `${label} › ${list}[${itemLabel(doc, container, index)}]`;
      reportInline(doc, mapGet(doc, container, 'image'), context);
    });
  }
}

/**
 * Every `image:` key with a string value. An `image:` mapping (Helm-style parts) is not a Kubernetes field, and a
 * number or boolean under some CRD's `image` key is more likely a flag than a reference.
 */
function extractAnyImageKey(doc: YamlDoc, manifest: YAMLMap, label: string): void {
  walkMappings(doc, manifest, (map, path) => {
    for (const pair of map.items) {
      if (keyName(pair.key) !== 'image') continue;
      const value = doc.deref(pair.value);
      if (isStringScalar(value)) {
        const where = formatPath(doc, path);
        reportInline(doc, value, where ? `${label} › ${where}` : label);
      }
    }
  });
}
