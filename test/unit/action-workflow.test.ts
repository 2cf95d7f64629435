// The runner protocol of the GitHub Action (server/src/action/workflow.ts, main.ts): input names, workflow-command
// escaping, the GITHUB_OUTPUT delimiter format, and which base `changed-since` defaults to per event.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { changedSinceFor, scanArgs } from '../../server/src/action/main';
import { escapeData, escapeProperty, fileCommand, getBooleanInput, getInput, workflowCommand } from '../../server/src/action/workflow';

test('inputs: INPUT_ + upper case, spaces to _, hyphens kept, trimmed', () => {
  const env = { 'INPUT_FAIL-ON': ' error ', INPUT_MY_INPUT: 'x' };
  assert.equal(getInput(env, 'fail-on'), 'error');
  assert.equal(getInput(env, 'my input'), 'x');
  assert.equal(getInput(env, 'missing'), '');
  assert.equal(getBooleanInput({ INPUT_VERIFY: 'True' }, 'verify', false), true);
  assert.equal(getBooleanInput({ INPUT_VERIFY: 'FALSE' }, 'verify', true), false);
  assert.equal(getBooleanInput({}, 'verify', true), true);
  assert.throws(() => getBooleanInput({ INPUT_VERIFY: 'yes' }, 'verify', false), /must be true or false/);
});

test('escaping: data escapes % CR LF; properties also : and ,', () => {
  assert.equal(escapeData('100% done\r\nnext'), '100%25 done%0D%0Anext');
  assert.equal(escapeProperty('a,b:c%\n'), 'a%2Cb%3Ac%25%0A');
  assert.equal(
    workflowCommand('warning', { title: 'Image Trust: x', endColumn: 9, file: 'k8s/a,b.yaml', line: 3, col: 5, endLine: 3 }, 'line one\nline two, 50%'),
    '::warning file=k8s/a%2Cb.yaml,line=3,col=5,endLine=3,endColumn=9,title=Image Trust%3A x::line one%0Aline two, 50%25',
  );
  assert.equal(workflowCommand('error', {}, 'plain'), '::error::plain');
  assert.equal(workflowCommand('notice', { file: '' }, 'no empty properties'), '::notice::no empty properties');
});

test('GITHUB_OUTPUT records: name<<delimiter, the value, the delimiter; the delimiter never occurs in the value', () => {
  const record = fileCommand('summary', 'two\nlines');
  const m = /^summary<<(ghadelimiter_[0-9a-f-]{36})\ntwo\nlines\n\1\n$/.exec(record);
  assert.ok(m, record);
  assert.throws(() => fileCommand('bad\nname', 'x'), /invalid output name/);
});

test('changed-since: the input, "none", else the pull request or merge group base from the payload, else nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'image-trust-event-'));
  try {
    const event = (payload: unknown) => {
      const p = join(dir, `e${Math.random()}.json`);
      writeFileSync(p, JSON.stringify(payload));
      return p;
    };
    const pr = event({ action: 'synchronize', pull_request: { base: { ref: 'main', sha: 'b'.repeat(40) }, head: { sha: 'c'.repeat(40) } } });
    assert.equal(changedSinceFor({ GITHUB_EVENT_PATH: pr }), 'b'.repeat(40));
    assert.equal(changedSinceFor({ GITHUB_EVENT_PATH: pr, 'INPUT_CHANGED-SINCE': 'origin/release' }), 'origin/release');
    assert.equal(changedSinceFor({ GITHUB_EVENT_PATH: pr, 'INPUT_CHANGED-SINCE': 'none' }), undefined);
    assert.equal(changedSinceFor({ GITHUB_EVENT_PATH: event({ merge_group: { base_sha: 'd'.repeat(40), head_sha: 'e'.repeat(40) } }) }), 'd'.repeat(40));
    assert.equal(changedSinceFor({ GITHUB_EVENT_PATH: event({ ref: 'refs/heads/main', before: 'x', after: 'y' }) }), undefined, 'push: a full scan');
    assert.equal(changedSinceFor({}), undefined);
    assert.throws(() => changedSinceFor({ GITHUB_EVENT_PATH: join(dir, 'missing.json') }), /cannot read the event payload/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inputs become scan arguments: paths split on white space, flags only when asked', () => {
  assert.deepEqual(scanArgs({ INPUT_PATHS: 'deploy\ncharts  k8s', 'INPUT_FAIL-ON': 'error', INPUT_VERIFY: 'true', INPUT_POLICY: 'policy.yaml' }), [
    'scan', 'deploy', 'charts', 'k8s', '--fail-on', 'error', '--verify', '--policy', 'policy.yaml',
  ]);
  assert.deepEqual(scanArgs({}), ['scan', '.', '--fail-on', 'warning']);
});
