// core/pinning.ts `planPins` and core/edits.ts `pinEdit` over in-memory resolutions (no registry): what pinning
// each reference of a document would do, and that the edits write the digest at the reference site and nowhere else.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeText, classify } from '../../server/src/core/analyze';
import { applyEdits, pinEdit, type TextEdit } from '../../server/src/core/edits';
import { ImageTrustError } from '../../server/src/core/errors';
import { planPins, resolutionKey, type PinOutcome } from '../../server/src/core/pinning';
import type { Resolution } from '../../server/src/core/resolve';
import type { FileKind, ImageRef } from '../../server/src/core/types';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const NGINX = D('1');
const REDIS = D('2');
const ARM = D('3');
const OLD = D('4');

function res(over: Partial<Resolution>): Resolution {
  return { platforms: [], fromCache: false, cacheAgeMs: 0, ...over };
}

/** Resolutions keyed the way planPins looks them up, from `reference → Resolution | null`. */
function resolutionsFor(refs: ImageRef[], byReference: Record<string, Resolution | null>): Map<string, Resolution | null> {
  const m = new Map<string, Resolution | null>();
  for (const r of refs) if (r.parsed && r.reference in byReference) m.set(resolutionKey(r), byReference[r.reference]);
  return m;
}

function plan(text: string, kind: FileKind, byReference: Record<string, Resolution | null>, platform?: { os: string; architecture: string; variant?: string }) {
  const refs = analyzeText(text, kind).refs;
  return { refs, outcomes: planPins(text, refs, resolutionsFor(refs, byReference), platform) };
}

const editsOf = (outcomes: PinOutcome[]): TextEdit[] => outcomes.flatMap((o) => (o.result === 'pinned' ? [o.edit] : []));
const summary = (outcomes: PinOutcome[]) => outcomes.map((o) => `${o.ref.reference} ${o.result}${'reason' in o ? `: ${o.reason}` : ''}${o.result === 'pinned' ? ` ${o.digest.slice(7, 10)}` : ''}`);

/** Every line of `before` that holds no edited offset comes through unchanged, in order. */
function assertOnlyEditedLinesChanged(before: string, after: string, edits: TextEdit[]): void {
  const lineOf = (offset: number) => before.slice(0, offset).split('\n').length - 1;
  const touched = new Set(edits.map((e) => lineOf(e.range.start)));
  const kept = before.split('\n').filter((_, i) => !touched.has(i));
  const afterLines = after.split('\n');
  let j = 0;
  for (const line of kept) {
    while (j < afterLines.length && afterLines[j] !== line) j++;
    assert.ok(j < afterLines.length, `line ${JSON.stringify(line)} was changed or lost`);
    j++;
  }
}

describe('planPins outcomes', () => {
  const compose = [
    'services:',
    '  web:',
    '    image: "nginx:1.25" # front',
    '  cache:',
    '    image: redis',
    '  pinned:',
    `    image: busybox:1.36@${OLD}`,
    '  templ:',
    '    image: ${APP_IMAGE}',
    '  bad:',
    '    image: Nginx:1',
    '  lost:',
    '    image: ghcr.io/acme/gone:1',
    '  cancelled:',
    '    image: ghcr.io/acme/later:2',
    '',
  ].join('\n');

  test('one outcome per reference, in order, with reasons', () => {
    const { outcomes } = plan(compose, 'compose', {
      'nginx:1.25': res({ tagDigest: NGINX }),
      redis: res({ tagDigest: REDIS }),
      'ghcr.io/acme/gone:1': res({ error: { code: 'REGISTRY_NOT_FOUND', message: 'ghcr.io/acme/gone:1: manifest unknown' } }),
      'ghcr.io/acme/later:2': null,
    });
    assert.deepEqual(summary(outcomes), [
      'nginx:1.25 pinned 111',
      'redis pinned 222',
      `busybox:1.36@${OLD} already-pinned`,
      '${APP_IMAGE} skipped: built from a template or variable',
      'Nginx:1 skipped: invalid reference: repository name must be lowercase: "Nginx"',
      'ghcr.io/acme/gone:1 failed: ghcr.io/acme/gone:1: manifest unknown',
      'ghcr.io/acme/later:2 failed: cancelled before it was resolved',
    ]);
  });

  test('applying the pins changes exactly the two references; quotes and comment kept', () => {
    const { outcomes } = plan(compose, 'compose', { 'nginx:1.25': res({ tagDigest: NGINX }), redis: res({ tagDigest: REDIS }) });
    const edits = editsOf(outcomes);
    assert.deepEqual(edits.map((e) => e.expected), ['', '']);
    const after = applyEdits(compose, edits);
    assert.equal(after, compose.replace('"nginx:1.25"', `"nginx:1.25@${NGINX}"`).replace('image: redis\n', `image: redis@${REDIS}\n`));
    assertOnlyEditedLinesChanged(compose, after, edits);
  });

  test('a reference missing from the map (never resolved) fails, it is not skipped', () => {
    const { outcomes } = plan('services:\n  a:\n    image: nginx:1.25\n', 'compose', {});
    assert.deepEqual(summary(outcomes), ['nginx:1.25 failed: cancelled before it was resolved']);
  });

  test('an unpinned reference without a pin site is skipped', () => {
    const range = { start: 0, end: 10 };
    const r = classify({ kind: 'kubernetes', range, text: 'nginx:1.25', reference: 'nginx:1.25', templated: false });
    const outcomes = planPins('nginx:1.25', [r], new Map([[resolutionKey(r), res({ tagDigest: NGINX })]]));
    assert.deepEqual(summary(outcomes), ['nginx:1.25 skipped: cannot be pinned in place']);
  });

  test('the same name and tag twice: one resolution, two pins', () => {
    const text = 'services:\n  a:\n    image: nginx:1.25\n  b:\n    image: nginx:1.25\n';
    const { refs, outcomes } = plan(text, 'compose', { 'nginx:1.25': res({ tagDigest: NGINX }) });
    assert.equal(resolutionKey(refs[0]), resolutionKey(refs[1]));
    assert.equal(applyEdits(text, editsOf(outcomes)), `services:\n  a:\n    image: nginx:1.25@${NGINX}\n  b:\n    image: nginx:1.25@${NGINX}\n`);
  });

  test('a platform: its manifest digest; a platform the index lacks: failed with what it offers', () => {
    const index = res({
      tagDigest: NGINX,
      platforms: [
        { os: 'linux', architecture: 'amd64', digest: REDIS, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
        { os: 'linux', architecture: 'arm64', digest: ARM, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      ],
    });
    const text = 'services:\n  a:\n    image: nginx:1.25\n';
    const arm = plan(text, 'compose', { 'nginx:1.25': index }, { os: 'linux', architecture: 'arm64' }).outcomes;
    assert.deepEqual(arm.map((o) => o.result === 'pinned' && o.digest), [ARM]);
    assert.equal(applyEdits(text, editsOf(arm)), `services:\n  a:\n    image: nginx:1.25@${ARM}\n`);
    const s390x = plan(text, 'compose', { 'nginx:1.25': index }, { os: 'linux', architecture: 's390x' }).outcomes;
    assert.deepEqual(summary(s390x), ['nginx:1.25 failed: no linux/s390x image (the tag offers linux/amd64, linux/arm64)']);
  });

  test('planning again on the pinned text: everything is already pinned (idempotent)', () => {
    const text = 'FROM golang:1.22 AS build\nFROM gcr.io/distroless/static\nCOPY --from=build /app /app\n';
    const byRef = { 'golang:1.22': res({ tagDigest: NGINX }), 'gcr.io/distroless/static': res({ tagDigest: REDIS }) };
    const once = applyEdits(text, editsOf(plan(text, 'dockerfile', byRef).outcomes));
    assert.equal(once, `FROM golang:1.22@${NGINX} AS build\nFROM gcr.io/distroless/static@${REDIS}\nCOPY --from=build /app /app\n`);
    assert.deepEqual(plan(once, 'dockerfile', byRef).outcomes.map((o) => o.result), ['already-pinned', 'already-pinned']);
  });
});

describe('pinEdit, inline references', () => {
  const ref = (text: string, start: number, len: number) =>
    classify({ kind: 'kubernetes', range: { start, end: start + len }, text: text.slice(start, start + len), reference: text.slice(start, start + len), templated: false, pin: { type: 'inline', range: { start, end: start + len } } });

  test('tag kept, digest appended at the end of the reference', () => {
    const text = "      image: 'nginx:1.25' # keep\n";
    const r = ref(text, 14, 10);
    assert.deepEqual(pinEdit(text, r, NGINX), { range: { start: 24, end: 24 }, newText: `@${NGINX}`, expected: '' });
  });

  test('an existing digest is replaced, and only the digest', () => {
    const text = `image: nginx:1.25@${OLD}\n`;
    const r = ref(text, 7, text.length - 8);
    const e = pinEdit(text, r, NGINX)!;
    assert.deepEqual(e, { range: { start: 18, end: 18 + OLD.length }, newText: NGINX, expected: OLD });
    assert.equal(applyEdits(text, [e]), `image: nginx:1.25@${NGINX}\n`);
  });

  test('the same digest again: null (nothing to do)', () => {
    const text = `image: nginx@${NGINX}\n`;
    assert.equal(pinEdit(text, ref(text, 7, text.length - 8), NGINX), null);
  });

  test('a reference without a pin site (templated) cannot be pinned: EDIT_CONFLICT', () => {
    const r = classify({ kind: 'compose', range: { start: 0, end: 8 }, text: '${IMAGE}', reference: '${IMAGE}', templated: true });
    assert.throws(() => pinEdit('${IMAGE}', r, NGINX), (e: unknown) => e instanceof ImageTrustError && e.code === 'EDIT_CONFLICT');
  });

  test('an edit refuses to apply to a changed document', () => {
    const text = `image: nginx:1.25@${OLD}\n`;
    const e = pinEdit(text, ref(text, 7, text.length - 8), NGINX)!;
    assert.throws(() => applyEdits(text.replace(OLD, REDIS), [e]), (err: unknown) => err instanceof ImageTrustError && err.code === 'EDIT_CONFLICT');
  });
});

describe('mapping-key pins: Helm values and kustomize', () => {
  function pinAll(text: string, kind: FileKind, byRef: Record<string, Resolution>) {
    const { outcomes } = plan(text, kind, byRef);
    const edits = editsOf(outcomes);
    const after = applyEdits(text, edits);
    assertOnlyEditedLinesChanged(text, after, edits);
    return { outcomes, edits, after };
  }

  test('Helm: a digest key inserted after the tag line, at the block’s indent; comments and other keys untouched', () => {
    const text = 'replicaCount: 2\nimage:\n  repository: nginx\n  tag: "1.25"   # app version\n  pullPolicy: IfNotPresent\n\nservice:\n  port: 80\n';
    const { edits, after } = pinAll(text, 'helm-values', { 'nginx:1.25': res({ tagDigest: NGINX }) });
    assert.deepEqual(edits.map((e) => e.newText), [`\n  digest: ${NGINX}`]);
    assert.equal(after, `replicaCount: 2\nimage:\n  repository: nginx\n  tag: "1.25"   # app version\n  digest: ${NGINX}\n  pullPolicy: IfNotPresent\n\nservice:\n  port: 80\n`);
    assert.equal(analyzeText(after, 'helm-values').refs[0].reference, `nginx:1.25@${NGINX}`);
  });

  test('Helm: a nested block keeps its deeper indent; a sub-mapping as last key is not split', () => {
    const text = 'app:\n  image:\n    repository: ghcr.io/acme/api\n    tag: v2\n    extra:\n      a: 1\nnext: true\n';
    const { after } = pinAll(text, 'helm-values', { 'ghcr.io/acme/api:v2': res({ tagDigest: NGINX }) });
    assert.equal(after, `app:\n  image:\n    repository: ghcr.io/acme/api\n    tag: v2\n    digest: ${NGINX}\n    extra:\n      a: 1\nnext: true\n`);
    assert.deepEqual(analyzeText(after, 'helm-values').problems, []);
  });

  test('Helm: an existing digest is replaced in place; an empty one filled (inside its quotes, or after the colon)', () => {
    const pinned = `image:\n  repository: nginx\n  tag: "1.25"\n  digest: ${OLD} # pinned by bot\n`;
    const refs = analyzeText(pinned, 'helm-values').refs;
    assert.equal(refs[0].status, 'pinned');
    const e = pinEdit(pinned, refs[0], NGINX)!;
    assert.equal(e.expected, OLD);
    assert.equal(applyEdits(pinned, [e]), pinned.replace(OLD, NGINX));

    const quoted = 'image:\n  repository: nginx\n  tag: "1.25"\n  digest: ""\n';
    assert.equal(pinAll(quoted, 'helm-values', { 'nginx:1.25': res({ tagDigest: NGINX }) }).after, `image:\n  repository: nginx\n  tag: "1.25"\n  digest: "${NGINX}"\n`);
    const bare = 'image:\n  repository: nginx\n  tag: "1.25"\n  digest:\n';
    assert.equal(pinAll(bare, 'helm-values', { 'nginx:1.25': res({ tagDigest: NGINX }) }).after, `image:\n  repository: nginx\n  tag: "1.25"\n  digest: ${NGINX}\n`);
  });

  test('Helm flow mapping: `, digest: …` before the closing brace', () => {
    const text = 'image: {repository: nginx, tag: "1.25"}\n';
    assert.equal(pinAll(text, 'helm-values', { 'nginx:1.25': res({ tagDigest: NGINX }) }).after, `image: {repository: nginx, tag: "1.25", digest: ${NGINX}}\n`);
  });

  test('kustomize: each entry gets its own digest at the entry’s indent; comments stay', () => {
    const text = 'resources:\n  - deploy.yaml\nimages:\n  - name: nginx\n    newTag: "1.25" # web\n  - name: redis\n    newName: ghcr.io/acme/redis\n    newTag: "7"\n';
    const { after } = pinAll(text, 'kustomize', { 'nginx:1.25': res({ tagDigest: NGINX }), 'ghcr.io/acme/redis:7': res({ tagDigest: REDIS }) });
    assert.equal(
      after,
      `resources:\n  - deploy.yaml\nimages:\n  - name: nginx\n    newTag: "1.25" # web\n    digest: ${NGINX}\n  - name: redis\n    newName: ghcr.io/acme/redis\n    newTag: "7"\n    digest: ${REDIS}\n`,
    );
    assert.deepEqual(analyzeText(after, 'kustomize').refs.map((r) => r.reference), [`nginx:1.25@${NGINX}`, `ghcr.io/acme/redis:7@${REDIS}`]);
  });

  test('kustomize: an existing digest is replaced, nothing else', () => {
    const text = `images:\n- name: nginx\n  newTag: "1.25"\n  digest: ${OLD}\n- name: redis\n  newTag: "7"\n`;
    const refs = analyzeText(text, 'kustomize').refs;
    const e = pinEdit(text, refs[0], NGINX)!;
    assert.deepEqual(e.range, { start: text.indexOf(OLD), end: text.indexOf(OLD) + OLD.length });
    assert.equal(applyEdits(text, [e]), text.replace(OLD, NGINX));
  });

  test('CRLF: the inserted key uses CRLF, every other line ending is kept', () => {
    const text = 'images:\r\n  - name: nginx\r\n    newTag: "1.25"\r\n  - name: redis\r\n    newTag: "7"\r\n';
    const { after } = pinAll(text, 'kustomize', { 'nginx:1.25': res({ tagDigest: NGINX }), 'redis:7': res({ tagDigest: REDIS }) });
    assert.equal(after, `images:\r\n  - name: nginx\r\n    newTag: "1.25"\r\n    digest: ${NGINX}\r\n  - name: redis\r\n    newTag: "7"\r\n    digest: ${REDIS}\r\n`);
    assert.ok(!/[^\r]\n/.test(after), 'no bare LF');
    const helm = 'image:\r\n  repository: nginx\r\n  tag: "1.25"\r\nother: 1\r\n';
    assert.equal(pinAll(helm, 'helm-values', { 'nginx:1.25': res({ tagDigest: NGINX }) }).after, `image:\r\n  repository: nginx\r\n  tag: "1.25"\r\n  digest: ${NGINX}\r\nother: 1\r\n`);
  });

  test(
    'kustomize: an entry whose newTag is a block scalar gets the digest in its own entry, not the next one',
    () => {
      const text = 'images:\n  - name: nginx\n    newTag: >-\n      1.25\n  - name: redis\n    newTag: "7"\n';
      const refs = analyzeText(text, 'kustomize').refs;
      const outcomes = planPins(text, [refs[0]], resolutionsFor(refs, { 'nginx:1.25': res({ tagDigest: NGINX }) }));
      const after = applyEdits(text, editsOf(outcomes));
      assert.deepEqual(analyzeText(after, 'kustomize').refs.map((r) => r.reference), [`nginx:1.25@${NGINX}`, 'redis:7']);
    },
  );

  test(
    'Helm: a block whose last key is a block scalar stays valid YAML after pinning',
    () => {
      const text = 'image:\n  repository: nginx\n  tag: |-\n    1.25\nnext: 2\n';
      const { outcomes } = plan(text, 'helm-values', { 'nginx:1.25': res({ tagDigest: NGINX }) });
      const after = applyEdits(text, editsOf(outcomes));
      const again = analyzeText(after, 'helm-values');
      assert.deepEqual(again.problems, []);
      assert.deepEqual(again.refs.map((r) => r.reference), [`nginx:1.25@${NGINX}`]);
    },
  );
});
