// The extension hands the language server the files of every kind (issue 12): the client's document selector
// (client/src/extension.ts) covers each new kind's files under the language ids VS Code and the common extensions
// give them, and package.json activates the extension for them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import picomatch from 'picomatch';
import { parseCli } from '../../server/src/cli/args';

const ROOT = path.resolve(__dirname, '..', '..');
const source = readFileSync(path.join(ROOT, 'client/src/extension.ts'), 'utf8');
const selector = source.slice(source.indexOf('documentSelector:'), source.indexOf('synchronize:'));
const languages = new Set([...selector.matchAll(/scheme: 'file', language: '([^']+)'/g)].map((m) => m[1]));
const patterns = [...selector.matchAll(/scheme: 'file', pattern: '([^']+)'/g)].map((m) => m[1]);
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { activationEvents: string[]; contributes: { configuration: { properties: Record<string, { properties?: Record<string, unknown> }> } } };

/** Whether a file opened with `languageId` reaches the language server. */
function selected(file: string, languageId: string): boolean {
  return languages.has(languageId) || patterns.some((p) => picomatch(p, { dot: true })(`/ws/${file}`));
}

describe('the client selects every kind of file', () => {
  const cases: [string, string][] = [
    ['.github/workflows/ci.yml', 'yaml'],
    ['.github/workflows/ci.yml', 'github-actions-workflow'],
    ['tools/action.yml', 'yaml'],
    ['.gitlab-ci.yml', 'yaml'],
    ['.gitlab-ci.yml', 'gitlab-ci'],
    ['.devcontainer/devcontainer.json', 'jsonc'],
    ['.devcontainer.json', 'jsonc'],
    ['.devcontainer/python/devcontainer.json', 'jsonc'],
    ['charts/web/templates/deployment.yaml', 'yaml'],
    ['charts/web/templates/deployment.yaml', 'helm'],
    ['charts/web/templates/_helpers.tpl', 'plaintext'],
    ['charts/web/templates/_helpers.tpl', 'helm'],
  ];
  for (const [file, languageId] of cases) test(`${file} as ${languageId}`, () => assert.ok(selected(file, languageId)));

  test('other JSON with comments is not sent to the server', () => {
    assert.equal(selected('.vscode/settings.json', 'jsonc'), false);
  });

  test('imageTrust.files globs are added to the selector', () => {
    assert.match(selector, /readSettings\(\)\.files/);
  });
});

describe('package.json', () => {
  test('activates for the new kinds', () => {
    const events = pkg.activationEvents;
    for (const e of ['onLanguage:github-actions-workflow', 'onLanguage:helm', 'onLanguage:gitlab-ci', 'workspaceContains:.github/workflows/*.{yml,yaml}']) assert.ok(events.includes(e), e);
    const contains = events.find((e) => e.startsWith('workspaceContains:**/{.gitlab-ci.yml'));
    for (const name of ['.gitlab-ci.yml', '.devcontainer.json', '.devcontainer/devcontainer.json', 'Chart.yaml']) assert.ok(contains?.includes(name), name);
  });

  test('imageTrust.files takes globs for every kind', () => {
    const kinds = Object.keys(pkg.contributes.configuration.properties['imageTrust.files'].properties ?? {});
    for (const k of ['github-actions', 'gitlab-ci', 'devcontainer', 'helm-template']) assert.ok(kinds.includes(k), k);
  });
});

test('the CLI accepts each new kind with --kind', () => {
  for (const kind of ['github-actions', 'gitlab-ci', 'devcontainer', 'helm-template']) assert.equal(parseCli(['scan', '--kind', kind, 'x']).kind, kind);
});
