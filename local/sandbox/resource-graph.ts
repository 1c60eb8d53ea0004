import { ValidationError } from './errors';

/**
 * The order CloudFormation creates and deletes a template's resources in (src/cfn/resource-graph.ts,
 * shared with the stack workflow), and the check the sandbox adds when it accepts a template.
 */
export { criticalPathSeconds, dependencyGraph, resourceDependencies } from '../../src/cfn/resource-graph';

/** Refuses a template whose resources wait on each other in a circle, as CloudFormation does. */
export function assertAcyclic(graph: ReadonlyMap<string, readonly string[]>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'visiting') {
      const cycle = path.slice(path.indexOf(node));
      throw new ValidationError(`Circular dependency between resources: [${cycle.join(', ')}]`);
    }
    state.set(node, 'visiting');
    path.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node);
}
