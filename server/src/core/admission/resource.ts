// Which Kubernetes resource an image reference belongs to (kind, name, namespace, labels): what admission policies
// match on. Read from the manifest text around the reference.
import { isMap, isSeq, parseAllDocuments, type Document } from 'yaml';
import type { ResourceInfo } from './types';

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out[k] = x;
  return out;
}

function info(value: unknown): ResourceInfo | null {
  const o = obj(value);
  if (typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') return null;
  const meta = obj(o.metadata);
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: typeof meta.name === 'string' ? meta.name : typeof meta.generateName === 'string' ? meta.generateName : '',
    namespace: typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : null,
    labels: strings(meta.labels),
    annotations: strings(meta.annotations),
  };
}

/** Resource lookup for one manifest text, parsed once. */
export class ManifestResources {
  private docs: { range: [number, number]; doc: Document.Parsed }[] | null = null;
  constructor(private readonly text: string) {}

  private parsed() {
    if (!this.docs) {
      this.docs = [];
      try {
        for (const doc of parseAllDocuments(this.text, { prettyErrors: false }) as Document.Parsed[]) {
          const r = doc.range;
          if (doc.errors.length === 0 && r) this.docs.push({ range: [r[0], r[2]], doc });
        }
      } catch {
        /* unreadable: no resources */
      }
    }
    return this.docs;
  }

  /** The whole object (as JSON) of the resource holding `offset`, or null: what CEL policies see as `object`. */
  objectAt(offset: number): Record<string, unknown> | null {
    const d = this.parsed().find((x) => x.range[0] <= offset && offset <= x.range[1]);
    if (!d) return null;
    const contents = d.doc.contents;
    const items = isMap(contents) ? contents.get('items', true) : isSeq(contents) ? contents : null;
    try {
      if (isSeq(items)) {
        for (const item of items.items) {
          const r = (item as { range?: [number, number, number] }).range;
          if (r && r[0] <= offset && offset <= r[1]) return obj((item as { toJS(doc: Document, o: { maxAliasCount: number }): unknown }).toJS(d.doc, { maxAliasCount: 100 }));
        }
      }
      const v = d.doc.toJS({ maxAliasCount: 100 });
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  /** The resource holding `offset`, or null (not a Kubernetes object, or unreadable). */
  at(offset: number): ResourceInfo | null {
    const d = this.parsed().find((x) => x.range[0] <= offset && offset <= x.range[1]);
    if (!d) return null;
    const contents = d.doc.contents;
    // A List (or a top-level sequence): the item holding the offset.
    const items = isMap(contents) ? contents.get('items', true) : isSeq(contents) ? contents : null;
    if (isSeq(items)) {
      for (const item of items.items) {
        const r = (item as { range?: [number, number, number] }).range;
        if (r && r[0] <= offset && offset <= r[1]) {
          try {
            return info((item as { toJS(doc: Document, o: { maxAliasCount: number }): unknown }).toJS(d.doc, { maxAliasCount: 100 }));
          } catch {
            return null;
          }
        }
      }
    }
    try {
      return info(d.doc.toJS({ maxAliasCount: 100 }));
    } catch {
      return null;
    }
  }
}
