// `image-trust <command> --help`: one command's usage, cut from the one USAGE text (args.ts) so the two never
// disagree: the command's line of the command list and its `Options (<command>):` section.
import { USAGE } from './args';

const COMMAND_LINE = /^ {2}(\S+) \[paths…\]\s+(.*)$/;

/** The commands USAGE lists, in its order. */
export function listedCommands(usage = USAGE): string[] {
  const out: string[] = [];
  for (const line of usage.split('\n')) {
    const m = COMMAND_LINE.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** The lines of `Options (<command>):` up to the next section or the closing `-h, --help` line. */
function optionSection(command: string, lines: string[]): string[] {
  const start = lines.findIndex((l) => l.startsWith(`Options (${command}):`));
  if (start < 0) return [];
  const out: string[] = [];
  const first = lines[start]!.slice(`Options (${command}):`.length).trim();
  if (first) out.push(`  ${first}`);
  for (const line of lines.slice(start + 1)) {
    if (/^Options \(/.test(line) || /^ {2}-h, --help/.test(line)) break;
    out.push(line);
  }
  return out;
}

/** Help for one command, or undefined when USAGE does not list it. */
export function commandHelp(command: string, usage = USAGE): string | undefined {
  const lines = usage.split('\n');
  const listed = lines.map((l) => COMMAND_LINE.exec(l)).find((m) => m?.[1] === command);
  if (!listed) return undefined;
  const options = optionSection(command, lines);
  return [
    `Usage: image-trust ${command} [options] [paths…]`,
    '',
    `  ${listed[2]}`,
    '',
    'Options:',
    ...(options.length ? options : ['  (none besides the common ones below)']),
    '  -h, --help                  show this help',
    '',
    'Docs: https://github.com/image-trust/image-trust#cli — all commands: image-trust --help',
  ].join('\n');
}

/** `image-trust --help` (or `help`) and `image-trust <command> --help`. */
export function helpText(topic?: string): string {
  if (topic) {
    const one = commandHelp(topic);
    if (one) return one;
  }
  return `${USAGE}\n\nOne command's options: image-trust <command> --help (e.g. image-trust scan --help).`;
}
