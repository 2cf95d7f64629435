// The CLI's registry client: cache in the user's cache dir (or --cache-dir), offline switch, extra CA, insecure hosts.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createRegistryClient, type RegistryClient } from '../core/registry';
import type { CliOptions } from './args';

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IMAGE_TRUST_CACHE_DIR) return env.IMAGE_TRUST_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'image-trust');
}

export function cliRegistryClient(opts: CliOptions): RegistryClient {
  return createRegistryClient({
    cacheDir: opts.cacheDir ?? defaultCacheDir(),
    offline: opts.offline,
    insecureRegistries: opts.insecureRegistries,
    caFile: opts.caFile,
    // The CLI runs as the user, with the user's own Docker config: credential helpers are theirs to run.
    allowCredentialHelpers: true,
  });
}
