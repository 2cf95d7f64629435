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

import { visit } from 'jsonc-parser';
import type { OffsetRange, RawRef } from '../types';
import { isTemplated } from './templating';
import type { YamlExtraction } from './yaml-util';

export function extractDevcontainer(text: string): RawRef[] {
  return extractDevcontainerWithErrors(text).refs;
}

/**
 * References, and no problems: `jsonc-parser` recovers from syntax errors (what it reads is reported), and the
 * editor's JSON support already shows them. Read with the parser's visitor (no syntax tree is built): the root
 * object's `image` string, and the property names of the root's `features` object.
 */
export function extractDevcontainerWithErrors(text: string): YamlExtraction {
  const refs: RawRef[] = [];
  let depth = 0;
  let rootIsObject = false;
  /** The last property name read at the root (depth 1), to know what a value belongs to. */
  let rootProperty: string | undefined;
  /** The depth of the `features` object while inside it, else 0. */
  let featuresDepth = 0;
  try {
    visit(
      text,
      {
        onObjectBegin: () => {
          if (depth === 0) rootIsObject = true;
          else if (depth === 1 && rootIsObject && rootProperty === 'features') featuresDepth = 2;
          depth++;
        },
        onObjectEnd: () => {
          depth--;
          if (depth < 2) featuresDepth = 0;
        },
        onArrayBegin: () => {
          depth++;
        },
        onArrayEnd: () => {
          depth--;
        },
        onObjectProperty: (property, offset, length) => {
          if (depth === 1 && rootIsObject) rootProperty = property;
          else if (featuresDepth === 2 && depth === 2 && isOciFeature(property)) {
            const ref = stringRef(text, property, offset, length, 'features (dev container Feature)', true);
            if (ref) refs.push(ref);
          }
        },
        onLiteralValue: (value, offset, length) => {
          if (depth === 1 && rootIsObject && rootProperty === 'image' && typeof value === 'string') {
            const ref = stringRef(text, value, offset, length, 'image', false);
            if (ref) refs.push(ref);
          }
        },
      },
      { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true },
    );
  } catch {
    // never throws in practice; a failure loses only what was not read yet
  }
  return { refs, errors: [] };
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

function stringRef(text: string, value: string, offset: number, length: number, context: string, feature: boolean): RawRef | null {
  if (value.trim() === '') return null;
  // Inside the quotes; an unterminated string (a syntax error) has no closing quote to leave out.
  const start = offset + 1;
  const end = Math.max(start, length >= 2 && text.charCodeAt(offset + length - 1) === 34 /* " */ ? offset + length - 1 : offset + length);
  const range: OffsetRange = { start, end };
  const written = text.slice(start, end);
  const templated = isTemplated(value);
  const ref: RawRef = { kind: 'devcontainer', range, text: written, reference: value, templated, context };
  if (!templated && written === value) ref.pin = feature ? { type: 'inline', range: { start, end }, dropTag: true } : { type: 'inline', range: { start, end } };
  return ref;
}
