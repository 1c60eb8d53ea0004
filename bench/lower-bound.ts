import { criticalPathSeconds } from '../src/cfn/resource-graph';
import { resourceSeconds } from '../src/cfn/resource-timing';
import { planSubnets } from '../src/network/plan-subnets';
import { resolveStack, type ResolvedValue } from '../src/network/reachability/resolve-stack';
import { COMPONENT_DEPENDENCIES, type ComponentName } from '../src/model/components';
import { stackRequestSchema, type StackRequestInput } from '../src/model/stack-request';
import { buildStackTemplates } from '../src/templates/build-stack-templates';
import type { ComponentTemplate } from '../src/templates/component-template';

/**
 * The lower bound on a stack's provisioning time, from the same dated table the sandbox account
 * runs on (src/cfn/resource-timing.ts) and the same dependency order (src/cfn/resource-graph.ts),
 * over the very templates the workflow deploys (buildStackTemplates). Nothing is typed in.
 *
 * - Within a component: its CloudFormation stack cannot finish before its longest chain of
 *   dependent resources, each taking its typical create time (criticalPathSeconds: the sandbox
 *   starts each resource as soon as the ones it names are complete, so it takes exactly this).
 * - Across components: a component stack can start only once every component it needs has
 *   completed — the ones COMPONENT_DEPENDENCIES names (what the workflow must honour) and the
 *   ones whose outputs feed its parameters (a stack's outputs exist only once it is complete).
 *   In every option set measured here those two agree except frontend → cluster, which
 *   COMPONENT_DEPENDENCIES adds.
 * - The bound is the longest path through that component graph, each component weighing its
 *   critical path: what an orchestrator with zero overhead and perfect knowledge of when each
 *   stack ends would achieve with one CloudFormation stack per component.
 *
 * Also given, for context only (no target): `sequentialSeconds`, every component one after the
 * other, and `resourceFloorSeconds`, the longest chain of resources across the whole stack as if it
 * were one template (resolveStack follows each parameter to the resource it comes from), i.e. what
 * no per-component design could beat.
 */
export interface LowerBound {
  seconds: number;
  /** The components on the longest path, in order. */
  chain: ComponentName[];
  /** Each component's critical path, seconds. */
  componentSeconds: Partial<Record<ComponentName, number>>;
  sequentialSeconds: number;
  resourceFloorSeconds: number;
}

/** The templates of a request as the workflow builds them (CIDRs, names and tags do not change any duration). */
export function templatesFor(request: Omit<StackRequestInput, 'accountId' | 'name'>): ComponentTemplate[] {
  const parsed = stackRequestSchema.parse({ name: 'bench', accountId: 'acc_bench000000000000000', ...request });
  return buildStackTemplates({ request: parsed, network: planSubnets('10.0.0.0/16', parsed.network.azCount), tenantId: 'bench', stackId: 'stk-bench000000000000000' });
}

/** The components a component must wait for: declared dependencies and parameter sources, among those deployed. */
export function prerequisites(component: ComponentTemplate, deployed: ReadonlySet<ComponentName>): ComponentName[] {
  const fromParameters = Object.values(component.parameters).flatMap((source) => (source.kind === 'output' ? [source.component] : []));
  return [...new Set([...COMPONENT_DEPENDENCIES[component.component], ...fromParameters])].filter((name) => deployed.has(name));
}

export function lowerBound(templates: readonly ComponentTemplate[]): LowerBound {
  const deployed = new Set(templates.map((t) => t.component));
  const own = new Map(templates.map((t) => [t.component, criticalPathSeconds(t.template, 'create')]));
  const finish = new Map<ComponentName, { at: number; chain: ComponentName[] }>();
  const visit = (component: ComponentTemplate): { at: number; chain: ComponentName[] } => {
    const known = finish.get(component.component);
    if (known) return known;
    const before = prerequisites(component, deployed)
      .map((name) => visit(templates.find((t) => t.component === name) as ComponentTemplate))
      .reduce((best, candidate) => (candidate.at > best.at ? candidate : best), { at: 0, chain: [] as ComponentName[] });
    const result = { at: before.at + (own.get(component.component) ?? 0), chain: [...before.chain, component.component] };
    finish.set(component.component, result);
    return result;
  };
  const longest = templates.map(visit).reduce((best, candidate) => (candidate.at > best.at ? candidate : best));
  return {
    seconds: longest.at,
    chain: longest.chain,
    componentSeconds: Object.fromEntries(own),
    sequentialSeconds: [...own.values()].reduce((sum, seconds) => sum + seconds, 0),
    resourceFloorSeconds: resourceFloorSeconds(templates),
  };
}

/** The longest chain of resources across all components, as one merged template. */
function resourceFloorSeconds(templates: readonly ComponentTemplate[]): number {
  const resolved = resolveStack(templates);
  const dependencies = new Map<string, Set<string>>();
  for (const resource of Object.values(resolved.resources)) {
    const found = new Set<string>();
    collectReferences(resource.properties, found);
    const dependsOn = templates.find((t) => t.component === resource.component)?.template.Resources[resource.logicalId]?.DependsOn;
    for (const name of dependsOn === undefined ? [] : [dependsOn].flat()) found.add(`${resource.component}.${name}`);
    found.delete(resource.key);
    dependencies.set(resource.key, new Set([...found].filter((key) => resolved.resources[key] !== undefined)));
  }
  const memo = new Map<string, number>();
  const finish = (key: string): number => {
    const known = memo.get(key);
    if (known !== undefined) return known;
    const resource = resolved.resources[key];
    const own = resource ? resourceSeconds(resource.type, 'create', resource.properties as Record<string, unknown>) : 0;
    const total = own + Math.max(0, ...[...(dependencies.get(key) ?? [])].map(finish));
    memo.set(key, total);
    return total;
  };
  return Math.max(0, ...Object.keys(resolved.resources).map(finish));
}

function collectReferences(value: ResolvedValue | undefined, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, found);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    if ((key === '$ref' || key === '$getAtt') && typeof inner === 'string') found.add(inner);
    else collectReferences(inner as ResolvedValue, found);
  }
}
