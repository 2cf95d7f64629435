// The extension-host suite (test/electron/suite) through @vscode/test-electron's runTests, in the real VS Code that
// code-server ships (test/electron/launcher stands in for the VS Code executable): activation, commands, diagnostics,
// hover, trust tree, quick fix — asserted through the vscode API inside the extension host. Needs what the other
// editor tests need (code-server in .tools/, Chromium, the registry test bed): skipped locally without them, a
// failure under CI=true. The second test shows the harness fails when the extension is broken.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../support/cli';
import { buildExtension, installUnpacked } from './support/codeServer';
import { requireE2E } from './support/prerequisites';

const RUN_TIMEOUT_MS = 10 * 60_000;

/** `node --import tsx test/electron/runTests.ts …`, its exit code and output (bounded; the group is killed on timeout). */
function runSuite(args: string[] = []): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/electron/runTests.ts', ...args], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n(killed after ${RUN_TIMEOUT_MS / 1000} s)`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, RUN_TIMEOUT_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

/** The suite's own result lines (✔/✖ and the total), for assertion messages without the workbench's log noise. */
function verdicts(output: string): string {
  return output.split('\n').filter((l) => /^(✔|✖)|\d+\/\d+ passed|electron suite failed|skipped:/.test(l)).join('\n');
}

describe('the extension-host suite (@vscode/test-electron in code-server)', { ...requireE2E(), timeout: 2 * RUN_TIMEOUT_MS + 60_000 }, () => {
  let broken: string | undefined;
  before(() => buildExtension());
  after(async () => {
    if (broken) await rm(broken, { recursive: true, force: true });
  });

  it('passes against the extension built from this repository', { timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
    const r = await runSuite(['--extension', REPO_ROOT]);
    assert.equal(r.status, 0, `test/electron/runTests.ts exited ${r.status}:\n${verdicts(r.output)}\n--- tail:\n${r.output.slice(-6000)}`);
    assert.match(r.output, /^(\d+)\/\1 passed$/m, verdicts(r.output));
    assert.match(r.output, /^✔ the quick fix pins the reference to the registry digest/m);
  });

  it('fails when the extension is broken (a language server that crashes on start)', { timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
    broken = await mkdtemp(path.join(os.tmpdir(), 'image-trust-broken-extension-'));
    await installUnpacked(broken);
    const [copy] = await readdir(broken);
    const extension = path.join(broken, copy!);
    // The same package, but its language server throws while loading: what a bad bundle does.
    await writeFile(path.join(extension, 'dist', 'server.js'), "throw new Error('deliberately broken build (harness test)');\n");
    const r = await runSuite(['--extension', extension]);
    assert.equal(r.status, 1, `a broken extension must fail the suite (exit 1), got ${r.status}:\n${verdicts(r.output)}\n--- tail:\n${r.output.slice(-4000)}`);
    assert.match(r.output, /^✖ the extension activates on a YAML manifest and its language server runs/m, verdicts(r.output));
    assert.match(r.output, /^✖ the quick fix pins the reference to the registry digest \(not run/m, verdicts(r.output));
    // The extension itself reports it: the status bar's error state, the reason in its tooltip, the output a click away.
    assert.match(r.output, /it is failed: .*; status bar: \$\(error\) Image Trust — Image Trust: the language server did not start: .*\. Click to show the output\. \(error state: true\)/, r.output.slice(-4000));
  });
});
