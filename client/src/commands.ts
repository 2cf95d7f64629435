// Command registrations. Each answers cleanly when the server is not running yet.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { TrustTreeProvider } from './trustTree';

export interface CommandContext {
  client: () => LanguageClient | undefined;
  tree: TrustTreeProvider;
  output: vscode.OutputChannel;
}

export function registerCommands(context: vscode.ExtensionContext, ctx: CommandContext): void {
  const register = (id: string, fn: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  register('imageTrust.refresh', () => ctx.tree.refresh());
  register('imageTrust.showOutput', () => ctx.output.show());
  register('imageTrust.toggleProblemsOnly', () => {
    ctx.tree.problemsOnly = !ctx.tree.problemsOnly;
    ctx.tree.refresh();
  });
}
