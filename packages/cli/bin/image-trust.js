#!/usr/bin/env node
'use strict';
// The `image-trust` command of the npm package: everything is in dist/cli.js (bundled, no dependencies).
require('../dist/cli.js').main();
