// Finds the image references of a Dockerfile/Containerfile: `FROM` base images, `COPY|ADD --from=<image>`,
// `RUN --mount=…,from=<image>` and the `# syntax=` frontend image. Build args are substituted the way Docker does:
// global ARGs (before the first FROM) apply to FROM lines, stage-local ARGs to the instructions of their stage.
// A reference taken entirely from one ARG default is reported at that default, since that is where a digest must
// be written; a reference assembled from literal text and ARGs is reported where it is written.

import { DockerfileParser, Add, Arg, Copy, From, Onbuild, Run, Directive } from 'dockerfile-ast';
import type { Dockerfile, Flag, Instruction } from 'dockerfile-ast';
import { LineIndex } from '../positions';
import type { OffsetRange, RawRef } from '../types';
import { expandWord, MAX_EXPANDED_CHARS } from './dockerfile-expand';
import type { ArgOrigin, Binding, Expansion, ExpansionBudget } from './dockerfile-expand';
import { isTemplated } from './templating';

/** `Dockerfile`, `Containerfile`, `Dockerfile.*`, `*.Dockerfile` and the same for Containerfile, any case of the first letter. */
export function isDockerfileName(basename: string): boolean {
  return /^(?:[Dd]ockerfile|[Cc]ontainerfile)(?:\..+)?$/.test(basename) || /^.+\.(?:[Dd]ockerfile|[Cc]ontainerfile)$/.test(basename);
}

/** Extracts every image reference of a Dockerfile. Never throws: a broken file yields what can be found. */
export function extractDockerfile(text: string): RawRef[] {
  let scan: DockerfileScan;
  try {
    scan = new DockerfileScan(text);
  } catch {
    return [];
  }
  return scan.run();
}

interface Stage {
  /** Name as written after AS, or null. */
  name: string | null;
  index: number;
}

/** One place a reference is reported at, with every instruction that uses it. */
interface Site {
  ref: RawRef;
  /** Set when the site is an ARG default: the ARG's name, to say so in the context. */
  argName?: string;
  uses: string[];
}

type Env = Map<string, Binding>;

class DockerfileScan {
  private readonly lines: LineIndex;
  private readonly dockerfile: Dockerfile;
  private readonly escapeChar: string;
  private readonly sites = new Map<string, Site>();
  /** Lower-cased names of all stages, in order: `COPY --from` may name any stage. */
  private readonly allStageNames: Set<string>;
  /** One copy allowance for the whole file, so chained or doubling ARGs cannot blow up memory. */
  private readonly budget: ExpansionBudget = { remaining: MAX_EXPANDED_CHARS };

  constructor(private readonly text: string) {
    // The parser (via its TextDocument) breaks lines at a lone CR, LineIndex does not; turning a lone CR into LF
    // keeps every offset identical while making both agree on line numbers.
    const parseText = text.replace(/\r(?!\n)/g, '\n');
    this.lines = new LineIndex(parseText);
    this.dockerfile = DockerfileParser.parse(parseText);
    this.escapeChar = this.dockerfile.getEscapeCharacter();
    this.allStageNames = new Set(
      this.dockerfile
        .getFROMs()
        .map((f) => f.getBuildStage())
        .filter((n): n is string => n !== null)
        .map((n) => n.toLowerCase()),
    );
  }

  run(): RawRef[] {
    this.guard(() => this.syntaxDirective());
    const globalEnv: Env = new Map();
    let stageEnv: Env | null = null;
    let stage: Stage | null = null;
    const earlierStages = new Set<string>();
    let stageCount = 0;

    for (const instruction of this.safeInstructions()) {
      this.guard(() => {
        if (instruction instanceof From) {
          const index = stageCount++;
          // A FROM whose image cannot be read still opens a stage, so later stages keep their numbers.
          this.guard(() => this.from(instruction, globalEnv, earlierStages, index));
          const name = instruction.getBuildStage();
          stage = { name, index };
          if (name !== null) earlierStages.add(name.toLowerCase());
          stageEnv = new Map();
        } else if (instruction instanceof Arg) {
          this.arg(instruction, stageEnv ?? globalEnv, stageEnv ? globalEnv : null);
        } else if (stage && stageEnv) {
          this.stageInstruction(instruction, stageEnv, stage, '');
        }
      });
    }
    return [...this.sites.values()].map((site) => this.finish(site)).sort((a, b) => a.range.start - b.range.start);
  }

  private safeInstructions(): Instruction[] {
    try {
      return this.dockerfile.getInstructions();
    } catch {
      return [];
    }
  }

  /** Runs one extraction step so that a failure in it loses only that step's references. */
  private guard(step: () => void): void {
    try {
      step();
    } catch {
      // The parser can trip over malformed input; the rest of the file is still worth reporting.
    }
  }

  private syntaxDirective(): void {
    for (const directive of this.dockerfile.getDirectives()) {
      if (directive.getDirective() !== Directive.syntax) continue;
      const range = this.offsets(directive.getValueRange());
      const text = this.text.slice(range.start, range.end);
      if (text === '') continue;
      this.addAtSite(range, { value: text, unresolved: false }, 'syntax directive');
    }
  }

  /** Records an ARG's variables in `env`. In a stage, `ARG X` without a value takes the global default. */
  private arg(instruction: Arg, env: Env, globalEnv: Env | null): void {
    for (const property of instruction.getProperties()) {
      const name = property.getName();
      const valueRange = property.getValueRange();
      if (property.getValue() === null || valueRange === null) {
        env.set(name, globalEnv?.get(name) ?? { value: undefined });
        continue;
      }
      const raw = this.offsets(valueRange);
      const written = property.getUnescapedValue() ?? '';
      const expansion = this.expand(written, env);
      const ownOrigin: ArgOrigin = { name, range: this.unquoted(raw) };
      env.set(name, {
        value: expansion.value,
        unresolved: expansion.unresolved,
        // `ARG B=${A}` forwards A's default: a pin belongs where the literal text is.
        origin: expansion.soleOrigin ?? ownOrigin,
      });
    }
  }

  private from(instruction: From, globalEnv: Env, earlierStages: Set<string>, index: number): void {
    const image = instruction.getImage();
    const imageRange = instruction.getImageRange();
    if (image === null || imageRange === null) return;
    const expansion = this.expand(image, globalEnv);
    // `FROM scratch` is the empty image; a FROM naming an earlier stage builds on that stage.
    if (!expansion.unresolved && (expansion.value === 'scratch' || earlierStages.has(expansion.value.toLowerCase()))) return;
    const name = instruction.getBuildStage();
    this.addUse(this.offsets(imageRange), expansion, `FROM (${stageLabel({ name, index })})`);
  }

  /** COPY/ADD `--from` and RUN `--mount=from=` inside a stage, also as ONBUILD triggers. */
  private stageInstruction(instruction: Instruction, env: Env, stage: Stage, prefix: string): void {
    if (instruction instanceof Onbuild) {
      const trigger = instruction.getTriggerInstruction();
      if (trigger && !(trigger instanceof Onbuild)) this.stageInstruction(trigger, env, stage, 'ONBUILD ');
      return;
    }
    if (instruction instanceof Run) {
      for (const flag of instruction.getFlags()) {
        if (flag.getName() !== 'mount') continue;
        const from = flag.getOption('from');
        this.stageSource(from?.getValue() ?? null, from?.getValueRange() ?? null, env, `${prefix}RUN --mount from (${stageLabel(stage)})`);
      }
    } else if (instruction instanceof Copy || instruction instanceof Add) {
      const from = instruction.getFlags().find((f) => f.getName() === 'from');
      const keyword = instruction instanceof Copy ? 'COPY' : 'ADD';
      this.stageSource(from?.getValue() ?? null, from?.getValueRange() ?? null, env, `${prefix}${keyword} --from (${stageLabel(stage)})`);
    }
  }

  /** A `--from`/`from=` value is an image unless it names a stage (by name or numeric index). */
  private stageSource(value: string | null, range: LspRange | null, env: Env, context: string): void {
    if (value === null || range === null || value === '') return;
    const expansion = this.expand(value, env);
    if (!expansion.unresolved && (/^\d+$/.test(expansion.value) || this.allStageNames.has(expansion.value.toLowerCase()))) return;
    this.addUse(this.offsets(range), expansion, context);
  }

  private expand(word: string, env: Env): Expansion {
    return expandWord(word, this.escapeChar, (name) => env.get(name), this.budget);
  }

  /** Reports a use either at the ARG default it entirely comes from, or where it is written. */
  private addUse(siteRange: OffsetRange, expansion: Expansion, use: string): void {
    const origin = expansion.soleOrigin;
    if (origin && expansion.value !== '') this.addAtSite(origin.range, expansion, use, origin.name);
    else this.addAtSite(this.unquoted(siteRange), expansion, use);
  }

  private addAtSite(range: OffsetRange, expansion: Expansion, use: string, argName?: string): void {
    const key = `${range.start}:${range.end}`;
    const existing = this.sites.get(key);
    if (existing) {
      if (!existing.uses.includes(use)) existing.uses.push(use);
      return;
    }
    const templated = expansion.unresolved || isTemplated(expansion.value);
    const ref: RawRef = {
      kind: 'dockerfile',
      range,
      text: this.text.slice(range.start, range.end),
      reference: expansion.value,
      templated,
      ...(templated ? {} : { pin: { type: 'inline', range: { ...range } } }),
    };
    this.sites.set(key, { ref, uses: [use], ...(argName !== undefined ? { argName } : {}) });
  }

  private finish(site: Site): RawRef {
    const uses = site.uses.join(', ');
    return { ...site.ref, context: site.argName !== undefined ? `ARG ${site.argName} default, used by ${uses}` : uses };
  }

  private offsets(range: LspRange): OffsetRange {
    const start = this.lines.offsetAt(range.start);
    return { start, end: Math.max(start, this.lines.offsetAt(range.end)) };
  }

  /** Narrows a range written as `"…"` or `'…'` to the text inside the quotes, where a digest is appended. */
  private unquoted(range: OffsetRange): OffsetRange {
    const first = this.text[range.start];
    const last = this.text[range.end - 1];
    if (range.end - range.start >= 2 && (first === '"' || first === "'") && last === first) {
      return { start: range.start + 1, end: range.end - 1 };
    }
    return range;
  }
}

type LspRange = NonNullable<ReturnType<Flag['getValueRange']>>;

function stageLabel(stage: Stage): string {
  return stage.name !== null ? `stage ${stage.name}` : `stage #${stage.index}`;
}
