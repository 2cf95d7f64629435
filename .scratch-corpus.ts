import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractKubernetesWithErrors } from './server/src/core/extract/kubernetes';
import { extractHelmValuesWithErrors } from './server/src/core/extract/helm-values';
import { extractComposeWithErrors } from './server/src/core/extract/compose';
import { extractKustomizeWithErrors } from './server/src/core/extract/kustomize';
const fns: any = { k8s: extractKubernetesWithErrors, 'helm-values': extractHelmValuesWithErrors, compose: extractComposeWithErrors, kustomize: extractKustomizeWithErrors };
const root = '../shared/corpus';
const kind = process.argv[2]; const verbose = process.argv[3];
for (const k of kind ? [kind] : Object.keys(fns)) {
  let n = 0, files = 0, errs = 0, bad = 0, templ = 0, pinned = 0;
  for (const repo of readdirSync(join(root, k))) for (const f of readdirSync(join(root, k, repo))) {
    const text = readFileSync(join(root, k, repo, f), 'utf8'); files++;
    const r = fns[k](text);
    n += r.refs.length; if (r.errors.length) { errs++; console.log('ERR', repo, f, r.errors.map((e: any) => e.message).slice(0,2)); }
    for (const ref of r.refs) { if (text.slice(ref.range.start, ref.range.end) !== ref.text) bad++; if (ref.templated) templ++; if (ref.reference.includes('@')) pinned++;
      if (verbose && (verbose === 'all' || f.includes(verbose))) console.log(`${repo}/${f}\t${JSON.stringify(ref.text)}\t${ref.reference}\t${ref.templated?'T':''}\t${ref.context}\t${ref.pin ? JSON.stringify(ref.pin) : ''}`); }
  }
  console.log(k, { files, refs: n, errFiles: errs, bad, templ, pinned });
}
