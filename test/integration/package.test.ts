// `npm run package` produces a .vsix with what the extension needs at run time, and nothing it should not ship.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT } from '../support/cli';

const VSCE = resolve(REPO_ROOT, 'node_modules/@vscode/vsce/vsce');
const dir = mkdtempSync(join(tmpdir(), 'image-trust-vsix-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the packaged extension contains the bundles, docs, schema, grammar and examples', () => {
  const listed = execFileSync(process.execPath, [VSCE, 'ls', '--no-dependencies'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const needed of ['package.json', 'LICENSE', 'CHANGELOG.md', 'dist/client.js', 'dist/server.js', 'docs/rules.md', 'docs/policy.md', 'schemas/image-trust.schema.json', 'syntaxes/image-reference.injection.json', 'examples/k8s/deployment.yaml', 'docs/walkthrough/pin.md']) {
    assert.ok(listed.includes(needed), `${needed} is packaged`);
  }
  for (const name of listed) assert.doesNotMatch(name, /^(node_modules|test|server\/src|client\/src|\.tools|bench|packages)\//, `${name} must not be packaged`);
  // The GitHub Action's bundle and manifest belong to release tags, not to the extension.
  for (const name of ['dist/action.js', 'action.yml', '.pre-commit-hooks.yaml']) assert.ok(!listed.includes(name), `${name} must not be packaged`);
});

test('vsce packages a .vsix', () => {
  const out = join(dir, 'image-trust.vsix');
  execFileSync(process.execPath, [VSCE, 'package', '--no-dependencies', '-o', out], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.ok(statSync(out).size > 50_000);
});
