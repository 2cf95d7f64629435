// The VS Code command line @vscode/test-electron builds, read by the code-server launcher (launcher.ts), and the
// workbench URL that gives code-server the same instructions. Pure functions: unit-tested without a browser.
import path from 'node:path';

export interface LaunchRequest {
  extensionDevelopmentPaths: string[];
  extensionTestsPath: string;
  /** The folder to open (the first positional argument), if any. */
  folder?: string;
  /** `--disable-extensions`: only the extension under development runs. */
  disableExtensions: boolean;
}

/** The VS Code command line runTests builds: `--flag=value`, `--flag value` for a few, and positional folders. */
export function parseVSCodeArgs(argv: string[]): LaunchRequest {
  const withValue = new Set(['--user-data-dir', '--extensions-dir', '--extensionDevelopmentPath', '--extensionTestsPath', '--locale', '--log']);
  const req: LaunchRequest = { extensionDevelopmentPaths: [], extensionTestsPath: '', disableExtensions: false };
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let flag = arg;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      flag = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    } else if (withValue.has(arg)) {
      value = argv[++i];
    }
    if (!arg.startsWith('-')) positionals.push(arg);
    else if (flag === '--extensionDevelopmentPath' && value) req.extensionDevelopmentPaths.push(path.resolve(value));
    else if (flag === '--extensionTestsPath' && value) req.extensionTestsPath = path.resolve(value);
    else if (flag === '--disable-extensions') req.disableExtensions = true;
  }
  if (positionals[0]) req.folder = path.resolve(positionals[0]);
  if (!req.extensionTestsPath) throw new Error('no --extensionTestsPath: this launcher only runs extension tests');
  if (!req.extensionDevelopmentPaths.length) throw new Error('no --extensionDevelopmentPath');
  return req;
}

/** The workbench URL: the folder and the `payload` VS Code desktop would take from its command line. */
export function workbenchUrl(base: string, authority: string, req: LaunchRequest): string {
  const payload: [string, string][] = [
    ...req.extensionDevelopmentPaths.map((p): [string, string] => ['extensionDevelopmentPath', `vscode-remote://${authority}${p}`]),
    // A vscode-remote URI too: the workbench runs the tests in the extension host that owns the URI's scheme.
    ['extensionTestsPath', `vscode-remote://${authority}${req.extensionTestsPath}`],
  ];
  const query = new URLSearchParams();
  if (req.folder) query.set('folder', req.folder);
  query.set('payload', JSON.stringify(payload));
  return `${base}/?${query.toString()}`;
}

