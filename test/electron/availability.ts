// Can the @vscode/test-electron suite run here? It needs the package and a VS Code build, which it downloads from
// update.code.visualstudio.com unless one is cached in .vscode-test/. Offline is detected with one DNS query bounded
// to 3 s, never by starting a download.
import { existsSync, readdirSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import path from 'node:path';
import { REPO_ROOT } from '../support/cli';

export const TEST_ELECTRON_PACKAGE = '@vscode/test-electron';
export const VSCODE_DOWNLOAD_HOST = 'update.code.visualstudio.com';
const CACHE_DIR = path.join(REPO_ROOT, '.vscode-test');
const DNS_TIMEOUT_MS = 3_000;

function packageInstalled(): boolean {
  try {
    require.resolve(TEST_ELECTRON_PACKAGE, { paths: [REPO_ROOT] });
    return true;
  } catch {
    return false;
  }
}

/** A VS Code build @vscode/test-electron downloaded earlier (`.vscode-test/vscode-<platform>-<version>`). */
function cachedVSCode(): boolean {
  return existsSync(CACHE_DIR) && readdirSync(CACHE_DIR).some((e) => e.startsWith('vscode-'));
}

async function resolves(host: string): Promise<string | undefined> {
  const resolver = new Resolver({ timeout: DNS_TIMEOUT_MS, tries: 1 });
  const timer = setTimeout(() => resolver.cancel(), DNS_TIMEOUT_MS + 500);
  try {
    await resolver.resolve4(host);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/** Why the suite cannot run here, or undefined when it can. */
export async function testElectronSkipReason(): Promise<string | undefined> {
  if (!packageInstalled()) {
    return `${TEST_ELECTRON_PACKAGE} is not installed (npm i -D ${TEST_ELECTRON_PACKAGE} on a machine that can download VS Code)`;
  }
  if (cachedVSCode()) return undefined;
  const dnsError = await resolves(VSCODE_DOWNLOAD_HOST);
  if (dnsError) return `VS Code cannot be downloaded: ${VSCODE_DOWNLOAD_HOST} does not resolve (${dnsError}; offline?) and no build is cached in .vscode-test/`;
  return undefined;
}
