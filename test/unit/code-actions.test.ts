// lsp/codeActions.ts `codeActions` on in-memory documents: which quick fixes an Image Trust diagnostic offers and
// exactly what their edits write. Diagnostics come from the real pipeline (core/assess → lsp/diagnostics); the
// resolution service is a stand-in that answers `get` from a map (no registry).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CodeActionKind, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeText } from '../../server/src/core/analyze';
import { assessFile, type ReferenceFacts } from '../../server/src/core/assess';
import type { Resolution } from '../../server/src/core/resolve';
import type { FileKind, ImageRef } from '../../server/src/core/types';
import { DEFAULT_SETTINGS } from '../../server/src/protocol';
import { codeActions, PIN_FILE_COMMAND, PIN_REFERENCE_COMMAND } from '../../server/src/lsp/codeActions';
import { toDiagnostic } from '../../server/src/lsp/diagnostics';
import { DocumentAnalyses, type DocumentAnalysis } from '../../server/src/lsp/documents';
import type { ResolutionService } from '../../server/src/lsp/resolution';
import type { UpdateEvaluation } from '../../server/src/core/update';

const RULES_DOC = 'https://example.test/rules.md';
const D = (c: string) => `sha256:${c.repeat(64)}`;
const INDEX = D('1');
const AMD = D('2');
const ARM = D('3');
const OLD = D('4');
const short = (d: string) => `${d.slice(0, 19)}…`;

/**
 * A stand-in ResolutionService: `get` answers from a map keyed by the reference as written, `updateEvaluation` (the
 * trust-gated judgement of a moved pin) from another.
 */
function service(answers: Record<string, Resolution> = {}, updates: Record<string, UpdateEvaluation> = {}): ResolutionService {
  return { get: (ref: ImageRef) => answers[ref.reference], updateEvaluation: (_uri: string, ref: ImageRef) => updates[ref.reference] } as unknown as ResolutionService;
}

function res(over: Partial<Resolution>): Resolution {
  return { platforms: [], fromCache: false, cacheAgeMs: 0, ...over };
}

interface Setup {
  doc: TextDocument;
  analysis: DocumentAnalysis;
  diagnostics: Diagnostic[];
}

function setup(text: string, kind: FileKind, answers: Record<string, Resolution> = {}, uri = 'file:///ws/file.yaml'): Setup {
  const doc = TextDocument.create(uri, kind === 'dockerfile' ? 'dockerfile' : 'yaml', 7, text);
  const a = analyzeText(text, kind);
  const analysis: DocumentAnalysis = { uri, version: 7, kind, analysis: a, findings: [], lines: a.lines };
  const facts = (r: ImageRef): ReferenceFacts => ({ resolution: answers[r.reference] ?? null });
  const diagnostics = assessFile(a, facts).map((f) => toDiagnostic(f, a.lines, RULES_DOC));
  return { doc, analysis, diagnostics };
}

function run(s: Setup, answers: Record<string, Resolution> = {}, opts: { diagnostics?: Diagnostic[]; only?: string[]; updates?: Record<string, UpdateEvaluation> } = {}): CodeAction[] {
  const params = { textDocument: { uri: s.doc.uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: opts.diagnostics ?? s.diagnostics, ...(opts.only ? { only: opts.only } : {}) } };
  return codeActions(params, s.doc, s.analysis, service(answers, opts.updates));
}

/** The document text after applying one action's edit, checking the edit is versioned for this document. */
function applied(s: Setup, action: CodeAction): string {
  const change = action.edit?.documentChanges?.[0] as { textDocument: { uri: string; version: number }; edits: TextEdit[] } | undefined;
  assert.ok(change, `${action.title} has no edit`);
  assert.equal(action.edit!.documentChanges!.length, 1);
  assert.deepEqual(change.textDocument, { uri: s.doc.uri, version: 7 });
  return TextDocument.applyEdits(s.doc, change.edits);
}

const titles = (as: CodeAction[]) => as.map((a) => a.title);

describe('pin quick fixes', () => {
  const text = 'services:\n  web:\n    image: "nginx:1.25" # the web server\n    ports: ["80:80"]\n';
  const answers = {
    'nginx:1.25': res({
      tagDigest: INDEX,
      platforms: [
        { os: 'linux', architecture: 'amd64', digest: AMD, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
        { os: 'linux', architecture: 'arm64', digest: ARM, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      ],
    }),
  };

  test('offers pin (preferred), one per platform, and keep-the-tag, in that order', () => {
    const s = setup(text, 'compose', answers);
    assert.deepEqual(s.diagnostics.map((d) => d.code), ['unpinned-tag']);
    const actions = run(s, answers);
    assert.deepEqual(titles(actions), [
      `Pin to ${short(INDEX)} (keeps tag 1.25)`,
      `Pin to the linux/amd64 image only: ${short(AMD)}`,
      `Pin to the linux/arm64 image only: ${short(ARM)}`,
      'Keep the tag on purpose (ignore unpinned-tag on this line)',
    ]);
    assert.deepEqual(actions.map((a) => a.isPreferred ?? false), [true, false, false, false]);
    assert.ok(actions.every((a) => a.kind === CodeActionKind.QuickFix));
    assert.ok(actions.every((a) => a.diagnostics?.length === 1 && a.diagnostics[0] === s.diagnostics[0]));
  });

  test('the pin edit touches only the reference: quotes and the comment stay', () => {
    const s = setup(text, 'compose', answers);
    const [pin, amd, arm] = run(s, answers);
    assert.equal(applied(s, pin), `services:\n  web:\n    image: "nginx:1.25@${INDEX}" # the web server\n    ports: ["80:80"]\n`);
    assert.equal(applied(s, amd), `services:\n  web:\n    image: "nginx:1.25@${AMD}" # the web server\n    ports: ["80:80"]\n`);
    assert.equal(applied(s, arm), `services:\n  web:\n    image: "nginx:1.25@${ARM}" # the web server\n    ports: ["80:80"]\n`);
    const edits = (pin.edit!.documentChanges![0] as { edits: TextEdit[] }).edits;
    assert.deepEqual(edits, [{ range: { start: { line: 2, character: 22 }, end: { line: 2, character: 22 } }, newText: `@${INDEX}` }]);
  });

  test('keep the tag: the directive goes before the existing comment, which keeps its text', () => {
    const s = setup(text, 'compose', answers);
    const keep = run(s, answers).at(-1)!;
    const after = applied(s, keep);
    assert.equal(after, 'services:\n  web:\n    image: "nginx:1.25" # image-trust: ignore unpinned-tag # the web server\n    ports: ["80:80"]\n');
    assert.deepEqual(analyzeText(after, 'compose').refs[0].ignored, ['unpinned-tag'], 'the written comment is read back as a suppression');
  });

  test('keep the tag on a line without a comment: appended at the end of the line, CRLF kept', () => {
    const crlf = 'services:\r\n  web:\r\n    image: nginx:1.25\r\n';
    const s = setup(crlf, 'compose', answers);
    const actions = run(s, answers);
    assert.equal(applied(s, actions.at(-1)!), 'services:\r\n  web:\r\n    image: nginx:1.25 # image-trust: ignore unpinned-tag\r\n');
    assert.equal(applied(s, actions[0]), `services:\r\n  web:\r\n    image: nginx:1.25@${INDEX}\r\n`);
  });

  test('implicit latest: pin writes the digest after the name; no "keeps tag" in the title', () => {
    const s = setup('services:\n  cache:\n    image: redis\n', 'compose', { redis: res({ tagDigest: INDEX }) });
    const actions = run(s, { redis: res({ tagDigest: INDEX }) });
    assert.deepEqual(titles(actions), [`Pin to ${short(INDEX)}`, 'Keep the tag on purpose (ignore implicit-latest on this line)']);
    assert.equal(applied(s, actions[0]), `services:\n  cache:\n    image: redis@${INDEX}\n`);
  });

  test('nothing resolved yet: a pin command with the document version and the reference range, no edit', () => {
    const s = setup(text, 'compose');
    const actions = run(s);
    assert.deepEqual(titles(actions), ['Pin to digest (keeps tag 1.25)', 'Keep the tag on purpose (ignore unpinned-tag on this line)']);
    const start = text.indexOf('nginx');
    assert.equal(actions[0].edit, undefined);
    assert.equal(actions[0].isPreferred, true);
    assert.deepEqual(actions[0].command, { title: 'Pin to digest', command: PIN_REFERENCE_COMMAND, arguments: [{ uri: s.doc.uri, version: 7, start, end: start + 'nginx:1.25'.length }] });
  });

  test('a failed resolution also falls back to the pin command (which asks again)', () => {
    const failed = { 'nginx:1.25': res({ error: { code: 'REGISTRY_UNREACHABLE', message: 'down' } }) };
    const s = setup(text, 'compose', failed);
    assert.deepEqual(s.diagnostics.map((d) => d.code), ['unpinned-tag', 'resolve-failed']);
    const actions = run(s, failed);
    assert.deepEqual(titles(actions), ['Pin to digest (keeps tag 1.25)', 'Keep the tag on purpose (ignore unpinned-tag on this line)']);
    assert.equal(actions[0].command?.command, PIN_REFERENCE_COMMAND);
  });

  test('Dockerfile: the pin edits FROM in place; keep-the-tag writes a comment line above the instruction', () => {
    const docker = 'FROM golang:1.22 AS build\nRUN go build\nFROM alpine:3.20\n';
    const answers2 = { 'golang:1.22': res({ tagDigest: INDEX }), 'alpine:3.20': res({ tagDigest: AMD }) };
    const s = setup(docker, 'dockerfile', answers2, 'file:///ws/Dockerfile');
    const alpine = s.diagnostics.filter((d) => d.range.start.line === 2);
    const actions = run(s, answers2, { diagnostics: alpine });
    assert.deepEqual(titles(actions).slice(0, 2), [`Pin to ${short(AMD)} (keeps tag 3.20)`, 'Keep the tag on purpose (ignore unpinned-tag on this line)']);
    assert.equal(applied(s, actions[0]), `FROM golang:1.22 AS build\nRUN go build\nFROM alpine:3.20@${AMD}\n`);
    assert.equal(applied(s, actions[1]), 'FROM golang:1.22 AS build\nRUN go build\n# image-trust: ignore unpinned-tag\nFROM alpine:3.20\n');
  });

  test('Helm values: the pin inserts a digest key under the block, at its indentation', () => {
    const values = 'image:\n  repository: nginx\n  tag: "1.25"\nreplicas: 2\n';
    const a = { 'nginx:1.25': res({ tagDigest: INDEX }) };
    const s = setup(values, 'helm-values', a, 'file:///ws/chart/values.yaml');
    const actions = run(s, a);
    assert.equal(actions[0].title, `Pin to ${short(INDEX)} (keeps tag 1.25)`);
    assert.equal(applied(s, actions[0]), `image:\n  repository: nginx\n  tag: "1.25"\n  digest: ${INDEX}\nreplicas: 2\n`);
  });
});

describe('tag moved under a pin: the update is trust-gated', () => {
  const text = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: 'nginx:1.25@${OLD}'\n`;
  const moved = { [`nginx:1.25@${OLD}`]: res({ tagDigest: INDEX, digestExists: true, drift: true, updateDigest: INDEX }) };
  /** The judgement of core/update.ts, as the resolution service keeps it (only the fields the quick fix reads). */
  const judged = (decision: 'accepted' | 'refused', to = INDEX, reasons = ['…']): Record<string, UpdateEvaluation> => ({
    [`nginx:1.25@${OLD}`]: {
      state: 'candidate',
      from: OLD,
      to,
      decision,
      reasons,
      signer: { status: 'same', old: [], new: [], shared: [] },
      candidate: { age: { ageMs: 12 * 86_400_000 } },
      sbomDiff: { total: 3 },
    } as unknown as UpdateEvaluation,
  });

  test('before the candidate is judged: no update action, only keep pin (the tag alone is never a reason to move a pin)', () => {
    const s = setup(text, 'kubernetes', moved);
    assert.deepEqual(s.diagnostics.map((d) => d.code), ['tag-moved']);
    assert.deepEqual(titles(run(s, moved)), ['Keep pin (ignore on this line)']);
  });

  test('an accepted candidate: "Update pin (same signer, 12 days old, 3 packages changed)" writes exactly the judged digest, nothing else', () => {
    const s = setup(text, 'kubernetes', moved);
    // The judged digest (a platform's manifest, say) is written, whatever the tag's digest is.
    const actions = run(s, moved, { updates: judged('accepted', AMD) });
    assert.deepEqual(titles(actions), ['Update pin (same signer, 12 days old, 3 packages changed)', 'Keep pin (ignore on this line)']);
    assert.equal(applied(s, actions[0]), text.replace(OLD, AMD));
    const edits = (actions[0].edit!.documentChanges![0] as { edits: TextEdit[] }).edits;
    assert.equal(edits.length, 1);
    assert.equal(edits[0].newText, AMD);
    assert.equal(s.doc.getText(edits[0].range), OLD);
    assert.equal(applied(s, actions[1]), text.replace(`${OLD}'`, `${OLD}' # image-trust: ignore tag-moved`));
  });

  test('a refused candidate: the update is withheld (the hover says why); keep pin stays', () => {
    const s = setup(text, 'kubernetes', moved);
    assert.deepEqual(titles(run(s, moved, { updates: judged('refused', INDEX, ['the signer changed']) })), ['Keep pin (ignore on this line)']);
  });

  test('a pinned reference with other findings gets no pin or keep actions', () => {
    const gone = { [`nginx:1.25@${OLD}`]: res({ tagDigest: INDEX, digestExists: false, drift: true, updateDigest: INDEX }) };
    const s = setup(text, 'kubernetes', gone);
    assert.deepEqual(s.diagnostics.map((d) => d.code), ['digest-not-found']);
    assert.deepEqual(run(s, gone, { updates: judged('accepted') }), []);
  });
});

describe('pin all in this file', () => {
  const two = 'services:\n  a:\n    image: nginx:1.25\n  b:\n    image: redis\n  c:\n    image: ${OTHER}\n';

  test('offered with two or more unpinned references, counting only pinnable ones', () => {
    const s = setup(two, 'compose');
    const pinAll = run(s).filter((a) => a.kind !== CodeActionKind.QuickFix);
    assert.deepEqual(pinAll, [
      { title: 'Pin all images in this file (2)', kind: 'source.pinAll.imageTrust', command: { title: 'Pin all images in this file', command: PIN_FILE_COMMAND, arguments: [{ uri: s.doc.uri }] } },
    ]);
  });

  test('offered even with no diagnostic in range', () => {
    const s = setup(two, 'compose');
    assert.deepEqual(titles(run(s, {}, { diagnostics: [] })), ['Pin all images in this file (2)']);
  });

  test('with one unpinned reference: only when source actions are asked for', () => {
    const one = setup('services:\n  a:\n    image: nginx:1.25\n', 'compose');
    assert.deepEqual(titles(run(one, {}, { diagnostics: [] })), []);
    assert.deepEqual(titles(run(one, {}, { diagnostics: [], only: [CodeActionKind.Source] })), ['Pin all images in this file (1)']);
    assert.deepEqual(titles(run(one, {}, { diagnostics: [], only: [CodeActionKind.QuickFix] })), []);
  });

  test('not offered when every reference is pinned', () => {
    const s = setup(`services:\n  a:\n    image: nginx:1.25@${OLD}\n  b:\n    image: redis@${OLD}\n`, 'compose');
    assert.deepEqual(run(s, {}, { diagnostics: [], only: [CodeActionKind.Source] }), []);
  });
});

describe('nothing is offered where nothing can be pinned', () => {
  test('templated and invalid references: their diagnostics get no action', () => {
    const s = setup('services:\n  a:\n    image: ${IMAGE}\n  b:\n    image: Nginx:1.25\n', 'compose');
    assert.deepEqual(s.diagnostics.map((d) => d.code), ['templated', 'invalid-reference']);
    assert.deepEqual(run(s, { '${IMAGE}': res({ tagDigest: INDEX }), 'Nginx:1.25': res({ tagDigest: INDEX }) }), []);
  });

  test('Helm tag filled from appVersion (templated): no action', () => {
    const s = setup('image:\n  repository: nginx\n  tag: ""\n', 'helm-values');
    assert.deepEqual(s.diagnostics.map((d) => d.code), ['templated']);
    assert.deepEqual(run(s), []);
  });

  test('diagnostics of other sources, and ones not on a reference, are ignored', () => {
    const s = setup('services:\n  a:\n    image: nginx:1.25\n', 'compose', { 'nginx:1.25': res({ tagDigest: INDEX }) });
    const foreign = { ...s.diagnostics[0], source: 'yaml' };
    const shifted = { ...s.diagnostics[0], range: { start: { line: 2, character: 4 }, end: { line: 2, character: 9 } } };
    assert.deepEqual(run(s, { 'nginx:1.25': res({ tagDigest: INDEX }) }, { diagnostics: [foreign, shifted] }), []);
  });

  test('a document of no known kind: nothing', () => {
    const s = setup('services:\n  a:\n    image: nginx:1.25\n', 'compose');
    const none: DocumentAnalysis = { ...s.analysis, kind: null, analysis: null };
    const params = { textDocument: { uri: s.doc.uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: s.diagnostics } };
    assert.deepEqual(codeActions(params, s.doc, none, service()), []);
  });
});

describe('with the real per-document analysis', () => {
  test('DocumentAnalyses.analyze output works as the analysis', () => {
    const text = 'services:\n  web:\n    image: nginx:1.25 # pinned soon\n';
    const analyses = new DocumentAnalyses(() => DEFAULT_SETTINGS, () => ['/ws']);
    const analysis = analyses.analyze('file:///ws/compose.yaml', 3, text);
    assert.equal(analysis.kind, 'compose');
    const doc = TextDocument.create('file:///ws/compose.yaml', 'yaml', 3, text);
    const diagnostics = assessFile(analysis.analysis!, () => ({})).map((f) => toDiagnostic(f, analysis.lines, RULES_DOC));
    const answers = { 'nginx:1.25': res({ tagDigest: INDEX }) };
    const actions = codeActions({ textDocument: { uri: doc.uri }, range: diagnostics[0].range, context: { diagnostics } }, doc, analysis, service(answers));
    const change = actions[0].edit!.documentChanges![0] as { textDocument: { version: number }; edits: TextEdit[] };
    assert.equal(change.textDocument.version, 3);
    assert.equal(TextDocument.applyEdits(doc, change.edits), `services:\n  web:\n    image: nginx:1.25@${INDEX} # pinned soon\n`);
  });
});
