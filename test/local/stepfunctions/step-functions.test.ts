import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEdgeServer, type EdgeServer } from '../../../local/edge/edge-server';
import { StateFileError } from '../../../local/stepfunctions/errors';
import type { ExecutionRecord, ExecutionStatusChangeDetail } from '../../../local/stepfunctions/execution-record';
import { createStepFunctionsService, type StepFunctionsService } from '../../../local/stepfunctions/step-functions-service';
import { substitutePlaceholders } from '../../../local/stepfunctions/local-state-machine';
import { clientConfig, temporaryDirectory, waitFor } from '../edge/edge-support';

const ACCOUNT = '000000000000';
const SMALL_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:small`;
const PROVISION_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:groundwork-local-provision-stack`;
const WORK_FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:work`;
const WORKFLOW_FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:groundwork-local-stackWorkflow`;
/** 0.01: a 100 s wait takes 1 s. */
const WAIT_SCALE = 0.01;

/** Work doubles n, then the machine waits as long as Work says (SecondsPath), then answers. */
const small = {
  Comment: 'a Task, a dynamic Wait, a Pass',
  StartAt: 'Work',
  States: {
    Work: {
      Type: 'Task',
      Resource: WORK_FN,
      Parameters: { 'n.$': '$.n', 'execution.$': '$$.Execution.Name' },
      ResultPath: '$.work',
      TimeoutSeconds: 10,
      Retry: [{ ErrorEquals: ['FlakyError'], IntervalSeconds: 100, MaxAttempts: 2, BackoffRate: 1 }],
      Next: 'Pause',
    },
    Pause: { Type: 'Wait', SecondsPath: '$.work.waitSeconds', Next: 'Done' },
    Done: { Type: 'Pass', Parameters: { 'doubled.$': '$.work.doubled' }, End: true },
  },
};

class BoomError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoomError';
  }
}

const flakyCalls = new Map<string, number>();
/** n = 0: waits 3000 s (30 s scaled); n = -1: fails; n = -2: fails once per execution, then works. */
async function work(input: unknown) {
  const { n, execution } = input as { n: number; execution: string };
  if (n === -1) throw new BoomError('boom');
  if (n === -2) {
    const calls = (flakyCalls.get(execution) ?? 0) + 1;
    flakyCalls.set(execution, calls);
    if (calls === 1) throw Object.assign(new Error('try again'), { name: 'FlakyError' });
  }
  return { doubled: n * 2, waitSeconds: n === 0 ? 3000 : 100 };
}

interface Step {
  action: string;
  component?: string;
  outcome?: string;
  error?: unknown;
}
const workflowCalls: Step[] = [];
let failComponent: string | undefined;
/** Answers each step of the real workflows trivially; the network takes one (scaled) wait. */
async function stackWorkflow(input: unknown) {
  const step = input as Step;
  workflowCalls.push(step);
  switch (step.action) {
    case 'deploy':
      if (step.component === failComponent) throw Object.assign(new Error(`${step.component} failed: injected`), { name: 'ComponentFailedError' });
      return step.component === 'network' ? { outcome: 'IN_PROGRESS', waitSeconds: 60, attempt: 0 } : { outcome: 'SKIPPED' };
    case 'check':
      return { outcome: 'COMPLETE' };
    case 'delete':
    case 'check-deletion':
      return { outcome: 'GONE' };
    default:
      return { outcome: 'DONE' };
  }
}

const provisionDefinition = substitutePlaceholders(JSON.parse(readFileSync(new URL('../../../statemachines/provision-stack.asl.json', import.meta.url), 'utf8')) as object, {
  StackWorkflowFunctionArn: WORKFLOW_FN,
});

/** What the service announced, as local/start.ts forwards it to the default bus. */
const statusChanges: ExecutionStatusChangeDetail[] = [];
const serviceOptions = (stateFile: string) => ({
  machines: { [SMALL_ARN]: small, [PROVISION_ARN]: provisionDefinition },
  functions: { [WORK_FN]: work, [WORKFLOW_FN]: stackWorkflow },
  waitScale: WAIT_SCALE,
  stateFile,
  onStatusChange: (detail: ExecutionStatusChangeDetail) => void statusChanges.push(detail),
});

const states = temporaryDirectory();
let service: StepFunctionsService;
let edge: EdgeServer;
let sfn: SFNClient;

beforeAll(async () => {
  service = createStepFunctionsService(serviceOptions(join(states.path, 'step-functions.json')));
  edge = await startEdgeServer({ port: 0, services: [service] });
  sfn = new SFNClient(clientConfig(edge.url));
});

afterAll(async () => {
  await service.settle();
  sfn.destroy();
  await edge.close();
  states.remove();
});

const describe_ = (executionArn: string) => sfn.send(new DescribeExecutionCommand({ executionArn }));
const finished = (executionArn: string, timeoutMs = 10_000) => waitFor(() => describe_(executionArn), (d: DescribeExecutionCommandOutput) => d.status !== 'RUNNING', timeoutMs);
async function history(executionArn: string): Promise<HistoryEvent[]> {
  return (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
}
const types = (events: HistoryEvent[]) => events.map((event) => event.type);
const transitions = (events: HistoryEvent[]) => ({
  entered: events.filter((event) => event.type?.endsWith('StateEntered')).length,
  exited: events.filter((event) => event.type?.endsWith('StateExited')).length,
});

describe('the local Step Functions, through the plain SFN client', () => {
  it('runs a Task on its local function and a SecondsPath Wait at the given scale, then answers SUCCEEDED with the output', async () => {
    const { executionArn, startDate } = await sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, name: 'double-21', input: JSON.stringify({ n: 21 }) }));

    expect(executionArn).toBe(`arn:aws:states:us-east-1:${ACCOUNT}:execution:small:double-21`);
    expect(startDate).toBeInstanceOf(Date);
    expect((await describe_(executionArn!)).status).toBe('RUNNING');
    const done = await finished(executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({ doubled: 42 });
    // The Wait said 100 s; scaled by 0.01 it takes about a second, not a hundred. The dates come
    // from the service's clock, but the Wait runs on real timers at waitScale: that they really
    // wait is what this proves, so the lower bound is tight and the upper one wide for a busy machine.
    const tookMs = done.stopDate!.getTime() - done.startDate!.getTime();
    expect(tookMs).toBeGreaterThanOrEqual(900);
    expect(tookMs).toBeLessThan(30_000); // unscaled: 100 s
  });

  it('shows the history as AWS does, one StateEntered and one StateExited per state visited', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, name: 'history', input: JSON.stringify({ n: 1 }) }));
    await finished(executionArn!);

    const events = await history(executionArn!);

    expect(types(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(transitions(events)).toEqual({ entered: 3, exited: 3 });
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events[1]?.stateEnteredEventDetails?.name).toBe('Work');
    expect(events[2]?.lambdaFunctionScheduledEventDetails?.resource).toBe(WORK_FN);
    expect(JSON.parse(events[4]?.lambdaFunctionSucceededEventDetails?.output ?? 'null')).toEqual({ doubled: 2, waitSeconds: 100 });
    expect(events.every((event) => event.timestamp instanceof Date)).toBe(true);
  });

  it('is idempotent for the same name and input while running, and refuses the name otherwise', async () => {
    const input = JSON.stringify({ n: 0 });
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, name: 'once', input }));

    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, name: 'once', input }));
    const other = sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, name: 'once', input: JSON.stringify({ n: 5 }) }));

    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    await expect(other).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    // Closed: as in AWS, the name cannot be used again, even with the same input.
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, name: 'once', input }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('fails an execution whose Task fails, with the error and the Lambda-shaped cause', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, name: 'boom', input: JSON.stringify({ n: -1 }) }));

    const done = await finished(executionArn!);

    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('BoomError');
    expect(JSON.parse(done.cause ?? '{}')).toMatchObject({ errorType: 'BoomError', errorMessage: 'boom' });
    expect(types(await history(executionArn!)).slice(-2)).toEqual(['LambdaFunctionFailed', 'ExecutionFailed']);
  });

  it('retries a Task after the scaled interval and shows each attempt', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, name: 'flaky', input: JSON.stringify({ n: -2 }) }));

    const done = await finished(executionArn!);

    expect(done.status).toBe('SUCCEEDED');
    const events = await history(executionArn!);
    expect(types(events).filter((type) => type === 'LambdaFunctionScheduled')).toHaveLength(2);
    expect(events.find((event) => event.type === 'LambdaFunctionFailed')?.lambdaFunctionFailedEventDetails?.error).toBe('FlakyError');
    // 100 s retry interval and 100 s wait, both scaled: about two seconds in all.
    expect(done.stopDate!.getTime() - done.startDate!.getTime()).toBeLessThan(60_000); // unscaled: 200 s
  });

  it('stops a running execution: ABORTED with the given error and cause, and nothing runs after', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, name: 'stop-me', input: JSON.stringify({ n: 0 }) }));
    await waitFor(() => history(executionArn!), (events) => types(events).includes('WaitStateEntered'));

    const { stopDate } = await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'not needed' }));

    expect(stopDate).toBeInstanceOf(Date);
    const stopped = await describe_(executionArn!);
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'not needed' });
    expect(stopped.output).toBeUndefined();
    const events = await history(executionArn!);
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator', cause: 'not needed' } });
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: SMALL_ARN, statusFilter: 'ABORTED' }));
    expect(listed.executions?.map((e) => e.name)).toContain('stop-me');
    // Announced as Step Functions' status-change events are: started, then stopped, with the input.
    const announced = statusChanges.filter((change) => change.executionArn === executionArn);
    expect(announced.map((change) => change.status)).toEqual(['RUNNING', 'ABORTED']);
    expect(announced[1]).toMatchObject({ stateMachineArn: SMALL_ARN, name: 'stop-me', input: JSON.stringify({ n: 0 }), error: 'Operator', cause: 'not needed', output: null });
    expect(announced[1]?.stopDate).toBe(stopDate?.getTime());
  });

  it('answers AWS errors for what does not exist or is not valid', async () => {
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:nope` }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, input: '{not json' }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: SMALL_ARN, name: 'a b' }))).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(describe_(`arn:aws:states:us-east-1:${ACCOUNT}:execution:small:never`)).rejects.toMatchObject({ name: 'ExecutionDoesNotExist', $metadata: { httpStatusCode: 400 } });
  });

  it('runs the real provision-stack definition: parallel branches, SecondsPath waits, the final step', async () => {
    workflowCalls.length = 0;
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: PROVISION_ARN, name: 'stack-1', input: JSON.stringify({ stackId: 'stack-1' }) }));

    const done = await finished(executionArn!);

    expect(done.status).toBe('SUCCEEDED');
    // Each step is told which execution runs it ($$.Execution.Name), as in AWS.
    expect(workflowCalls).toContainEqual({ stackId: 'stack-1', execution: 'stack-1', action: 'check', component: 'network', attempt: 0 });
    expect(workflowCalls.at(-1)).toEqual({ stackId: 'stack-1', execution: 'stack-1', action: 'finish', outcome: 'create' });
    const events = await history(executionArn!);
    expect(events.filter((e) => e.type === 'WaitStateEntered').map((e) => e.stateEnteredEventDetails?.name)).toEqual(['WaitNetwork']);
    const { entered, exited } = transitions(events);
    expect(entered).toBe(exited);
    expect(entered).toBeGreaterThan(20);
  });

  it('runs the real definition\'s compensation when a component fails: the execution ends StackRolledBack', async () => {
    workflowCalls.length = 0;
    failComponent = 'database';
    try {
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: PROVISION_ARN, name: 'stack-2', input: JSON.stringify({ stackId: 'stack-2' }) }));

      const done = await finished(executionArn!);

      expect(done).toMatchObject({ status: 'FAILED', error: 'StackRolledBack' });
      const actions = workflowCalls.map((call) => `${call.action}${call.component ? `:${call.component}` : ''}${call.outcome ? `:${call.outcome}` : ''}`);
      expect(actions).toEqual(expect.arrayContaining(['fail-step:database', 'start-rollback', 'delete:network', 'finish:rollback']));
      // The branch's Fail state's error reaches the outer Catch unchanged, through two Parallels.
      expect(workflowCalls.find((call) => call.action === 'start-rollback')?.error).toEqual({ Error: 'ComponentFailed', Cause: 'database could not be created' });
      // The failed branch's transitions, three Parallels deep, are in the history too.
      const events = await history(executionArn!);
      const entered = events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);
      expect(entered).toEqual(expect.arrayContaining(['DeployDatabase', 'RecordDatabaseFailure', 'DatabaseFailed', 'StartRollback', 'FinishRollback', 'RolledBack']));
      expect(events.at(-1)).toMatchObject({ type: 'ExecutionFailed', executionFailedEventDetails: { error: 'StackRolledBack' } });
    } finally {
      failComponent = undefined;
    }
  });
});

describe('the local Step Functions across a restart', () => {
  const stored = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { executions: ExecutionRecord[] }).executions;

  function interruptedStateFile(name: string): string {
    const file = join(states.path, `${name}.json`);
    const record: ExecutionRecord = {
      executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:small:${name}`,
      stateMachineArn: SMALL_ARN,
      name,
      input: JSON.stringify({ n: 4 }),
      status: 'RUNNING',
      startDate: new Date().toISOString(),
      history: [],
    };
    writeFileSync(file, JSON.stringify({ version: 1, executions: [record] }));
    return file;
  }

  it('keeps finished executions in the state file', async () => {
    await service.settle();
    const file = join(states.path, 'step-functions.json');

    expect(existsSync(file)).toBe(true);
    const double = stored(file).find((record) => record.name === 'double-21');
    expect(double).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify({ doubled: 42 }) });
    const restarted = createStepFunctionsService(serviceOptions(file));
    expect(restarted.executions().find((record) => record.name === 'double-21')?.status).toBe('SUCCEEDED');
  });

  it('records an execution a previous process left running as ABORTED, saying why', () => {
    const file = interruptedStateFile('left-running');

    const restarted = createStepFunctionsService(serviceOptions(file));

    const [record] = restarted.executions();
    expect(record).toMatchObject({ status: 'ABORTED', error: 'Groundwork.LocalProcessStopped' });
    expect(record?.cause).toMatch(/stopped while this execution was running/);
    expect(stored(file)[0]?.status).toBe('ABORTED');
  });

  it('refuses a state file it cannot read rather than starting afresh over it', () => {
    const file = join(states.path, 'broken.json');
    writeFileSync(file, '{"executions": [');

    expect(() => createStepFunctionsService(serviceOptions(file))).toThrow(StateFileError);
  });

  it('with onRestart rerun, runs it again from the start when asked', async () => {
    const file = interruptedStateFile('rerun-me');
    const restarted = createStepFunctionsService({ ...serviceOptions(file), onRestart: 'rerun' });
    expect(restarted.executions()[0]?.status).toBe('RUNNING');

    const resumed = restarted.resumeInterrupted();
    await restarted.settle();

    expect(resumed).toEqual([`arn:aws:states:us-east-1:${ACCOUNT}:execution:small:rerun-me`]);
    expect(restarted.executions()[0]).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify({ doubled: 8 }) });
    expect(stored(file)[0]?.status).toBe('SUCCEEDED');
  });
});
