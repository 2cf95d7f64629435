// Extraction dispatch by file kind (kept apart from classification so incremental extraction can reuse it).
import { extractComposeWithErrors } from './extract/compose';
import { extractDevcontainerWithErrors } from './extract/devcontainer';
import { extractDockerfile } from './extract/dockerfile';
import { extractGithubActionsWithErrors } from './extract/github-actions';
import { extractGitlabCiWithErrors } from './extract/gitlab-ci';
import { extractHelmTemplate } from './extract/helm-template';
import { extractHelmValuesWithErrors } from './extract/helm-values';
import { extractKubernetesWithErrors } from './extract/kubernetes';
import { extractKustomizeWithErrors } from './extract/kustomize';
import type { YamlExtraction } from './extract/yaml-util';
import type { FileKind, RawRef } from './types';

/** References found, plus the problems (YAML documents that could not be read) that may hide more. */
export type Extraction = YamlExtraction;

const EXTRACTORS: Record<FileKind, (text: string) => Extraction> = {
  kubernetes: extractKubernetesWithErrors,
  dockerfile: (text) => ({ refs: extractDockerfile(text), errors: [] }),
  'helm-values': extractHelmValuesWithErrors,
  compose: extractComposeWithErrors,
  kustomize: extractKustomizeWithErrors,
  'github-actions': extractGithubActionsWithErrors,
  'gitlab-ci': extractGitlabCiWithErrors,
  devcontainer: extractDevcontainerWithErrors,
  'helm-template': (text) => ({ refs: extractHelmTemplate(text), errors: [] }),
};

export function extractWithProblems(text: string, kind: FileKind): Extraction {
  return EXTRACTORS[kind](text);
}

export function extractRefs(text: string, kind: FileKind): RawRef[] {
  return EXTRACTORS[kind](text).refs;
}
