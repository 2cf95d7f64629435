// What the end-to-end tests need on this machine, and what to do when it is missing: skip locally (with the
// reason), fail in CI (CI=true), where a silently skipped editor suite would hide regressions.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../support/cli';
import { registryToolsSkipReason } from '../../support/registry';

export const CHROMIUM = process.env.IMAGE_TRUST_CHROMIUM ?? '/usr/bin/chromium';
export const TOOLS_DIR = path.resolve(process.env.IMAGE_TRUST_TOOLS_DIR ?? path.join(REPO_ROOT, '.tools'));
export const IS_CI = process.env.CI === 'true';

/** Marker written by scripts/ensure-code-server.mjs once code-server is fully installed. */
interface CodeServerMarker {
  codeServer: string;
  node: string;
  nodeBin: string;
  entry: string;
}

export interface CodeServerInstall {
  version: string;
  /** Node 24 that runs code-server (and, through it, the extension host and our language server). */
  node: string;
  /** code-server's `out/node/entry.js`. */
  entry: string;
}

const INSTALL_HINT = 'run `node scripts/ensure-code-server.mjs` (installs Node 24 and code-server into .tools/)';

/** The installed code-server, or a reason why there is none. */
export function findCodeServer(): CodeServerInstall | string {
  const dir = path.join(TOOLS_DIR, 'code-server');
  let marker: CodeServerMarker;
  try {
    marker = JSON.parse(readFileSync(path.join(dir, '.image-trust-tool.json'), 'utf8')) as CodeServerMarker;
  } catch {
    return `code-server is not installed in ${dir}: ${INSTALL_HINT}`;
  }
  const install = { version: marker.codeServer, node: path.resolve(dir, marker.nodeBin), entry: path.resolve(dir, marker.entry) };
  for (const f of [install.node, install.entry]) {
    if (!existsSync(f)) return `code-server install in ${dir} is incomplete (${f} missing): ${INSTALL_HINT}`;
  }
  return install;
}

/** Why the editor suite cannot run here, or undefined. */
export function e2eMissingReason(): string | undefined {
  const reasons: string[] = [];
  const cs = findCodeServer();
  if (typeof cs === 'string') reasons.push(cs);
  if (!existsSync(CHROMIUM)) reasons.push(`no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set IMAGE_TRUST_CHROMIUM)`);
  const reg = registryToolsSkipReason();
  if (reg) reasons.push(reg);
  return reasons.length ? reasons.join('; ') : undefined;
}

/**
 * `{ skip }` for `describe` locally; in CI nothing is skipped and `assertPrerequisites` (call it first in `before`)
 * fails the suite with the same reason.
 */
export function skipUnlessCI(reason: string | undefined): { skip?: string } {
  return reason && !IS_CI ? { skip: reason } : {};
}

export function assertPrerequisites(reason: string | undefined): void {
  if (reason) throw new Error(`end-to-end prerequisites missing (CI=true, so this fails instead of skipping): ${reason}`);
}
