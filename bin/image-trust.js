#!/usr/bin/env node
'use strict';
// `image-trust` from a clone of the repository (or a release tag: pre-commit hooks run it from there).
// Everything is in dist/cli.js, which `npm run build` writes; release tags carry it built.
let cli;
try {
  cli = require('../dist/cli.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    process.stderr.write(
      'image-trust: dist/cli.js is missing in ' + require('node:path').resolve(__dirname, '..') + '.\n' +
        '  In a clone: npm ci && npm run build. As a pre-commit hook or GitHub Action: use a release tag (rev: v…),\n' +
        '  which carries the built CLI; branches do not. Or install the CLI: npm install --global image-trust\n',
    );
    process.exit(2);
  }
  throw err;
}
cli.main();
