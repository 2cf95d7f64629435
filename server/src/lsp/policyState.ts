// The trust policy in force for the workspace: `.image-trust.yaml` (setting `imageTrust.policyPath`) at the first
// workspace root, read from the open editor when it is open (live), else from disk. Broken → fail closed.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPolicy } from '../core/policy';
import { applySettings, type AssessmentSettings } from '../core/assess';
import { loadPolicyFile, policyFileFindings, type LoadedPolicyFile } from '../core/policy-file';
import { LineIndex } from '../core/positions';
import type { Finding } from '../core/findings';

export class PolicyState {
  private loaded: LoadedPolicyFile | undefined;
  constructor(private readonly policyPath: () => string | null) {}

  /** Absolute path of the policy file, or null without a workspace folder. */
  get path(): string | null {
    return this.policyPath();
  }

  get uri(): string | null {
    const p = this.path;
    return p ? pathToFileURL(p).toString() : null;
  }

  current(): LoadedPolicyFile {
    if (!this.loaded) this.reloadFromDisk();
    return this.loaded!;
  }

  reloadFromDisk(): void {
    const p = this.path;
    this.loaded = p ? loadPolicyFile(p) : loadPolicyFile('/nonexistent/.image-trust.yaml');
  }

  /** The policy document is open in the editor: its unsaved text is the policy. */
  reloadFromText(text: string): void {
    const p = this.path!;
    this.loaded = { path: p, text, result: loadPolicy(text, { policyPath: p, readFile: (f) => readFileSync(f, 'utf8') }) };
  }

  /** Diagnostics of the policy file itself (as findings with offsets into its text), settings applied. */
  findings(settings: AssessmentSettings = {}): { lines: LineIndex; findings: Finding[] } | null {
    const l = this.current();
    if (l.text === null) return null;
    const findings = policyFileFindings(l, new Date())
      .map((f) => applySettings(f, undefined, settings))
      .filter((f): f is Finding => f !== null);
    return { lines: new LineIndex(l.text), findings };
  }
}

export function policyPathFor(root: string | undefined, setting: string): string | null {
  if (!root) return isAbsolute(setting) ? setting : null;
  return isAbsolute(setting) ? setting : join(root, setting);
}
