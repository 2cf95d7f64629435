import { DockerfileParser } from 'dockerfile-ast';
import { extractDockerfile } from './server/src/core/extract/dockerfile';
import * as fs from 'node:fs'; import * as path from 'node:path';
const root = '/work/shared/corpus/dockerfile';
for (const repo of fs.readdirSync(root)) for (const f of fs.readdirSync(path.join(root, repo))) {
  const t = fs.readFileSync(path.join(root, repo, f), 'utf8');
  const froms = DockerfileParser.parse(t).getFROMs();
  const refs = extractDockerfile(t);
  const uses = refs.reduce((n, r) => n + (r.context!.match(/(^|, |by )FROM \(/g) ?? []).length, 0);
  const sk = froms.filter((x,i)=>x.getImage()==="scratch"||froms.slice(0,i).some(y=>y.getBuildStage()?.toLowerCase()===x.getImage()!.toLowerCase())).length;
  if (froms.length - uses - sk !== 0) console.log(repo, f, froms.length, uses, sk, JSON.stringify(froms.map(x=>x.getImage())));
}
