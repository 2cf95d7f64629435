// The one skip helper (test/support/requirements.ts): a missing program skips a suite with the reason locally and
// fails it under CI=true, naming the program and `.ci/setup`. Decided against an explicit environment (a PATH of
// temporary directories), never this machine's.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { isCI, missingTools, MissingToolError, onPath, optional, REGISTRY_TOOLS, requireTool, requireTools } from '../support/requirements';

const bin = mkdtempSync(path.join(tmpdir(), 'image-trust-requirements-'));
after(() => rmSync(bin, { recursive: true, force: true }));

/** An executable `name` in `bin`, and one plain (non-executable) file. */
function program(name: string, executable = true): void {
  writeFileSync(path.join(bin, name), '#!/bin/sh\nexit 0\n');
  chmodSync(path.join(bin, name), executable ? 0o755 : 0o644);
}
program('docker-registry');
program('skopeo');
program('not-executable', false);

const local = { PATH: bin };
const ci = { PATH: bin, CI: 'true' };

describe('requireTool / requireTools', () => {
  test('a program on PATH: not skipped, locally and under CI=true', () => {
    assert.deepEqual(requireTool('skopeo', undefined, { env: local }), { skip: false });
    assert.deepEqual(requireTool('skopeo', undefined, { env: ci }), { skip: false });
    assert.deepEqual(requireTools(['docker-registry', 'skopeo'], { env: ci }), { skip: false });
  });

  test('a missing program, locally: skipped with a reason naming it and the install step', () => {
    const { skip } = requireTool('skopeo', undefined, { env: { PATH: '' } });
    assert.equal(typeof skip, 'string');
    assert.match(skip as string, /missing skopeo: run \.ci\/setup \(apt-get install -y skopeo\)/);
  });

  test('a missing program under CI=true: throws MissingToolError naming it and .ci/setup', () => {
    assert.throws(
      () => requireTools(REGISTRY_TOOLS, { env: ci }),
      (err: unknown) => {
        assert.ok(err instanceof MissingToolError);
        assert.match(err.message, /^CI=true, so a missing program fails the run instead of skipping it: /);
        assert.match(err.message, /missing htpasswd, openssl: run \.ci\/setup \(apt-get install -y apache2-utils openssl\)/);
        assert.doesNotMatch(err.message, /docker-registry|skopeo/, 'names only what is missing');
        return true;
      },
    );
  });

  test('CI=1 and CI=TRUE count as CI; CI=false and an empty CI do not', () => {
    for (const value of ['true', 'TRUE', '1']) assert.throws(() => requireTool('git', undefined, { env: { PATH: bin, CI: value } }), MissingToolError, value);
    for (const value of ['false', '0', '']) assert.match(String(requireTool('git', undefined, { env: { PATH: bin, CI: value } }).skip), /missing git/, value);
    assert.equal(isCI({}), false);
  });

  test('a file that is not executable does not count as the program', () => {
    assert.equal(onPath('not-executable', local), false);
    assert.equal(onPath('skopeo', local), true);
    assert.match(String(requireTool('not-executable', undefined, { env: local }).skip), /missing not-executable/);
  });

  test('a custom check: its sentence is the detail, a custom install step replaces .ci/setup', () => {
    const codeServer = { name: 'code-server', check: () => 'not installed in .tools/code-server', install: 'node scripts/ensure-code-server.mjs' };
    const chromium = { name: 'chromium', check: (env: NodeJS.ProcessEnv) => env.HAS_CHROMIUM === 'yes' };
    const reason = missingTools([codeServer, chromium], local);
    assert.equal(reason, 'missing code-server (not installed in .tools/code-server), chromium: run .ci/setup (apt-get install -y chromium); run node scripts/ensure-code-server.mjs');
    assert.equal(missingTools([chromium], { HAS_CHROMIUM: 'yes' }), undefined, 'the check sees the env passed in');
    assert.throws(() => requireTools([codeServer], { env: ci }), /code-server \(not installed in \.tools\/code-server\): run node scripts\/ensure-code-server\.mjs/);
    assert.deepEqual(requireTool('chromium', () => true, { env: ci }), { skip: false });
  });

  test('a check that throws counts as missing, with its message', () => {
    const { skip } = requireTool('openssl', () => {
      throw new Error('spawn openssl ENOENT');
    }, { env: local });
    assert.match(String(skip), /missing openssl \(spawn openssl ENOENT\)/);
  });

  test('the result is exactly node:test options ({ skip }), to pass to describe/test/it or spread', () => {
    assert.deepEqual(Object.keys(requireTool('no-such-program', undefined, { env: local })), ['skip']);
    assert.deepEqual({ ...requireTool('skopeo', undefined, { env: local }), timeout: 1 }, { skip: false, timeout: 1 });
  });
});

describe('optional', () => {
  test('skips with the reason even in CI, and says it is optional', () => {
    assert.deepEqual(optional(undefined), { skip: false });
    assert.deepEqual(optional('VS Code cannot be downloaded'), { skip: 'optional, not required in CI: VS Code cannot be downloaded' });
  });
});
