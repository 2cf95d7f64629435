// Image references in dev container definitions (`.devcontainer/devcontainer.json`, `.devcontainer.json`,
// `.devcontainer/<folder>/devcontainer.json`): the `image` property, and the keys of `features` that are OCI
// references (`ghcr.io/devcontainers/features/node:1`). Feature ids that are not OCI references — local folders
// (`./local-feature`), tarball URLs, and the deprecated short ids (`node`, `owner/repo/feature`) — are skipped.
//
// The file is JSON with comments (and trailing commas); `jsonc-parser` gives exact offsets, so a pin changes only the
// reference inside its quotes and every comment stays. A Feature is pinned by replacing its tag with the digest
// (`…/node:1` → `…/node@sha256:…`): the dev container CLI refuses `name:tag@digest` for Features (it parses the
// digest after `@` and then rejects the `:tag` left in the path). The image is pinned like everywhere
// (`tag@digest`). Values with `${localEnv:…}` variables are templated.

import { parseTree, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import type { OffsetRange, RawRef } from '../types';
import { isTemplated } from './templating';
import type { YamlExtraction } from './yaml-util';

export function extractDevcontainer(text: string): RawRef[] {
  return extractDevcontainerWithErrors(text).refs;
}

/**
 * References, and no problems: `jsonc-parser` recovers from syntax errors (what it reads is reported), and the
 * editor's JSON support already shows them.
 */
export function extractDevcontainerWithErrors(text: string): YamlExtraction {
  const refs: RawRef[] = [];
  let root: JsonNode | undefined;
  try {
    const errors: ParseError[] = [];
    root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  } catch {
    return { refs, errors: [] };
  }
  if (root?.type !== 'object') return { refs, errors: [] };
  for (const property of root.children ?? []) {
    const [key, value] = property.children ?? [];
    if (key?.type !== 'string' || !value) continue;
    if (key.value === 'image' && value.type === 'string') {
      const ref = stringRef(text, value, 'image', false);
      if (ref) refs.push(ref);
    } else if (key.value === 'features' && value.type === 'object') {
      for (const feature of value.children ?? []) {
        const id = feature.children?.[0];
        if (id?.type !== 'string' || typeof id.value !== 'string' || !isOciFeature(id.value)) continue;
        const ref = stringRef(text, id, 'features (dev container Feature)', true);
        if (ref) refs.push(ref);
      }
    }
  }
  return { refs: refs.sort((a, b) => a.range.start - b.range.start), errors: [] };
}

/**
 * An OCI Feature id: `registry/path[:tag|@digest]` whose first component is a registry host (a dot, a port, or
 * `localhost`). Not: `./local`, `../x`, `/abs`, `https://…tgz`, and the deprecated `node` / `owner/repo/feature@v`.
 */
export function isOciFeature(id: string): boolean {
  if (id.startsWith('.') || id.startsWith('/') || /^[a-z][a-z0-9+.-]*:\/\//i.test(id)) return false;
  const slash = id.indexOf('/');
  if (slash <= 0) return false;
  const host = id.slice(0, slash);
  return host.includes('.') || host.includes(':') || host === 'localhost';
}

function stringRef(text: string, node: JsonNode, context: string, feature: boolean): RawRef | null {
  const value = node.value;
  if (typeof value !== 'string' || value.trim() === '') return null;
  // Inside the quotes; an unterminated string (a syntax error) has no closing quote to leave out.
  const start = node.offset + 1;
  const end = Math.max(start, text[node.offset + node.length - 1] === '"' && node.length >= 2 ? node.offset + node.length - 1 : node.offset + node.length);
  const range: OffsetRange = { start, end };
  const written = text.slice(start, end);
  const templated = isTemplated(value);
  const ref: RawRef = { kind: 'devcontainer', range, text: written, reference: value, templated, context };
  if (!templated && written === value) ref.pin = feature ? { type: 'inline', range: { ...range }, dropTag: true } : { type: 'inline', range: { ...range } };
  return ref;
}
