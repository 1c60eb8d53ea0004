import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The project's import graph, read with TypeScript's own pre-processor (imports, re-exports and
 * dynamic `import('…')` with a literal), and the layering rules of docs/decisions/0007-layers.md.
 * Only relative imports count: packages are not layers.
 */
export interface ImportEdge {
  /** Repository-relative paths with forward slashes. */
  from: string;
  to: string;
}

const SOURCE = /\.(ts|mts|mjs)$/;

function sourceFiles(root: string, folder: string): string[] {
  const start = join(root, folder);
  if (!existsSync(start)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(path);
    }
  };
  walk(start);
  return out;
}

function resolveImport(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base, `${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

const slash = (path: string) => path.split(sep).join('/');

/** Every relative import between the files under `folders` of `root`. */
export function importGraph(root: string, folders: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of folders.flatMap((f) => sourceFiles(root, f))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolveImport(file, fileName);
      if (target) edges.push({ from: slash(relative(root, file)), to: slash(relative(root, target)) });
    }
  }
  return edges;
}

/** The folder a file belongs to, for the folder-level graph: its own directory. */
const folderOf = (path: string) => path.slice(0, path.lastIndexOf('/'));

/** Cycles between folders under `prefix` (each reported once, as the folders in order). */
export function folderCycles(edges: readonly ImportEdge[], prefix: string): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!from.startsWith(prefix) || !to.startsWith(prefix)) continue;
    const [a, b] = [folderOf(from), folderOf(to)];
    if (a === b) continue;
    graph.set(a, (graph.get(a) ?? new Set()).add(b));
  }
  // Tarjan's strongly connected components: any component of two or more folders is a cycle.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!indices.has(node)) connect(node);
  return cycles;
}

export interface LayerRule {
  /** Why, as the failure message says it. */
  rule: string;
  from: RegExp;
  to: RegExp;
}

/** What may not import what (docs/decisions/0007-layers.md). */
export const LAYER_RULES: readonly LayerRule[] = [
  { rule: 'src/model/ is the ground floor: it imports nothing else of src/', from: /^src\/model\//, to: /^src\/(?!model\/)/ },
  { rule: 'production code never imports the embedded default', from: /^(src|functions|cli)\//, to: /^local\// },
  { rule: 'production code never imports the tests', from: /^(src|functions|cli|local)\//, to: /^test\// },
  { rule: 'src/ does not import the CLI (a client of the API, above it)', from: /^(src|functions)\//, to: /^cli\// },
  { rule: 'nothing of src/ imports a function entry point', from: /^(src|cli|local)\//, to: /^functions\// },
];

/**
 * The floors of src/ (decision 0007): a folder imports only folders on lower floors. Files at the
 * root of src/ (errors.ts, ids.ts) are on the ground floor with model/.
 */
export const SRC_FLOORS: Readonly<Record<string, number>> = {
  '': 0, model: 0, cfn: 0, aws: 0, log: 0,
  templates: 1, events: 1, http: 1, store: 1, config: 1,
  network: 2, cost: 2, region: 2,
  accounts: 3,
  plans: 4, stacks: 4,
};

/** The top folder of src/ a path is in ('' for a file at the root of src/), or undefined outside src/. */
const srcArea = (path: string): string | undefined => {
  if (!path.startsWith('src/')) return undefined;
  const parts = path.split('/');
  return parts.length > 2 ? parts[1] : '';
};

/** Every edge that breaks a rule or climbs a floor, as "rule: from → to". */
export function layerViolations(
  edges: readonly ImportEdge[],
  rules: readonly LayerRule[] = LAYER_RULES,
  floors: Readonly<Record<string, number>> = SRC_FLOORS,
): string[] {
  return edges.flatMap(({ from, to }) => {
    const broken = rules.filter((r) => r.from.test(from) && r.to.test(to)).map((r) => `${r.rule}: ${from} → ${to}`);
    const [a, b] = [srcArea(from), srcArea(to)];
    if (a === undefined || b === undefined || a === b) return broken;
    const [floorA, floorB] = [floors[a], floors[b]];
    if (floorA === undefined) return [...broken, `every folder of src/ has a floor in decision 0007: src/${a}/ has none`];
    if (floorB === undefined) return [...broken, `every folder of src/ has a floor in decision 0007: src/${b}/ has none`];
    if (floorB >= floorA) return [...broken, `src/ imports only lower floors (${a || 'src root'} is on ${floorA}, ${b || 'src root'} on ${floorB}): ${from} → ${to}`];
    return broken;
  });
}
