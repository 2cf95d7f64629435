// The one place where a test decides to skip because this machine lacks a program it starts (docker-registry,
// skopeo, openssl, git, code-server, Chromium…): locally the suite is skipped with the reason; under CI=true it fails,
// naming the missing program and how to install it (`.ci/setup`), because a suite skipped in CI hides regressions.
//
//   describe('…', requireTools(REGISTRY_TOOLS), () => { … });           // the registry test bed
//   describe('…', requireTool('git'), () => { … });                     // one program on PATH
//   describe('…', { ...requireTools([CHROMIUM_TOOL]), timeout: 60_000 }, () => { … });
//   const { skip } = requireTool('openssl');                            // `{ skip }` for describe/test/it
//
// Under CI=true a missing program throws a MissingToolError where the requirement is evaluated (at the top of the
// test file), so the file fails with that message instead of reporting "skipped". `optional(reason)` is for the
// rare suite CI deliberately does not require (the @vscode/test-electron run): it skips with the reason everywhere.
// Pass `{ env }` to decide against another environment than process.env (the unit test of this file does).

import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** A program a test needs. */
export interface Tool {
  /** The program as people know it, e.g. `docker-registry`; by default looked up as an executable on PATH. */
  name: string;
  /** Whether it is usable here: `true`, or `false` / a sentence saying what is wrong. Default: `name` on PATH. */
  check?: (env: NodeJS.ProcessEnv) => boolean | string;
  /** The Debian package `.ci/setup` installs it from (default: `name`). Ignored when `install` is given. */
  pkg?: string;
  /** How to install it when that is not `.ci/setup`, e.g. `node scripts/ensure-code-server.mjs`. */
  install?: string;
}

/** Spread or pass as the options of node:test's `describe`/`test`/`it`: `skip` is the reason, or false. */
export interface Requirement {
  skip: string | false;
}

export interface RequireOptions {
  /** The environment deciding PATH and CI (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export class MissingToolError extends Error {
  override name = 'MissingToolError';
  constructor(readonly reason: string) {
    super(`CI=true, so a missing program fails the run instead of skipping it: ${reason}`);
  }
}

export const CI_SETUP = '.ci/setup';

/** The programs the real-registry test bed (test/support/registry.ts) starts. */
export const REGISTRY_TOOLS: readonly Tool[] = [
  { name: 'docker-registry' },
  { name: 'skopeo' },
  { name: 'htpasswd', pkg: 'apache2-utils' },
  { name: 'openssl' },
];

export const GIT_TOOL: Tool = { name: 'git' };
export const OPENSSL_TOOL: Tool = { name: 'openssl' };

/** CI=true (also `1`, any case): what GitHub Actions, GitLab and `.ci/run` set. */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(true|1)$/i.test((env.CI ?? '').trim());
}

/** Whether `cmd` is an executable file in one of PATH's directories. */
export function onPath(cmd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      /* not here */
    }
  }
  return false;
}

/** Why these tools cannot be used here (each missing one, and how to install it), or undefined when all are present. */
export function missingTools(tools: readonly (Tool | string)[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing: { tool: Tool; detail?: string }[] = [];
  for (const t of tools.map((x) => (typeof x === 'string' ? { name: x } : x))) {
    let ok: boolean | string;
    try {
      ok = t.check ? t.check(env) : onPath(t.name, env);
    } catch (err) {
      ok = (err as Error).message;
    }
    if (ok !== true) missing.push({ tool: t, detail: typeof ok === 'string' ? ok : undefined });
  }
  if (missing.length === 0) return undefined;
  const names = missing.map(({ tool, detail }) => (detail ? `${tool.name} (${detail})` : tool.name));
  const debian = [...new Set(missing.filter(({ tool }) => !tool.install).map(({ tool }) => tool.pkg ?? tool.name))];
  const steps = [
    ...(debian.length ? [`run ${CI_SETUP} (apt-get install -y ${debian.join(' ')})`] : []),
    ...new Set(missing.flatMap(({ tool }) => (tool.install ? [`run ${tool.install}`] : []))),
  ];
  return `missing ${names.join(', ')}: ${steps.join('; ')}`;
}

/**
 * `{ skip: false }` when every tool is usable; otherwise `{ skip: reason }` locally, and a thrown MissingToolError
 * (naming the tools and the install step) under CI=true.
 */
export function requireTools(tools: readonly (Tool | string)[], options: RequireOptions = {}): Requirement {
  const env = options.env ?? process.env;
  const reason = missingTools(tools, env);
  if (reason === undefined) return { skip: false };
  if (isCI(env)) throw new MissingToolError(reason);
  return { skip: reason };
}

/** `requireTools` for one program: `name` on PATH, or what `check` says. */
export function requireTool(name: string, check?: Tool['check'], options: RequireOptions & Pick<Tool, 'pkg' | 'install'> = {}): Requirement {
  return requireTools([{ name, check, pkg: options.pkg, install: options.install }], options);
}

/** The real-registry test bed: docker-registry, skopeo, htpasswd, openssl. */
export function requireRegistryTools(options: RequireOptions = {}): Requirement {
  return requireTools(REGISTRY_TOOLS, options);
}

/**
 * For a suite CI deliberately does not require (it says so in its header): skipped with the reason everywhere, CI
 * included. Not for programs `.ci/setup` installs: those go through `requireTools`.
 */
export function optional(reason: string | undefined): Requirement {
  return { skip: reason ? `optional, not required in CI: ${reason}` : false };
}
