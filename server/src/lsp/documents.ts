// Per-document analysis, computed once per document version (glue over the core).
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeText, type Analysis } from '../core/analyze';
import { IncrementalExtractor } from '../core/incremental';
import type { Finding } from '../core/findings';
import { gitlabIncludedFiles, gitlabProjectRoot } from '../core/gitlab-includes';
import { chartOfTemplate, detectKind } from '../core/kinds';
import { LineIndex } from '../core/positions';
import type { FileKind } from '../core/types';
import type { ImageTrustSettings } from '../protocol';

/** How much of an over-limit document is looked at to tell its kind (Kubernetes files say so in their first lines). */
const SNIFF_PREFIX_CHARS = 64 * 1024;

export interface DocumentAnalysis {
  uri: string;
  version: number;
  kind: FileKind | null;
  analysis: Analysis | null;
  /** Findings about the file as a whole (too large, analysis failed); reference findings come from core/assess. */
  findings: Finding[];
  lines: LineIndex;
}

function fsPathOf(uri: string): string | null {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : null;
  } catch {
    return null;
  }
}

export class DocumentAnalyses {
  private readonly cache = new Map<string, DocumentAnalysis>();
  /** Chart.yaml presence per folder, looked up once (not on every keystroke). */
  private readonly chartDirs = new Map<string, boolean>();
  /** Per document: the cached per-YAML-document extraction, and the kind once known (content sniffing is not free). */
  private readonly extractors = new Map<string, IncrementalExtractor>();
  private readonly kinds = new Map<string, FileKind>();
  /** `Chart.yaml` presence by path, for chart templates (looked up once per folder). */
  private readonly chartFiles = new Map<string, boolean>();
  /** Files each GitLab project includes locally, with the `.gitlab-ci.yml` modification time they were read at. */
  private readonly gitlabProjects = new Map<string, { mtimeMs: number; included: Set<string> }>();

  constructor(private settings: () => ImageTrustSettings, private workspaceRoots: () => string[]) {}

  private hasChartYaml(fsPath: string | null): boolean {
    if (!fsPath) return false;
    const dir = dirname(fsPath);
    let v = this.chartDirs.get(dir);
    if (v === undefined) {
      v = existsSync(join(dir, 'Chart.yaml'));
      this.chartDirs.set(dir, v);
    }
    return v;
  }

  private isChartTemplate(fsPath: string | null): boolean {
    if (!fsPath) return false;
    return (
      chartOfTemplate(fsPath, (file) => {
        let v = this.chartFiles.get(file);
        if (v === undefined) this.chartFiles.set(file, (v = existsSync(file)));
        return v;
      }) !== null
    );
  }

  /** Whether the file's GitLab project (the `.gitlab-ci.yml` above it) includes it with `include: local`. */
  private isGitlabIncluded(fsPath: string | null): boolean {
    if (!fsPath || !/\.ya?ml$/i.test(fsPath)) return false;
    const root = gitlabProjectRoot(dirname(fsPath));
    if (!root) return false;
    let mtimeMs = 0;
    try {
      mtimeMs = statSync(join(root, '.gitlab-ci.yml')).mtimeMs;
    } catch {
      return false;
    }
    let project = this.gitlabProjects.get(root);
    if (!project || project.mtimeMs !== mtimeMs) this.gitlabProjects.set(root, (project = { mtimeMs, included: gitlabIncludedFiles(root) }));
    return project.included.has(fsPath);
  }

  private relativePath(fsPath: string | null, uri: string): string {
    if (!fsPath) return uri;
    for (const root of this.workspaceRoots()) {
      if (fsPath.startsWith(root + '/')) return fsPath.slice(root.length + 1);
    }
    return fsPath;
  }

  get(uri: string): DocumentAnalysis | undefined {
    return this.cache.get(uri);
  }

  all(): DocumentAnalysis[] {
    return [...this.cache.values()];
  }

  forget(uri: string): void {
    this.cache.delete(uri);
    this.extractors.delete(uri);
    this.kinds.delete(uri);
  }

  invalidateAll(): void {
    this.cache.clear();
    this.chartDirs.clear();
    this.chartFiles.clear();
    this.gitlabProjects.clear();
    this.kinds.clear();
  }

  analyze(uri: string, version: number, text: string): DocumentAnalysis {
    const cached = this.cache.get(uri);
    if (cached && cached.version === version) return cached;
    const settings = this.settings();
    const fsPath = fsPathOf(uri);
    const lines = new LineIndex(text);
    const path = fsPath ?? new URL(uri).pathname;
    const tooLarge = text.length > settings.maxFileSizeKB * 1024;
    // Sniffing parses the YAML, so a file over the limit is sniffed by a bounded prefix only (a 50 MB YAML file of no
    // known kind kept the server busy for 100 s before its size was even looked at).
    const kind =
      this.kinds.get(uri) ??
      detectKind(path, tooLarge ? text.slice(0, SNIFF_PREFIX_CHARS) : text, {
        hasChartYaml: this.hasChartYaml(fsPath),
        chartTemplate: this.isChartTemplate(fsPath),
        gitlabIncluded: this.isGitlabIncluded(fsPath),
        extraGlobs: settings.files,
        relativePath: this.relativePath(fsPath, uri),
      });
    if (kind) this.kinds.set(uri, kind);
    let result: DocumentAnalysis;
    if (!kind) {
      result = { uri, version, kind: null, analysis: null, findings: [], lines };
    } else if (tooLarge) {
      const finding: Finding = {
        code: 'file-too-large',
        severity: 'information',
        message: `Image Trust skipped this file: ${Math.round(text.length / 1024)} KB is over the ${settings.maxFileSizeKB} KB limit (setting imageTrust.maxFileSizeKB).`,
        range: { start: 0, end: 0 },
      };
      result = { uri, version, kind, analysis: null, findings: [finding], lines };
    } else {
      try {
        let extractor = this.extractors.get(uri);
        if (!extractor) this.extractors.set(uri, (extractor = new IncrementalExtractor()));
        const analysis = analyzeText(text, kind, (t, k) => extractor.extract(t, k));
        result = { uri, version, kind, analysis, findings: [], lines: analysis.lines };
      } catch (err) {
        // A crash in one document's analysis never takes the server down: it becomes one diagnostic.
        const finding: Finding = {
          code: 'analysis-failed',
          severity: 'error',
          message: `Image Trust could not analyze this file: ${(err as Error).message}`,
          range: { start: 0, end: 0 },
        };
        result = { uri, version, kind, analysis: null, findings: [finding], lines };
      }
    }
    this.cache.set(uri, result);
    return result;
  }
}
