import { parseAllDocuments } from 'yaml';
import { extractKubernetes } from './server/src/core/extract/kubernetes';
import { extractHelmValues } from './server/src/core/extract/helm-values';
import { readFileSync } from 'node:fs';
const one = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-N
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      initContainers:
        - name: init
          image: busybox:1.36
          command: ["sh", "-c", "echo hi"]
      containers:
        - name: app
          image: "registry.example.com/team/app:1.2.3"
          ports:
            - containerPort: 8080
          env:
            - name: A
              value: "x"
          resources:
            limits: {cpu: 100m, memory: 128Mi}
---
apiVersion: example.io/v1
kind: Thing
metadata:
  name: t-N
spec:
  steps:
    - name: s
      image: alpine:3.20
      script: |
        echo image: not-this
---
`;
let text = '';
while (text.split('\n').length < 20000) text += one.replaceAll('N', String(text.length));
console.log('lines', text.split('\n').length);
function time(f: () => unknown, n = 30) { const ts: number[] = []; for (let i = 0; i < n; i++) { (globalThis as any).gc?.(); const t = process.cpuUsage(); f(); const d = process.cpuUsage(t); ts.push((d.user + d.system) / 1000); } ts.sort((a, b) => a - b); return ts[0]; }
for (let r = 0; r < 2; r++) {
const p = time(() => parseAllDocuments(text, { prettyErrors: false }));
const e = time(() => extractKubernetes(text));
console.log('k8s parse', p.toFixed(1), 'extract', e.toFixed(1), 'ratio', (e / p).toFixed(2), 'refs', extractKubernetes(text).length);
}
const helm = readFileSync('../shared/corpus/helm-values/bitnami__charts/bitnami__harbor__values.yaml', 'utf8');
const big = Array(5).fill(helm).join('\n---\n');
const p2 = time(() => parseAllDocuments(big, { prettyErrors: false }));
const e2 = time(() => extractHelmValues(big));
console.log('helm lines', big.split('\n').length, 'parse', p2.toFixed(1), 'extract', e2.toFixed(1), 'ratio', (e2 / p2).toFixed(2));
