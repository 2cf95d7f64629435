// Long CLI runs (--resolve, --verify, pin, init --verify) show a progress line on stderr when it is a terminal and
// nothing otherwise. The terminal is a real pseudo-terminal: util-linux `script` runs the CLI on one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI_BIN, runCli } from '../support/cli';
import { requireTool } from '../support/requirements';

// Offline with an empty cache: every reference is answered at once ("not in cache"), no network is touched.
const ARGS = ['scan', '--resolve', '--offline', '--fail-on', 'never', 'pod.yaml'];

describe('progress on stderr', requireTool('script', undefined, { pkg: 'bsdutils' }), () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'image-trust-progress-'));
    writeFileSync(join(dir, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a\n      image: 127.0.0.1:9/team/a:1\n    - name: b\n      image: 127.0.0.1:9/team/b:1\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('on a terminal: "image-trust: resolving n/N", erased before the report', () => {
    const cmd = [process.execPath, CLI_BIN, ...ARGS, '--cache-dir', join(dir, 'cache-tty')].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\r\x1b\[2Kimage-trust: resolving (1|2)\/2/);
    const erased = r.stdout.lastIndexOf('\r\x1b[2K');
    assert.ok(erased >= 0 && erased < r.stdout.indexOf('pod.yaml:6:'), 'the line is erased before the findings are printed');
  });

  test('piped or redirected: nothing on stderr', () => {
    const r = runCli([...ARGS, '--cache-dir', join(dir, 'cache-pipe')], { cwd: dir });
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.doesNotMatch(r.stdout, /\x1b|resolving/);
  });
});
