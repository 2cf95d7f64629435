// Mutation testing (StrykerJS) of the trust and policy core: `npm run mutation` — not part of `npm test` or CI.
// Mutates server/src/core/trust/** and server/src/core/policy/**, and runs their unit tests through the tap runner:
// each test file runs in one Node process (`node -r <stryker hook> --import tsx --test-reporter=tap <file>`), so
// Stryker's per-test coverage (one "test" per file) sees what each file executes and runs only the covering files.
// (Not `node --test <file>`: that runs the file in a child process, out of reach of the coverage hook.)
//
// Narrow runs:  npx stryker run --mutate server/src/core/policy/globs.ts --concurrency 1
// Reports:      reports/mutation/index.html and reports/mutation/mutation.json (git-ignored), survivors in the JSON
//               (status "Survived"); Stryker's log in stryker.log with --fileLogLevel info.
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const TEMP_DIR = '.stryker-tmp';

// The tests read shared data in place from `../shared` relative to the working directory. Stryker runs them in
// `.stryker-tmp/sandbox-*/`, so `../shared` there must lead to the real one (Stryker removes the link with its
// temporary directory; removing a link never touches its target).
const shared = path.resolve(ROOT, '..', 'shared');
const link = path.join(ROOT, TEMP_DIR, 'shared');
if (existsSync(shared)) {
  mkdirSync(path.dirname(link), { recursive: true });
  let present = false;
  try {
    present = lstatSync(link).isSymbolicLink();
  } catch {
    /* absent */
  }
  if (!present) symlinkSync(shared, link, 'dir');
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  plugins: ['@stryker-mutator/tap-runner'],
  testRunner: 'tap',
  tap: {
    testFiles: ['test/unit/trust-*.test.ts', 'test/unit/policy-*.test.ts', 'test/unit/sigstore-conformance.test.ts'],
    nodeArgs: ['-r', '{{hookFile}}', '--import', 'tsx', '--test-reporter=tap', '{{testFile}}'],
    forceBail: true,
  },
  mutate: ['server/src/core/trust/**/*.ts', 'server/src/core/policy/**/*.ts'],
  coverageAnalysis: 'perTest',
  // Copy into the sandbox only what the code under test and its tests read (node_modules is linked, not copied).
  ignorePatterns: ['/*', '!/server', '!/test', '!/schemas', '!/examples', '!/docs', '!/package.json', '!/tsconfig.json'],
  tempDirName: TEMP_DIR,
  // Stryker rewrites the tsconfig's `extends`/`references` with TypeScript's JS API, which TypeScript 7 (native) no
  // longer has; ours has neither, so point the rewrite at a file that does not exist (tsx still reads tsconfig.json).
  tsconfigFile: 'tsconfig.stryker-skip-rewrite.json',
  concurrency: 1,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 80, low: 60, break: null },
};
