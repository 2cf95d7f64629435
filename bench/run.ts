// `npm run bench`: speed and memory figures as ratios against floors measured in the same run. Not a test.
import { benchExtraction } from './extraction';
import { benchLsp } from './lsp';
import { benchActivation } from './activation';
import { benchRegistry } from './registry';
import { benchVerify } from './verify';

async function main(): Promise<void> {
  console.log(`Image Trust benchmark — node ${process.version}, ${new Date().toISOString()}\n`);
  benchExtraction();
  console.log('');
  benchActivation();
  console.log('');
  await benchLsp();
  console.log('');
  await benchRegistry();
  console.log('');
  benchVerify();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
