// Property tests of every extractor against hostile edits of real files: the fixtures under test/fixtures and a
// sample of ../shared/corpus, mutated (characters and lines inserted, deleted, duplicated; quotes swapped; `---`,
// tabs, CR, BOM, NUL and lone surrogates inserted). Whatever the text, extraction never throws, every range lies in
// the document and selects exactly `ref.text`, and a pin edit touches only the reference site and can be undone.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { analyzeText, extractRefs } from '../../server/src/core/analyze';
import { applyEdits, pinEdit, type TextEdit } from '../../server/src/core/edits';
import { ImageTrustError } from '../../server/src/core/errors';
import { FILE_KINDS, type FileKind, type ImageRef, type PinSite } from '../../server/src/core/types';
import { walk } from '../../server/src/core/workspace';

const DIGEST = `sha256:${'5e'.repeat(32)}`;
const OTHER_DIGEST = `sha512:${'a1'.repeat(64)}`;

// ---- inputs -------------------------------------------------------------------------------------------------------

interface Sample {
  name: string;
  kind: FileKind;
  text: string;
}

const FIXTURES = path.resolve(process.cwd(), 'test/fixtures');
const CORPUS = path.resolve(process.cwd(), '../shared/corpus');
const CORPUS_DIRS: Record<string, FileKind> = { k8s: 'kubernetes', 'helm-values': 'helm-values', compose: 'compose', kustomize: 'kustomize', dockerfile: 'dockerfile' };
/** Corpus files taken per kind (spread evenly over the sorted list), to keep the run short. */
const CORPUS_PER_KIND = 6;

// The real-world fixtures of the kinds that depend on context (GitLab includes, chart templates): their kind is what
// the CLI's walk decides.
const REAL_WORLD = path.join(FIXTURES, 'real-world');
const REAL_WORLD_KINDS = new Map(existsSync(REAL_WORLD) ? walk([REAL_WORLD]).files.map((f) => [f.absPath, f.kind] as const) : []);

function fixtureKind(file: string): FileKind {
  const known = REAL_WORLD_KINDS.get(file);
  if (known) return known;
  const base = path.basename(file);
  if (/Dockerfile/.test(base)) return 'dockerfile';
  if (base.startsWith('helm') || base === 'values.yaml') return 'helm-values';
  if (/^(compose|stack)\./.test(base)) return 'compose';
  if (base.startsWith('kustomization')) return 'kustomize';
  return 'kubernetes';
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}

function fixtureSamples(): Sample[] {
  const files = listFiles(FIXTURES).filter(
    (f) => REAL_WORLD_KINDS.has(f) || (!f.startsWith(REAL_WORLD + path.sep) && /\.(ya?ml|Dockerfile)$|Dockerfile\.\w+$/.test(f) && !f.endsWith('Chart.yaml')),
  );
  return files.sort().map((f) => ({ name: path.relative(FIXTURES, f), kind: fixtureKind(f), text: readFileSync(f, 'utf8') }));
}

function corpusSamples(): Sample[] {
  return Object.entries(CORPUS_DIRS).flatMap(([dir, kind]) => {
    const files = listFiles(path.join(CORPUS, dir)).sort();
    const step = Math.max(1, Math.floor(files.length / CORPUS_PER_KIND));
    return files
      .filter((_, i) => i % step === 0)
      .slice(0, CORPUS_PER_KIND)
      .map((f) => ({ name: path.relative(CORPUS, f), kind, text: readFileSync(f, 'utf8') }));
  });
}

// ---- mutations ----------------------------------------------------------------------------------------------------

const SNIPPETS = [
  '\t', '\r', '\r\n', '\n', '\uFEFF', '\0', '\uD800', '\uDC00', '\uDBFF\uDFFF', '\u2028', '---\n', '\n---\n', '...\n',
  '"', "'", ':', ': ', '- ', '{', '}', '[', ']', ',', '&a ', '*a', '<<: *a\n', '? ', '|', '>-\n', '!!str ', '%YAML 1.2\n',
  '${X}', '${X:-nginx:1}', '{{ .Values.x }}', '\\', '\\\n', '#', ' # image-trust: ignore\n', 'image: ', 'image: nginx:1.25\n',
  `@${DIGEST}`, ':latest', 'FROM ', 'ARG X=', '# syntax=docker/dockerfile:1\n', 'é', '\u{1F600}',
];

type Mutation =
  | { op: 'insert'; at: number; s: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'duplicate'; at: number; len: number }
  | { op: 'duplicateLine'; at: number }
  | { op: 'deleteLine'; at: number }
  | { op: 'swapQuotes' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), s: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ unit: 'binary', maxLength: 4 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicateLine' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteLine' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'swapQuotes' as const }) },
);

function lineBounds(text: string, at: number): [number, number] {
  const i = at % (text.length + 1);
  const start = text.lastIndexOf('\n', i - 1) + 1;
  const nl = text.indexOf('\n', i);
  return [start, nl === -1 ? text.length : nl + 1];
}

function mutate(text: string, m: Mutation): string {
  const at = (n: number) => n % (text.length + 1);
  switch (m.op) {
    case 'insert':
      return text.slice(0, at(m.at)) + m.s + text.slice(at(m.at));
    case 'delete':
      return text.slice(0, at(m.at)) + text.slice(at(m.at) + m.len);
    case 'duplicate':
      return text.slice(0, at(m.at) + m.len) + text.slice(at(m.at), at(m.at) + m.len) + text.slice(at(m.at) + m.len);
    case 'duplicateLine': {
      const [s, e] = lineBounds(text, m.at);
      return text.slice(0, e) + text.slice(s, e) + text.slice(e);
    }
    case 'deleteLine': {
      const [s, e] = lineBounds(text, m.at);
      return text.slice(0, s) + text.slice(e);
    }
    case 'swapQuotes':
      return text.replace(/["']/g, (q) => (q === '"' ? "'" : '"'));
  }
}

// ---- invariants ---------------------------------------------------------------------------------------------------

function assertInDocument(text: string, start: number, end: number, what: string): void {
  assert.ok(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= text.length, `${what} [${start}, ${end}) outside a ${text.length}-character document`);
}

function assertSiteInDocument(text: string, site: PinSite): void {
  if (site.type === 'inline') return assertInDocument(text, site.range.start, site.range.end, 'inline pin site');
  if (site.digestRange) assertInDocument(text, site.digestRange.start, site.digestRange.end, 'digest value');
  assertInDocument(text, site.insertAt, site.insertAt, 'digest insertion point');
}

/** What a pin may write: the digest, after '@' (inline) or as a `digest:` key (block or flow mapping). */
const PIN_TEXT = /^(?:@|, digest: |\r?\n *digest: | )?sha(?:256|512):[0-9a-f]+$/;

/** The edit lies inside the reference's own site and writes nothing but the digest (and its key). */
function assertEditAtSite(ref: ImageRef, edit: TextEdit, digest: string): void {
  const site = ref.pin!;
  if (site.type === 'inline') {
    assert.ok(site.range.start <= edit.range.start && edit.range.end <= site.range.end, `inline edit [${edit.range.start}, ${edit.range.end}) outside the reference [${site.range.start}, ${site.range.end})`);
  } else if (site.digestRange) {
    assert.deepEqual(edit.range, site.digestRange, 'a digest value edit replaces exactly the old value');
  } else {
    assert.deepEqual(edit.range, { start: site.insertAt, end: site.insertAt }, 'a new digest key is inserted at the insertion point');
  }
  assert.match(edit.newText, PIN_TEXT);
  assert.ok(edit.newText.endsWith(digest));
}

/** Pin `ref`, check only the site changed, then un-pin and check the original comes back byte for byte. */
function checkPinRoundTrip(text: string, ref: ImageRef, digest: string): string | null {
  const edit = pinEdit(text, ref, digest);
  if (edit === null) return null;
  assertEditAtSite(ref, edit, digest);
  const pinned = applyEdits(text, [edit]);
  const end = edit.range.start + edit.newText.length;
  assert.equal(pinned.slice(0, edit.range.start), text.slice(0, edit.range.start), 'text before the site is unchanged');
  assert.equal(pinned.slice(end), text.slice(edit.range.end), 'text after the site is unchanged');
  const unpin: TextEdit = { range: { start: edit.range.start, end }, newText: edit.expected, expected: edit.newText };
  assert.equal(applyEdits(pinned, [unpin]), text, 'un-pinning gives back the original');
  return pinned;
}

/** Extraction and analysis never throw; every range and pin site holds; pins are local and reversible. */
function checkDocument(text: string, kind: FileKind): void {
  const raws = extractRefs(text, kind);
  for (const ref of raws) {
    assertInDocument(text, ref.range.start, ref.range.end, `range of ${JSON.stringify(ref.reference)}`);
    assert.equal(text.slice(ref.range.start, ref.range.end), ref.text, 'range selects exactly ref.text');
    if (ref.pin) assertSiteInDocument(text, ref.pin);
  }
  const { refs } = analyzeText(text, kind);
  assert.equal(refs.length, raws.length);
  for (const ref of refs) {
    if (!ref.pin || (ref.status !== 'unpinned' && ref.status !== 'pinned')) continue;
    checkPinRoundTrip(text, ref, DIGEST);
    checkPinRoundTrip(text, ref, OTHER_DIGEST);
  }
}

/**
 * On unmutated files, a pin must also *mean* what it says: re-reading the pinned text finds the same references,
 * the pinned one now carrying the digest, every other one unchanged. And a document that changed under the edit
 * (one character of the expected text altered) is refused, never patched.
 */
function checkPinMeaning(text: string, kind: FileKind, maxRefs: number): void {
  const before = analyzeText(text, kind).refs;
  const pinnable = before.filter((r) => r.pin && r.status === 'unpinned').slice(0, maxRefs);
  for (const ref of pinnable) {
    const pinned = checkPinRoundTrip(text, ref, DIGEST);
    assert.ok(pinned !== null, `${ref.reference} is unpinned, so pinning changes the text`);
    const after = analyzeText(pinned, kind).refs;
    assert.equal(after.length, before.length, `pinning ${ref.reference} keeps the number of references`);
    const index = before.indexOf(ref);
    after.forEach((r, i) => {
      if (i === index) assert.equal(r.parsed?.digest, DIGEST, `${ref.reference} is pinned after the edit`);
      else assert.equal(r.reference, before[i].reference, 'other references are untouched');
    });
    const edit = pinEdit(text, ref, OTHER_DIGEST)!;
    if (edit.expected !== '') {
      const i = edit.range.start;
      const stale = text.slice(0, i) + (text[i] === 'x' ? 'y' : 'x') + text.slice(i + 1);
      assert.throws(() => applyEdits(stale, [edit]), (e: unknown) => e instanceof ImageTrustError && e.code === 'EDIT_CONFLICT');
    }
  }
}

// ---- properties ---------------------------------------------------------------------------------------------------

const mutations = fc.array(mutation, { minLength: 1, maxLength: 5 });

function fuzzSamples(samples: Sample[], numRuns: number, seed: number): void {
  for (const sample of samples) {
    test(`${sample.name} (${sample.kind}): mutated, extraction holds its invariants`, () => {
      fc.assert(
        fc.property(mutations, fc.constantFrom(...FILE_KINDS), (ms, otherKind) => {
          const text = ms.reduce(mutate, sample.text);
          checkDocument(text, sample.kind);
          // The same text read as another kind (a file misnamed or forced with --kind) holds them too.
          checkDocument(text, otherKind);
        }),
        { numRuns, seed },
      );
    });
  }
}

describe('extractors on mutated fixtures', () => {
  const samples = fixtureSamples();
  test('the fixtures cover every kind', () => {
    assert.deepEqual(new Set(samples.map((s) => s.kind)), new Set(FILE_KINDS));
  });
  test('unmutated fixtures: pins are local, reversible and mean what they say', () => {
    for (const s of samples) {
      checkDocument(s.text, s.kind);
      checkPinMeaning(s.text, s.kind, 50);
    }
  });
  fuzzSamples(samples, 60, 4242);
});

describe('extractors on mutated corpus files', { skip: existsSync(CORPUS) ? false : `../shared/corpus not found at ${CORPUS}` }, () => {
  const samples = existsSync(CORPUS) ? corpusSamples() : [];
  test('unmutated corpus sample: pins are local, reversible and mean what they say', () => {
    assert.ok(samples.length >= 20, `only ${samples.length} corpus files sampled`);
    for (const s of samples) {
      checkDocument(s.text, s.kind);
      checkPinMeaning(s.text, s.kind, 8);
    }
  });
  fuzzSamples(samples, 12, 4343);
});
