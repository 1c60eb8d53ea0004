import { CreateLogGroupCommand, DeleteLogGroupCommand, GetLogEventsCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import type { Account } from '../../src/accounts/account';
import { ClusterOutputs } from '../../src/templates/cluster';
import { DatabaseOutputs } from '../../src/templates/database';
import { NetworkOutputs } from '../../src/templates/network';
import { SecretsOutputs } from '../../src/templates/secrets';
import { SecurityOutputs } from '../../src/templates/security';
import type { ComponentStacks } from './component-stacks';
import type { Cleanup, SmokeReport } from './smoke-report';
import { SmokeCheckFailed, type SmokeRuntime } from './smoke-runtime';

/**
 * The checks a customer's workload depends on, made from where it runs: a one-off ECS task in the
 * stack's cluster, in the private subnets with the app security group (awsvpc), run with the
 * caller's own credentials (the access role can only drive CloudFormation). It fetches
 * https://checkip.amazonaws.com (egress through the NAT: the default stack has no endpoints), asks
 * the database whether it accepts connections, and logs in with the credentials ECS injects from
 * the stack's secret using the onboarding stack's task execution role. Its exit code carries one
 * bit per failed check, so the verdict does not depend on reading its logs.
 */
export const CHECK_IMAGE = 'public.ecr.aws/docker/library/postgres:16-alpine';
export const CHECK_CONTAINER = 'check';
const LOG_STREAM_PREFIX = 'smoke';

export const CHECK_BITS = { egress: 1, databaseReady: 2, databaseLogin: 4 } as const;
export type CheckName = keyof typeof CHECK_BITS;

/** POSIX sh for the image's busybox: wget (its https via ssl_client), pg_isready and psql read PG* from the environment. */
export const CHECK_SCRIPT = [
  'code=0',
  'if ip=$(wget -q -T 20 -O - https://checkip.amazonaws.com 2>&1); then echo "egress: ok $ip"; else echo "egress: failed $ip"; code=$((code | 1)); fi',
  'if pg_isready -t 20; then echo "database: ready"; else echo "database: not ready"; code=$((code | 2)); fi',
  'if out=$(psql -Atqc "select 1" 2>&1); then echo "database login: ok"; else echo "database login: failed $out"; code=$((code | 4)); fi',
  'exit $code',
].join('\n');

export const CHECK_TITLES: Record<CheckName, string> = {
  egress: 'egress from a private subnet through the NAT (https://checkip.amazonaws.com)',
  databaseReady: 'the database accepts connections from the app security group (pg_isready)',
  databaseLogin: 'login with the stack secret\'s credentials, injected by ECS with the task execution role',
};

export interface TaskCheckInput {
  runId: string;
  clusterName: string;
  privateSubnetIds: string[];
  appSecurityGroupId: string;
  databaseHost: string;
  databasePort: string;
  secretArn: string;
  taskExecutionRoleArn: string;
}

/** What the check needs, from the components' outputs and the account's onboarding record. */
export function taskCheckInput(runId: string, stacks: ComponentStacks, account: Account): TaskCheckInput {
  const need = (component: Parameters<ComponentStacks['outputs']>[0], output: string): string => {
    const value = stacks.outputs(component)[output];
    if (!value) throw new SmokeCheckFailed(`the ${component} component has no output ${output}`);
    return value;
  };
  const taskExecutionRoleArn = account.deployContext?.taskExecutionRoleArn;
  if (!taskExecutionRoleArn) throw new SmokeCheckFailed('the onboarding stack registered no TaskExecutionRoleArn');
  return {
    runId,
    clusterName: need('cluster', ClusterOutputs.ClusterName),
    privateSubnetIds: need('network', NetworkOutputs.PrivateSubnetIds).split(','),
    appSecurityGroupId: need('security', SecurityOutputs.AppSecurityGroupId),
    databaseHost: need('database', DatabaseOutputs.DatabaseEndpointAddress),
    databasePort: need('database', DatabaseOutputs.DatabaseEndpointPort),
    secretArn: need('secrets', SecretsOutputs.DatabaseSecretArn),
    taskExecutionRoleArn,
  };
}

export interface CheckVerdict {
  check: CheckName;
  ok: boolean;
  detail: string;
}

/** Each check's verdict from how the task ended, and its log lines when there are any. */
export function verdicts(task: Pick<Task, 'stopCode' | 'stoppedReason' | 'containers'>, logLines: string[]): CheckVerdict[] {
  const container = task.containers?.find((c) => c.name === CHECK_CONTAINER) ?? task.containers?.[0];
  const exitCode = container?.exitCode;
  const line = (prefix: string) => logLines.find((l) => l.startsWith(prefix));
  if (exitCode === undefined || exitCode === null) {
    const why = [task.stopCode, task.stoppedReason, container?.reason].filter(Boolean).join(': ') || 'the task stopped without running its command';
    return (Object.keys(CHECK_BITS) as CheckName[]).map((check) => ({ check, ok: false, detail: `the task never ran its checks (${why})${hintFor(why)}` }));
  }
  if (exitCode > 7 || exitCode < 0) {
    return (Object.keys(CHECK_BITS) as CheckName[]).map((check) => ({ check, ok: false, detail: `the task exited ${exitCode}, which is not one of the check's codes` }));
  }
  return [
    { check: 'egress', ok: (exitCode & CHECK_BITS.egress) === 0, detail: line('egress:') ?? (exitCode & CHECK_BITS.egress ? 'no answer from checkip.amazonaws.com' : 'checkip.amazonaws.com answered') },
    { check: 'databaseReady', ok: (exitCode & CHECK_BITS.databaseReady) === 0, detail: line('database:') ?? (exitCode & CHECK_BITS.databaseReady ? 'pg_isready: no connection' : 'pg_isready: accepting connections') },
    { check: 'databaseLogin', ok: (exitCode & CHECK_BITS.databaseLogin) === 0, detail: line('database login:') ?? (exitCode & CHECK_BITS.databaseLogin ? 'psql could not log in' : 'psql logged in and ran select 1') },
  ];
}

function hintFor(why: string): string {
  if (/CannotPullContainer|pull image|i\/o timeout/i.test(why)) return '; the instance could not pull the image: the private subnets probably have no egress (reviews D2, D6, D8)';
  if (/secret|ResourceInitializationError/i.test(why)) return '; ECS could not read the secret with the task execution role (its trust policy\'s aws:SourceAccount, or the secret\'s groundwork:stack tag)';
  return '';
}

export async function runTaskCheck(runtime: SmokeRuntime, report: SmokeReport, cleanup: Cleanup, input: TaskCheckInput): Promise<void> {
  const { ecs, logs } = runtime.clients;
  await report.step(`a container instance registers in ${input.clusterName}`, async (note) => {
    const deadline = runtime.now() + runtime.timing.containerInstanceMs;
    for (;;) {
      const described = await ecs.send(new DescribeClustersCommand({ clusters: [input.clusterName] }));
      const count = described.clusters?.[0]?.registeredContainerInstancesCount ?? 0;
      if (count > 0) {
        note(`${count} registered: the ECS agent reached ECS from the private subnets (through the NAT; the default stack has no endpoints)`);
        return;
      }
      if (runtime.now() > deadline) {
        throw new SmokeCheckFailed(`no container instance registered within ${Math.round(runtime.timing.containerInstanceMs / 60_000)} minutes: the private subnets probably have no egress (reviews D2, D6, D8)`);
      }
      await runtime.sleep(runtime.timing.pollMs, runtime.signal);
    }
  });

  const logGroupName = `/groundwork/aws-smoke/${input.runId}`;
  const family = `groundwork-aws-smoke-${input.runId}`;
  const { task, logLines } = await report.step(`run a one-off task (${CHECK_IMAGE}) in the private subnets with the app security group`, async (note) => {
    cleanup.register(`CloudWatch log group ${logGroupName} (${runtime.region})`, async () => {
      await logs.send(new DeleteLogGroupCommand({ logGroupName })).catch(ignoreNotFound);
    });
    await logs.send(new CreateLogGroupCommand({ logGroupName }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: 1 }));

    let taskDefinitionArn: string | undefined;
    cleanup.register(`ECS task definition ${family} (${runtime.region})`, async () => {
      if (!taskDefinitionArn) return;
      await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
      await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [taskDefinitionArn] }));
    });
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['EC2'],
        executionRoleArn: input.taskExecutionRoleArn,
        containerDefinitions: [
          {
            name: CHECK_CONTAINER,
            image: CHECK_IMAGE,
            essential: true,
            memory: 256,
            entryPoint: ['sh', '-c'],
            command: [CHECK_SCRIPT],
            environment: [
              { name: 'PGHOST', value: input.databaseHost },
              { name: 'PGPORT', value: input.databasePort },
              { name: 'PGDATABASE', value: 'postgres' },
              { name: 'PGSSLMODE', value: 'require' },
              { name: 'PGCONNECT_TIMEOUT', value: '15' },
            ],
            // A JSON key of the secret: `<secret ARN>:<json-key>::` (Amazon ECS Developer Guide,
            // "Pass Secrets Manager secrets through Amazon ECS environment variables", read 2026-12-06).
            secrets: [
              { name: 'PGUSER', valueFrom: `${input.secretArn}:username::` },
              { name: 'PGPASSWORD', valueFrom: `${input.secretArn}:password::` },
            ],
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': logGroupName, 'awslogs-region': runtime.region, 'awslogs-stream-prefix': LOG_STREAM_PREFIX },
            },
          },
        ],
      }),
    );
    taskDefinitionArn = registered.taskDefinition?.taskDefinitionArn;
    if (!taskDefinitionArn) throw new SmokeCheckFailed('RegisterTaskDefinition returned no ARN');

    let taskArn: string | undefined;
    cleanup.register(`ECS task of ${family} in ${input.clusterName} (${runtime.region})`, async () => {
      if (taskArn) await ecs.send(new StopTaskCommand({ cluster: input.clusterName, task: taskArn, reason: 'npm run aws:smoke teardown' })).catch(ignoreNotFound);
    });
    // No launch type and no strategy: the cluster's default capacity provider strategy places it (ECS API Reference, RunTask).
    const ran = await ecs.send(
      new RunTaskCommand({
        cluster: input.clusterName,
        taskDefinition: taskDefinitionArn,
        count: 1,
        startedBy: 'groundwork-aws-smoke',
        networkConfiguration: { awsvpcConfiguration: { subnets: input.privateSubnetIds, securityGroups: [input.appSecurityGroupId] } },
      }),
    );
    taskArn = ran.tasks?.[0]?.taskArn;
    if (!taskArn) {
      const why = (ran.failures ?? []).map((f) => `${f.arn ?? ''} ${f.reason ?? ''} ${f.detail ?? ''}`.trim()).join('; ');
      throw new SmokeCheckFailed(`RunTask placed no task${why ? `: ${why}` : ''}`);
    }

    const deadline = runtime.now() + runtime.timing.taskMs;
    for (;;) {
      await runtime.sleep(runtime.timing.pollMs, runtime.signal);
      const described = await ecs.send(new DescribeTasksCommand({ cluster: input.clusterName, tasks: [taskArn] }));
      const stopped = described.tasks?.[0];
      if (stopped?.lastStatus === 'STOPPED') {
        const container = stopped.containers?.find((c) => c.name === CHECK_CONTAINER);
        note(`STOPPED, exit code ${container?.exitCode ?? 'none'}${stopped.stoppedReason ? `, ${stopped.stoppedReason}` : ''}`);
        const lines = await readLog(runtime, logGroupName, `${LOG_STREAM_PREFIX}/${CHECK_CONTAINER}/${taskArn.split('/').at(-1) ?? ''}`);
        lines.forEach((l) => note(`log: ${l}`));
        return { task: stopped, logLines: lines };
      }
      if (runtime.now() > deadline) throw new SmokeCheckFailed(`the task is still ${stopped?.lastStatus ?? 'unknown'} after ${Math.round(runtime.timing.taskMs / 60_000)} minutes`);
    }
  });

  let failed = 0;
  for (const verdict of verdicts(task, logLines)) {
    await report
      .step(CHECK_TITLES[verdict.check], async (note) => {
        if (!verdict.ok) throw new SmokeCheckFailed(verdict.detail);
        note(verdict.detail);
      })
      .catch(() => (failed += 1));
  }
  if (failed > 0) throw new SmokeCheckFailed(`${failed} of the task's checks failed`);
}

/** The task's log lines; none when the stream was never written (a task that did not start). */
async function readLog(runtime: SmokeRuntime, logGroupName: string, logStreamName: string): Promise<string[]> {
  try {
    const events = await runtime.clients.logs.send(new GetLogEventsCommand({ logGroupName, logStreamName, startFromHead: true }));
    return (events.events ?? []).map((e) => (e.message ?? '').trimEnd());
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return [];
    throw error;
  }
}

function ignoreNotFound(error: unknown): void {
  if (error instanceof Error && /NotFound|InvalidParameter/.test(error.name)) return;
  throw error;
}
