// Detects template syntax left in a value: Helm/Go templates (`{{ … }}`), shell/compose/Dockerfile variables
// (`${VAR}`, `$VAR`) that were not substituted. Such a value is reported as templated, never as invalid.

const GO_TEMPLATE = /\{\{[\s\S]*?\}\}/;
const SHELL_VAR = /\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)/;

export function isTemplated(value: string): boolean {
  return GO_TEMPLATE.test(value) || SHELL_VAR.test(value) || value.includes('{{');
}
