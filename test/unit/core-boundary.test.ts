// server/src/core is the editor-free core shared by the CLI and the language server: nothing it reaches may import
// `vscode` or `vscode-languageserver*` (`vscode-languageclient`, `vscode-jsonrpc` too), directly or through a
// relative import that leaves core into server/src/lsp, server/src/cli or client/.
//
// Imports are read by esbuild's parser (import/export-from/require/dynamic import/import-equals), after turning
// type-only forms (`import type`, `export type … from`) into value imports so esbuild keeps them; type queries
// (`typeof import('x')`) and `/// <reference types|path>` directives are matched on the text. Relative imports are
// resolved and followed (a core file importing ../protocol.ts is checked through it); packages are not followed.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { build, type Plugin } from 'esbuild';
import { REPO_ROOT } from '../support/cli';

/** Package specifiers core must never import. */
const FORBIDDEN_PACKAGE = /^(vscode|vscode-languageserver(-[\w-]+)?|vscode-languageclient|vscode-jsonrpc)(\/.*)?$/;

export interface Violation {
  /** Repository-relative file holding the import. */
  file: string;
  /** The specifier as written. */
  specifier: string;
  kind: string;
  why: string;
  /** How core reaches `file` (core file first), when it is not itself under core. */
  via: string[];
}

/** Every `.ts` file under `dir` (sorted). */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSorted(d)) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function readdirSorted(d: string) {
  return readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
}

/** `target` as TypeScript resolves an extension-less (or `.js`) relative import, when such a file exists. */
function withExtension(target: string): string {
  const base = target.replace(/\.[cm]?js$/, '');
  for (const c of [target, `${base}.ts`, `${base}.tsx`, path.join(target, 'index.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return target;
}

/** Type-only import/export forms written as value ones, so the parser keeps them (offsets are kept line by line). */
function valueImports(text: string): string {
  return text.replace(/\bimport\s+type\s+(?!from\b)(?=[\w${*])/g, 'import ').replace(/\bexport\s+type\s+(?=[{*])/g, 'export ');
}

/** Imports esbuild's parser cannot see: type queries `import('x')` in type positions and triple-slash references. */
function textualImports(text: string): { specifier: string; kind: string }[] {
  const found: { specifier: string; kind: string }[] = [];
  for (const m of text.matchAll(/\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g)) found.push({ specifier: m[2], kind: 'import() type query' });
  for (const m of text.matchAll(/^\s*\/\/\/\s*<reference\s+(types|path)\s*=\s*(['"])([^'"\n]+)\2/gm)) {
    found.push({ specifier: m[1] === 'path' && !m[3].startsWith('.') ? `./${m[3]}` : m[3], kind: `/// <reference ${m[1]}>` });
  }
  return found;
}

/**
 * What `coreDir` reaches that it must not: forbidden packages, and files under `forbiddenDirs`. `root` is where
 * reported paths are relative to.
 */
export async function coreBoundaryViolations(root: string, coreDir: string, forbiddenDirs: string[]): Promise<Violation[]> {
  const rel = (abs: string) => path.relative(root, abs).split(path.sep).join('/');
  const inside = (abs: string, dir: string) => abs === dir || abs.startsWith(dir + path.sep);
  const forbiddenDir = (abs: string) => forbiddenDirs.find((d) => inside(abs, d));
  const violations: Violation[] = [];
  /** file → the file that first imported it (for the "via" chain). */
  const parent = new Map<string, string | undefined>();
  const chain = (abs: string): string[] => {
    const out: string[] = [];
    for (let f: string | undefined = parent.get(abs); f !== undefined; f = parent.get(f)) out.unshift(rel(f));
    return out;
  };
  const report = (importer: string, specifier: string, kind: string, why: string) =>
    violations.push({ file: rel(importer), specifier, kind, why, via: inside(importer, coreDir) ? [] : chain(importer) });
  const check = (importer: string, specifier: string, kind: string, resolved?: string) => {
    if (FORBIDDEN_PACKAGE.test(specifier)) report(importer, specifier, kind, 'an editor/LSP package');
    const target = resolved ?? (specifier.startsWith('.') ? withExtension(path.resolve(path.dirname(importer), specifier)) : undefined);
    const dir = target && forbiddenDir(target);
    if (dir) report(importer, specifier, kind, `leaves core into ${rel(dir)}/ (${rel(target!)})`);
  };

  const plugin: Plugin = {
    name: 'core-boundary',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (!args.path.startsWith('.') && !path.isAbsolute(args.path)) return { path: args.path, external: true };
        const target = withExtension(path.resolve(args.resolveDir, args.path));
        if (!forbiddenDir(target)) return undefined;
        // Forbidden files are reported here and not followed (their own imports are the editor's business).
        check(args.importer, args.path, args.kind, target);
        return { path: target, external: true };
      });
      b.onLoad({ filter: /\.[cm]?tsx?$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        for (const t of textualImports(text)) check(args.path, t.specifier, t.kind);
        return { contents: valueImports(text), loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
      });
    },
  };

  const entries = tsFiles(coreDir);
  const result = await build({
    absWorkingDir: root,
    entryPoints: entries,
    bundle: true,
    write: false,
    metafile: true,
    outdir: path.join(root, '.core-boundary-out'),
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    // Keep imports whose names are used only as types (what `import type` became above).
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    plugins: [plugin],
  });

  // Breadth-first from the core files, so "via" names the shortest way core reaches a file outside it.
  const inputs = result.metafile.inputs;
  const abs = (key: string) => path.resolve(root, key);
  for (const e of entries) parent.set(e, undefined);
  const queue = [...entries];
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i];
    const input = inputs[rel(file)];
    if (!input) continue;
    for (const imp of input.imports) {
      const specifier = imp.original ?? imp.path;
      if (imp.external) {
        if (!path.isAbsolute(imp.path)) check(file, specifier, imp.kind); // packages (forbidden files: reported while resolving)
        continue;
      }
      const target = abs(imp.path);
      check(file, specifier, imp.kind, target);
      if (!parent.has(target)) {
        parent.set(target, file);
        queue.push(target);
      }
    }
  }
  // Textual findings were recorded while loading, before the "via" chains were known: fill them in.
  for (const v of violations) if (v.via.length === 0 && !inside(path.resolve(root, v.file), coreDir)) v.via = chain(path.resolve(root, v.file));
  const key = (v: Violation) => `${v.file}\0${v.specifier}\0${v.why}`;
  return [...new Map(violations.map((v) => [key(v), v])).values()].sort((a, b) => key(a).localeCompare(key(b)));
}

function describeViolations(vs: Violation[]): string {
  return vs.map((v) => `  ${v.file}: ${v.kind} '${v.specifier}' — ${v.why}${v.via.length ? ` (reached from core via ${v.via.join(' → ')})` : ''}`).join('\n');
}

const SERVER_SRC = path.join(REPO_ROOT, 'server', 'src');

test('nothing under server/src/core imports vscode or vscode-languageserver*, or reaches into lsp/, cli/ or client/', async () => {
  const core = path.join(SERVER_SRC, 'core');
  assert.ok(tsFiles(core).length > 20, 'the core sources are where this test expects them');
  const violations = await coreBoundaryViolations(REPO_ROOT, core, [path.join(SERVER_SRC, 'lsp'), path.join(SERVER_SRC, 'cli'), path.join(REPO_ROOT, 'client')]);
  assert.equal(violations.length, 0, `server/src/core must stay editor-free (the CLI runs it):\n${describeViolations(violations)}`);
});

describe('the boundary check itself, on a made-up tree', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'image-trust-core-boundary-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  const forbidden = () => [path.join(root, 'src', 'lsp'), path.join(root, 'src', 'cli'), path.join(root, 'client')];
  const run = () => coreBoundaryViolations(root, path.join(root, 'src', 'core'), forbidden());

  write('src/lsp/server.ts', "import { createConnection } from 'vscode-languageserver/node';\nexport const conn = createConnection;\n");
  write('src/lsp/types.ts', 'export interface LspThing { a: number }\n');
  write('src/cli/args.ts', 'export const ARGS = 1;\n');
  write('client/ext.ts', "import * as vscode from 'vscode';\nexport const v = vscode;\n");
  write('src/shared.ts', "import { conn } from './lsp/server';\nexport const s = conn;\n");
  write('src/core/clean.ts', [
    "import { readFileSync } from 'node:fs';",
    "import { helper } from './deep/helper';",
    "// import x from 'vscode'  (a comment)",
    "const text = \"import { x } from 'vscode-languageserver'\";",
    "const re = /from 'vscode'/;",
    'export const clean = [readFileSync, helper, text, re];',
    '',
  ].join('\n'));
  write('src/core/deep/helper.ts', "export const helper = 1;\n");
  write('src/core/value.ts', "import { workspace } from 'vscode';\nexport const w = workspace;\n");
  write('src/core/typeonly.ts', "import type { TextDocument } from 'vscode-languageserver-textdocument';\nexport type T = TextDocument;\n");
  write('src/core/inline-type.ts', "import { type Diagnostic } from 'vscode-languageserver-types';\nexport type D = Diagnostic;\n");
  write('src/core/reexport.ts', "export type { Position } from 'vscode-languageserver-protocol';\nexport * from 'vscode-jsonrpc/node';\n");
  write('src/core/require.ts', "const lc = require('vscode-languageclient');\nexport const r = lc;\n");
  write('src/core/dynamic.ts', "export const load = () => import('vscode');\n");
  write('src/core/query.ts', "export type Uri = typeof import('vscode').Uri;\n");
  write('src/core/equals.ts', "import vs = require('vscode');\nexport const e = vs;\n");
  write('src/core/leaves.ts', "import { ARGS } from '../cli/args';\nimport type { LspThing } from '../lsp/types';\nexport const l: LspThing = { a: ARGS };\n");
  write('src/core/client.ts', "import { v } from '../../client/ext';\nexport const c = v;\n");
  write('src/core/transitive.ts', "import { s } from '../shared';\nexport const t = s;\n");
  write('src/core/reference.ts', '/// <reference types="vscode" />\nexport const ref = 1;\n');
  write('src/core/query-relative.ts', "export type C = typeof import('../cli/args').ARGS;\n");

  test('reports each file with its import; strings, comments and regexes are not imports', async () => {
    const found = (await run()).map((v) => `${v.file} ${v.specifier}${v.via.length ? ` via ${v.via.join(',')}` : ''}`);
    assert.deepEqual(found, [
      'src/core/client.ts ../../client/ext',
      'src/core/dynamic.ts vscode',
      'src/core/equals.ts vscode',
      'src/core/inline-type.ts vscode-languageserver-types',
      'src/core/leaves.ts ../cli/args',
      'src/core/leaves.ts ../lsp/types',
      'src/core/query-relative.ts ../cli/args',
      'src/core/query.ts vscode',
      'src/core/reexport.ts vscode-jsonrpc/node',
      'src/core/reexport.ts vscode-languageserver-protocol',
      'src/core/reference.ts vscode',
      'src/core/require.ts vscode-languageclient',
      'src/core/typeonly.ts vscode-languageserver-textdocument',
      'src/core/value.ts vscode',
      'src/shared.ts ./lsp/server via src/core/transitive.ts',
    ]);
  });

  test('the failure message names the file, the import and why', async () => {
    const text = describeViolations(await run());
    assert.match(text, /src\/core\/leaves\.ts: import-statement '\.\.\/cli\/args' — leaves core into src\/cli\/ \(src\/cli\/args\.ts\)/);
    assert.match(text, /src\/core\/typeonly\.ts: import-statement 'vscode-languageserver-textdocument' — an editor\/LSP package/);
    assert.match(text, /src\/shared\.ts: import-statement '\.\/lsp\/server' — leaves core into src\/lsp\/ .*reached from core via src\/core\/transitive\.ts/);
  });
});
