// Where registry credentials come from: Docker's `config.json` (`auths`, `credsStore`, `credHelpers`). The source is
// an interface so tests and untrusted workspaces can supply their own (or none). Credentials are never logged and
// never put in error messages.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { credentialKey, hostOfCredentialKey, isDockerHub } from './hosts';

export interface Credential {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (`identitytoken` in config.json, or a helper answering Username `<token>`). */
  identityToken?: string;
}

export interface CredentialSource {
  /** Credentials for an API host (`registry-1.docker.io`, `ghcr.io`, `127.0.0.1:5000`), or undefined. */
  get(host: string): Promise<Credential | undefined>;
}

export const noCredentials: CredentialSource = { get: async () => undefined };

/** A fixed map host → credential (tests, or credentials passed explicitly). */
export function staticCredentials(map: Record<string, Credential>): CredentialSource {
  return { get: async (host) => map[host] ?? (isDockerHub(host) ? map['docker.io'] : undefined) };
}

export interface DockerConfigOptions {
  /** Directory holding `config.json`; default `$DOCKER_CONFIG` or `~/.docker`. */
  configDir?: string;
  /**
   * Run `docker-credential-<name>` helpers named by `credsStore`/`credHelpers`. Turn off for untrusted workspaces:
   * a helper is a program chosen by configuration.
   */
  allowCredentialHelpers: boolean;
  /** Bound on a helper's run time. Default 10 s. */
  helperTimeoutMs?: number;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

const MAX_CONFIG_BYTES = 1024 * 1024;
const HELPER_NAME = /^[A-Za-z0-9._-]+$/;

export function dockerConfigCredentials(options: DockerConfigOptions): CredentialSource {
  const dir = options.configDir ?? process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker');
  const file = path.join(dir, 'config.json');
  let config: Promise<DockerConfigFile> | undefined;
  const memo = new Map<string, Promise<Credential | undefined>>();

  async function lookup(host: string): Promise<Credential | undefined> {
    const cfg = await (config ??= readDockerConfig(file));
    const key = credentialKey(host);
    if (options.allowCredentialHelpers) {
      const helper = cfg.credHelpers?.[key] ?? cfg.credHelpers?.[host] ?? (isDockerHub(host) ? cfg.credHelpers?.['docker.io'] : undefined);
      if (helper) return runHelper(helper, key, options.helperTimeoutMs ?? 10_000);
      if (cfg.credsStore) {
        const fromStore = await runHelper(cfg.credsStore, key, options.helperTimeoutMs ?? 10_000);
        if (fromStore) return fromStore;
      }
    }
    return fromAuths(cfg, host);
  }

  return {
    get(host) {
      let p = memo.get(host);
      if (!p) memo.set(host, (p = lookup(host)));
      return p;
    },
  };
}

async function readDockerConfig(file: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_CONFIG_BYTES) return {};
    text = buf.toString('utf8');
  } catch {
    return {}; // no config: anonymous access
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as DockerConfigFile) : {};
  } catch {
    return {}; // unreadable config is treated like none; never echo its content
  }
}

function fromAuths(cfg: DockerConfigFile, host: string): Credential | undefined {
  for (const [key, entry] of Object.entries(cfg.auths ?? {})) {
    if (!entry || hostOfCredentialKey(key) !== host) continue;
    const cred: Credential = {};
    if (typeof entry.auth === 'string' && entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        cred.username = decoded.slice(0, colon);
        cred.password = decoded.slice(colon + 1);
      }
    } else if (typeof entry.username === 'string' && typeof entry.password === 'string') {
      cred.username = entry.username;
      cred.password = entry.password;
    }
    if (typeof entry.identitytoken === 'string' && entry.identitytoken) cred.identityToken = entry.identitytoken;
    if (cred.password !== undefined || cred.identityToken) return cred;
  }
  return undefined;
}

/** Runs `docker-credential-<name> get` (no shell) with the server URL on stdin. Failure = no credentials. */
function runHelper(name: string, serverUrl: string, timeoutMs: number): Promise<Credential | undefined> {
  if (!HELPER_NAME.test(name)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = execFile(
      `docker-credential-${name}`,
      ['get'],
      { timeout: timeoutMs, maxBuffer: 64 * 1024, shell: false, windowsHide: true },
      (err, stdout) => {
        if (err) return resolve(undefined);
        try {
          const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
          if (typeof out.Secret !== 'string' || !out.Secret) return resolve(undefined);
          if (out.Username === '<token>') return resolve({ identityToken: out.Secret });
          resolve({ username: out.Username ?? '', password: out.Secret });
        } catch {
          resolve(undefined);
        }
      },
    );
    child.stdin?.on('error', () => {}); // helper may exit before reading
    child.stdin?.end(serverUrl);
  });
}
