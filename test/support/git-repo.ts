// A throw-away git repository for tests of `--changed-since`: isolated from the machine's and the user's git
// configuration, with a fixed identity, so it behaves the same on a developer laptop and a clean CI machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const GIT_ENV: NodeJS.ProcessEnv = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: devNull,
  GIT_AUTHOR_NAME: 'Image Trust Test',
  GIT_AUTHOR_EMAIL: 'test@image-trust.invalid',
  GIT_COMMITTER_NAME: 'Image Trust Test',
  GIT_COMMITTER_EMAIL: 'test@image-trust.invalid',
  GIT_TERMINAL_PROMPT: '0',
};

export class TempRepo {
  readonly dir: string;

  constructor(prefix = 'image-trust-git-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.git('init', '-q', '-b', 'main');
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', timeout: 30_000 });
  }

  write(rel: string, text: string): void {
    const abs = join(this.dir, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }

  commitAll(message: string): void {
    this.git('add', '-A');
    this.git('commit', '-q', '--no-gpg-sign', '-m', message);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
