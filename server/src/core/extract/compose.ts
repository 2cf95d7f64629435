// Image references in compose files: `services.<name>.image`.
//
// Compose interpolates `${VAR}`/`${VAR:-default}` before use, so such values are reported as templated. `<<` merge
// keys (common with `x-` extension anchors) are followed; an image inherited from an anchor is reported once, at the
// anchor's scalar. Legacy version-1 files, which have no `services` key and list services at the top level, are read
// too: a top-level mapping entry counts as a service when it has `image` or `build`.

import { isMap } from 'yaml';
import type { Node, YAMLMap } from 'yaml';
import type { RawRef } from '../types';
import { extractFromDocuments, mapEntries, mapGet, reportInline, type YamlDoc, type YamlExtraction } from './yaml-util';

export function extractCompose(text: string): RawRef[] {
  return extractComposeWithErrors(text).refs;
}

/** Like `extractCompose`, also returning the YAML errors of the documents that yielded nothing. */
export function extractComposeWithErrors(text: string): YamlExtraction {
  return extractFromDocuments(text, 'compose', (doc) => {
    const root = doc.deref(doc.doc.contents);
    if (!isMap(root)) return;
    const services = mapGet(doc, root, 'services');
    if (isMap(services)) {
      for (const [name, service] of mapEntries(doc, services)) extractService(doc, name, service);
    } else if (services === undefined) {
      for (const [name, entry] of mapEntries(doc, root)) {
        if (isLegacyService(doc, entry)) extractService(doc, name, entry);
      }
    }
  });
}

function extractService(doc: YamlDoc, name: string, service: Node | undefined): void {
  if (!isMap(service)) return;
  reportInline(doc, mapGet(doc, service, 'image'), `service ${name}`);
}

function isLegacyService(doc: YamlDoc, entry: Node | undefined): entry is YAMLMap {
  return isMap(entry) && (mapGet(doc, entry, 'image') !== undefined || mapGet(doc, entry, 'build') !== undefined);
}
