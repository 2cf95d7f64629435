// What changed since a git ref: diff parsing, the changed/moved decision, reference sites, added policy exceptions,
// and the git plumbing against real temporary repositories.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analyzeText } from '../../server/src/core/analyze';
import {
  addedExceptions,
  changedLines,
  diffWorkingTree,
  isReferenceChanged,
  parseUnifiedDiff,
  referenceSite,
  selectChanged,
  TO_END_OF_FILE,
  type FileDiff,
} from '../../server/src/core/changes';
import { ImageTrustError } from '../../server/src/core/errors';
import { LineIndex } from '../../server/src/core/positions';
import { reportFile } from '../../server/src/core/report';
import type { FileKind } from '../../server/src/core/types';
import { GIT_ENV, TempRepo } from '../support/git-repo';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

function modified(added: [number, number][], removed: string[] = []): FileDiff {
  return { path: 'f.yaml', oldPath: 'f.yaml', status: 'modified', added: added.map(([start, end]) => ({ start, end })), removed };
}

describe('parseUnifiedDiff', () => {
  const patch = [
    'diff --git a/mv.yaml b/mv2.yaml',
    'similarity index 80%',
    'rename from mv.yaml',
    'rename to mv2.yaml',
    'index a470291..442f4e2 100644',
    '--- a/mv.yaml',
    '+++ b/mv2.yaml',
    '@@ -4,0 +5 @@ w',
    '+v',
    'diff --git "a/q\\"t.yaml" "b/q\\"t.yaml"',
    'index b77b4eb..975fbec 100644',
    '--- "a/q\\"t.yaml"',
    '+++ "b/q\\"t.yaml"',
    '@@ -1 +0,0 @@',
    '-x',
    'diff --git a/sp ace.yaml b/sp ace.yaml',
    'index de98044..a7bc997 100644',
    '--- a/sp ace.yaml\t',
    '+++ b/sp ace.yaml\t',
    '@@ -2,2 +2,3 @@ a',
    '--- a/looks-like-a-header',
    '-\\ also content',
    '+B',
    '+C',
    '+D',
    '\\ No newline at end of file',
    'diff --git a/new.yaml b/new.yaml',
    'new file mode 100644',
    'index 0000000..1111111',
    '--- /dev/null',
    '+++ b/new.yaml',
    '@@ -0,0 +1,2 @@',
    '+one',
    '+two',
    'diff --git a/gone.yaml b/gone.yaml',
    'deleted file mode 100644',
    'index 1111111..0000000',
    '--- a/gone.yaml',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-image: nginx:1.25',
    'diff --git a/same.yaml b/renamed.yaml',
    'similarity index 100%',
    'rename from same.yaml',
    'rename to renamed.yaml',
    'diff --git a/logo.png b/logo.png',
    'index 1111111..2222222 100644',
    'Binary files a/logo.png and b/logo.png differ',
    'diff --git "a/\\303\\251t\\303\\251.yaml" "b/\\303\\251t\\303\\251.yaml"',
    '--- "a/\\303\\251t\\303\\251.yaml"',
    '+++ "b/\\303\\251t\\303\\251.yaml"',
    '@@ -1 +1 @@',
    '-a',
    '+b',
    '',
  ].join('\n');
  const files = new Map(parseUnifiedDiff(patch).map((f) => [f.path, f]));

  test('reads paths: renames, C-quoted names, octal UTF-8 bytes, the tab after a name with a space', () => {
    assert.deepEqual([...files.keys()], ['mv2.yaml', 'q"t.yaml', 'sp ace.yaml', 'new.yaml', 'gone.yaml', 'renamed.yaml', 'logo.png', 'été.yaml']);
    assert.deepEqual([files.get('mv2.yaml')!.status, files.get('mv2.yaml')!.oldPath], ['renamed', 'mv.yaml']);
    assert.deepEqual([files.get('renamed.yaml')!.status, files.get('renamed.yaml')!.oldPath, files.get('renamed.yaml')!.added], ['renamed', 'same.yaml', []]);
    assert.equal(files.get('new.yaml')!.status, 'added');
    assert.equal(files.get('gone.yaml')!.status, 'deleted');
    assert.equal(files.get('logo.png')!.status, 'modified');
  });

  test('added ranges are 0-based half-open; a pure deletion adds nothing; removed lines keep their text', () => {
    assert.deepEqual(files.get('mv2.yaml')!.added, [{ start: 4, end: 5 }]);
    assert.deepEqual(files.get('q"t.yaml')!.added, []);
    assert.deepEqual(files.get('q"t.yaml')!.removed, ['x']);
    assert.deepEqual(files.get('new.yaml')!.added, [{ start: 0, end: 2 }]);
    assert.deepEqual(files.get('gone.yaml')!.removed, ['image: nginx:1.25']);
  });

  test('hunk bodies are read by count: removed lines that look like headers or markers are content', () => {
    const f = files.get('sp ace.yaml')!;
    assert.deepEqual(f.added, [{ start: 1, end: 4 }]);
    assert.deepEqual(f.removed, ['-- a/looks-like-a-header', '\\ also content']);
  });
});

describe('isReferenceChanged', () => {
  test('a file absent from the diff, or deleted, has no changed reference', () => {
    assert.equal(isReferenceChanged(undefined, { lines: { start: 0, end: 1 }, text: 'nginx:1.25' }), false);
    assert.equal(isReferenceChanged({ ...modified([[0, 5]]), status: 'deleted' }, { lines: { start: 0, end: 1 }, text: 'nginx:1.25' }), false);
  });

  test('only lines the working tree adds count', () => {
    const d = modified([[3, 5]]);
    assert.equal(isReferenceChanged(d, { lines: { start: 2, end: 3 }, text: 'nginx:1.25' }), false);
    assert.equal(isReferenceChanged(d, { lines: { start: 3, end: 4 }, text: 'nginx:1.25' }), true);
    assert.equal(isReferenceChanged(d, { lines: { start: 5, end: 6 }, text: 'nginx:1.25' }), false);
  });

  test('a reference whose text is among the removed lines moved, unchanged', () => {
    const moved = modified([[7, 8]], ['      image: nginx:1.25   # old place']);
    assert.equal(isReferenceChanged(moved, { lines: { start: 7, end: 8 }, text: 'nginx:1.25' }), false);
  });

  test('a changed tag or digest is changed, even when the old text is a prefix of the new one or vice versa', () => {
    const site = { lines: { start: 1, end: 2 }, text: 'nginx:1.25' };
    assert.equal(isReferenceChanged(modified([[1, 2]], ['image: nginx:1.25-alpine']), site), true);
    assert.equal(isReferenceChanged(modified([[1, 2]], ['image: nginx:1.2']), site), true);
    assert.equal(isReferenceChanged(modified([[1, 2]], [`image: nginx@${DIGEST_A}`]), { lines: { start: 1, end: 2 }, text: `nginx@${DIGEST_B}` }), true);
    assert.equal(isReferenceChanged(modified([[1, 2]], ['image: "nginx:1.25"']), site), false);
  });

  test('a multi-line site moved only when all its lines appear together among the removed lines', () => {
    const site = { lines: { start: 4, end: 6 }, text: 'repository: acme/web\ntag: "1.2"' };
    assert.equal(isReferenceChanged(modified([[4, 6]], ['  repository: acme/web', '  tag: "1.2"']), site), false);
    assert.equal(isReferenceChanged(modified([[5, 6]], ['  tag: "1.1"']), site), true);
    assert.equal(isReferenceChanged(modified([[4, 6]], ['  repository: acme/web', 'other: 1', '  tag: "1.2"']), site), true);
  });

  test('everything in an untracked file is changed', () => {
    const d: FileDiff = { path: 'x.yaml', oldPath: null, status: 'untracked', added: [{ start: 0, end: TO_END_OF_FILE }], removed: [] };
    assert.equal(isReferenceChanged(d, { lines: { start: 900, end: 901 }, text: 'nginx:1.25' }), true);
  });
});

function sites(text: string, kind: FileKind) {
  const { refs, lines } = analyzeText(text, kind);
  return refs.map((r) => ({ ref: r.reference, site: referenceSite(r, lines) }));
}

describe('referenceSite', () => {
  test('an inline reference is its own line and text', () => {
    assert.deepEqual(sites('apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: nginx:1.25\n', 'kubernetes'), [
      { ref: 'nginx:1.25', site: { lines: { start: 5, end: 6 }, text: 'nginx:1.25' } },
    ]);
  });

  test('a Helm image block spans every key of its mapping, so a changed registry or tag counts', () => {
    const text = `replicas: 2\nimage:\n  registry: ghcr.io\n  repository: acme/web\n  tag: "1.2"\n  pullPolicy: IfNotPresent\nservice:\n  port: 80\n`;
    const [only] = sites(text, 'helm-values');
    assert.equal(only.ref, 'ghcr.io/acme/web:1.2');
    assert.ok(only.site.lines.start === 2 && only.site.lines.end >= 5 && only.site.lines.end <= 6, JSON.stringify(only.site));
    const lines = new LineIndex(text);
    const { refs } = analyzeText(text, 'helm-values');
    const registryChanged = modified([[2, 3]], ['  registry: docker.io']);
    assert.equal(isReferenceChanged(registryChanged, referenceSite(refs[0], lines)), true);
    const portChanged = modified([[7, 8]], ['  port: 8080']);
    assert.equal(isReferenceChanged(portChanged, referenceSite(refs[0], lines)), false);
  });

  test('a kustomize images[] entry spans its item, starting at the `- ` line', () => {
    const text = 'images:\n  - newTag: "1.25"\n    name: nginx\n  - name: redis\n    newTag: "7"\n';
    const got = sites(text, 'kustomize');
    assert.deepEqual(got.map((g) => [g.ref, g.site.lines.start]), [['nginx:1.25', 1], ['redis:7', 3]]);
    assert.deepEqual(got.map((g) => g.site.lines.end), [3, 5]);
  });
});

describe('selectChanged and addedExceptions', () => {
  test('keeps changed references and their findings only, and lists the rest as unchanged', () => {
    const text = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: nginx:1.25\n    - name: b\n      image: redis:7\n';
    const file = reportFile('pod.yaml', '/repo/pod.yaml', text, 'kubernetes');
    const diff = { repoRoot: '/repo', ref: 'main', mergeBase: 'c'.repeat(40), files: new Map([['pod.yaml', { ...modified([[7, 8]], ['      image: redis:6']), path: 'pod.yaml' }]]) };
    const sel = selectChanged({ files: [file], notices: [] }, diff);
    assert.deepEqual(sel.report.files[0].refs.map((r) => r.reference), ['redis:7']);
    assert.deepEqual(sel.report.files[0].findings.map((d) => text.slice(d.range.start, d.range.end)), ['redis:7']);
    assert.deepEqual(sel.unchangedRefs(sel.report.files[0]).map((r) => r.reference), ['nginx:1.25']);
    assert.equal(sel.changedCount, 1);
    assert.equal(file.findings.length, 2, 'the scanned report is left as it was');
  });

  test('lists exception entries the change adds or edits, with owner and expiry, valid or not', () => {
    const text = [
      'version: 1',
      'exceptions:',
      `  - image: ghcr.io/acme/old@${DIGEST_A}`,
      '    owner: team-a',
      '    expires: 2030-01-01',
      '    reason: kept as is',
      `  - image: ghcr.io/acme/new@${DIGEST_B}`,
      '    owner: "@team-b"',
      '    expires: 2099-12-31',
      '    reason: vendor image | signature pending',
      '  - image: docker.io/library/*',
      '    reason: no owner given',
      '',
    ].join('\n');
    const lines = new LineIndex(text);
    const diff = modified([[6, 12]]);
    assert.deepEqual(addedExceptions(text, diff, lines), [
      { image: `ghcr.io/acme/new@${DIGEST_B}`, owner: '@team-b', expires: '2099-12-31', reason: 'vendor image | signature pending' },
      { image: 'docker.io/library/*', owner: null, expires: null, reason: 'no owner given' },
    ]);
    // Extending an expiry is an edit a reviewer must see too.
    assert.deepEqual(addedExceptions(text, modified([[4, 5]], ['    expires: 2020-01-01']), lines).map((e) => e.owner), ['team-a']);
    assert.deepEqual(addedExceptions(text, undefined, lines), []);
    assert.deepEqual(addedExceptions('version: [', modified([[0, 1]]), new LineIndex('version: [')), []);
  });
});

describe('diffWorkingTree against a real repository', () => {
  let repo: TempRepo;
  let base: string;
  before(() => {
    Object.assign(process.env, GIT_ENV);
    repo = new TempRepo();
    repo.write('a.yaml', 'one\ntwo\nthree\n');
    repo.write('keep.yaml', 'k1\nk2\n');
    repo.write('gone.yaml', 'bye\n');
    repo.write('old-name.yaml', 'r1\nr2\nr3\nr4\nr5\nr6\n');
    repo.write('.gitignore', 'ignored.yaml\n');
    repo.commitAll('base');
    base = repo.git('rev-parse', 'HEAD').trim();
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('a.yaml', 'zero\none\ntwo\nthree\n');
    repo.commitAll('feature: insert a line');
    repo.git('checkout', '-q', 'main');
    repo.write('keep.yaml', 'k1\nk2 changed on main\n');
    repo.commitAll('main moves on');
    repo.git('checkout', '-q', 'feature');
    // Uncommitted: an edit, a staged rename with an edit, a deletion, an untracked and an ignored file.
    repo.write('a.yaml', 'zero\none\nTWO\nthree\n');
    repo.git('mv', 'old-name.yaml', 'new-name.yaml');
    repo.write('new-name.yaml', 'r1\nr2\nr3\nr4\nr5\nr6\nr7\n');
    unlinkSync(join(repo.dir, 'gone.yaml'));
    repo.write('sub/untracked.yaml', 'u\n');
    repo.write('ignored.yaml', 'i\n');
  });
  after(() => repo.remove());

  test('diffs the merge base against the working tree, not the tip of the ref', async () => {
    const diff = await diffWorkingTree(join(repo.dir, 'sub'), 'main');
    assert.equal(diff.mergeBase, base);
    assert.equal(diff.ref, 'main');
    assert.equal(diff.files.has('keep.yaml'), false, 'a change made on main after branching is not the feature\'s');
    assert.deepEqual(diff.files.get('a.yaml')!.added, [{ start: 0, end: 1 }, { start: 2, end: 3 }]);
    assert.deepEqual(diff.files.get('a.yaml')!.removed, ['two']);
    assert.equal(diff.files.get('gone.yaml')!.status, 'deleted');
    assert.deepEqual(diff.files.get('new-name.yaml'), { path: 'new-name.yaml', oldPath: 'old-name.yaml', status: 'renamed', added: [{ start: 6, end: 7 }], removed: [] });
    assert.equal(diff.files.get('sub/untracked.yaml')!.status, 'untracked');
    assert.equal(diff.files.has('ignored.yaml'), false);
  });

  test('changedLines maps repository-relative paths to added ranges and leaves deleted files out', async () => {
    const lines = await changedLines(repo.dir, 'main');
    assert.deepEqual(lines.get('a.yaml'), [{ start: 0, end: 1 }, { start: 2, end: 3 }]);
    assert.deepEqual(lines.get('sub/untracked.yaml'), [{ start: 0, end: TO_END_OF_FILE }]);
    assert.equal(lines.has('gone.yaml'), false);
    assert.equal(lines.has('keep.yaml'), false);
  });

  test('HEAD as the ref compares uncommitted work only', async () => {
    const diff = await diffWorkingTree(repo.dir, 'HEAD');
    assert.deepEqual(diff.files.get('a.yaml')!.added, [{ start: 2, end: 3 }]);
  });

  test('an unknown ref, an option-like ref and a folder outside git are errors that say what to do', async () => {
    await assert.rejects(diffWorkingTree(repo.dir, 'no-such-branch'), (e: unknown) => e instanceof ImageTrustError && e.code === 'GIT_ERROR' && /unknown git ref "no-such-branch"/.test(e.message));
    await assert.rejects(diffWorkingTree(repo.dir, '--output=/tmp/x'), (e: unknown) => e instanceof ImageTrustError && e.code === 'USAGE');
    const plain = mkdtempSync(join(tmpdir(), 'image-trust-nogit-'));
    try {
      await assert.rejects(diffWorkingTree(plain, 'main'), (e: unknown) => e instanceof ImageTrustError && /needs a git repository/.test(e.message));
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  test('a branch with no common history has no merge base', async () => {
    const other = new TempRepo();
    try {
      other.write('x.yaml', 'x\n');
      other.commitAll('main root');
      other.git('checkout', '-q', '--orphan', 'unrelated');
      other.commitAll('unrelated root');
      await assert.rejects(diffWorkingTree(other.dir, 'main'), (e: unknown) => e instanceof ImageTrustError && /no merge base between "main" and HEAD/.test(e.message));
    } finally {
      other.remove();
    }
  });
});
