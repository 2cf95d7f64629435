// The CLI bundle's entry (dist/cli.js, packages/cli/dist/cli.js). `bin/image-trust.js` requires it and calls main();
// run directly — `node dist/cli.js scan …` — it behaves exactly like the bin, never silently doing nothing.
// (The self-start lives here, not in main.ts: other bundles, such as the GitHub Action, import main.ts.)
import { main } from './main';

export { main, run } from './main';

if (require.main === module) main();
