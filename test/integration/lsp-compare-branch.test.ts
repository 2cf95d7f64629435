// "Compare with branch" in the editor: the tree marks the references the current branch adds or changes relative to
// its merge base with the chosen ref, and nothing else (moved-but-unchanged references stay unmarked).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { TREE_CHANGED_NOTIFICATION, type TreeResult } from '../../server/src/protocol';
import { GIT_ENV, TempRepo } from '../support/git-repo';
import { LspSession } from '../support/lsp';
import { requireTool } from '../support/requirements';

const pod = (images: string[], padding = 0) =>
  `${'# note\n'.repeat(padding)}apiVersion: v1\nkind: Pod\nspec:\n  containers:\n${images.map((img, i) => `    - name: c${i}\n      image: ${img}\n`).join('')}`;

const { skip } = requireTool('git');

describe('Compare with branch in the language server', { skip }, () => {
  let repo: TempRepo;
  let lsp: LspSession;

  before(async () => {
    Object.assign(process.env, GIT_ENV); // the server runs git too: same isolated identity/config
    repo = new TempRepo('image-trust-compare-');
    repo.write('deploy/pod.yaml', pod(['nginx:1.25', 'redis:7']));
    repo.commitAll('base');
    repo.git('checkout', '-q', '-b', 'feature');
    // Two comment lines push the old references down (moved, unchanged); one image is added, one tag changed.
    repo.write('deploy/pod.yaml', pod(['nginx:1.25', 'redis:7.2', 'busybox:1.36'], 2));
    repo.commitAll('feature');
    lsp = await LspSession.start({ rootPath: repo.dir, settings: { offline: true, compareWithBranch: 'main' } });
  });
  after(async () => {
    await lsp?.stop();
    repo?.remove();
  });

  test('the tree marks exactly the references the branch adds or changes', async () => {
    const uri = pathToFileURL(join(repo.dir, 'deploy/pod.yaml')).toString();
    await lsp.open(uri, pod(['nginx:1.25', 'redis:7.2', 'busybox:1.36'], 2));
    await lsp.diagnostics(uri);
    // The server compares with the branch in the background and says so with a treeChanged notification without a uri.
    await lsp.notification<{ uri?: string }>(TREE_CHANGED_NOTIFICATION, (p) => p.uri === undefined, { what: 'the branch comparison (treeChanged without a uri)' });
    const tree = (await lsp.conn.sendRequest('imageTrust/tree')) as TreeResult;
    assert.equal(tree.compareWith, 'main');
    assert.equal(tree.compareError, undefined);
    const marks = Object.fromEntries(tree.files[0].references.map((r) => [r.text, r.changed]));
    assert.deepEqual(marks, { 'nginx:1.25': false, 'redis:7.2': true, 'busybox:1.36': true });
  });
});
