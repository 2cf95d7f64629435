// A VS Code "executable" for @vscode/test-electron that runs the extension tests in code-server, the real VS Code
// this machine can have (VS Code desktop cannot be downloaded here): `runTests({ vscodeExecutablePath:
// 'test/electron/launcher/code-server-as-vscode', … })` spawns it with the arguments it would give VS Code.
//
// What it does with them (the recipe of ../shared/docs/testbed.md, "Editor hosts"):
//   1. starts code-server (Node 24 + code-server from .tools/, see scripts/ensure-code-server.mjs) on 127.0.0.1 with
//      VS Code's smoke-test driver on (`--vscode-option enable-smoke-test-driver`), a fresh user-data dir and HOME;
//   2. opens the workbench in headless Chromium with the `payload` that VS Code desktop gets from the command line:
//      extensionDevelopmentPath (as a vscode-remote URI: the extension runs in code-server's extension host, a Node
//      process on this machine) and extensionTestsPath;
//   3. the workbench runs the suite's `run()` inside that extension host and calls `codeAutomationExit(code)` (and
//      `codeAutomationLog` for log lines) when it is done: the launcher prints the log and exits with that code.
// Exit 0: the suite passed; 1: it failed; 3: the launcher itself could not run (the reason on stderr); 4: timeout.
// The extension host inherits this process's environment, so runTests' `extensionTestsEnv` reaches the suite.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findCodeServer } from '../../e2e/support/prerequisites';
import { freePort, startGroup, waitFor, type Started } from '../../e2e/support/processes';
import { launchBrowser, type Browser } from '../../e2e/support/workbench';
import { parseVSCodeArgs, workbenchUrl, type LaunchRequest } from './vscodeArgs';

const START_TIMEOUT_MS = 60_000;
const RUN_TIMEOUT_MS = Number(process.env.IMAGE_TRUST_LAUNCHER_TIMEOUT_S ?? 480) * 1000;

/** User settings that keep the workbench quiet: no welcome page, no telemetry, no update or gallery checks. */
const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
};

async function startServer(req: LaunchRequest, root: string): Promise<{ server: Started; url: string; authority: string }> {
  const install = findCodeServer();
  if (typeof install === 'string') throw new Error(install);
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  const home = path.join(root, 'home');
  await mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await mkdir(extensionsDir, { recursive: true });
  await mkdir(home, { recursive: true });
  await writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(SETTINGS, null, 2));
  const configFile = path.join(root, 'config.yaml');
  await writeFile(configFile, 'auth: none\ncert: false\n');
  // The extension host inherits this environment (runTests' extensionTestsEnv is in it); HOME and XDG_* are fresh so
  // nothing leaks in from, or out to, the user's own VS Code state.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
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
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--vscode-option', 'enable-smoke-test-driver',
      ...(req.disableExtensions ? ['--vscode-option', 'disable-extensions'] : []),
    ], { cwd: root, env });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor(`code-server at ${url}/healthz`, async () => {
        if (server.child.exitCode !== null) throw new Error(`code-server exited with ${server.child.exitCode}`);
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.ok ? true : undefined;
      }, START_TIMEOUT_MS);
      return { server, url, authority: `127.0.0.1:${port}` };
    } catch (err) {
      await server.stop();
      if (attempt < 2 && /EADDRINUSE|address already in use/i.test(server.output())) continue;
      throw new Error(`${(err as Error).message}\ncode-server output:\n${server.output().slice(-4000)}`);
    }
  }
}

/** The extension host's log of this run (its console output and errors), for a failure report. */
async function extensionHostLog(userDataDir: string): Promise<string> {
  const logs = path.join(userDataDir, 'logs');
  if (!existsSync(logs)) return '';
  const out: string[] = [];
  const visit = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await visit(p);
      else if (/exthost|remoteexthost/i.test(e.name)) out.push(`--- ${path.relative(logs, p)}\n${(await readFile(p, 'utf8')).slice(-6000)}`);
    }
  };
  await visit(logs);
  return out.join('\n');
}

async function main(): Promise<number> {
  let req: LaunchRequest;
  try {
    req = parseVSCodeArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`code-server-as-vscode: ${(err as Error).message}`);
    return 3;
  }
  const root = await mkdtemp(path.join(os.tmpdir(), 'image-trust-launcher-'));
  let server: Started | undefined;
  let browser: Browser | undefined;
  try {
    const started = await startServer(req, root);
    server = started.server;
    browser = await launchBrowser();
    const page = browser.page;
    let settle: (code: number) => void = () => {};
    const exited = new Promise<number>((resolve) => (settle = resolve));
    await page.exposeFunction('codeAutomationLog', (level: string, args: unknown[]) => {
      const line = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      (level === 'error' ? console.error : console.log)(line);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => settle(Number(code)));
    const url = workbenchUrl(started.url, started.authority, req);
    console.log(`code-server-as-vscode: ${url}`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: START_TIMEOUT_MS });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<number>((resolve) => (timer = setTimeout(() => resolve(-1), RUN_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
    if (code === -1) {
      console.error(`code-server-as-vscode: the suite did not finish within ${RUN_TIMEOUT_MS / 1000} s`);
      console.error(await extensionHostLog(path.join(root, 'user-data')));
      return 4;
    }
    if (code !== 0) console.error(await extensionHostLog(path.join(root, 'user-data')));
    return code === 0 ? 0 : 1;
  } catch (err) {
    console.error(`code-server-as-vscode: ${(err as Error).stack ?? err}`);
    return 3;
  } finally {
    await browser?.close();
    await server?.stop();
    await rm(root, { recursive: true, force: true }).catch(() => {});
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(3);
});
