// The code-server launcher reads the command line @vscode/test-electron gives VS Code and turns it into the
// workbench URL code-server needs (test/electron/launcher/vscodeArgs.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVSCodeArgs, workbenchUrl } from '../electron/launcher/vscodeArgs';

// What runTests (@vscode/test-electron 2.5) passes: launchArgs first, then its own flags, then the profile dirs.
const RUN_TESTS_ARGV = [
  '/tmp/ws', '--disable-extensions', '--user-data-dir', '/tmp/ud',
  '--no-sandbox', '--disable-gpu-sandbox', '--disable-updates', '--skip-welcome', '--skip-release-notes', '--disable-workspace-trust',
  '--extensionTestsPath=/repo/out/electron/suite.js', '--extensionDevelopmentPath=/repo',
  '--extensions-dir=/repo/.vscode-test/extensions',
];

test('parses the runTests command line: folder, development path, tests path, --disable-extensions', () => {
  assert.deepEqual(parseVSCodeArgs(RUN_TESTS_ARGV), {
    folder: '/tmp/ws',
    extensionDevelopmentPaths: ['/repo'],
    extensionTestsPath: '/repo/out/electron/suite.js',
    disableExtensions: true,
  });
});

test('a value given as a separate argument is not taken for the folder', () => {
  const req = parseVSCodeArgs(['--user-data-dir', '/tmp/ud', '--extensionTestsPath', '/t.js', '--extensionDevelopmentPath', '/e', '/ws']);
  assert.equal(req.folder, '/ws');
  assert.equal(req.extensionTestsPath, '/t.js');
});

test('refuses a command line without tests or without an extension (it only runs extension tests)', () => {
  assert.throws(() => parseVSCodeArgs(['/ws', '--extensionDevelopmentPath=/e']), /extensionTestsPath/);
  assert.throws(() => parseVSCodeArgs(['/ws', '--extensionTestsPath=/t.js']), /extensionDevelopmentPath/);
});

test('the workbench URL opens the folder and carries both paths as vscode-remote URIs in the payload', () => {
  const url = new URL(workbenchUrl('http://127.0.0.1:4000', '127.0.0.1:4000', parseVSCodeArgs(RUN_TESTS_ARGV)));
  assert.equal(url.searchParams.get('folder'), '/tmp/ws');
  assert.deepEqual(JSON.parse(url.searchParams.get('payload')!), [
    ['extensionDevelopmentPath', 'vscode-remote://127.0.0.1:4000/repo'],
    ['extensionTestsPath', 'vscode-remote://127.0.0.1:4000/repo/out/electron/suite.js'],
  ]);
});
