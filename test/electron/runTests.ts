// Runs test/electron/suite in a real VS Code desktop build (Electron) through @vscode/test-electron, against the e2e
// demo workspace and a local registry. Usage: node --import tsx test/electron/runTests.ts
// Exits 0 when all pass, 1 on failure, 2 (with the reason) when it cannot run here (see availability.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../support/cli';
import { registryToolsSkipReason, startRegistry, type TestRegistry } from '../support/registry';
import { buildExtension } from '../e2e/support/codeServer';
import { createDemoWorkspace, type DemoWorkspace } from '../e2e/support/demoWorkspace';
import { TEST_ELECTRON_PACKAGE, testElectronSkipReason } from './availability';

const SUITE_OUT = path.join(REPO_ROOT, 'out', 'electron', 'suite.js');

interface TestElectron {
  runTests(options: {
    extensionDevelopmentPath: string;
    extensionTestsPath: string;
    launchArgs?: string[];
    extensionTestsEnv?: Record<string, string | undefined>;
    timeout?: number;
  }): Promise<number>;
}

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

async function main(): Promise<number> {
  const reason = (await testElectronSkipReason()) ?? registryToolsSkipReason();
  if (reason) {
    console.error(`skipped: ${reason}`);
    return 2;
  }
  // A variable specifier: the package is optional and absent from package.json here.
  const specifier = TEST_ELECTRON_PACKAGE;
  const { runTests } = (await import(specifier)) as TestElectron;
  buildExtension();
  await bundleSuite();
  let registry: TestRegistry | undefined;
  let ws: DemoWorkspace | undefined;
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'image-trust-electron-'));
  try {
    registry = await startRegistry();
    ws = await createDemoWorkspace(registry);
    const web = ws.image('demo/web:1.0');
    await runTests({
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: SUITE_OUT,
      launchArgs: [ws.dir, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', userDataDir],
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
