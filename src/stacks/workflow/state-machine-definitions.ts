import type { ComponentName } from '../../model/components';
import { FINAL_ERRORS, TRANSIENT_ERRORS } from './errors';

/**
 * The two state machines, built as data and written to statemachines/*.asl.json
 * (`npm run build:statemachines`; a test keeps the files and this module in step).
 *
 * Provisioning runs the component graph as nested Parallel states, so a component starts as
 * soon as what it needs is built and a stack takes about as long as its longest chain:
 *
 *   network ── security ─┬─ secrets ── database
 *                        ├─ bastion
 *                        └─ ┬─ nat ───────┬─ cluster ── frontend
 *                           └─ endpoints ─┘
 *
 * Secrets needs nothing, but runs just before the database, its only user: in its own branch
 * from the start, the database would have to wait on another branch, and a failure there could
 * surface as the database's. It costs the secret's ~10 s on a chain of ~9 minutes.
 *
 * The cluster waits for the NAT and the endpoints (its instances' ways out, decision 0015). Nested
 * Parallel states cannot say "cluster after nat and security, database after security only, nat
 * after network only" (that graph is not series-parallel), so the NAT starts after security: it
 * costs the NAT the security groups' ~10 s, off the database's chain.
 *
 * A component's branch: Deploy → (Wait → Check)* until it is complete. Any failure is caught,
 * recorded on the step, and fails the branch; the whole build is then caught and compensated:
 * every component is deleted in reverse order (independent ones in parallel). Teardown
 * (DELETE /v1/stacks/{id}) is the same reverse graph.
 */
type State = Record<string, unknown>;
type States = Record<string, State>;
interface Branch {
  StartAt: string;
  States: States;
}

export const WORKFLOW_FUNCTION = '${StackWorkflowFunctionArn}';
const TASK_TIMEOUT_SECONDS = 60;

const pascal = (component: ComponentName) => component[0]!.toUpperCase() + component.slice(1);

/** Retry: final errors never; AWS throttling and cross-branch waits with a long budget; anything else twice. */
export function retryPolicy(): State[] {
  return [
    { ErrorEquals: [...FINAL_ERRORS], MaxAttempts: 0 },
    { ErrorEquals: [...TRANSIENT_ERRORS], IntervalSeconds: 2, MaxAttempts: 8, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
    { ErrorEquals: ['States.ALL'], IntervalSeconds: 3, MaxAttempts: 2, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
  ];
}

function task(parameters: Record<string, unknown>, options: { next?: string; resultPath?: string | null; catchTo: string; catchResultPath?: string | null }): State {
  return {
    Type: 'Task',
    Resource: WORKFLOW_FUNCTION,
    // The execution running the step: a step of a stopped, replaced execution must not write.
    Parameters: { 'stackId.$': '$.stackId', 'execution.$': '$$.Execution.Name', ...parameters },
    ResultPath: options.resultPath === undefined ? '$.result' : options.resultPath,
    TimeoutSeconds: TASK_TIMEOUT_SECONDS,
    Retry: retryPolicy(),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: options.catchResultPath === undefined ? '$.error' : options.catchResultPath, Next: options.catchTo }],
    ...(options.next ? { Next: options.next } : { End: true }),
  };
}

function choice(variable: string, cases: Record<string, string>, otherwise: string): State {
  return {
    Type: 'Choice',
    Choices: Object.entries(cases).map(([value, next]) => ({ Variable: variable, StringEquals: value, Next: next })),
    Default: otherwise,
  };
}

/** Deploy one component and wait for it, with polls sized by the step itself. */
export function createBranch(component: ComponentName, then?: Branch): Branch {
  const C = pascal(component);
  const done = then ? then.StartAt : `${C}Created`;
  const states: States = {
    [`Deploy${C}`]: task({ action: 'deploy', component }, { next: `${C}Deployed`, catchTo: `Record${C}Failure` }),
    [`${C}Deployed`]: choice('$.result.outcome', { IN_PROGRESS: `Wait${C}` }, done),
    [`Wait${C}`]: { Type: 'Wait', SecondsPath: '$.result.waitSeconds', Next: `Check${C}` },
    [`Check${C}`]: task({ action: 'check', component, 'attempt.$': '$.result.attempt' }, { next: `${C}Checked`, catchTo: `Record${C}Failure` }),
    [`${C}Checked`]: choice('$.result.outcome', { IN_PROGRESS: `Wait${C}` }, done),
    [`Record${C}Failure`]: task({ action: 'fail-step', component, 'error.$': '$.error' }, { next: `${C}Failed`, resultPath: null, catchTo: `${C}Failed`, catchResultPath: null }),
    [`${C}Failed`]: { Type: 'Fail', Error: 'ComponentFailed', Cause: `${component} could not be created` },
    ...(then ? then.States : { [`${C}Created`]: { Type: 'Succeed' } }),
  };
  return { StartAt: `Deploy${C}`, States: states };
}

/** Delete one component (tolerating one that is gone), retrying failed deletions; never fails. */
export function deleteBranch(component: ComponentName, then?: Branch): Branch {
  const C = pascal(component);
  const done = then ? then.StartAt : `${C}Deleted`;
  const states: States = {
    [`Delete${C}`]: task({ action: 'delete', component }, { next: `${C}DeletionStarted`, catchTo: `Abandon${C}` }),
    [`${C}DeletionStarted`]: choice('$.result.outcome', { DELETING: `WaitDeletion${C}` }, done),
    [`WaitDeletion${C}`]: { Type: 'Wait', SecondsPath: '$.result.waitSeconds', Next: `CheckDeletion${C}` },
    [`CheckDeletion${C}`]: task({ action: 'check-deletion', component, 'attempt.$': '$.result.attempt' }, { next: `${C}DeletionChecked`, catchTo: `Abandon${C}` }),
    [`${C}DeletionChecked`]: choice('$.result.outcome', { DELETING: `WaitDeletion${C}`, RETRY: `Delete${C}` }, done),
    [`Abandon${C}`]: task({ action: 'abandon', component, 'error.$': '$.error' }, { next: done, resultPath: null, catchTo: done, catchResultPath: null }),
    ...(then ? then.States : { [`${C}Deleted`]: { Type: 'Succeed' } }),
  };
  return { StartAt: `Delete${C}`, States: states };
}

function parallel(name: string, branches: Branch[], then?: Branch): Branch {
  return {
    StartAt: name,
    States: {
      [name]: { Type: 'Parallel', Branches: branches, ResultPath: null, ...(then ? { Next: then.StartAt } : { End: true }) },
      ...(then ? then.States : {}),
    },
  };
}

/** The forward graph (see the module comment); a test holds it to COMPONENT_DEPENDENCIES. */
export function buildGraph(): Branch[] {
  return [
    createBranch(
      'network',
      createBranch(
        'security',
        parallel('AfterSecurity', [
          createBranch('secrets', createBranch('database')),
          createBranch('bastion'),
          parallel('Egress', [createBranch('nat'), createBranch('endpoints')], createBranch('cluster', createBranch('frontend'))),
        ]),
      ),
    ),
  ];
}

/** The reverse graph: dependents before what they depend on, independent ones in parallel. */
export function teardownGraph(): Branch {
  return parallel(
    'TeardownDependents',
    [
      deleteBranch('frontend', deleteBranch('cluster', parallel('TeardownEgress', [deleteBranch('nat'), deleteBranch('endpoints')]))),
      deleteBranch('database', deleteBranch('secrets')),
      deleteBranch('bastion'),
    ],
    deleteBranch('security', deleteBranch('network')),
  );
}

function teardown(next: string): State {
  return {
    Type: 'Parallel',
    Parameters: { 'stackId.$': '$.stackId' },
    Branches: [teardownGraph()],
    ResultPath: null,
    Next: next,
    // Branches record their own failures; this only guards against the unforeseen.
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.teardownError', Next: next }],
  };
}

export function provisionStackDefinition(): Record<string, unknown> {
  return {
    Comment: 'Groundwork: build a stack component by component in the customer account; on any failure delete what was built, in reverse order.',
    StartAt: 'BuildComponents',
    States: {
      BuildComponents: {
        Type: 'Parallel',
        Branches: buildGraph(),
        ResultPath: null,
        Next: 'MarkCreateComplete',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'StartRollback' }],
      },
      MarkCreateComplete: task({ action: 'finish', outcome: 'create' }, { catchTo: 'StartRollback' }),
      StartRollback: task({ action: 'start-rollback', 'error.$': '$.error' }, { next: 'Compensate', resultPath: null, catchTo: 'Compensate', catchResultPath: '$.rollbackError' }),
      Compensate: teardown('FinishRollback'),
      FinishRollback: task({ action: 'finish', outcome: 'rollback' }, { next: 'RolledBack', catchTo: 'RollbackNotRecorded' }),
      RolledBack: { Type: 'Fail', Error: 'StackRolledBack', Cause: 'A component failed; what was built has been deleted (see the stack for leftovers, if any).' },
      RollbackNotRecorded: { Type: 'Fail', Error: 'RollbackNotRecorded', Cause: 'The rollback ran but its outcome could not be recorded.' },
    },
  };
}

export function deleteStackDefinition(): Record<string, unknown> {
  return {
    Comment: 'Groundwork: delete a stack component by component in reverse order, tolerating components already gone.',
    StartAt: 'Teardown',
    States: {
      Teardown: teardown('FinishDelete'),
      FinishDelete: task({ action: 'finish', outcome: 'delete' }, { catchTo: 'DeleteNotRecorded' }),
      DeleteNotRecorded: { Type: 'Fail', Error: 'DeleteNotRecorded', Cause: 'The teardown ran but its outcome could not be recorded.' },
    },
  };
}

export const STATE_MACHINE_FILES = {
  'statemachines/provision-stack.asl.json': provisionStackDefinition,
  'statemachines/delete-stack.asl.json': deleteStackDefinition,
} as const;
