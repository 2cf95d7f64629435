// Helm chart templates in the editor: the chart's values.yaml and Chart.yaml for a template, read from the open
// document when there is one, else from disk (cached by modification time). Glue over core/helm-links.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { linkValues, readChart, type ChartInfo, type ValuesSupply } from '../core/helm-links';
import { chartOfTemplate } from '../core/kinds';
import { LineIndex } from '../core/positions';
import type { ImageRef } from '../core/types';

export interface ChartValues {
  /** The chart's values.yaml. */
  uri: string;
  lines: LineIndex;
  supply: ValuesSupply;
}

interface CachedFile {
  mtimeMs: number;
  text: string;
}

export class HelmValues {
  private readonly files = new Map<string, CachedFile>();

  /** `openText(uri)`: the text of an open document (unsaved edits count), or undefined. */
  constructor(private readonly openText: (uri: string) => string | undefined) {}

  /** What the chart's values.yaml supplies for a template reference; null when there is nothing to link. */
  supply(templateUri: string, ref: ImageRef): ChartValues | null {
    if (ref.kind !== 'helm-template' || !ref.values?.length) return null;
    let fsPath: string;
    try {
      fsPath = fileURLToPath(templateUri);
    } catch {
      return null;
    }
    const chartDir = chartOfTemplate(fsPath, existsSync);
    if (!chartDir) return null;
    const valuesPath = join(chartDir, 'values.yaml');
    const uri = pathToFileURL(valuesPath).toString();
    const values = this.read(uri, valuesPath);
    if (values === null) return null;
    const chartText = this.read(pathToFileURL(join(chartDir, 'Chart.yaml')).toString(), join(chartDir, 'Chart.yaml'));
    const chart: ChartInfo = chartText === null ? {} : readChart(chartText);
    const supply = linkValues(ref, values, chart);
    return supply ? { uri, lines: new LineIndex(values), supply } : null;
  }

  private read(uri: string, fsPath: string): string | null {
    const open = this.openText(uri);
    if (open !== undefined) return open;
    try {
      const st = statSync(fsPath);
      if (!st.isFile() || st.size > 5 * 1024 * 1024) return null;
      const cached = this.files.get(fsPath);
      if (cached && cached.mtimeMs === st.mtimeMs) return cached.text;
      const text = readFileSync(fsPath, 'utf8').replace(/^\uFEFF/, '');
      this.files.set(fsPath, { mtimeMs: st.mtimeMs, text });
      return text;
    } catch {
      return null;
    }
  }
}
