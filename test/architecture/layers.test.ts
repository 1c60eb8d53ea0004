import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderCycles, importGraph, layerViolations } from '../support/import-graph';

/** The layering of docs/decisions/0007-layers.md, held over the real tree and shown to bite on a planted one. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FOLDERS = ['src', 'functions', 'cli', 'local', 'bench', 'scripts'];

function plantedTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the layers of the code', () => {
  const edges = importGraph(root, FOLDERS);

  it('reads the real import graph (so an empty answer below means something)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'src/stacks/stack.ts', to: 'src/model/statuses.ts' });
  });

  it('has no import cycle between the folders of src/', () => {
    expect(folderCycles(edges, 'src/')).toEqual([]);
  });

  it('imports only lower floors within src/, keeps src/model/ free of src/, and src/, functions/ and cli/ free of local/ and test/', () => {
    expect(layerViolations(edges)).toEqual([]);
  });

  describe('on a planted tree', () => {
    let dir = '';
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('finds a cycle between two folders of src/', () => {
      dir = plantedTree({
        'src/a/one.ts': "import { two } from '../b/two';\nexport const one = two;\n",
        'src/b/two.ts': "import type { one } from '../a/one';\nexport const two = 2;\n",
      });
      expect(folderCycles(importGraph(dir, ['src']), 'src/')).toEqual([['src/a', 'src/b']]);
    });

    it('finds the model importing upward, src/ importing local/ and test/, and functions/ importing local/', () => {
      dir = plantedTree({
        'src/model/thing.ts': "export { plan } from '../plans/plan';\n",
        'src/plans/plan.ts': "import { key } from '../../local/auth/key';\nexport const plan = key;\n",
        'src/plans/fixture.ts': "export const f = import('../../test/support/fixture');\n",
        'functions/f/handler.ts': "import '../../local/config';\n",
        'local/auth/key.ts': 'export const key = 1;\n',
        'local/config.ts': 'export {};\n',
        'test/support/fixture.ts': 'export {};\n',
      });
      expect(layerViolations(importGraph(dir, ['src', 'functions', 'local'])).sort()).toEqual([
        'production code never imports the embedded default: functions/f/handler.ts → local/config.ts',
        'production code never imports the embedded default: src/plans/plan.ts → local/auth/key.ts',
        'production code never imports the tests: src/plans/fixture.ts → test/support/fixture.ts',
        'src/ imports only lower floors (model is on 0, plans on 4): src/model/thing.ts → src/plans/plan.ts',
        'src/model/ is the ground floor: it imports nothing else of src/: src/model/thing.ts → src/plans/plan.ts',
      ]);
    });

    it('finds an import that climbs a floor, and src/ or functions/ importing the CLI or a function entry point', () => {
      dir = plantedTree({
        'src/network/plan.ts': "import { account } from '../accounts/account';\nexport const plan = account;\n",
        'src/accounts/account.ts': "import { HELP } from '../../cli/help';\nexport const account = HELP;\n",
        'src/stacks/stack.ts': "import { handler } from '../../functions/f/handler';\nexport const stack = handler;\n",
        'src/newfolder/thing.ts': "import { plan } from '../network/plan';\nexport const thing = plan;\n",
        'cli/help.ts': 'export const HELP = 1;\n',
        'functions/f/handler.ts': 'export const handler = 1;\n',
      });
      expect(layerViolations(importGraph(dir, ['src', 'functions', 'cli'])).sort()).toEqual([
        'every folder of src/ has a floor in decision 0007: src/newfolder/ has none',
        'nothing of src/ imports a function entry point: src/stacks/stack.ts → functions/f/handler.ts',
        'src/ does not import the CLI (a client of the API, above it): src/accounts/account.ts → cli/help.ts',
        'src/ imports only lower floors (network is on 2, accounts on 3): src/network/plan.ts → src/accounts/account.ts',
      ]);
    });
  });
});
