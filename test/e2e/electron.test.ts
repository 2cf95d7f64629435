// The @vscode/test-electron suite (test/electron/) in a real VS Code desktop build, where one can be had: it needs
// the package and a download from update.code.visualstudio.com (or a cached build in .vscode-test/). Without them it
// reports itself skipped with the reason, also in CI: the code-server suite (editor.test.ts) is the one CI requires.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { REPO_ROOT } from '../support/cli';
import { optional } from '../support/requirements';
import { testElectronSkipReason } from '../electron/availability';

const RUN_TIMEOUT_MS = 10 * 60_000;

it('passes the extension-host suite in VS Code desktop (@vscode/test-electron)', { timeout: RUN_TIMEOUT_MS + 30_000 }, async (t) => {
  const { skip } = optional(await testElectronSkipReason());
  if (skip) {
    t.skip(skip);
    return;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/electron/runTests.ts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${r.stdout}\n${r.stderr}`.trim();
  if (r.status === 2) {
    t.skip(optional(/skipped: (.*)/.exec(output)?.[1] ?? output).skip || output);
    return;
  }
  assert.equal(r.status, 0, `test/electron/runTests.ts ${r.error ? `failed to run: ${r.error.message}` : `exited ${r.status}`}:\n${output.slice(-8000)}`);
});
