// Extraction time over ../shared/corpus and a generated 20,000-line manifest, against the floor of `yaml` alone
// (and `dockerfile-ast` alone for Dockerfiles) parsing the same input. Target ≤ 1.5× the floor.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { parseAllDocuments } from 'yaml';
import { extractRefs } from '../server/src/core/analyze';
import type { FileKind } from '../server/src/core/types';
import { ratio, row, timePair, verdict } from './util';

const CORPUS = resolve(__dirname, '..', '..', 'shared', 'corpus');
const FOLDER_KIND: Record<string, FileKind> = { k8s: 'kubernetes', dockerfile: 'dockerfile', 'helm-values': 'helm-values', compose: 'compose', kustomize: 'kustomize' };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

export function generateManifest(lines: number): string {
  const docs: string[] = [];
  let n = 0;
  let count = 0;
  while (count < lines) {
    const doc = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${n}
  labels: { app: app-${n}, tier: "backend" }
spec:
  replicas: 3
  template:
    metadata:
      annotations:
        note: "image: fake:${n} inside a string"
    spec:
      initContainers:
        - name: init
          image: busybox:1.${n % 40}
      containers:
        - name: app
          image: registry.example.com/team/app-${n}:v${n}.0
          args: ["--port", "8080", "--name", "app-${n}"]
          env:
            - { name: MODE, value: production }
        - name: proxy
          image: envoyproxy/envoy@sha256:${(n.toString(16).padStart(8, '0')).repeat(8)}
`;
    docs.push(doc);
    count += doc.split('\n').length;
    n++;
  }
  return docs.join('---\n');
}

function floorFor(kind: FileKind, text: string): void {
  if (kind === 'dockerfile') DockerfileParser.parse(text);
  else parseAllDocuments(text);
}

export function benchExtraction(): void {
  console.log('Extraction (medians of runs alternating with the floor)');
  if (existsSync(CORPUS)) {
    const inputs = Object.entries(FOLDER_KIND).flatMap(([folder, kind]) =>
      existsSync(join(CORPUS, folder)) ? files(join(CORPUS, folder)).map((p) => ({ kind, text: readFileSync(p, 'utf8') })) : [],
    );
    let refs = 0;
    const { floor, measured } = timePair(
      () => inputs.forEach((i) => floorFor(i.kind, i.text)),
      () => {
        refs = 0;
        for (const i of inputs) refs += extractRefs(i.text, i.kind).length;
      },
    );
    row(`corpus: ${inputs.length} files, ${refs} references`, `${measured.toFixed(1)} ms`);
    row('corpus floor: yaml / dockerfile-ast parse alone', `${floor.toFixed(1)} ms`);
    row('corpus ratio', ratio(measured, floor), `target ≤ 1.5×  ${verdict(measured / floor <= 1.5)}`);
  } else {
    row('corpus', 'skipped', '../shared/corpus not present');
  }
  const big = generateManifest(20_000);
  let bigRefs = 0;
  const { floor: bigFloor, measured: bigMeasured } = timePair(
    () => parseAllDocuments(big),
    () => {
      bigRefs = extractRefs(big, 'kubernetes').length;
    },
    5,
    1,
  );
  row(`20,000-line manifest: ${bigRefs} references`, `${bigMeasured.toFixed(1)} ms`);
  row('20,000-line floor: yaml parseAllDocuments alone', `${bigFloor.toFixed(1)} ms`);
  row('20,000-line ratio', ratio(bigMeasured, bigFloor), `target ≤ 1.5×  ${verdict(bigMeasured / bigFloor <= 1.5)}`);
}
