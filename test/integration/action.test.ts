// The GitHub Action as a runner runs it: `node dist/action.js` (action.yml: runs.using node20) in the environment a
// runner provides for a pull_request event — INPUT_* variables (with defaults from action.yml, hyphens kept),
// GITHUB_WORKSPACE (a git clone with the base commit), GITHUB_EVENT_PATH (a pull_request payload of the real shape),
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files — then the annotations on stdout, the job summary, the outputs and the
// SARIF file are checked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/cli';
import { GIT_ENV, TempRepo } from '../support/git-repo';
import { GIT_TOOL, requireTools } from '../support/requirements';

const ACTION = join(REPO_ROOT, 'dist', 'action.js');
const D = `sha256:${'a'.repeat(64)}`;

/** The inputs' defaults as the runner takes them from action.yml. */
function actionDefaults(): Record<string, string> {
  const manifest = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }>; runs: { using: string; main: string } };
  assert.equal(manifest.runs.using, 'node20');
  assert.equal(manifest.runs.main, 'dist/action.js');
  return Object.fromEntries(Object.entries(manifest.inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v.default ?? '']));
}

/** A pull_request "opened" payload with the fields GitHub sends that matter here (and enough of the rest to be real). */
function pullRequestEvent(baseSha: string, headSha: string) {
  const repo = { id: 1, name: 'app', full_name: 'acme/app', private: false, owner: { login: 'acme', type: 'Organization' }, default_branch: 'main', html_url: 'https://github.com/acme/app' };
  return {
    action: 'opened',
    number: 7,
    pull_request: {
      url: 'https://api.github.com/repos/acme/app/pulls/7',
      id: 1001,
      number: 7,
      state: 'open',
      title: 'Add the worker',
      user: { login: 'dev' },
      draft: false,
      merged: false,
      head: { label: 'acme:worker', ref: 'worker', sha: headSha, repo, user: { login: 'acme' } },
      base: { label: 'acme:main', ref: 'main', sha: baseSha, repo, user: { login: 'acme' } },
      commits: 1,
      changed_files: 2,
    },
    repository: repo,
    sender: { login: 'dev', type: 'User' },
  };
}

/** Reads `name<<DELIM\nvalue\nDELIM\n` records (the runner's GITHUB_OUTPUT format). */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const [, name, delimiter] = m;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
    assert.equal(lines[i], delimiter, `the value of ${name} ends with its delimiter`);
    out[name!] = value.join('\n');
  }
  return out;
}

const BASE_MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25
`;

const WORKER = `apiVersion: v1
kind: Pod
metadata:
  name: worker
spec:
  containers:
    - name: worker
      image: redis:7
    - name: pinned
      image: busybox:1.36@${D}
    - name: odd
      image: "bad%ref,x:1"
`;

describe('the GitHub Action in a runner environment (pull_request)', requireTools([GIT_TOOL]), () => {
  let repo: TempRepo;
  let runner: string;
  let baseSha = '';
  before(() => {
    assert.ok(existsSync(ACTION), 'dist/action.js is built (npm run build)');
    repo = new TempRepo('image-trust-action-ws-');
    repo.write('deploy/web.yaml', BASE_MANIFEST);
    repo.commitAll('base');
    baseSha = repo.git('rev-parse', 'HEAD').trim();
    repo.git('checkout', '-q', '-b', 'worker');
    repo.write('deploy/jobs,worker.yaml', WORKER);
    repo.commitAll('add the worker');
    runner = mkdtempSync(join(tmpdir(), 'image-trust-action-runner-'));
  });
  after(() => {
    repo?.remove();
    if (runner) rmSync(runner, { recursive: true, force: true });
  });

  function runAction(inputs: Record<string, string> = {}, name = 'run') {
    const files = { output: join(runner, `${name}-output`), summary: join(runner, `${name}-summary`), event: join(runner, `${name}-event.json`) };
    writeFileSync(files.output, '');
    writeFileSync(files.summary, '');
    writeFileSync(files.event, JSON.stringify(pullRequestEvent(baseSha, repo.git('rev-parse', 'HEAD').trim()), null, 2));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: runner,
      ...GIT_ENV,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: files.event,
      GITHUB_WORKSPACE: repo.dir,
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_SHA: repo.git('rev-parse', 'HEAD').trim(),
      GITHUB_REF: 'refs/pull/7/merge',
      GITHUB_BASE_REF: 'main',
      GITHUB_HEAD_REF: 'worker',
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      RUNNER_TEMP: runner,
      IMAGE_TRUST_CACHE_DIR: join(runner, 'cache'),
      ...actionDefaults(),
      ...inputs,
    };
    // The runner starts the action from its own folder, not from the workspace: the action must chdir itself.
    const r = spawnSync(process.execPath, [ACTION], { cwd: runner, env, encoding: 'utf8', timeout: 60_000 });
    return { ...r, outputs: readOutputs(files.output), summary: readFileSync(files.summary, 'utf8') };
  }

  test('a pull request that adds tags: annotations on the changed lines only, summary, outputs, SARIF; the step fails', () => {
    const r = runAction();
    assert.equal(r.status, 1, `fail-on warning with a warning in the change:\n${r.stdout}\n${r.stderr}`);
    const commands = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    // The path has a comma: escaped as %2C in the file property; ':' in the title as %3A.
    assert.ok(commands.includes(
      '::warning file=deploy/jobs%2Cworker.yaml,line=8,col=14,endLine=8,endColumn=21,title=Image Trust%3A unpinned-tag::' +
        'Image redis:7 is pinned only by the tag "7", which can be moved to other bytes at any time; pin it to its digest (quick fix "Pin to digest", or image-trust pin) to deploy exactly what you tested.',
    ), commands.join('\n'));
    // A reference with % and , in its text: the message escapes %, the property values escape , and :.
    const odd = commands.find((c) => c.startsWith('::error ') && c.includes('invalid-reference'));
    assert.ok(odd, commands.join('\n'));
    assert.match(odd, /^::error file=deploy\/jobs%2Cworker\.yaml,line=12,col=15,endLine=12,endColumn=26,title=Image Trust%3A invalid-reference::Invalid image reference "bad%25ref,x:1"/);
    assert.ok(!commands.some((c) => c.includes('nginx')), 'nginx:1.25 is on the base branch: not reported on this pull request');
    assert.ok(commands.some((c) => /^::error title=Image Trust::\d+ finding\(s\); failing because of findings at or above "warning"/.test(c)), commands.join('\n'));

    assert.match(r.summary, /^### Image Trust: 2 finding\(s\) \(1 error, 1 warning\) in 3 image reference\(s\) added or changed since `[0-9a-f]{40}`/m);
    assert.match(r.summary, /\| `deploy\/jobs,worker\.yaml:8` \| `redis:7` \| ⚠️ `unpinned-tag`/);

    assert.deepEqual(r.outputs, { findings: '2', errors: '1', warnings: '1', notices: '0', references: '3', pinned: '1', 'sarif-file': 'image-trust.sarif', 'exit-code': '1' });
    const sarif = JSON.parse(readFileSync(join(repo.dir, 'image-trust.sarif'), 'utf8'));
    assert.equal(sarif.version, '2.1.0');
    assert.deepEqual(sarif.runs[0].results.map((x: { ruleId: string }) => x.ruleId).sort(), ['invalid-reference', 'unpinned-tag']);
    rmSync(join(repo.dir, 'image-trust.sarif'));
  });

  test('fail-on never: the same report, the step passes; a notice says why', () => {
    const r = runAction({ 'INPUT_FAIL-ON': 'never', 'INPUT_SARIF-FILE': '' }, 'never');
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.stdout.split('\n').filter((l) => /^::(warning|error) file=/.test(l)).length, 2);
    assert.equal(r.outputs['exit-code'], '0');
    assert.equal(r.outputs['sarif-file'], '');
    assert.ok(!existsSync(join(repo.dir, 'image-trust.sarif')), 'sarif-file "" writes none');
  });

  test('changed-since: none scans everything, base branch included', () => {
    const r = runAction({ 'INPUT_CHANGED-SINCE': 'none', 'INPUT_SARIF-FILE': '' }, 'full');
    assert.equal(r.status, 1);
    assert.ok(r.stdout.includes('::warning file=deploy/web.yaml,line=10,col=18,endLine=10,endColumn=28,title=Image Trust%3A unpinned-tag::Image nginx:1.25'), r.stdout);
    assert.equal(r.outputs.references, '4');
    assert.match(r.summary, /^### Image Trust: 3 finding\(s\) \(1 error, 2 warning\) in 4 image reference\(s\)$/m);
  });

  test('a shallow clone without the base commit fails with what to do', () => {
    const r = runAction({ 'INPUT_CHANGED-SINCE': 'f'.repeat(40), 'INPUT_SARIF-FILE': '' }, 'shallow');
    assert.equal(r.status, 2);
    assert.match(r.stdout, /^::error title=Image Trust::image-trust scan .*--changed-since f{40}: .* — the base commit must be in the clone: use actions\/checkout with fetch-depth: 0$/m);
  });

  test('a wrong input is an error annotation, not a crash', () => {
    const r = runAction({ INPUT_VERIFY: 'yes', 'INPUT_SARIF-FILE': '' }, 'bad-input');
    assert.equal(r.status, 2);
    assert.match(r.stdout, /^::error title=Image Trust::.*input "verify" must be true or false \(got "yes"\)/m);
  });
});
