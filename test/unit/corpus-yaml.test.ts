// Runs the YAML extractors over the shared corpus of real files (../shared/corpus/<kind>/<owner>__<repo>/<path>).
//
// Lower bounds are ~90% of what was observed when this test was written (k8s 148, helm-values 183, compose 245,
// kustomize 47 references). How the observed numbers were checked:
// - k8s: every extracted reference was listed and compared per file with the `image:` lines of the corpus (174). All
//   differences were right: images inside string values (ConfigMap data in kubeflow's istio install and katib trial
//   templates, Argo `resource.manifest` strings, istio injection templates), Argo loop items `{image: debian}` found
//   by the any-depth rule for CRDs, and 5 documents the yaml library rejects (2 Argo examples with under-indented
//   multi-line flow strings, 3 OpenShift examples with duplicate keys), which yield nothing and report the error.
// - helm-values: every `repository:` line was compared with the blocks found; the differences were `repository:`
//   inside comments and `repository: null` overrides (loki/tempo-distributed). Sampled Bitnami blocks get
//   `docker.io/<repo>:<tag>` with a digest pin site at the empty `digest: ""`; prometheus-community and grafana
//   blocks with `tag: ""`/`tag: null` are templated (chart appVersion); Istio `image: pilot` names are templated.
// - compose: every `image:` line (246) matched a service image except one volume `image:` mapping (not an image).
// - kustomize: every images[] entry with newTag or digest (47) was found; rename-only entries are not reported.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { extractComposeWithErrors } from '../../server/src/core/extract/compose';
import { extractHelmValuesWithErrors } from '../../server/src/core/extract/helm-values';
import { extractKubernetesWithErrors } from '../../server/src/core/extract/kubernetes';
import { extractKustomizeWithErrors } from '../../server/src/core/extract/kustomize';
import type { YamlExtraction } from '../../server/src/core/extract/yaml-util';
import { assertRangesHold } from '../support/extract-yaml';

const CORPUS = path.resolve(process.cwd(), '../shared/corpus');

const KINDS: { dir: string; extract: (text: string) => YamlExtraction; minRefs: number; maxErrorFiles: number }[] = [
  { dir: 'k8s', extract: extractKubernetesWithErrors, minRefs: 133, maxErrorFiles: 5 },
  { dir: 'helm-values', extract: extractHelmValuesWithErrors, minRefs: 165, maxErrorFiles: 0 },
  { dir: 'compose', extract: extractComposeWithErrors, minRefs: 220, maxErrorFiles: 0 },
  { dir: 'kustomize', extract: extractKustomizeWithErrors, minRefs: 42, maxErrorFiles: 0 },
];

function corpusFiles(kindDir: string): string[] {
  const root = path.join(CORPUS, kindDir);
  return readdirSync(root, { withFileTypes: true })
    .filter((repo) => repo.isDirectory())
    .flatMap((repo) => readdirSync(path.join(root, repo.name)).map((file) => path.join(root, repo.name, file)));
}

describe('YAML extractors over the shared corpus', { skip: existsSync(CORPUS) ? false : `corpus not found at ${CORPUS}` }, () => {
  for (const kind of KINDS) {
    it(`${kind.dir}: extracts from every file without throwing, with exact ranges`, () => {
      const files = corpusFiles(kind.dir);
      assert.ok(files.length > 0, `no ${kind.dir} files in the corpus`);
      let refs = 0;
      const filesWithErrors: string[] = [];
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        const result = kind.extract(text);
        assertRangesHold(text, result.refs);
        for (const ref of result.refs) assert.ok(ref.reference.trim() !== '', `empty reference in ${file}`);
        refs += result.refs.length;
        if (result.errors.length > 0) filesWithErrors.push(path.relative(CORPUS, file));
      }
      assert.ok(refs >= kind.minRefs, `${kind.dir}: ${refs} references, expected at least ${kind.minRefs}`);
      assert.ok(
        filesWithErrors.length <= kind.maxErrorFiles,
        `${kind.dir}: YAML errors in ${filesWithErrors.length} files: ${filesWithErrors.join(', ')}`,
      );
    });
  }
});
