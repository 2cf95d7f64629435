// A throwaway real VS Code (code-server) with the Image Trust extension installed, on 127.0.0.1.
//
//   const cs = await startCodeServer({ workspace: '/tmp/ws' });   // builds + installs the extension first
//   … open cs.folderUrl in a browser …
//   await cs.stop();                                               // kills the process group, removes its dirs
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../support/cli';
import { findCodeServer } from './prerequisites';
import { delay, freePort, startGroup, waitFor, type Started } from './processes';

const BUILD_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 60_000;

/** What of the repository makes up the extension (what `vsce package` would ship, minus the vsix itself). */
const EXTENSION_PARTS = ['package.json', 'README.md', 'LICENSE', 'dist', 'docs', 'schemas', 'syntaxes', 'assets'];

/** Bundles the extension and its language server (`dist/client.js`, `dist/server.js`). */
export function buildExtension(): void {
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`npm run build failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
}

/**
 * Installs the extension unpacked, as `<publisher>.<name>-<version>` in `extensionsDir` (what code-server does with
 * a vsix, minus the zip round trip). Returns the extension id.
 */
export async function installUnpacked(extensionsDir: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const id = `${manifest.publisher}.${manifest.name}`;
  const target = path.join(extensionsDir, `${id}-${manifest.version}`);
  await mkdir(target, { recursive: true });
  for (const part of EXTENSION_PARTS) {
    const from = path.join(REPO_ROOT, part);
    if (!existsSync(from)) continue;
    await cp(from, path.join(target, part), { recursive: true, filter: (src) => !src.endsWith('.vsix') });
  }
  for (const needed of ['dist/client.js', 'dist/server.js']) {
    if (!existsSync(path.join(target, needed))) throw new Error(`the extension has no ${needed}: did the build run?`);
  }
  return id;
}

/** User settings that keep the workbench quiet and deterministic for screenshots and keyboard-driven tests. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'files.autoSave': 'off',
  'editor.hover.delay': 300,
  'editor.minimap.enabled': false,
  'window.commandCenter': false,
  'git.enabled': false,
};

export interface CodeServer {
  url: string;
  /** Opens `workspace` in the workbench. */
  folderUrl: string;
  extensionId: string;
  userDataDir: string;
  /** code-server's own stdout/stderr tail. */
  output(): string;
  /** Copies code-server's logs (extension host, language server output) to `dest`, for a failure report. */
  keepLogs(dest: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * VS Code's workspace trust switched on: the folder opens in Restricted Mode (no startup prompt; nothing has been
 * trusted in the fresh user-data dir) until a user trusts it.
 */
const WORKSPACE_TRUST_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'always',
};

export interface CodeServerOptions {
  workspace: string;
  settings?: Record<string, unknown>;
  /** Keep VS Code's workspace trust (Restricted Mode) on; by default it is off and every folder is trusted. */
  workspaceTrust?: boolean;
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const install = findCodeServer();
  if (typeof install === 'string') throw new Error(install);
  buildExtension();
  const root = await mkdtemp(path.join(os.tmpdir(), 'image-trust-code-server-'));
  try {
    const userDataDir = path.join(root, 'user-data');
    const extensionsDir = path.join(root, 'extensions');
    await mkdir(path.join(userDataDir, 'User'), { recursive: true });
    await writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...(options.workspaceTrust ? WORKSPACE_TRUST_SETTINGS : {}), ...options.settings }, null, 2));
    const extensionId = await installUnpacked(extensionsDir);
    const configFile = path.join(root, 'config.yaml');
    await writeFile(configFile, 'auth: none\ncert: false\n');
    // A fresh HOME/XDG tree: code-server and VS Code write state there, which must not leak in from (or out to) the user.
    const home = path.join(root, 'home');
    await mkdir(home);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local', 'share'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      TMPDIR: os.tmpdir(),
    };
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const server = startGroup(install.node, [
        install.entry,
        '--config', configFile,
        '--bind-addr', `127.0.0.1:${port}`,
        '--auth', 'none',
        '--user-data-dir', userDataDir,
        '--extensions-dir', extensionsDir,
        '--disable-telemetry',
        '--disable-update-check',
        ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
        '--disable-getting-started-override',
        options.workspace,
      ], { cwd: root, env });
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitForHealthy(url, server);
      } catch (err) {
        await server.stop();
        if (attempt < 2 && /EADDRINUSE|address already in use/i.test(server.output())) continue;
        throw new Error(`${(err as Error).message}\ncode-server output:\n${server.output().slice(-4000)}`);
      }
      return handle(server, root, { url, folderUrl: `${url}/?folder=${encodeURIComponent(options.workspace)}`, extensionId, userDataDir });
    }
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

async function waitForHealthy(url: string, server: Started): Promise<void> {
  await waitFor(`code-server at ${url}/healthz`, async () => {
    if (server.child.exitCode !== null) throw new Error(`code-server exited with ${server.child.exitCode}`);
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.ok ? true : undefined;
  }, START_TIMEOUT_MS);
}

function handle(server: Started, root: string, info: Pick<CodeServer, 'url' | 'folderUrl' | 'extensionId' | 'userDataDir'>): CodeServer {
  let stopped = false;
  return {
    ...info,
    output: server.output,
    async keepLogs(dest) {
      await mkdir(dest, { recursive: true });
      await writeFile(path.join(dest, 'code-server.out.txt'), server.output());
      const logs = path.join(info.userDataDir, 'logs');
      if (existsSync(logs)) await cp(logs, path.join(dest, 'logs'), { recursive: true });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      // The language server may still be closing files in the user-data dir for a moment.
      for (let i = 0; i < 3; i++) {
        try {
          await rm(root, { recursive: true, force: true });
          return;
        } catch {
          await delay(500);
        }
      }
    },
  };
}
