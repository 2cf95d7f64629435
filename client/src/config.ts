// A typed view over the `imageTrust.*` settings.
import * as vscode from 'vscode';
import { DEFAULT_SETTINGS, SECTION, type ImageTrustSettings } from '../../server/src/protocol';

export function readSettings(): ImageTrustSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const out = { ...DEFAULT_SETTINGS } as Record<string, unknown>;
  for (const key of Object.keys(DEFAULT_SETTINGS)) {
    const v = c.get(key);
    if (v !== undefined) out[key] = v;
  }
  return out as unknown as ImageTrustSettings;
}
