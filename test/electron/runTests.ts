// Runs test/electron/suite inside a real VS Code extension host through @vscode/test-electron's `runTests`, against
// the e2e demo workspace and a local registry. The VS Code is the one code-server ships (VS Code desktop cannot be
// downloaded here): `vscodeExecutablePath` is test/electron/launcher/code-server-as-vscode, which takes the
// arguments runTests gives VS Code and runs the suite in code-server's extension host (see launcher/launcher.ts).
//
// Usage: node --import tsx test/electron/runTests.ts [--extension <dir>]
//   --extension <dir>  the extension folder to test (default: this repository, built first). The harness test uses
//                      it to show that a deliberately broken build fails the suite.
// Exits 0 when all pass, 1 on failure, 2 (with "skipped: <reason>") when a program it needs is missing.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { build } from 'esbuild';
import { REPO_ROOT } from '../support/cli';
import { missingTools, REGISTRY_TOOLS } from '../support/requirements';
import { startRegistry, type TestRegistry } from '../support/registry';
import { buildExtension } from '../e2e/support/codeServer';
import { createDemoWorkspace, type DemoWorkspace } from '../e2e/support/demoWorkspace';
import { CHROMIUM_TOOL, CODE_SERVER_TOOL } from '../e2e/support/prerequisites';

export const LAUNCHER = path.join(REPO_ROOT, 'test', 'electron', 'launcher', 'code-server-as-vscode');
const SUITE_OUT = path.join(REPO_ROOT, 'out', 'electron', 'suite.js');

/** The suite runs inside the extension host, which loads CommonJS: bundle it (vscode stays external). */
async function bundleSuite(): Promise<void> {
  await build({
    entryPoints: [path.join(REPO_ROOT, 'test', 'electron', 'suite', 'index.ts')],
    outfile: SUITE_OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
}

function extensionArg(argv: string[]): string | undefined {
  const i = argv.indexOf('--extension');
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const reason = missingTools([CODE_SERVER_TOOL, CHROMIUM_TOOL, ...REGISTRY_TOOLS]);
  if (reason) {
    console.error(`skipped: ${reason}`);
    return 2;
  }
  const given = extensionArg(process.argv.slice(2));
  const extensionDevelopmentPath = given ? path.resolve(given) : REPO_ROOT;
  if (!given) buildExtension();
  await bundleSuite();
  let registry: TestRegistry | undefined;
  let ws: DemoWorkspace | undefined;
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'image-trust-electron-'));
  try {
    registry = await startRegistry();
    ws = await createDemoWorkspace(registry);
    const web = ws.image('demo/web:1.0');
    await runTests({
      vscodeExecutablePath: LAUNCHER,
      extensionDevelopmentPath,
      extensionTestsPath: SUITE_OUT,
      launchArgs: [ws.dir, '--disable-extensions', '--user-data-dir', userDataDir],
      extensionTestsEnv: { IMAGE_TRUST_E2E_IMAGE: web.reference, IMAGE_TRUST_E2E_DIGEST: web.digest },
    });
    return 0;
  } catch (err) {
    console.error(`electron suite failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await ws?.remove();
    await registry?.stop();
    await rm(userDataDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
