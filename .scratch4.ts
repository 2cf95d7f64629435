import { extractHelmValues } from './server/src/core/extract/helm-values';
import { readFileSync } from 'node:fs';
const t = readFileSync(process.argv[2], 'utf8');
for (const r of extractHelmValues(t)) console.log(JSON.stringify(r));
