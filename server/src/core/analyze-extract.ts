// Extraction dispatch by file kind (kept apart from classification so incremental extraction can reuse it).
import { extractCompose } from './extract/compose';
import { extractDockerfile } from './extract/dockerfile';
import { extractHelmValues } from './extract/helm-values';
import { extractKubernetes } from './extract/kubernetes';
import { extractKustomize } from './extract/kustomize';
import type { FileKind, RawRef } from './types';

const EXTRACTORS: Record<FileKind, (text: string) => RawRef[]> = {
  kubernetes: extractKubernetes,
  dockerfile: extractDockerfile,
  'helm-values': extractHelmValues,
  compose: extractCompose,
  kustomize: extractKustomize,
};

export function extractRefs(text: string, kind: FileKind): RawRef[] {
  return EXTRACTORS[kind](text);
}

