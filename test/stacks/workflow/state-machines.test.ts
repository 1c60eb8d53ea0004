import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { allStates, substitutePlaceholders } from '../../../local/stepfunctions/local-state-machine';
import { COMPONENT_DEPENDENCIES, COMPONENTS, type ComponentName } from '../../../src/model/components';
import { STATE_MACHINE_FILES, createBranch } from '../../../src/stacks/workflow/state-machine-definitions';

/**
 * statemachines/*.asl.json: generated from the component graph, valid ASL, every Task guarded
 * (TimeoutSeconds, a jittered backoff Retry, a Catch), and both graphs in dependency order.
 */
type Definition = { StartAt: string; States: Record<string, Record<string, unknown>> };
const read = (file: string) => JSON.parse(readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8')) as Definition;
const provision = read('statemachines/provision-stack.asl.json');
const teardown = read('statemachines/delete-stack.asl.json');

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as (definition: unknown, options?: { checkArn?: boolean; checkPaths?: boolean }) => { isValid: boolean; errorsText: (separator?: string) => string };

/** What an unguarded Task lacks, by state name. */
function unguardedTasks(definition: Definition): string[] {
  return allStates(definition).flatMap(([name, state]) => {
    if (state.Type !== 'Task') return [];
    const s = state as Record<string, unknown>;
    const problems: string[] = [];
    if (typeof s['TimeoutSeconds'] !== 'number') problems.push(`${name}: no TimeoutSeconds`);
    const retry = (s['Retry'] as Array<Record<string, unknown>> | undefined) ?? [];
    const backoff = retry.filter((r) => (r['MaxAttempts'] as number) > 0);
    if (backoff.length === 0) problems.push(`${name}: no Retry`);
    for (const r of backoff) {
      if (r['JitterStrategy'] !== 'FULL' || !((r['BackoffRate'] as number) > 1) || typeof r['MaxDelaySeconds'] !== 'number') {
        problems.push(`${name}: a Retry without exponential backoff, cap and full jitter`);
      }
    }
    const transient = backoff.some((r) => (r['ErrorEquals'] as string[]).includes('Lambda.ServiceException') && (r['ErrorEquals'] as string[]).includes('CustomerApiThrottledError'));
    if (!transient) problems.push(`${name}: transient errors (Lambda service errors, throttling) are not retried`);
    if (!Array.isArray(s['Catch']) || (s['Catch'] as unknown[]).length === 0) problems.push(`${name}: no Catch`);
    return problems;
  });
}

/** For each component, what is finished before its first step starts (following the main path). */
function prerequisites(definition: Definition, step: 'Deploy' | 'Delete'): Partial<Record<ComponentName, Set<ComponentName>>> {
  const found: Partial<Record<ComponentName, Set<ComponentName>>> = {};
  const continuation = step === 'Deploy' ? 'Deployed' : 'DeletionStarted';
  const walk = (branch: Definition, done: Set<ComponentName>): Set<ComponentName> => {
    let current = new Set(done);
    let name: string | undefined = branch.StartAt;
    while (name) {
      const state: Record<string, unknown> | undefined = branch.States[name];
      if (!state) throw new Error(`missing state ${name}`);
      const match = new RegExp(`^${step}([A-Z][a-z]+)$`).exec(name);
      if (match) {
        const component = match[1]!.toLowerCase() as ComponentName;
        found[component] = new Set(current);
        name = branch.States[`${match[1]!}${continuation}`]?.['Default'] as string | undefined;
        current.add(component);
        continue;
      }
      if (state['Type'] === 'Parallel') {
        const ends = (state['Branches'] as Definition[]).map((b) => walk(b, current));
        current = new Set(ends.flatMap((s) => [...s]));
      }
      name = state['End'] === true || state['Type'] === 'Succeed' || state['Type'] === 'Fail' ? undefined : (state['Next'] as string | undefined);
    }
    return current;
  };
  walk(definition, new Set());
  return found;
}

describe('the state machines', () => {
  it.each(Object.entries(STATE_MACHINE_FILES))('%s is what the generator writes (run npm run build:statemachines)', (file, build) => {
    expect(read(file)).toEqual(build());
  });

  it.each([['provision-stack', provision], ['delete-stack', teardown]])('%s passes asl-validator, as deployed (placeholders substituted)', (_name, definition) => {
    const deployed = substitutePlaceholders(definition, { StackWorkflowFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:groundwork-prod-stackWorkflow' });
    const result = aslValidator(deployed, { checkArn: true, checkPaths: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it.each([['provision-stack', provision], ['delete-stack', teardown]])('%s guards every Task with TimeoutSeconds, a jittered backoff Retry and a Catch', (_name, definition) => {
    expect(allStates(definition).filter(([, s]) => s.Type === 'Task').length).toBeGreaterThan(10);
    expect(unguardedTasks(definition)).toEqual([]);
  });

  it('the guard check fails on a Task without them', () => {
    const broken = structuredClone(provision);
    const inner = (broken.States['BuildComponents']!['Branches'] as Definition[])[0]!.States;
    delete inner['DeployNetwork']!['TimeoutSeconds'];
    delete inner['DeployNetwork']!['Catch'];
    (inner['DeployNetwork']!['Retry'] as Array<Record<string, unknown>>)[1]!['JitterStrategy'] = 'NONE';
    expect(unguardedTasks(broken)).toEqual([
      'DeployNetwork: no TimeoutSeconds',
      'DeployNetwork: a Retry without exponential backoff, cap and full jitter',
      'DeployNetwork: no Catch',
    ]);
  });

  it('builds every component after everything it depends on, and in parallel otherwise', () => {
    const before = prerequisites(provision, 'Deploy');
    expect(Object.keys(before).sort()).toEqual([...COMPONENTS].sort());
    for (const component of COMPONENTS) {
      for (const dependency of COMPONENT_DEPENDENCIES[component]) expect([component, before[component]?.has(dependency)]).toEqual([component, true]);
    }
    // Independent components do not wait for each other: the database (the longest chain) waits
    // for neither the NAT nor the cluster, the cluster not for the database.
    expect(before.cluster?.has('database')).toBe(false);
    expect(before.database?.has('cluster')).toBe(false);
    expect(before.database?.has('nat')).toBe(false);
    expect(before.nat?.has('endpoints')).toBe(false);
    expect(before.endpoints?.has('nat')).toBe(false);
  });

  it('builds the cluster only once the NAT and the endpoints are up, and deletes them only after it (D6)', () => {
    // The container instances register with ECS and pull images as they boot: their way out comes first.
    expect(COMPONENT_DEPENDENCIES.cluster).toEqual(expect.arrayContaining(['nat', 'endpoints']));
    const before = prerequisites(provision, 'Deploy');
    expect([...(before.cluster ?? [])].sort()).toEqual(['endpoints', 'nat', 'network', 'security']);
    const compensation = (provision.States['Compensate']!['Branches'] as Definition[])[0]!;
    const deleteBranch = (teardown.States['Teardown']!['Branches'] as Definition[])[0]!;
    for (const graph of [compensation, deleteBranch]) {
      const deletedBefore = prerequisites(graph, 'Delete');
      expect([deletedBefore.nat?.has('cluster'), deletedBefore.endpoints?.has('cluster')]).toEqual([true, true]);
    }
  });

  it('deletes every component after everything that depends on it, in both teardowns', () => {
    const compensation = (provision.States['Compensate']!['Branches'] as Definition[])[0]!;
    const deleteBranch = (teardown.States['Teardown']!['Branches'] as Definition[])[0]!;
    for (const graph of [compensation, deleteBranch]) {
      const before = prerequisites(graph, 'Delete');
      expect(Object.keys(before).sort()).toEqual([...COMPONENTS].sort());
      for (const component of COMPONENTS) {
        for (const dependent of COMPONENTS.filter((c) => COMPONENT_DEPENDENCIES[c].includes(component))) {
          expect([component, dependent, before[component]?.has(dependent)]).toEqual([component, dependent, true]);
        }
      }
    }
  });

  it('the order check fails on a graph that deploys too early', () => {
    // network and security side by side: security would start before the network exists.
    const broken = { StartAt: 'Both', States: { Both: { Type: 'Parallel', Branches: [createBranch('network'), createBranch('security')], End: true } } };
    const before = prerequisites(broken as unknown as Definition, 'Deploy');
    expect(Object.keys(before).sort()).toEqual(['network', 'security']);
    expect(before.security?.has('network')).toBe(false);
  });

  it('catches a failed build into the compensation, and ends a rollback as a failed execution', () => {
    expect(provision.States['BuildComponents']!['Catch']).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'StartRollback' }]);
    expect(provision.States['StartRollback']!['Next']).toBe('Compensate');
    expect(provision.States['FinishRollback']!['Next']).toBe('RolledBack');
    expect(provision.States['RolledBack']!['Type']).toBe('Fail');
  });
});
