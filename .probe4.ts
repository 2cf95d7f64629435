import { extractDockerfile } from './server/src/core/extract/dockerfile';
import * as fs from 'node:fs'; import * as path from 'node:path';
const root = '/work/shared/corpus/dockerfile'; let total = 0; let files = 0;
for (const repo of fs.readdirSync(root)) for (const f of fs.readdirSync(path.join(root, repo))) {
  const p = path.join(root, repo, f); const t = fs.readFileSync(p, 'utf8'); files++;
  const refs = extractDockerfile(t); total += refs.length;
  console.log(`== ${repo}/${f} (${refs.length})`);
  for (const r of refs) console.log(`   ${JSON.stringify(r.text)} -> ${r.reference}${r.templated ? ' [T]' : ''} | ${r.context}${t.slice(r.range.start, r.range.end) === r.text ? '' : ' MISMATCH'}`);
}
console.log('files', files, 'total', total);
