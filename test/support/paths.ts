// Where shared test data lives (read in place, never copied into the repository).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from './cli';

export const SHARED = resolve(REPO_ROOT, '..', 'shared');

/** A skip reason when shared data is missing (`undefined` when present). */
export function sharedMissing(rel: string): string | undefined {
  return existsSync(resolve(SHARED, rel)) ? undefined : `../shared/${rel} is not present on this machine`;
}
