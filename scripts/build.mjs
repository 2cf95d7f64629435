// Bundles the entry points: the extension (client), the language server, the CLI, and the GitHub Action.
// Usage: node scripts/build.mjs [--production] [target…]   targets: client server cli action (default: these four)
//        and cli-package: the npm package of the CLI in packages/cli (its `npm pack` runs it through prepack).
import { copyFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Paths below are relative to the repository root, wherever this is started from (prepack runs in packages/cli).
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  define: { __VERSION__: JSON.stringify(version) },
  absWorkingDir: root,
  // jsonc-parser's `main` is a UMD build whose requires esbuild cannot follow: bundle its ES module build instead.
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
};

/** The CLI's npm package: one self-contained file (no runtime dependencies), the root LICENSE and CHANGELOG.md. */
async function cliPackage() {
  const pkg = JSON.parse(readFileSync('packages/cli/package.json', 'utf8'));
  if (pkg.version !== version) throw new Error(`packages/cli/package.json has version ${pkg.version}, package.json ${version}: keep them equal`);
  await build({ ...common, sourcemap: false, minify: false, entryPoints: ['server/src/cli/entry.ts'], outfile: 'packages/cli/dist/cli.js' });
  for (const f of ['LICENSE', 'CHANGELOG.md']) copyFileSync(f, join('packages/cli', f));
}

const targets = {
  client: () => build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] }),
  server: () => build({ ...common, entryPoints: ['server/src/lsp/main.ts'], outfile: 'dist/server.js' }),
  cli: () => build({ ...common, entryPoints: ['server/src/cli/entry.ts'], outfile: 'dist/cli.js' }),
  // The GitHub Action (action.yml, runs.using node20): everything in one file.
  action: () => build({ ...common, entryPoints: ['server/src/action/main.ts'], outfile: 'dist/action.js' }),
  'cli-package': cliPackage,
};
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
for (const t of wanted) if (!(t in targets)) throw new Error(`unknown build target "${t}" (known: ${Object.keys(targets).join(', ')})`);
await Promise.all((wanted.length ? wanted : ['client', 'server', 'cli', 'action']).map((t) => targets[t]()));
