// Activation cost: loading the extension bundle (with a stand-in `vscode` module) and starting the language server
// until it answers `initialize`, each next to the floor of starting a bare Node process in the same run.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { percentile, ratio, row } from './util';

const ROOT = resolve(__dirname, '..');

function nodeMs(script: string): number {
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}

// A stand-in `vscode` whose every member is a harmless callable proxy: enough to load the bundle and measure it.
const STUB = `
const Module = require('module');
const fake = new Proxy(function () {}, { get: (t, k) => (k === 'then' ? undefined : fake), apply: () => fake, construct: () => fake });
const cls = () => class Stub {};
// Every class, enum and namespace the real API declares (from @types/vscode), so bundles that extend them load.
const dts = require('fs').readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8');
const vscode = {};
for (const m of dts.matchAll(/export (class|enum|namespace) (\\w+)/g)) vscode[m[2]] = m[1] === 'class' ? cls() : fake;
const orig = Module._load;
Module._load = function (req, ...rest) { return req === 'vscode' ? vscode : orig.call(this, req, ...rest); };
`;

export function benchActivation(): void {
  console.log('Activation');
  const runs = 5;
  const floor: number[] = [];
  const client: number[] = [];
  for (let i = 0; i < runs; i++) {
    floor.push(nodeMs(`${STUB} const t=performance.now(); require('vscode-languageclient/node'); console.log(performance.now()-t)`));
    client.push(nodeMs(`${STUB} const t=performance.now(); require('./dist/client.js'); console.log(performance.now()-t)`));
  }
  const size = (f: string) => `${(statSync(resolve(ROOT, 'dist', f)).size / 1024).toFixed(0)} KiB`;
  row(`extension bundle load (dist/client.js, ${size('client.js')}), median`, `${percentile(client, 50).toFixed(1)} ms`);
  row('floor: vscode-languageclient alone (unbundled, from node_modules)', `${percentile(floor, 50).toFixed(1)} ms`, ratio(percentile(client, 50), Math.max(percentile(floor, 50), 0.01)));
  row(`language server bundle size`, size('server.js'), 'start-up time: see "Language server" below');
}
