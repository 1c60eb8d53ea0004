import { signalPolicy } from './creation-policy';
import { INSTANCE_SIGNAL_SECONDS, resourceSeconds } from './resource-timing';
import type { CfnTemplate, CfnValue } from './template-types';

/**
 * The order CloudFormation creates and deletes a template's resources in: a resource waits for
 * every resource it names in DependsOn, Ref, Fn::GetAtt or Fn::Sub (in either branch of an Fn::If);
 * deletion runs the other way round. Independent resources run side by side. The sandbox account
 * runs stacks in this order (local/sandbox), and the stack workflow sizes its waits by the
 * critical path (src/stacks/workflow/component-timing.ts).
 */

/** Resources a resource depends on (among the template's resources), in first-mention order. */
export function resourceDependencies(template: CfnTemplate, logicalId: string): string[] {
  const resource = template.Resources[logicalId];
  if (!resource) return [];
  const found = new Set<string>();
  const add = (name: string) => {
    if (name !== logicalId && template.Resources[name] !== undefined) found.add(name);
  };
  for (const name of resource.DependsOn === undefined ? [] : [resource.DependsOn].flat()) add(name);
  collectReferences(resource.Properties ?? {}, add);
  return [...found];
}

function collectReferences(value: CfnValue | undefined, add: (name: string) => void): void {
  if (Array.isArray(value)) {
    for (const element of value) collectReferences(element, add);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, argument] of Object.entries(value)) {
    if (key === 'Ref' && typeof argument === 'string') add(argument);
    else if (key === 'Fn::GetAtt') {
      const target = Array.isArray(argument) ? argument[0] : typeof argument === 'string' ? argument.split('.')[0] : undefined;
      if (typeof target === 'string') add(target);
    } else if (key === 'Fn::Sub') {
      const [text, variables] = Array.isArray(argument) ? argument : [argument, undefined];
      const own = typeof variables === 'object' && variables !== null && !Array.isArray(variables) ? Object.keys(variables) : [];
      if (typeof text === 'string') {
        for (const match of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
          const expression = match[1] ?? '';
          if (own.includes(expression)) continue;
          add(expression.split('.')[0] ?? expression);
        }
      }
      collectReferences(variables, add);
    } else collectReferences(argument, add);
  }
}

/** For each of `present`, the resources of `present` it depends on. */
export function dependencyGraph(template: CfnTemplate, present: readonly string[]): Map<string, string[]> {
  const included = new Set(present);
  return new Map(present.map((logicalId) => [logicalId, resourceDependencies(template, logicalId).filter((name) => included.has(name))]));
}

/**
 * The shortest time CloudFormation can take to create (or delete) these resources, in unscaled
 * seconds: the longest chain of dependencies, each resource taking its typical time (one that
 * waits for its instances' signals, until they signal).
 */
export function criticalPathSeconds(
  template: CfnTemplate,
  operation: 'create' | 'delete',
  present: readonly string[] = Object.keys(template.Resources),
): number {
  const graph = dependencyGraph(template, present);
  const dependents = new Map<string, string[]>(present.map((id) => [id, []]));
  for (const [id, dependencies] of graph) for (const dependency of dependencies) dependents.get(dependency)?.push(id);
  const memo = new Map<string, number>();
  const finish = (id: string): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const resource = template.Resources[id];
    const properties = resource?.Properties as Record<string, unknown> | undefined;
    const created = resourceSeconds(resource?.Type ?? '', operation, properties);
    // A resource that waits for its instances' signals is done when they have signalled.
    const own = operation === 'create' && resource && signalPolicy(resource) ? Math.max(created, INSTANCE_SIGNAL_SECONDS) : created;
    // Creating waits for dependencies; deleting waits for dependents.
    const before = (operation === 'create' ? graph.get(id) : dependents.get(id)) ?? [];
    const total = own + Math.max(0, ...before.map(finish));
    memo.set(id, total);
    return total;
  };
  return Math.max(0, ...present.map(finish));
}
