// The pre-commit hooks (.pre-commit-hooks.yaml) as a team uses them: Debian's `pre-commit` installs the hooks from a
// repository shaped like an image-trust release tag (test/support/release-repo.ts) into a fresh git repository;
// committing a manifest with a tag-only image is blocked and the finding is shown; a pinned one commits.
// Offline: `language: script` needs only Node.js (docs/decisions.md, issue 14).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GIT_ENV, TempRepo } from '../support/git-repo';
import { releaseRepo, type ReleaseRepo } from '../support/release-repo';
import { GIT_TOOL, requireTools } from '../support/requirements';

const D = `sha256:${'c'.repeat(64)}`;
const pod = (image: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: ${image}\n`;

describe('pre-commit hooks installed from a release of this repository', requireTools([GIT_TOOL, { name: 'pre-commit' }]), () => {
  let release: ReleaseRepo;
  let work: TempRepo;
  let home: string;
  let env: NodeJS.ProcessEnv;

  const git = (...args: string[]) => spawnSync('git', args, { cwd: work.dir, env, encoding: 'utf8', timeout: 120_000 });
  const commits = () => Number(git('rev-list', '--count', '--all').stdout.trim() || '0');

  before(() => {
    release = releaseRepo();
    home = mkdtempSync(join(tmpdir(), 'image-trust-pre-commit-home-'));
    // pre-commit keeps its clones in PRE_COMMIT_HOME; a fresh HOME keeps the user's git and npm settings out.
    env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', PRE_COMMIT_HOME: join(home, 'pre-commit'), ...GIT_ENV };
    work = new TempRepo('image-trust-pre-commit-work-');
    work.write('.pre-commit-config.yaml', `repos:
  - repo: ${release.repo.dir}
    rev: ${release.tag}
    hooks:
      - id: image-trust
      - id: image-trust-pin-check
`);
    work.write('README.md', '# app\n');
    work.commitAll('start');
    const installed = spawnSync('pre-commit', ['install'], { cwd: work.dir, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(installed.status, 0, `pre-commit install:\n${installed.stdout}\n${installed.stderr}`);
  });
  after(() => {
    release?.repo.remove();
    work?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('a manifest with a tag-only image: the commit is blocked and the finding shown', () => {
    const before = commits();
    work.write('deploy/app.yaml', pod('nginx:1.25'));
    assert.equal(git('add', 'deploy/app.yaml').status, 0);
    const r = git('commit', '-m', 'add app');
    const out = `${r.stdout}${r.stderr}`;
    assert.notEqual(r.status, 0, `the commit must be refused:\n${out}`);
    assert.equal(commits(), before, 'no commit was made');
    assert.match(out, /image-trust \(images pinned by digest\)\.+Failed/);
    assert.match(out, /image-trust pin check \(no tag-only image references\)\.+Failed/);
    assert.match(out, /deploy\/app\.yaml:8:14: warning \[unpinned-tag\] Image nginx:1\.25 is pinned only by the tag "1\.25"/);
    assert.match(out, /deploy\/app\.yaml:8:14: error \[unpinned-tag\]/, 'the pin check raises it to an error');
  });

  test('the same manifest pinned by digest commits; files of other kinds pass through', () => {
    const before = commits();
    work.write('deploy/app.yaml', pod(`nginx:1.25@${D}`));
    work.write('notes.yaml', 'just: data\n');
    work.write('Dockerfile', `FROM nginx:1.25@${D}\n`);
    assert.equal(git('add', 'deploy/app.yaml', 'notes.yaml', 'Dockerfile').status, 0);
    const r = git('commit', '-m', 'add app, pinned');
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, `the commit must pass:\n${out}`);
    assert.equal(commits(), before + 1);
    assert.match(out, /image-trust \(images pinned by digest\)\.+Passed/);
    assert.match(out, /image-trust pin check \(no tag-only image references\)\.+Passed/);
  });

  test('a Dockerfile with an implicit latest is blocked by both hooks', () => {
    work.write('Dockerfile', 'FROM alpine\n');
    assert.equal(git('add', 'Dockerfile').status, 0);
    const r = git('commit', '-m', 'alpine');
    const out = `${r.stdout}${r.stderr}`;
    assert.notEqual(r.status, 0, out);
    assert.match(out, /Dockerfile:1:6: error \[implicit-latest\]/);
    git('reset', '-q', 'HEAD', 'Dockerfile');
    writeFileSync(join(work.dir, 'Dockerfile'), `FROM nginx:1.25@${D}\n`);
  });
});
