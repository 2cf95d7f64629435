import { parseAllDocuments } from 'yaml';
import { readFileSync } from 'node:fs';
const t = readFileSync(process.argv[2], 'utf8');
for (const d of parseAllDocuments(t, { prettyErrors: true }) as any[]) for (const e of d.errors) console.log(e.message);
