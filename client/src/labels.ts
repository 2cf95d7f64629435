// How a reference reads in the trust tree: a short label a person recognizes (`web:1.0`), where it comes from and
// which digest as the description (`ghcr.io/acme · sha256:3f1e8a0b1c2d`), and the full reference in the tooltip.
// No vscode import: unit-tested as plain functions.

export interface LabelledReference {
  /** The reference as assembled from the file (`ghcr.io/acme/web:1.0`). */
  reference: string;
  /** Canonical repository name (`ghcr.io/acme/web`, `docker.io/library/nginx`), or null when not parsed. */
  name: string | null;
  tag: string | null;
  digest: string | null;
  status: string;
}

/** `sha256:` and the first 12 hex digits: enough to recognize, as `docker images` shows. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 19);
}

/** `web:1.0`, `web@sha256:3f1e8a0b1c2d` (digest only), `web` (no tag: implicit latest); else the text as written. */
export function shortName(r: LabelledReference): string {
  if (!r.name) return r.reference;
  const last = r.name.slice(r.name.lastIndexOf('/') + 1);
  if (r.tag) return `${last}:${r.tag}`;
  if (r.digest) return `${last}@${shortDigest(r.digest)}`;
  return last;
}

/** Registry and namespace: `ghcr.io/acme`, `docker.io/library`, `127.0.0.1:5000/demo`. */
export function registryPart(r: LabelledReference): string | null {
  if (!r.name) return null;
  const slash = r.name.lastIndexOf('/');
  return slash > 0 ? r.name.slice(0, slash) : r.name;
}

/** `ghcr.io/acme · sha256:3f1e8a0b1c2d` when pinned, `ghcr.io/acme · not pinned` otherwise; the status when unparsed. */
export function referenceDescription(r: LabelledReference): string {
  const registry = registryPart(r);
  if (!registry) return r.status;
  return `${registry} · ${r.digest ? shortDigest(r.digest) : 'not pinned'}`;
}

/** The full canonical reference: `docker.io/library/nginx:1.25@sha256:…` (the text as written when unparsed). */
export function fullReference(r: LabelledReference): string {
  if (!r.name) return r.reference;
  return `${r.name}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}
