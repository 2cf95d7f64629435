// The CLI's npm package (packages/cli) as a user gets it: `npm pack` → a tarball with only the bundled CLI (no
// dependencies), installed into an empty prefix with npm --offline and an empty cache (so nothing could be fetched),
// then `image-trust scan` on the examples. Also: `node dist/cli.js …` behaves exactly like the bin.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, runCli } from '../support/cli';

const PACKAGE_DIR = join(REPO_ROOT, 'packages', 'cli');
const ROOT_VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
const dir = mkdtempSync(join(tmpdir(), 'image-trust-cli-package-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** npm with a throwaway cache and no network: whatever is not in the tarball cannot come from anywhere. */
function npm(args: string[], cwd: string) {
  return spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, npm_config_cache: join(dir, 'npm-cache'), npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
}

describe('npm pack of packages/cli', () => {
  let tarball = '';
  let bin = '';
  before(() => {
    const packed = npm(['pack', '--json', '--pack-destination', dir], PACKAGE_DIR);
    assert.equal(packed.status, 0, `npm pack failed:\n${packed.stderr}`);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[];
    tarball = join(dir, info!.filename);
    const prefix = join(dir, 'prefix');
    mkdirSync(prefix);
    const installed = npm(['install', '--prefix', prefix, '--no-save', tarball], prefix);
    assert.equal(installed.status, 0, `npm install --offline of the tarball failed (does it need a dependency?):\n${installed.stderr}`);
    bin = join(prefix, 'node_modules', '.bin', 'image-trust');
  });

  test('holds only the bundled CLI, its bin, README, CHANGELOG and LICENSE', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(files, ['package/CHANGELOG.md', 'package/LICENSE', 'package/README.md', 'package/bin/image-trust.js', 'package/dist/cli.js', 'package/package.json']);
  });

  test('its package.json: public, a bin, engines, license, files, no dependencies, the repository version', () => {
    const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    assert.equal(pkg.name, 'image-trust');
    assert.equal(pkg.private, undefined, 'not private: it can be published');
    assert.equal(pkg.version, ROOT_VERSION, 'the CLI package and the extension share one version');
    assert.deepEqual(pkg.bin, { 'image-trust': 'bin/image-trust.js' });
    assert.equal(pkg.engines.node, '>=20');
    assert.equal(pkg.license, 'Apache-2.0');
    assert.ok(Array.isArray(pkg.files));
    assert.equal(pkg.dependencies, undefined, 'nothing to fetch at install time');
    assert.match(execFileSync('tar', ['-xzOf', tarball, 'package/LICENSE'], { encoding: 'utf8' }), /Apache License\s+Version 2\.0/);
    assert.match(execFileSync('tar', ['-xzOf', tarball, 'package/CHANGELOG.md'], { encoding: 'utf8' }), new RegExp(`## ${ROOT_VERSION.replace(/\./g, '\\.')}`));
  });

  test('installed into an empty prefix, `image-trust scan` reports the examples like the repository CLI', () => {
    const r = spawnSync(bin, ['scan', join(REPO_ROOT, 'examples')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, `exit 1: the examples hold unpinned tags on purpose\n${r.stderr}`);
    assert.match(r.stdout, /warning \[unpinned-tag\] Image nginx:1\.25\.4 is pinned only by the tag/);
    assert.equal(r.stdout, runCli(['scan', join(REPO_ROOT, 'examples')]).stdout, 'the same report as the CLI of this repository');
    assert.equal(r.stderr, '');
  });

  test('`--version` and `<command> --help`', () => {
    assert.equal(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim(), ROOT_VERSION);
    const help = execFileSync(bin, ['scan', '--help'], { encoding: 'utf8' });
    assert.match(help, /^Usage: image-trust scan \[options\] \[paths…\]/);
    assert.match(help, /--changed-since REF/);
    assert.doesNotMatch(help, /--dry-run/, 'pin options are not in scan help');
  });
});

describe('npm pack at the repository root', () => {
  // The root manifest names bin/image-trust.js, which requires dist/cli.js; without .npmignore npm falls back to
  // .gitignore (which lists dist/) and the packed bin cannot start.
  test('the tarball holds the bin and the bundled CLI it requires, and the CLI starts from it', () => {
    const packed = npm(['pack', '--json', '--pack-destination', dir], REPO_ROOT);
    assert.equal(packed.status, 0, `npm pack failed:\n${packed.stderr}`);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[];
    const tarball = join(dir, info!.filename);
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(files, ['package/CHANGELOG.md', 'package/LICENSE', 'package/README.md', 'package/bin/image-trust.js', 'package/dist/cli.js', 'package/package.json']);
    const unpacked = join(dir, 'root-package');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
    const bin = join(unpacked, 'package', 'bin', 'image-trust.js');
    const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), ROOT_VERSION);
    const scan = spawnSync(process.execPath, [bin, 'scan', join(REPO_ROOT, 'examples')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(scan.stdout, runCli(['scan', join(REPO_ROOT, 'examples')]).stdout, 'the same report as the CLI of this repository');
  });
});

describe('dist/cli.js run directly', () => {
  const direct = (args: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });

  test('`node dist/cli.js scan examples` behaves exactly like the bin', () => {
    const viaBin = runCli(['scan', 'examples']);
    const r = direct(['scan', 'examples']);
    assert.equal(r.status, viaBin.status);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, viaBin.stdout);
    assert.ok(r.stdout.length > 100, 'never silent');
  });

  test('without arguments it prints the usage, with --version the version', () => {
    const r = direct([]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: image-trust <command>/);
    assert.equal(direct(['--version']).stdout.trim(), ROOT_VERSION);
  });
});
