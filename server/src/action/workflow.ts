// The GitHub Actions runner protocol, as the runner reads it (no @actions/* dependency): inputs from INPUT_*
// variables, workflow commands on stdout (annotations), files for outputs (GITHUB_OUTPUT) and the job summary
// (GITHUB_STEP_SUMMARY). The escaping is the runner's: data escapes %, CR and LF; properties also `:` and `,`.
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';

/** An input as the runner passes it: `INPUT_` + the name upper-cased, spaces as `_` (hyphens stay), trimmed. */
export function getInput(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/** A boolean input: true/True/TRUE or false/False/FALSE (the YAML 1.2 core schema, as @actions/core); else an error. */
export function getBooleanInput(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const v = getInput(env, name);
  if (v === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(v)) return true;
  if (['false', 'False', 'FALSE'].includes(v)) return false;
  throw new Error(`input "${name}" must be true or false (got "${v}")`);
}

/** The message part of a workflow command. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value of a workflow command (`file=…,title=…`). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface AnnotationProperties {
  file?: string;
  line?: number;
  col?: number;
  endLine?: number;
  endColumn?: number;
  title?: string;
}

/** `::warning file=deploy/web.yaml,line=14,col=18,endLine=14,endColumn=33,title=unpinned-tag::Image …` */
export function workflowCommand(level: AnnotationLevel, props: AnnotationProperties, message: string): string {
  const order: (keyof AnnotationProperties)[] = ['file', 'line', 'col', 'endLine', 'endColumn', 'title'];
  const list = order.filter((k) => props[k] !== undefined && props[k] !== '').map((k) => `${k}=${escapeProperty(String(props[k]))}`);
  return `::${level}${list.length ? ` ${list.join(',')}` : ''}::${escapeData(message)}`;
}

/**
 * `name<<DELIMITER\nvalue\nDELIMITER\n`, appended to GITHUB_OUTPUT (or any file in that format, such as GITHUB_ENV):
 * a random delimiter that cannot occur in the value, as the runner requires for multi-line values.
 */
export function fileCommand(name: string, value: string): string {
  if (/[\r\n]|<</.test(name)) throw new Error(`invalid output name ${JSON.stringify(name)}`);
  let delimiter = `ghadelimiter_${randomUUID()}`;
  while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

/** Sets step outputs through GITHUB_OUTPUT; without it (an old runner, a local run) they are not set and it says so. */
export function setOutputs(env: NodeJS.ProcessEnv, outputs: Record<string, string | number>, warn: (line: string) => void): void {
  const file = env.GITHUB_OUTPUT;
  if (!file) {
    warn(workflowCommand('warning', {}, 'GITHUB_OUTPUT is not set: step outputs are not available'));
    return;
  }
  appendFileSync(file, Object.entries(outputs).map(([k, v]) => fileCommand(k, String(v))).join(''), 'utf8');
}

/** Appends markdown to the job summary (GITHUB_STEP_SUMMARY), when the runner provides one. */
export function appendSummary(env: NodeJS.ProcessEnv, markdown: string): boolean {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  appendFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`, 'utf8');
  return true;
}
