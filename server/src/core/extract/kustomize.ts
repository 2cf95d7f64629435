// Image references in kustomization files: the `images:` overrides.
//
// An entry `{name, newName, newTag, digest}` makes kustomize rewrite every image called `name` in the resources to
// `(newName ?? name)[:newTag][@digest]`. Entries with neither `newTag` nor `digest` (only a rename) leave the tag to
// the base resources, so they say nothing about pinning and are not reported.
//
// The reported range is the `name` value: every entry has one, it identifies the override, and it does not move or
// change when a digest is added — while `newTag` may be absent and `digest` is what pinning writes.

import { isMap, isScalar, isSeq } from 'yaml';
import type { YAMLMap } from 'yaml';
import type { RawRef } from '../types';
import { isTemplated } from './templating';
import {
  extractFromDocuments,
  itemLabel,
  mapGet,
  mappingKeyPin,
  scalarSite,
  scalarString,
  type YamlDoc,
  type YamlExtraction,
} from './yaml-util';

export function extractKustomize(text: string): RawRef[] {
  return extractKustomizeWithErrors(text).refs;
}

/** Like `extractKustomize`, also returning the YAML errors of the documents that yielded nothing. */
export function extractKustomizeWithErrors(text: string): YamlExtraction {
  return extractFromDocuments(text, 'kustomize', (doc) => {
    const root = doc.deref(doc.doc.contents);
    const images = isMap(root) ? mapGet(doc, root, 'images') : undefined;
    if (!isSeq(images)) return;
    images.items.forEach((item, index) => {
      const entry = doc.deref(item);
      if (isMap(entry)) extractEntry(doc, entry, `images[${itemLabel(doc, entry, index)}]`);
    });
  });
}

function extractEntry(doc: YamlDoc, entry: YAMLMap, context: string): void {
  const nameNode = mapGet(doc, entry, 'name');
  const name = scalarString(nameNode)?.trim();
  if (!isScalar(nameNode) || !name) return;
  const newName = scalarString(mapGet(doc, entry, 'newName'))?.trim() || undefined;
  const newTag = scalarString(mapGet(doc, entry, 'newTag'))?.trim() || undefined;
  const digest = scalarString(mapGet(doc, entry, 'digest'))?.trim() || undefined;
  if (!newTag && !digest) return;
  const site = scalarSite(doc.text, nameNode);
  if (!site) return;

  const reference = (newName ?? name) + (newTag ? `:${newTag}` : '') + (digest ? `@${digest}` : '');
  const templated = [name, newName ?? '', newTag ?? '', digest ?? ''].some(isTemplated);
  const ref: RawRef = { kind: 'kustomize', range: site.range, text: site.text, reference, templated, context };
  if (!templated && site.pinnable) ref.pin = mappingKeyPin(doc, entry, ['name', 'newName', 'newTag']);
  doc.report(ref);
}
