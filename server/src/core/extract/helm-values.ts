// Image references in Helm values files.
//
// Two shapes, at any depth:
// - image blocks: a mapping with `repository` and `tag` and/or `digest`, optionally `registry` (the Bitnami
//   convention, used by most charts). The chart's templates assemble `[registry/]repository[:tag][@digest]`.
// - plain strings: `image: repo:tag`.
// A non-empty top-level `global.imageRegistry` replaces the registry of every block, as the Bitnami, Grafana and
// prometheus-community templates do (`default .image.registry .global.imageRegistry`).

import { isMap, isScalar } from 'yaml';
import type { Node, YAMLMap } from 'yaml';
import type { RawRef } from '../types';
import { isTemplated } from './templating';
import {
  extractFromDocuments,
  formatPath,
  isStringScalar,
  keyName,
  mapGet,
  mapGetMap,
  mappingKeyPin,
  ownPair,
  reportInline,
  scalarSite,
  scalarString,
  walkMappings,
  type PathStep,
  type YamlDoc,
  type YamlExtraction,
} from './yaml-util';

export function extractHelmValues(text: string): RawRef[] {
  return extractHelmValuesWithErrors(text).refs;
}

/** Like `extractHelmValues`, also returning the YAML errors of the documents that yielded nothing. */
export function extractHelmValuesWithErrors(text: string): YamlExtraction {
  return extractFromDocuments(text, 'helm-values', (doc) => {
    const globalRegistry = readGlobalRegistry(doc);
    walkMappings(doc, doc.doc.contents, (map, path, enclosing) => {
      extractImageBlock(doc, map, path, globalRegistry);
      extractImageStrings(doc, map, path, enclosing);
    });
  });
}

function readGlobalRegistry(doc: YamlDoc): string {
  const root = doc.deref(doc.doc.contents);
  const global = isMap(root) ? mapGetMap(doc, root, 'global') : undefined;
  const registry = global ? scalarString(mapGet(doc, global, 'imageRegistry')) : undefined;
  return registry?.trim() ?? '';
}

/**
 * Plain `image: repo:tag` strings. Some charts build the reference from parts, and then the string is only a name the
 * chart completes — not the reference that runs, and not pinnable in place — so it is reported as templated:
 * - next to `tag`/`imageTag`/`registry` keys (`image: grafana/logstash-output-loki` + `imageTag: 1.0.1`);
 * - Istio: a name without `/` next to or below a `hub` (`global.hub` + `global.proxy.image: proxyv2` + `global.tag`);
 *   Istio's templates use an `image` containing `/` as it is.
 */
function extractImageStrings(doc: YamlDoc, map: YAMLMap, path: PathStep[], enclosing: readonly YAMLMap[]): void {
  for (const pair of map.items) {
    if (keyName(pair.key) !== 'image') continue;
    const value = doc.deref(pair.value);
    if (!isStringScalar(value)) continue;
    const completedByChart =
      SIBLING_PART_KEYS.some((key) => mapGet(doc, map, key) !== undefined) ||
      (!scalarString(value)?.includes('/') && [map, ...enclosing].some((m) => mapGet(doc, m, 'hub') !== undefined));
    reportInline(doc, value, pathText(doc, path, 'image'), completedByChart);
  }
}

const SIBLING_PART_KEYS = ['tag', 'imageTag', 'registry'] as const;

/** The parts of an image block, as written (`undefined` = key absent, '' = key present but empty). */
interface BlockParts {
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

function extractImageBlock(doc: YamlDoc, map: YAMLMap, path: PathStep[], globalRegistry: string): void {
  if (!ownPair(map, 'repository') && !map.items.some((p) => keyName(p.key) === '<<')) return;
  const repositoryNode = mapGet(doc, map, 'repository');
  if (!isScalar(repositoryNode)) return;
  const parts = readParts(doc, map, repositoryNode);
  if (!parts || !isImageBlock(parts, path)) return;
  const site = scalarSite(doc.text, repositoryNode);
  if (!site) return;

  const registry = globalRegistry || parts.registry || '';
  const digest = parts.digest ?? '';
  // An empty `tag: ""` (or `tag:`) without a digest means "the chart decides": charts fill it with the chart's
  // appVersion (`.Values.image.tag | default .Chart.AppVersion`), which this file does not know — so the reference
  // is reported as templated rather than as an implicit `latest`. No `tag` key at all is an implicit latest.
  const tagDecidedByChart = parts.tag === '' && digest === '';
  const reference =
    (registry ? `${registry}/` : '') +
    parts.repository +
    (parts.tag ? `:${parts.tag}` : '') +
    (digest ? `@${digest}` : '');
  const templated = tagDecidedByChart || [registry, parts.repository, parts.tag ?? '', digest].some(isTemplated);

  const ref: RawRef = {
    kind: 'helm-values',
    range: site.range,
    text: site.text,
    reference,
    templated,
    context: `${pathText(doc, path, '')} (image block)`.trimStart(),
  };
  if (!templated && site.pinnable) ref.pin = mappingKeyPin(doc, map, ['repository', 'tag']);
  doc.report(ref);
}

function readParts(doc: YamlDoc, map: YAMLMap, repositoryNode: Node): BlockParts | undefined {
  const repository = scalarString(repositoryNode)?.trim();
  if (!repository) return undefined;
  const parts: BlockParts = { repository };
  for (const key of ['registry', 'tag', 'digest'] as const) {
    const node = mapGet(doc, map, key);
    if (node === undefined) continue;
    const value = scalarString(node);
    if (value === undefined) return undefined; // a mapping/sequence under `tag` etc.: not an image block
    parts[key] = value.trim();
  }
  return parts;
}

/**
 * `repository` alone is also used for Git and chart repositories; it names an image only next to `tag`, `digest` or
 * `registry`, or when the block sits under a key that says "image" (`image:`, `kubectlImage:`), where a missing tag
 * is an implicit latest.
 */
function isImageBlock(parts: BlockParts, path: PathStep[]): boolean {
  if (parts.tag !== undefined || parts.digest !== undefined || parts.registry !== undefined) return true;
  const parentKey = path[path.length - 1];
  return typeof parentKey === 'string' && /image/i.test(parentKey);
}

function pathText(doc: YamlDoc, path: PathStep[], leaf: string): string {
  const where = formatPath(doc, path);
  if (!leaf) return where;
  return where ? `${where}.${leaf}` : leaf;
}
