// lsp/updateCommands.ts, the parts that need no registry: a cancelled "Update All Pins in Workspace" changes nothing,
// and offline or in Restricted Mode it asks nothing. (Accepted and refused updates against a real registry:
// test/integration/lsp-update.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Connection } from 'vscode-languageserver';
import { analyzeText } from '../../server/src/core/analyze';
import { defaultPolicy } from '../../server/src/core/policy';
import { DEFAULT_SETTINGS } from '../../server/src/protocol';
import type { PinCommands, Target } from '../../server/src/lsp/pinCommands';
import type { ResolutionService } from '../../server/src/lsp/resolution';
import { UpdateCommands } from '../../server/src/lsp/updateCommands';

const DIGEST = `sha256:${'1'.repeat(64)}`;

function fakes(opts: { cancelAtOnce: boolean }) {
  const calls = { applyEdit: 0, warnings: [] as string[], infos: [] as string[], registry: 0 };
  const reporter = {
    begin() {},
    report() {},
    done() {},
    token: { onCancellationRequested: (cb: () => void) => (opts.cancelAtOnce ? cb() : undefined) },
  };
  const connection = {
    window: {
      createWorkDoneProgress: async () => reporter,
      showWarningMessage: (m: string) => void calls.warnings.push(m),
      showInformationMessage: (m: string) => void calls.infos.push(m),
    },
    workspace: {
      applyEdit: async () => {
        calls.applyEdit++;
        return { applied: true };
      },
    },
  } as unknown as Connection;
  const text = `services:\n  web:\n    image: registry.example/app:1.0@${DIGEST}\n`;
  const a = analyzeText(text, 'compose');
  const target: Target = { uri: 'file:///ws/compose.yaml', version: 3, text, kind: 'compose', refs: a.refs, lines: a.lines };
  const pins = { workspaceTargets: () => [target] } as unknown as PinCommands;
  // Any registry call fails the test: a cancelled or offline run must not ask.
  const registry = new Proxy({}, { get: () => () => { calls.registry++; throw new Error('the registry was asked'); } });
  const resolutions = { registry } as unknown as ResolutionService;
  const env = { policy: () => ({ policy: defaultPolicy(), broken: false, diagnostics: [], hash: 'h' }), settings: () => DEFAULT_SETTINGS, relativePath: (u: string) => u, trusted: true };
  return { calls, connection, pins, resolutions, env };
}

describe('Update All Pins in Workspace', () => {
  test('cancelled from the progress: nothing is asked and nothing is written', async () => {
    const f = fakes({ cancelAtOnce: true });
    const result = await new UpdateCommands(f.connection, f.pins, f.resolutions, f.env).updateWorkspace();
    assert.equal(result.cancelled, true);
    assert.equal(result.updated, 0);
    assert.equal(f.calls.applyEdit, 0);
    assert.equal(f.calls.registry, 0);
  });

  test('offline or in Restricted Mode: said, nothing asked, nothing written', async () => {
    for (const [settings, trusted] of [[{ ...DEFAULT_SETTINGS, offline: true }, true], [DEFAULT_SETTINGS, false]] as const) {
      const f = fakes({ cancelAtOnce: false });
      const result = await new UpdateCommands(f.connection, f.pins, f.resolutions, { ...f.env, settings: () => settings, trusted }).updateWorkspace();
      assert.deepEqual([result.updated, result.applied, f.calls.applyEdit, f.calls.registry], [0, false, 0, 0]);
      assert.match(f.calls.infos[0], /updating pins asks the registry, which is off here/);
    }
  });
});
