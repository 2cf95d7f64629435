// Records what Renovate's managers find in the real-world fixtures, for the recall test
// (test/unit/renovate-recall.test.ts): github-actions (docker:// steps, container, services), gitlabci and
// devcontainer. Renovate is not a dependency of Image Trust; install it anywhere and point this script at it:
//
//   mkdir /tmp/renovate && cd /tmp/renovate && npm install renovate@44.121.2   (Renovate needs Node 24)
//   node scripts/renovate-recall.mjs /tmp/renovate/node_modules/renovate > test/fixtures/real-world/renovate-expected.json
//
// Each file is given to the manager its kind maps to (a file included by a GitLab project is a GitLab CI file for
// Renovate too: its gitlabci manager follows `include: local`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

process.env.LOG_LEVEL ??= 'fatal';
const renovate = resolve(process.argv[2] ?? 'node_modules/renovate');
const root = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'real-world');
const load = (manager) => import(pathToFileURL(join(renovate, 'dist', 'modules', 'manager', manager, 'extract.js')).href);
const { version } = JSON.parse(readFileSync(join(renovate, 'package.json'), 'utf8'));

// The github-actions manager reads the repository's actions lock file through the configured local folder.
const { GlobalConfig } = await import(pathToFileURL(join(renovate, 'dist', 'config', 'global.js')).href);
GlobalConfig.set({ localDir: root });

const managers = {
  'github-actions': await load('github-actions'),
  gitlabci: await load('gitlabci'),
  devcontainer: await load('devcontainer'),
};

function files(dir) {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** The manager for a fixture file: Renovate's own file patterns, plus the GitLab files included locally. */
function managerFor(rel) {
  if (/(^|\/)(workflow-templates|\.(?:github|gitea|forgejo)\/(?:workflows|actions))\/.+\.ya?ml$/.test(rel) || /(^|\/)action\.ya?ml$/.test(rel)) return 'github-actions';
  if (/\.gitlab-ci\.ya?ml$/.test(rel) || rel === 'gitlab-ci/runner/ci/build.yml') return 'gitlabci';
  if (/(^|\/)\.devcontainer(\/[^/]+)?\/devcontainer\.json$|(^|\/)\.devcontainer\.json$/.test(rel)) return 'devcontainer';
  return null;
}

const out = { renovate: version, files: {} };
for (const abs of files(root).sort()) {
  const rel = relative(root, abs).split('\\').join('/');
  const manager = managerFor(rel);
  if (!manager) continue;
  const result = await managers[manager].extractPackageFile(readFileSync(abs, 'utf8'), rel, {});
  const deps = (result?.deps ?? [])
    // Container images only: the github-actions manager also reports actions and runners, devcontainer tool versions.
    .filter((d) => d.datasource === 'docker')
    .map((d) => ({
      depType: d.depType ?? null,
      depName: d.depName ?? null,
      currentValue: d.currentValue ?? null,
      currentDigest: d.currentDigest ?? null,
      replaceString: d.replaceString ?? null,
      ...(d.skipReason ? { skipReason: d.skipReason } : {}),
    }));
  out.files[rel] = { manager, deps };
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
