import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { extractDockerfile, isDockerfileName } from '../../server/src/core/extract/dockerfile';
import type { RawRef } from '../../server/src/core/types';

const FIXTURES = path.resolve(process.cwd(), 'test/fixtures/extract/dockerfile');

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** Extracts and checks the invariants every result must hold, whatever the input. */
function extract(text: string): RawRef[] {
  const refs = extractDockerfile(text);
  for (const ref of refs) assertInvariants(text, ref);
  return refs;
}

function assertInvariants(text: string, ref: RawRef): void {
  assert.equal(ref.kind, 'dockerfile');
  assert.ok(ref.range.start >= 0 && ref.range.start <= ref.range.end && ref.range.end <= text.length, 'range in bounds');
  assert.equal(text.slice(ref.range.start, ref.range.end), ref.text, 'text is the slice at range');
  if (ref.templated) assert.equal(ref.pin, undefined, 'templated refs have no pin');
  else assert.deepEqual(ref.pin, { type: 'inline', range: ref.range });
}

/** The parts of a ref a reader compares against the source. */
function view(ref: RawRef) {
  return { text: ref.text, reference: ref.reference, templated: ref.templated, context: ref.context };
}

/** Offset of the n-th (0-based) occurrence of `needle`, to state expected ranges without counting characters. */
function offsetOf(text: string, needle: string, nth = 0): number {
  let at = -1;
  for (let i = 0; i <= nth; i += 1) {
    at = text.indexOf(needle, at + 1);
    assert.notEqual(at, -1, `fixture holds ${JSON.stringify(needle)} ${nth + 1} time(s)`);
  }
  return at;
}

describe('extractDockerfile: multi-stage fixture with build args', () => {
  const text = fixture('multistage.Dockerfile');
  const refs = extract(text);

  it('finds exactly the images, not stages, scratch or numeric indexes', () => {
    assert.deepEqual(refs.map(view), [
      { text: 'docker/dockerfile:1.7', reference: 'docker/dockerfile:1.7', templated: false, context: 'syntax directive' },
      {
        text: 'gcr.io/distroless/static:nonroot',
        reference: 'gcr.io/distroless/static:nonroot',
        templated: false,
        context: 'ARG RUNTIME default, used by FROM (stage final)',
      },
      { text: 'alpine:3.19', reference: 'alpine:3.19', templated: false, context: 'ARG ALPINE default, used by FROM (stage #4)' },
      { text: 'golang:${GO_VERSION}-alpine', reference: 'golang:1.22-alpine', templated: false, context: 'FROM (stage Build)' },
      {
        text: 'ghcr.io/acme/tool:2.0',
        reference: 'ghcr.io/acme/tool:2.0',
        templated: false,
        context: 'ARG TOOL_IMAGE default, used by COPY --from (stage Build)',
      },
      { text: 'ghcr.io/acme/src:1', reference: 'ghcr.io/acme/src:1', templated: false, context: 'RUN --mount from (stage Build)' },
      { text: 'ghcr.io/acme/assets:3', reference: 'ghcr.io/acme/assets:3', templated: false, context: 'COPY --from (stage final)' },
      {
        text: '${BASE_REGISTRY}/library/busybox:${UNSET:-1.36}',
        reference: 'docker.io/library/busybox:1.36',
        templated: false,
        context: 'FROM (stage #5)',
      },
      { text: 'nginx:${UNSET}', reference: 'nginx:${UNSET}', templated: true, context: 'FROM (stage #6)' },
    ]);
  });

  it('reports a whole-ARG reference inside the quotes of the ARG default', () => {
    const runtime = refs.find((r) => r.reference.startsWith('gcr.io/distroless'));
    assert.equal(runtime?.range.start, offsetOf(text, '"gcr.io/distroless/static:nonroot"') + 1);
    const alpine = refs.find((r) => r.reference === 'alpine:3.19');
    assert.equal(alpine?.range.start, offsetOf(text, "'alpine:3.19'") + 1);
  });

  it('reports an assembled reference at the FROM image text', () => {
    const golang = refs.find((r) => r.reference === 'golang:1.22-alpine');
    assert.equal(golang?.range.start, offsetOf(text, 'golang:${GO_VERSION}-alpine'));
  });
});

describe('extractDockerfile: heredocs, comments and continuations', () => {
  it('ignores comments, heredoc bodies and shell strings', () => {
    const text = fixture('heredoc-comments.Dockerfile');
    const refs = extract(text);
    assert.deepEqual(
      refs.map((r) => [r.text, r.context]),
      [
        ['alpine:3.19', 'FROM (stage base)'],
        ['debian:12', 'FROM (stage final)'],
      ],
    );
    assert.equal(refs[1].range.start, offsetOf(text, 'debian:12'));
  });

  it('keeps the continuation inside an image split across lines in text, not in reference', () => {
    const text = 'FROM ngi\\\nnx:1.25 AS web\n';
    const [ref] = extract(text);
    assert.equal(ref.text, 'ngi\\\nnx:1.25');
    assert.equal(ref.reference, 'nginx:1.25');
  });

  it('follows the escape directive with backtick continuations', () => {
    const text = fixture('windows.Dockerfile');
    const refs = extract(text);
    assert.deepEqual(refs.map(view), [
      {
        text: 'mcr.microsoft.com/windows/servercore:$WINDOWS_VERSION',
        reference: 'mcr.microsoft.com/windows/servercore:ltsc2022',
        templated: false,
        context: 'FROM (stage build)',
      },
      {
        text: 'mcr.microsoft.com/windows/nanoserver:${WINDOWS_VERSION}',
        reference: 'mcr.microsoft.com/windows/nanoserver:ltsc2022',
        templated: false,
        context: 'FROM (stage #1)',
      },
      {
        text: 'golang:1.22-windowsservercore',
        reference: 'golang:1.22-windowsservercore',
        templated: false,
        context: 'COPY --from (stage #1)',
      },
    ]);
  });
});

describe('extractDockerfile: encodings and line endings', () => {
  it('handles a BOM and CRLF line endings with exact offsets', () => {
    const text = '\uFEFF# syntax=docker/dockerfile:1\r\nARG IMG="alpine:3.19"\r\nFROM ${IMG} AS base\r\nFROM nginx:1.25\r\n';
    const refs = extract(text);
    assert.deepEqual(
      refs.map((r) => [r.text, r.range.start]),
      [
        ['docker/dockerfile:1', offsetOf(text, 'docker/')],
        ['alpine:3.19', offsetOf(text, 'alpine')],
        ['nginx:1.25', offsetOf(text, 'nginx')],
      ],
    );
  });

  it('counts UTF-16 code units after astral characters', () => {
    const text = '# 🐳 base image\nFROM alpine:3.19\n';
    const [ref] = extract(text);
    assert.equal(ref.range.start, offsetOf(text, 'alpine'));
  });

  it('keeps offsets right with lone CR line breaks', () => {
    const text = 'FROM alpine:3\rFROM debian:12\r';
    assert.deepEqual(
      extract(text).map((r) => r.text),
      ['alpine:3', 'debian:12'],
    );
  });
});

describe('extractDockerfile: build args', () => {
  it('substitutes ${V}, $V, ${V:-x} and ${V:+x}', () => {
    const text = [
      'ARG TAG=1.25',
      'ARG EMPTY=',
      'ARG FLAVOR=yes',
      'ARG NOVALUE',
      'FROM nginx:$TAG',
      'FROM nginx:${EMPTY:-1.24}',
      'FROM nginx:${NOVALUE:-1.23}',
      'FROM nginx:1.22${FLAVOR:+-alpine}',
      'FROM nginx:1.21${NOVALUE:+-alpine}',
      'FROM nginx:${NOVALUE}',
      'FROM nginx:${UNDECLARED}',
    ].join('\n');
    assert.deepEqual(
      extract(text).map((r) => [r.reference, r.templated]),
      [
        ['nginx:1.25', false],
        ['nginx:1.24', false],
        ['nginx:1.23', false],
        ['nginx:1.22-alpine', false],
        ['nginx:1.21', false],
        ['nginx:${NOVALUE}', true],
        ['nginx:${UNDECLARED}', true],
      ],
    );
  });

  it('follows ARG chains to the default that holds the literal', () => {
    const text = ['ARG A=nginx:1.25', 'ARG B=${A}', 'ARG C="${A}-alpine"', 'FROM ${B}', 'FROM ${C}', 'FROM $A AS last'].join('\n');
    const refs = extract(text);
    assert.deepEqual(refs.map(view), [
      { text: 'nginx:1.25', reference: 'nginx:1.25', templated: false, context: 'ARG A default, used by FROM (stage #0), FROM (stage last)' },
      { text: '${A}-alpine', reference: 'nginx:1.25-alpine', templated: false, context: 'ARG C default, used by FROM (stage #1)' },
    ]);
    assert.equal(refs[0].range.start, offsetOf(text, 'nginx:1.25'));
  });

  it('reads several variables declared by one ARG, in order', () => {
    const [ref] = extract('ARG TAG=3.19 IMAGE=alpine:${TAG}\nFROM $IMAGE\n');
    assert.deepEqual(view(ref), {
      text: 'alpine:${TAG}',
      reference: 'alpine:3.19',
      templated: false,
      context: 'ARG IMAGE default, used by FROM (stage #0)',
    });
  });

  it('does not apply stage-local ARGs to FROM lines', () => {
    const refs = extract('FROM alpine:3 AS a\nARG IMG=busybox:1\nFROM ${IMG}\n');
    assert.deepEqual(
      refs.map((r) => [r.text, r.reference, r.templated]),
      [
        ['alpine:3', 'alpine:3', false],
        ['${IMG}', '${IMG}', true],
      ],
    );
  });

  it('applies a global ARG to COPY --from only when the stage re-declares it', () => {
    const redeclared = extract('ARG TOOL=ghcr.io/x/tool:1\nFROM alpine:3\nARG TOOL\nCOPY --from=${TOOL} /a /b\n');
    assert.deepEqual(
      redeclared.map((r) => [r.text, r.context]),
      [
        ['ghcr.io/x/tool:1', 'ARG TOOL default, used by COPY --from (stage #0)'],
        ['alpine:3', 'FROM (stage #0)'],
      ],
    );
    const notRedeclared = extract('ARG TOOL=ghcr.io/x/tool:1\nFROM alpine:3\nCOPY --from=${TOOL} /a /b\n');
    assert.deepEqual(
      notRedeclared.map((r) => [r.text, r.templated]),
      [
        ['alpine:3', false],
        ['${TOOL}', true],
      ],
    );
  });

  it('uses a stage-local ARG default in RUN --mount from', () => {
    const text = 'FROM alpine:3\nARG SRC=ghcr.io/x/src:2\nRUN --mount=type=bind,from=$SRC,target=/s ls /s\n';
    assert.deepEqual(
      extract(text).map((r) => [r.text, r.context]),
      [
        ['alpine:3', 'FROM (stage #0)'],
        ['ghcr.io/x/src:2', 'ARG SRC default, used by RUN --mount from (stage #0)'],
      ],
    );
  });

  it('treats --platform as a flag, not as the image', () => {
    const refs = extract('FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n');
    assert.deepEqual(refs.map(view), [{ text: 'golang:1.22', reference: 'golang:1.22', templated: false, context: 'FROM (stage build)' }]);
  });

  it('reports at the FROM when an ARG default expands to nothing', () => {
    const [ref] = extract('ARG BASE=\nFROM ${BASE}\n');
    assert.deepEqual([ref.text, ref.reference], ['${BASE}', '']);
  });
});

describe('extractDockerfile: stages', () => {
  it('matches stage names case-insensitively, and a FROM only against earlier stages', () => {
    const text = ['FROM later', 'COPY --from=LATER /a /b', 'FROM alpine:3 AS Later', 'FROM LATER', 'FROM scratch'].join('\n');
    assert.deepEqual(
      extract(text).map((r) => [r.text, r.context]),
      [
        ['later', 'FROM (stage #0)'],
        ['alpine:3', 'FROM (stage Later)'],
      ],
    );
  });

  it('does not treat a build arg that names a stage as an image', () => {
    const text = 'ARG VARIANT=debug\nFROM alpine:3 AS debug\nFROM ${VARIANT}\n';
    assert.deepEqual(
      extract(text).map((r) => r.text),
      ['alpine:3'],
    );
  });

  it('reads COPY --from, ADD --from and ONBUILD triggers, skipping numeric indexes', () => {
    const text = [
      'FROM alpine:3 AS base',
      'COPY --from=0 /a /b',
      'COPY --chown=1 --from="ghcr.io/x/a:1" /a /b',
      'ADD --from=ghcr.io/x/b:1 /a /b',
      'onbuild copy --from=ghcr.io/x/c:1 /a /b',
      'COPY --from=base /a /b',
    ].join('\n');
    assert.deepEqual(
      extract(text).map((r) => [r.text, r.context]),
      [
        ['alpine:3', 'FROM (stage base)'],
        ['ghcr.io/x/a:1', 'COPY --from (stage base)'],
        ['ghcr.io/x/b:1', 'ADD --from (stage base)'],
        ['ghcr.io/x/c:1', 'ONBUILD COPY --from (stage base)'],
      ],
    );
  });

  it('reports two FROMs with the same image text separately', () => {
    const refs = extract('FROM alpine:3 AS a\nFROM alpine:3 AS b\n');
    assert.equal(refs.length, 2);
    assert.notEqual(refs[0].range.start, refs[1].range.start);
  });
});

describe('extractDockerfile: syntax directive', () => {
  it('is only a directive before any comment or instruction', () => {
    assert.deepEqual(
      extract('# syntax = docker/dockerfile:1.4\nFROM alpine:3\n').map((r) => [r.text, r.context]),
      [
        ['docker/dockerfile:1.4', 'syntax directive'],
        ['alpine:3', 'FROM (stage #0)'],
      ],
    );
    assert.deepEqual(
      extract('# a comment\n# syntax=docker/dockerfile:1.4\nFROM alpine:3\n').map((r) => r.text),
      ['alpine:3'],
    );
    assert.deepEqual(
      extract('FROM alpine:3\n# syntax=docker/dockerfile:1.4\n').map((r) => r.text),
      ['alpine:3'],
    );
  });
});

describe('extractDockerfile: robustness', () => {
  it('returns nothing for empty or broken input', () => {
    for (const text of ['', 'FROM', 'FROM --platform=x', '\0\0\0', 'ARG', 'COPY --from= a b', '${', 'FROM ${']) {
      assert.doesNotThrow(() => extract(text), JSON.stringify(text));
    }
    assert.deepEqual(extract('FROM'), []);
    assert.deepEqual(extract('COPY --from= a b'), []);
  });

  it('never throws and keeps the slice invariant on arbitrary Dockerfile-like text', () => {
    const token = fc.constantFrom(
      'FROM ', 'ARG ', 'COPY ', 'ADD ', 'RUN ', 'ONBUILD ', '--from=', '--mount=type=bind,from=', '--platform=', ' AS ',
      'alpine:3', 'x', '$', '${', '}', ':-', ':+', '=', '"', "'", '\\', '`', '\n', '\r\n', '\r', ' ', '#', '# syntax=',
      '# escape=`', '<<EOF', 'EOF', '\uFEFF', '🐳', 'scratch', '0',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(token, fc.string({ maxLength: 4 })), { maxLength: 60 }), (parts) => {
        extract(parts.join(''));
      }),
      { numRuns: 500 },
    );
  });
});

describe('isDockerfileName', () => {
  it('accepts Dockerfile and Containerfile names and variants', () => {
    for (const name of ['Dockerfile', 'dockerfile', 'Dockerfile.dev', 'api.Dockerfile', 'Containerfile', 'Containerfile.arm64', 'app.containerfile']) {
      assert.equal(isDockerfileName(name), true, name);
    }
  });

  it('rejects other names', () => {
    for (const name of ['Dockerfile-dev', 'DOCKERFILE', '.dockerignore', 'docker-compose.yml', 'Dockerfiles', 'Dockerfile.', 'my.Dockerfile.bak', '.Dockerfile']) {
      assert.equal(isDockerfileName(name), false, name);
    }
  });
});
