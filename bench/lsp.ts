// Diagnostics latency after a one-character edit in a 20,000-line manifest (target < 150 ms, debounce included),
// and the language server's resident memory.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';
import { generateManifest } from './extraction';
import { percentile, row, verdict } from './util';

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export async function benchLsp(): Promise<void> {
  console.log('Language server');
  const floorStart = performance.now();
  spawnSync(process.execPath, ['-e', '']);
  const floorMs = performance.now() - floorStart;
  const spawnedAt = performance.now();
  const server = spawn(process.execPath, [resolve(__dirname, '..', 'dist', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  let onPublish: ((p: PublishDiagnosticsParams) => void) | undefined;
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => onPublish?.(p));
  conn.listen();
  try {
    // Offline: this measures the typing path, not registries.
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { settings: { offline: true } } });
    const startMs = performance.now() - spawnedAt;
    row('start until `initialize` is answered', `${startMs.toFixed(1)} ms`, `floor: a bare node process ${floorMs.toFixed(1)} ms (${(startMs / floorMs).toFixed(2)}×)`);
    await conn.sendNotification('initialized', {});
    const rssIdle = rssMiB(server.pid!);
    const text = generateManifest(20_000);
    const uri = pathToFileURL('/bench/big.yaml').toString();
    const waitFor = (version: number) =>
      new Promise<PublishDiagnosticsParams>((res) => {
        onPublish = (p) => {
          if (p.uri === uri && p.version === version) res(p);
        };
      });
    let pending = waitFor(1);
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    const first = await pending;
    const latencies: number[] = [];
    const WARMUP = 5; // the first edits after opening also warm up the JIT; they are reported apart
    const warmup: number[] = [];
    for (let v = 2; v <= 21 + WARMUP; v++) {
      pending = waitFor(v);
      const t0 = performance.now();
      // One character typed into a comment-free spot: the `replicas: 3` value of the first document.
      await conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: v },
        contentChanges: [{ range: { start: { line: 6, character: 12 }, end: { line: 6, character: 13 } }, text: String(v % 10) }],
      });
      await pending;
      (v < 2 + WARMUP ? warmup : latencies).push(performance.now() - t0);
    }
    const rss = rssMiB(server.pid!);
    row(`first ${WARMUP} edits after opening (JIT warm-up), median`, `${percentile(warmup, 50).toFixed(1)} ms`);
    row(`diagnostics after a one-character edit (${first.diagnostics.length} diagnostics), median`, `${percentile(latencies, 50).toFixed(1)} ms`);
    row('  p95 of 20 edits', `${percentile(latencies, 95).toFixed(1)} ms`, `target < 150 ms  ${verdict(percentile(latencies, 95) < 150)}`);
    row('server RSS idle / with the 20,000-line file open', `${rssIdle.toFixed(0)} / ${rss.toFixed(0)} MiB`);
  } finally {
    conn.dispose();
    server.kill();
  }
}
