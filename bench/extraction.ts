// Extraction time over ../shared/corpus and a generated 20,000-line manifest, against the floor of `yaml` alone
// (and `dockerfile-ast` alone for Dockerfiles) parsing the same input. Target ≤ 1.5× the floor.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DockerfileParser } from 'dockerfile-ast';
import { parseTree } from 'jsonc-parser';
import { parseAllDocuments } from 'yaml';
import { extractRefs } from '../server/src/core/analyze';
import type { FileKind } from '../server/src/core/types';
import { walk } from '../server/src/core/workspace';
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

/**
 * The parse floor per kind: what reading the text at all costs. YAML kinds: `yaml` parsing every document; a
 * Dockerfile: `dockerfile-ast`; a dev container: `jsonc-parser` building its syntax tree (as `yaml` does); a Helm
 * template (not YAML until rendered): what parsing a Go template at least is — every action found and tokenized,
 * the text between actions cut into lines.
 */
function floorFor(kind: FileKind, text: string): void {
  if (kind === 'dockerfile') DockerfileParser.parse(text);
  else if (kind === 'devcontainer') parseTree(text, [], { allowTrailingComma: true });
  else if (kind === 'helm-template') templateFloor(text);
  else parseAllDocuments(text);
}

let sink = 0;
const ACTION = /\{\{-?([\s\S]*?)-?\}\}/g;
const ACTION_TOKEN = /"(?:[^"\\]|\\.)*"|`[^`]*`|\$?[\w.]+|[|()]/g;
function templateFloor(text: string): void {
  let tokens = 0;
  let lines = 0;
  let last = 0;
  ACTION.lastIndex = 0;
  for (let m = ACTION.exec(text); m; m = ACTION.exec(text)) {
    for (let i = text.indexOf('\n', last); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) lines++;
    ACTION_TOKEN.lastIndex = 0;
    for (let t = ACTION_TOKEN.exec(m[1]); t; t = ACTION_TOKEN.exec(m[1])) tokens++;
    last = ACTION.lastIndex;
  }
  sink += tokens + lines;
}

// ---- issue 12 kinds: the real-world fixtures, and one generated large file per kind ----------------------------

function generateWorkflow(lines: number): string {
  const jobs: string[] = ['name: CI', 'on: [push, pull_request]', 'jobs:'];
  for (let n = 0; jobs.length < lines; n++) {
    jobs.push(
      `  job-${n}:`,
      `    runs-on: ubuntu-latest`,
      `    container: ghcr.io/acme/builder-${n % 50}:1.${n % 9} # build image`,
      `    services:`,
      `      db:`,
      `        image: "postgres:1${n % 7}-alpine"`,
      `      cache:`,
      `        image: redis:\${{ matrix.redis }}`,
      `    steps:`,
      `      - uses: actions/checkout@v4`,
      `      - name: Lint ${n}`,
      `        uses: docker://hadolint/hadolint:v2.12.${n % 5}`,
      `        with: { args: "hadolint Dockerfile" }`,
      `      - run: make test JOB=${n}`,
    );
  }
  return `${jobs.join('\n')}\n`;
}

function generateGitlab(lines: number): string {
  const out: string[] = ['variables:', '  BASE_IMAGE: registry.example.com/base:2024.1', '  PG: "16"', 'stages: [build, test]'];
  for (let n = 0; out.length < lines; n++) {
    out.push(
      `job-${n}:`,
      `  stage: test`,
      `  image: $BASE_IMAGE`,
      `  services:`,
      `    - name: postgres:\${PG}-alpine`,
      `      alias: db`,
      `    - redis:7.${n % 4}`,
      `  variables:`,
      `    JOB_IMAGE: node:${18 + (n % 4)}-bookworm`,
      `  script:`,
      `    - echo ${n}`,
    );
  }
  return `${out.join('\n')}\n`;
}

function generateDevcontainer(features: number): string {
  const out = ['{', '  // generated', '  "image": "mcr.microsoft.com/devcontainers/base:ubuntu",', '  "features": {'];
  for (let n = 0; n < features; n++) out.push(`    "ghcr.io/acme/features/tool-${n}:${n % 3}": { "version": "${n}" }, /* ${n} */`);
  out.push('  },', '  "customizations": { "vscode": { "extensions": ["ms-python.python"] } },', '}');
  return `${out.join('\n')}\n`;
}

/**
 * Chart templates in the shape `helm create` writes (one image per Deployment, read from `.Values`), with a literal
 * sidecar in every fourth; `dense` puts three images in every 40 lines (a `with` block, a literal), a worst case.
 */
function generateTemplate(lines: number, dense = false): string {
  const out: string[] = [];
  for (let n = 0; out.length < lines; n++) {
    out.push(
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      `  name: {{ include "app.fullname" . }}-${n}`,
      '  labels:',
      '    {{- include "app.labels" . | nindent 4 }}',
      'spec:',
      '  {{- if not .Values.autoscaling.enabled }}',
      '  replicas: {{ .Values.replicaCount }}',
      '  {{- end }}',
      '  template:',
      '    spec:',
      '      {{- with .Values.imagePullSecrets }}',
      '      imagePullSecrets:',
      '        {{- toYaml . | nindent 8 }}',
      '      {{- end }}',
      '      containers:',
      '        - name: {{ .Chart.Name }}',
      '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"',
      '          imagePullPolicy: {{ .Values.image.pullPolicy }}',
      '          ports:',
      '            - name: http',
      '              containerPort: {{ .Values.service.port }}',
      '              protocol: TCP',
    );
    if (dense) {
      out.push(`        {{- with .Values.sidecar${n % 5} }}`, '        - name: side', '          image: {{ .repository }}:{{ .tag }}', '        {{- end }}', '        - name: lit', `          image: busybox:1.${n % 37}`);
    } else {
      if (n % 4 === 0) out.push('        - name: exporter', `          image: quay.io/prometheus/nginx-exporter:v1.${n % 9}.0 # literal`);
      out.push('          resources:', '            {{- toYaml .Values.resources | nindent 12 }}', '          livenessProbe:', '            httpGet:', '              path: /', '              port: http');
    }
  }
  return `${out.join('\n')}\n`;
}

/** A 20,000-line manifest in which every tenth document has Argo's under-indented multi-line string (lenient reading). */
function generateBrokenManifest(lines: number): string {
  return generateManifest(lines)
    .split('---\n')
    .map((doc, i) => (i % 10 === 0 ? doc.replace('args: ["--port", "8080", "--name",', 'args: ["\n            --port 8080\n          ", "--name",') : doc))
    .join('---\n');
}

/** How many repetitions make `fn` take about `targetMs`, so that small workloads are not timed at the clock's grain. */
function repetitionsFor(fn: () => void, targetMs = 40): number {
  fn();
  const t0 = performance.now();
  fn();
  const one = Math.max(performance.now() - t0, 0.01);
  return Math.max(1, Math.min(5000, Math.ceil(targetMs / one)));
}

/** Floor and extraction of `texts` of one kind, each repeated to a measurable time; prints three rows. */
function measureKind(label: string, kind: FileKind, texts: string[], target: boolean): void {
  const n = repetitionsFor(() => texts.forEach((t) => floorFor(kind, t)));
  let refs = 0;
  const { floor, measured } = timePair(
    () => {
      for (let i = 0; i < n; i++) for (const t of texts) floorFor(kind, t);
    },
    () => {
      refs = 0;
      for (let i = 0; i < n; i++) for (const t of texts) refs += extractRefs(t, kind).length;
    },
    9,
    2,
  );
  const reps = n > 1 ? ` (×${n})` : '';
  row(`${label}: ${refs / n} references${reps}`, `${measured.toFixed(1)} ms`);
  row(`${label}: floor`, `${floor.toFixed(1)} ms`);
  row(`${label}: ratio`, ratio(measured, floor), target ? `target ≤ 1.5×  ${verdict(measured / floor <= 1.5)}` : 'no target (worst case)');
}

function benchNewKinds(): void {
  const fixtures = walk([resolve(__dirname, '..', 'test', 'fixtures', 'real-world')]).files;
  const big: Record<string, [string, string]> = {
    'github-actions': ['20,000-line workflow', generateWorkflow(20_000)],
    'gitlab-ci': ['20,000-line .gitlab-ci.yml', generateGitlab(20_000)],
    devcontainer: ['devcontainer.json with 5,000 Features', generateDevcontainer(5_000)],
    'helm-template': ['20,000 lines of chart templates', generateTemplate(20_000)],
  };
  for (const kind of ['github-actions', 'gitlab-ci', 'devcontainer', 'helm-template'] as FileKind[]) {
    const inputs = fixtures.filter((f) => f.kind === kind).map((f) => f.text);
    measureKind(`${kind} fixtures (${inputs.length} files)`, kind, inputs, true);
    measureKind(`${kind} ${big[kind][0]}`, kind, [big[kind][1]], true);
  }
  // Not a target: three images in every 40 template lines (real charts have one in 100 or more).
  measureKind('helm-template, image-dense worst case', 'helm-template', [generateTemplate(20_000, true)], false);
  const broken = generateBrokenManifest(20_000);
  const lenient = extractRefs(broken, 'kubernetes').filter((r) => r.lenient).length;
  const b = timePair(
    () => parseAllDocuments(broken),
    () => extractRefs(broken, 'kubernetes'),
    5,
    1,
  );
  row(`20,000 lines, every 10th document broken: ${lenient} read leniently`, `${b.measured.toFixed(1)} ms`);
  row('20,000 lines with broken documents: floor (yaml alone)', `${b.floor.toFixed(1)} ms`);
  row('20,000 lines with broken documents: ratio', ratio(b.measured, b.floor), `target ≤ 1.5×  ${verdict(b.measured / b.floor <= 1.5)}`);
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
  benchNewKinds();
}
