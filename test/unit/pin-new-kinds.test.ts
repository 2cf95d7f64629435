// Pinning the kinds of issue 12 through core/pinning.ts planPins and core/edits.ts applyEdits, on the real-world
// fixtures: every edit is minimal (only the digest is written, after the reference as written — quotes, comments,
// `${{ }}`, `docker://`, variables, JSONC comments and trailing commas stay byte for byte), re-reading the result finds
// the same references now pinned, and pinning again changes nothing (idempotent).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { analyzeText } from '../../server/src/core/analyze';
import { applyEdits } from '../../server/src/core/edits';
import { planPins, resolutionKey, type PinOutcome } from '../../server/src/core/pinning';
import type { Resolution } from '../../server/src/core/resolve';
import type { FileKind, ImageRef } from '../../server/src/core/types';

const ROOT = path.resolve(process.cwd(), 'test/fixtures/real-world');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

function resolutions(refs: ImageRef[]): Map<string, Resolution> {
  const m = new Map<string, Resolution>();
  for (const r of refs) if (r.parsed) m.set(resolutionKey(r), { tagDigest: DIGEST, platforms: [], fromCache: false, cacheAgeMs: 0 });
  return m;
}

function pinAll(text: string, kind: FileKind): { after: string; outcomes: PinOutcome[] } {
  const refs = analyzeText(text, kind).refs;
  const outcomes = planPins(text, refs, resolutions(refs));
  const edits = outcomes.flatMap((o) => (o.result === 'pinned' ? [o.edit] : []));
  return { after: applyEdits(text, edits), outcomes };
}

/** `before` with every inserted digest (and a Feature's replaced `:tag`) taken out again must give `after`'s lines. */
function assertMinimal(before: string, after: string, outcomes: PinOutcome[]): void {
  const edits = outcomes.flatMap((o) => (o.result === 'pinned' ? [o.edit] : [])).sort((a, b) => a.range.start - b.range.start);
  // Where each edit's new text stands in `after`: its offset moved by what the edits before it added.
  let shift = 0;
  const placed = edits.map((e) => {
    const start = e.range.start + shift;
    shift += e.newText.length - (e.range.end - e.range.start);
    return { start, e };
  });
  let restored = after;
  for (const { start, e } of placed.reverse()) restored = restored.slice(0, start) + e.expected + restored.slice(start + e.newText.length);
  assert.equal(restored, before, 'undoing the edits gives the original byte for byte');
  for (const e of edits) assert.match(e.newText, /^@sha256:[0-9a-f]{64}$/, 'an edit writes `@digest` and nothing else');
}

const CASES: { file: string; kind: FileKind; pinned: string[]; untouched: string[] }[] = [
  {
    file: 'github-actions/webapp/.github/workflows/test.yaml',
    kind: 'github-actions',
    pinned: [
      `uses: docker://hadolint/hadolint:v2.12.0-debian@${DIGEST} # quoted and unquoted forms both occur`,
      `uses: "docker://ghcr.io/super-linter/super-linter:slim-v7@${DIGEST}"`,
      `container: ruby:3.3-bookworm@${DIGEST}`,
      `image: redis:7.2@${DIGEST}`,
    ],
    untouched: ['image: postgres:${{ matrix.postgres }}-alpine', 'image: ${{ vars.CI_IMAGE }}', "uses: 'docker://koalaman/shellcheck:v0.10.0@sha256:2097951f"],
  },
  {
    file: 'github-actions/linter-action/action.yml',
    kind: 'github-actions',
    pinned: [`image: 'docker://ghcr.io/super-linter/super-linter:v7.1.0@${DIGEST}'`],
    untouched: [],
  },
  {
    file: 'gitlab-ci/runner/.gitlab-ci.yml',
    kind: 'gitlab-ci',
    pinned: [
      `GO_IMAGE: golang:\${GO_VERSION}-bookworm@${DIGEST}`,
      `image: docker:\${DOCKER_VERSION}-git@${DIGEST}`,
      `- name: \${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/redis:7-alpine@${DIGEST}`,
    ],
    untouched: ['image: $CI_IMAGE', 'CI_IMAGE: "$CI_REGISTRY_IMAGE/ci:go${GO_VERSION}"', 'image: $GO_IMAGE'],
  },
  {
    file: 'gitlab-ci/gtk/.gitlab-ci.yml',
    kind: 'gitlab-ci',
    pinned: [`FEDORA_IMAGE: "registry.gitlab.gnome.org/gnome/gtk/fedora:v52@${DIGEST}"`, `image: fedora:latest@${DIGEST}`],
    untouched: ['image: $FEDORA_IMAGE', 'image: ${FEDORA_IMAGE}'],
  },
  {
    file: 'devcontainer/multi/.devcontainer/python/devcontainer.json',
    kind: 'devcontainer',
    pinned: [
      `"image": "mcr.microsoft.com/devcontainers/python:1-3.12-bookworm@${DIGEST}", // the base image`,
      // A Feature: the digest takes the tag's place (the dev container CLI refuses name:tag@digest).
      `"ghcr.io/devcontainers/features/docker-outside-of-docker@${DIGEST}": {`,
      `"ghcr.io/devcontainers/features/node@${DIGEST}": { "version": "lts" },`,
    ],
    untouched: ['"moby": false,', '/* pinned by digest: the dev container CLI reads name@sha256 */', '"./local-features/dotfiles": {},', '  },\n  "postCreateCommand"'],
  },
  {
    file: 'helm-charts/webapp/templates/deployment.yaml',
    kind: 'helm-template',
    pinned: [`image: 'busybox:1.36@${DIGEST}'`],
    untouched: ['image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"', 'image: {{ .registry }}/{{ .repository }}:{{ .tag }}@{{ .digest }}'],
  },
  {
    file: 'yaml-lenient/argo-ci.yaml',
    kind: 'kubernetes',
    pinned: [`image: golang:1.8@${DIGEST}`, `image: nginx:1.27@${DIGEST}`, `{ image: 'debian@${DIGEST}', tag: '9.1' }`],
    untouched: ['image: "{{inputs.parameters.os-image}}"', 'args: ["\n        cd /go/src'],
  },
];

describe('pins on the kinds of issue 12 are minimal and idempotent', () => {
  for (const c of CASES) {
    test(`${c.file} (${c.kind})`, () => {
      const before = readFileSync(path.join(ROOT, c.file), 'utf8');
      const { after, outcomes } = pinAll(before, c.kind);
      assert.ok(outcomes.some((o) => o.result === 'pinned'), 'something was pinned');
      for (const o of outcomes) assert.notEqual(o.result, 'failed');
      assertMinimal(before, after, outcomes);
      for (const line of c.pinned) assert.ok(after.includes(line), `pinned: ${line}`);
      for (const line of c.untouched) assert.ok(after.includes(line) && before.includes(line), `untouched: ${line}`);
      // Re-reading finds the same places, the pinned ones now pinned to the digest; the others unchanged.
      const again = analyzeText(after, c.kind).refs;
      assert.equal(again.length, outcomes.length);
      again.forEach((r, i) => {
        const o = outcomes[i];
        if (o.result === 'pinned') {
          assert.equal(r.status, 'pinned', r.text);
          assert.equal(r.parsed?.digest, DIGEST);
        } else assert.equal(r.reference, o.ref.reference);
      });
      // Idempotent: a second run plans no edit and leaves the text as it is.
      const second = pinAll(after, c.kind);
      assert.equal(second.after, after);
      assert.ok(second.outcomes.every((o) => o.result !== 'pinned'));
    });
  }

  test('a Helm template that renders from values is never pinned in the template (the values are)', () => {
    const text = readFileSync(path.join(ROOT, 'helm-charts/podinfo/templates/deployment.yaml'), 'utf8');
    const { after, outcomes } = pinAll(text, 'helm-template');
    assert.equal(after, text);
    assert.deepEqual(outcomes.map((o) => o.result), ['skipped']);
  });

  test('a Feature already pinned by digest alone is left as it is; one with tag and digest gets its digest replaced', () => {
    const text = '{\n  "features": {\n    "ghcr.io/x/features/a@sha256:' + '11'.repeat(32) + '": {},\n    "ghcr.io/x/features/b:1@sha256:' + '22'.repeat(32) + '": {}\n  }\n}\n';
    const refs = analyzeText(text, 'devcontainer').refs;
    assert.deepEqual(refs.map((r) => r.status), ['pinned', 'pinned']);
    const outcomes = planPins(text, refs, resolutions(refs));
    assert.deepEqual(outcomes.map((o) => o.result), ['already-pinned', 'already-pinned']);
  });
});
