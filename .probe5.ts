import { DockerfileParser } from 'dockerfile-ast';
import * as fs from 'node:fs'; import * as path from 'node:path';
const root = '/work/shared/corpus/dockerfile';
for (const repo of fs.readdirSync(root)) for (const f of fs.readdirSync(path.join(root, repo))) {
  const t = fs.readFileSync(path.join(root, repo, f), 'utf8');
  const g = t.split('\n').filter(l => /^\s*FROM/i.test(l)).length;
  const n = DockerfileParser.parse(t).getFROMs().length;
  if (g !== n) console.log(repo, f, g, n);
}
