// Parser for `WWW-Authenticate` (RFC 7235): one or more challenges, each a scheme followed by comma-separated
// `key=value` parameters whose values may be quoted strings containing commas, `=` and escaped quotes.

export interface AuthChallenge {
  /** Lower-cased scheme, e.g. `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

export function parseWwwAuthenticate(header: string | string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const challenges: AuthChallenge[] = [];
  const scanner = new Scanner(text);
  while (!scanner.done()) {
    scanner.skip(/[\s,]*/y);
    const word = scanner.match(TOKEN);
    if (!word) {
      scanner.advance(); // stray character: skip it rather than give up on the rest
      continue;
    }
    scanner.skip(/[ \t]*/y);
    if (scanner.peek() === '=' && challenges.length > 0 && isToken68Tail(scanner)) {
      scanner.skip(/=+/y); // token68 of the current challenge (`Negotiate abc==`): not used by registries
    } else if (scanner.peek() === '=' && challenges.length > 0) {
      // A parameter of the current challenge.
      scanner.advance();
      scanner.skip(/[ \t]*/y);
      const value = scanner.peek() === '"' ? scanner.quoted() : (scanner.match(/[^,\s]*/y) ?? '');
      challenges[challenges.length - 1].params[word.toLowerCase()] = value;
    } else {
      challenges.push({ scheme: word.toLowerCase(), params: {} });
    }
  }
  return challenges;
}

/** `=` directly followed by `=`, `,` or the end is the padding of a token68, not a parameter. */
function isToken68Tail(scanner: Scanner): boolean {
  const next = scanner.peekAt(1);
  return next === '=' || next === ',' || next === undefined;
}

class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}
  done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string | undefined {
    return this.text[this.pos];
  }
  peekAt(offset: number): string | undefined {
    return this.text[this.pos + offset];
  }
  advance(): void {
    this.pos++;
  }
  match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m || m[0] === '') return undefined;
    this.pos += m[0].length;
    return m[0];
  }
  skip(re: RegExp): void {
    this.match(re);
  }
  /** A quoted string starting at the current `"`; backslash escapes the next character. */
  quoted(): string {
    let out = '';
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++];
      if (c === '"') return out;
      if (c === '\\' && this.pos < this.text.length) out += this.text[this.pos++];
      else out += c;
    }
    return out; // unterminated: take what there is
  }
}
