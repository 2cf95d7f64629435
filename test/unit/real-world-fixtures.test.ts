// Issue 12's proof on files modelled on well-known projects (test/fixtures/real-world, sources in its SOURCES.md):
// every file is found with its kind by the same walk the CLI uses, every reference written down in expected.json is
// found exactly (position, text, reference, status, lenient, linked .Values paths), and every container image
// Renovate's github-actions, gitlabci and devcontainer managers find in those files is found too (recall; the
// Renovate output is recorded in renovate-expected.json by scripts/renovate-recall.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { analyzeText, type Analysis } from '../../server/src/core/analyze';
import { parseReference } from '../../server/src/core/reference';
import { walk } from '../../server/src/core/workspace';
import type { FileKind, ImageRef } from '../../server/src/core/types';

const ROOT = path.resolve(process.cwd(), 'test/fixtures/real-world');

interface ExpectedRef {
  at: string;
  text: string;
  reference: string;
  status: string;
  lenient?: true;
  values?: string[];
}
interface ExpectedFile {
  kind: FileKind;
  references: ExpectedRef[];
  problems?: { at: string; code: string }[];
}
interface RenovateDep {
  depType: string | null;
  depName: string | null;
  currentValue: string | null;
  currentDigest: string | null;
  replaceString: string | null;
  skipReason?: string;
}

const expected = JSON.parse(readFileSync(path.join(ROOT, 'expected.json'), 'utf8')) as Record<string, ExpectedFile>;
const renovate = JSON.parse(readFileSync(path.join(ROOT, 'renovate-expected.json'), 'utf8')) as {
  renovate: string;
  files: Record<string, { manager: string; deps: RenovateDep[] }>;
};

const analyses = new Map<string, { kind: FileKind; text: string; analysis: Analysis }>();
for (const f of walk([ROOT]).files) {
  analyses.set(path.relative(ROOT, f.absPath).split(path.sep).join('/'), { kind: f.kind, text: f.text, analysis: analyzeText(f.text, f.kind) });
}

function at(a: Analysis, offset: number): string {
  const p = a.lines.positionAt(offset);
  return `${p.line + 1}:${p.character + 1}`;
}

describe('real-world fixtures', () => {
  test('the walk finds every fixture with its kind (GitLab includes and chart templates by their context)', () => {
    const found = Object.fromEntries([...analyses].map(([file, a]) => [file, a.kind]));
    const written = Object.fromEntries(Object.entries(expected).map(([file, e]) => [file, e.kind]));
    assert.deepEqual(found, written);
    const kinds = new Set(Object.values(written));
    for (const kind of ['github-actions', 'gitlab-ci', 'devcontainer', 'helm-template'] as FileKind[]) assert.ok(kinds.has(kind), kind);
    assert.equal(found['gitlab-ci/runner/ci/build.yml'], 'gitlab-ci', 'a file the project includes locally, whatever its name');
    assert.equal(found['helm-charts/podinfo/templates/_helpers.tpl'], 'helm-template');
    assert.equal(found['helm-charts/webapp/charts/cache/templates/statefulset.yaml'], 'helm-template', 'a subchart template');
  });

  for (const [file, want] of Object.entries(expected)) {
    test(`${file}: the references written down are found exactly`, () => {
      const got = analyses.get(file);
      assert.ok(got, `${file} was not found by the walk`);
      const { analysis, text } = got;
      for (const r of analysis.refs) assert.equal(text.slice(r.range.start, r.range.end), r.text, 'the range selects the text');
      const refs = analysis.refs.map((r) => ({
        at: at(analysis, r.range.start),
        text: r.text,
        reference: r.reference,
        status: r.status,
        ...(r.lenient ? { lenient: true } : {}),
        ...(r.values ? { values: r.values.map((v) => v.path) } : {}),
      }));
      assert.deepEqual(refs, want.references);
      const problems = analysis.problems.map((p) => ({ at: at(analysis, p.range.start), code: p.code ?? 'unreadable-yaml' }));
      assert.deepEqual(problems, want.problems ?? []);
    });
  }

  test('the fixtures hold what the issue asks for', () => {
    const all = [...analyses.values()].flatMap((a) => a.analysis.refs);
    assert.ok(all.some((r) => r.kind === 'github-actions' && r.context?.includes('container')), 'jobs.<id>.container');
    assert.ok(all.some((r) => r.kind === 'github-actions' && r.context?.includes('services.')), 'jobs.<id>.services');
    assert.ok(all.some((r) => r.kind === 'github-actions' && r.context?.endsWith('.uses')), 'uses: docker://');
    assert.ok(all.some((r) => r.kind === 'github-actions' && r.context?.startsWith('runs.image')), 'runs.image');
    assert.ok(all.some((r) => r.kind === 'github-actions' && r.status === 'templated' && r.text.includes('${{')), '${{ }} is templated');
    assert.ok(all.some((r) => r.kind === 'gitlab-ci' && r.context?.startsWith('variables.')), 'a variables: default resolves');
    assert.ok(all.some((r) => r.kind === 'gitlab-ci' && r.status === 'templated' && r.reference.includes('$CI_')), 'predefined variables are templated');
    assert.ok(all.some((r) => r.kind === 'devcontainer' && r.context === 'image'));
    assert.ok(all.some((r) => r.kind === 'devcontainer' && r.pin?.type === 'inline' && r.pin.dropTag), 'Features');
    assert.ok(all.some((r) => r.kind === 'helm-template' && r.status === 'unpinned'), 'literal template images');
    assert.ok(all.some((r) => r.kind === 'helm-template' && r.values?.length), 'templated images linked to .Values');
    assert.ok(all.some((r) => r.lenient), 'read leniently');
    assert.ok([...analyses.values()].some((a) => a.analysis.problems.some((p) => p.code === 'duplicate-key')));
  });
});

/** Whether one of our references stands for what Renovate found. */
function covers(refs: ImageRef[], dep: RenovateDep): boolean {
  if (dep.depName) {
    const written = `${dep.depName}${dep.currentValue ? `:${dep.currentValue}` : ''}${dep.currentDigest ? `@${dep.currentDigest}` : ''}`;
    const want = parseReference(written);
    return refs.some((r) => r.parsed?.name === want.name && r.parsed.tag === want.tag && r.parsed.digest === want.digest);
  }
  // Skipped by Renovate (a variable or expression in the value): found where it is written, or — a GitLab image
  // that is entirely one variable — at that variable's default, which then says it is used there.
  const s = dep.replaceString ?? '';
  if (refs.some((r) => r.text === s || r.text === s.replace(/^docker:\/\//, ''))) return true;
  const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(s)?.[1];
  return variable !== undefined && refs.some((r) => r.context?.startsWith(`variables.${variable} default`));
}

describe(`recall against Renovate ${renovate.renovate}`, () => {
  for (const [file, { manager, deps }] of Object.entries(renovate.files)) {
    test(`${file}: every container image Renovate's ${manager} manager finds is found`, () => {
      const refs = analyses.get(file)?.analysis.refs ?? [];
      const missed = deps.filter((d) => !covers(refs, d));
      assert.deepEqual(missed, []);
      // Image Trust counts an image once per place it is written (a variable's default once, with its uses), so it
      // never reports fewer places than Renovate's distinct written references.
      assert.ok(refs.length >= new Set(deps.filter((d) => d.depName).map((d) => d.replaceString)).size);
    });
  }

  test('documented differences: what Image Trust finds beyond Renovate', () => {
    const refsOf = (file: string) => analyses.get(file)!.analysis.refs;
    // An action's `runs.image: docker://…` (Renovate's github-actions manager reads only `uses:`).
    assert.equal(renovate.files['github-actions/linter-action/action.yml'].deps.length, 0);
    assert.equal(refsOf('github-actions/linter-action/action.yml')[0].reference, 'ghcr.io/super-linter/super-linter:v7.1.0');
    // A Feature without a tag (implicit latest), which Renovate skips.
    assert.ok(refsOf('devcontainer/multi/.devcontainer/python/devcontainer.json').some((r) => r.reference === 'ghcr.io/devcontainers/features/node'));
    // GitLab images from `variables:` defaults, which Renovate skips as "contains-variable".
    const gtk = refsOf('gitlab-ci/gtk/.gitlab-ci.yml').find((r) => r.context?.startsWith('variables.FEDORA_IMAGE'));
    assert.equal(gtk?.reference, 'registry.gitlab.gnome.org/gnome/gtk/fedora:v52');
    assert.ok(renovate.files['gitlab-ci/gtk/.gitlab-ci.yml'].deps.some((d) => d.replaceString === '$FEDORA_IMAGE' && d.skipReason === 'contains-variable'));
  });
});
