// Paths as shown to the user: relative to the current folder, with `/` separators.
import { relative, sep } from 'node:path';

export function displayPath(abs: string, cwd = process.cwd()): string {
  return relative(cwd, abs).split(sep).join('/') || '.';
}
