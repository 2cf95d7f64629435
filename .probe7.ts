import { DockerfileParser } from 'dockerfile-ast';
import { extractDockerfile } from './server/src/core/extract/dockerfile';
import * as fs from 'node:fs'; import * as path from 'node:path';
const root = '/work/shared/corpus/dockerfile'; let nf = 0, nu = 0, skip: string[] = [];
for (const repo of fs.readdirSync(root)) for (const f of fs.readdirSync(path.join(root, repo))) {
  const t = fs.readFileSync(path.join(root, repo, f), 'utf8');
  const df = DockerfileParser.parse(t);
  const froms = df.getFROMs();
  const refs = extractDockerfile(t);
  const uses = refs.reduce((n, r) => n + (r.context!.match(/(^|, |by )FROM \(/g) ?? []).length, 0);
  nf += froms.length; nu += uses;
  const names = new Set<string>(); for (const fr of froms) { const im = fr.getImage()!; if (im === 'scratch' || names.has(im.toLowerCase())) skip.push(im); const s = fr.getBuildStage(); if (s) names.add(s.toLowerCase()); }
}
console.log(nf, nu, skip.length, nf - nu - skip.length);
