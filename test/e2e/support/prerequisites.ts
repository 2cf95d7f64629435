// What the end-to-end tests need on this machine: code-server (with its Node 24) in .tools/, Chromium, and the
// registry test bed. Missing → skipped locally with the reason, a failure under CI=true (test/support/requirements).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../support/cli';
import { REGISTRY_TOOLS, requireTools, type RequireOptions, type Requirement, type Tool } from '../../support/requirements';

export const CHROMIUM = process.env.IMAGE_TRUST_CHROMIUM ?? '/usr/bin/chromium';
export const TOOLS_DIR = path.resolve(process.env.IMAGE_TRUST_TOOLS_DIR ?? path.join(REPO_ROOT, '.tools'));

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

export const CODE_SERVER_TOOL: Tool = {
  name: 'code-server',
  check: () => {
    const cs = findCodeServer();
    return typeof cs === 'string' ? cs.replace(`: ${INSTALL_HINT}`, '') : true;
  },
  install: 'node scripts/ensure-code-server.mjs',
};

export const CHROMIUM_TOOL: Tool = {
  name: 'chromium',
  check: () => existsSync(CHROMIUM) || `no Chromium at ${CHROMIUM}; or set IMAGE_TRUST_CHROMIUM`,
};

/** `{ skip }` for the editor suites: everything they start is here, else skipped locally and thrown under CI=true. */
export function requireE2E(options: RequireOptions = {}): Requirement {
  return requireTools([CODE_SERVER_TOOL, CHROMIUM_TOOL, ...REGISTRY_TOOLS], options);
}
