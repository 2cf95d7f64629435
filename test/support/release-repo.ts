// A git repository shaped like a release tag of image-trust, for the tests of what people use straight from the
// repository at a tag (pre-commit hooks; the GitHub Action): the hook and action manifests, the bin, and the built
// bundles — a release tag commits dist/cli.js and dist/action.js (force-added: dist/ is ignored on branches).
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './cli';
import { TempRepo } from './git-repo';

/** What a release tag holds that the hooks and the action run from (the sources are there too, but unused). */
export const RELEASE_FILES = ['.pre-commit-hooks.yaml', 'action.yml', 'bin/image-trust.js', 'dist/cli.js', 'dist/action.js', 'package.json', 'LICENSE', 'README.md', 'CHANGELOG.md'];

export interface ReleaseRepo {
  repo: TempRepo;
  /** `v<version>` of package.json. */
  tag: string;
}

/** Copies the working tree's release files (built first: `npm run build`) into a new repository and tags it. */
export function releaseRepo(): ReleaseRepo {
  for (const f of RELEASE_FILES) if (!existsSync(join(REPO_ROOT, f))) throw new Error(`${f} is missing: run npm run build first`);
  const repo = new TempRepo('image-trust-release-');
  for (const f of RELEASE_FILES) {
    mkdirSync(dirname(join(repo.dir, f)), { recursive: true });
    // cpSync keeps the mode: bin/image-trust.js stays executable, as git stores it.
    cpSync(join(REPO_ROOT, f), join(repo.dir, f));
  }
  repo.commitAll('release');
  const tag = `v${JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version}`;
  repo.git('tag', tag);
  return { repo, tag };
}
