import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger, type LogLevel } from '../src/log/logger';
import { tableDefinition } from '../src/store/table-definition';
import { startLocalApi, type LocalApi } from './api/local-api-server';
import { onboardingTemplateRoute } from './api/onboarding-template-route';
import { loadOrCreateSigningKey } from './auth/local-signing-key';
import {
  API_PORT,
  DYNAMODB_PORT,
  EDGE_PORT,
  LOCAL_HOST,
  REGION,
  SERVICE_ACCOUNT,
  arns,
  endpoints,
  names,
  stateDirectory,
  statePaths,
} from './config';
import { startDynamoDbLocal, type RunningDynamoDb } from './dynamodb/dynamodb-local';
import { startEdgeServer, type EdgeServer } from './edge/edge-server';
import { createFunctionInvoker } from './runtime/function-invoker';
import { PortInUseError, assertPortFree } from './runtime/ports';
import { REPOSITORY_ROOT } from './runtime/service-definition';
import { InvalidSpeedError, speedFromEnvironment } from './runtime/speed';
import { createSandbox, type Sandbox } from './sandbox/sandbox';
import { createEventBridgeService, type EventEnvelope } from './services/event-bridge';
import { createSnsService } from './services/sns';
import { createSqsService } from './services/sqs';
import { createStepFunctionsService } from './stepfunctions/step-functions-service';
import { substitutePlaceholders } from './stepfunctions/local-state-machine';

/**
 * `npm start`: all of Groundwork on this machine, on 127.0.0.1 and the fixed ports of
 * local/config.ts, with its state under .groundwork/ (GROUNDWORK_STATE_DIR):
 *   DynamoDB Local (:4567) with the table; the edge (:4566) serving Step Functions (the ASL files
 *   of statemachines/), EventBridge, SNS, SQS and the sandbox customer accounts' CloudFormation and
 *   STS; and the HTTP API (:3000) with its JWT checks. The functions are the unchanged handlers,
 *   run in this process (local/runtime). Ctrl-C stops everything; the next start continues.
 *
 * GROUNDWORK_SPEED scales every duration that stands for AWS's time: the sandbox's resource
 * times and the workflows' Wait states and retry intervals (1 = real time; default 0.01, so a
 * default stack takes about ten seconds). See runtime/speed.ts. Also: LOG_LEVEL (the functions'
 * and services' JSON logs; info or debug adds one access line per API request), GROUNDWORK_QUIET=1
 * (no line per Groundwork event), GROUNDWORK_STATE_DIR.
 */
export class AlreadyRunningError extends Error {
  constructor(pid: number, pidsFile: string) {
    super(`Groundwork is already running (pid ${pid}, see ${pidsFile}); stop it with Ctrl-C in its terminal or \`kill ${pid}\``);
    this.name = 'AlreadyRunningError';
  }
}

/** package.json's engines: the local services use Node 22+ APIs, and Lambda runs nodejs24.x. */
export const MINIMUM_NODE_MAJOR = 24;

export class UnsupportedNodeError extends Error {
  constructor(version: string) {
    super(`Node.js ${MINIMUM_NODE_MAJOR} or later is needed, this is ${version}: run \`npm start\`, which uses the Node.js ${MINIMUM_NODE_MAJOR} in node_modules`);
    this.name = 'UnsupportedNodeError';
  }
}

export interface StartOptions {
  stateDir?: string;
  /** Default: GROUNDWORK_SPEED, else the sandbox's DEFAULT_SPEED. */
  speed?: number;
  /** Human-readable progress and problems (default: stdout). */
  print?: (line: string) => void;
}

export interface RunningGroundwork {
  stateDir: string;
  speed: number;
  stop(): Promise<void>;
}

interface PidsFile {
  pid: number;
  startedAt: string;
  stateDir: string;
  ports: { api: number; edge: number; dynamodb: number };
  dynamodb?: { pid: number };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/**
 * A previous `npm start` that is still running is refused; one that died without stopping (kill -9)
 * may have left its DynamoDB Local holding the port: that one process, recognised by its pid and
 * command line (our jar, our data directory), is stopped.
 */
async function clearPreviousRun(pidsFile: string, dynamoDataDir: string, print: (line: string) => void): Promise<void> {
  if (!existsSync(pidsFile)) return;
  let previous: Partial<PidsFile>;
  try {
    previous = JSON.parse(readFileSync(pidsFile, 'utf8')) as Partial<PidsFile>;
  } catch {
    rmSync(pidsFile, { force: true });
    return;
  }
  if (typeof previous.pid === 'number' && previous.pid !== process.pid && isAlive(previous.pid) && commandLineOf(previous.pid).includes('start.ts')) {
    throw new AlreadyRunningError(previous.pid, pidsFile);
  }
  const dynamoPid = previous.dynamodb?.pid;
  if (typeof dynamoPid === 'number' && isAlive(dynamoPid)) {
    const commandLine = commandLineOf(dynamoPid);
    if (commandLine.includes('DynamoDBLocal.jar') && commandLine.includes(dynamoDataDir)) {
      print(`groundwork: stopping the DynamoDB Local a previous run left behind (pid ${dynamoPid})`);
      process.kill(dynamoPid, 'SIGTERM');
      for (let i = 0; i < 50 && isAlive(dynamoPid); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      if (isAlive(dynamoPid)) process.kill(dynamoPid, 'SIGKILL');
    }
  }
  rmSync(pidsFile, { force: true });
}

async function ensureTable(): Promise<'created' | 'existing'> {
  // The functions' own credentials: DynamoDB Local keeps one database per access key and region.
  const client = new DynamoDBClient({ endpoint: endpoints.dynamodb, region: REGION, credentials: { accessKeyId: SERVICE_ACCOUNT, secretAccessKey: 'local' } });
  try {
    await client.send(new DescribeTableCommand({ TableName: names.table }));
    return 'existing';
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(tableDefinition(names.table)));
    return 'created';
  } finally {
    client.destroy();
  }
}

function readStateMachine(file: string): object {
  const definition = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'statemachines', file), 'utf8')) as object;
  return substitutePlaceholders(definition, { StackWorkflowFunctionArn: arns.function('stackWorkflow') });
}

function eventLine(event: EventEnvelope): string | undefined {
  if (event.source !== 'groundwork') return undefined;
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  const subject = [detail['stackId'] ?? detail['accountId'], detail['step']].filter((part) => typeof part === 'string').join(' ');
  const reason = typeof detail['reason'] === 'string' ? ` — ${detail['reason']}` : '';
  return `${event.time.slice(11, 19)}  ${event['detail-type'].padEnd(24)}  ${subject}  ${String(detail['previousStatus'] ?? '…')} → ${String(detail['status'])}${reason}`;
}

export async function startGroundwork(options: StartOptions = {}): Promise<RunningGroundwork> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (Number(process.versions.node.split('.')[0]) < MINIMUM_NODE_MAJOR) throw new UnsupportedNodeError(process.version);
  const stateDir = options.stateDir ?? stateDirectory(REPOSITORY_ROOT);
  const paths = statePaths(stateDir);
  const speed = options.speed ?? speedFromEnvironment(process.env['GROUNDWORK_SPEED']);
  mkdirSync(stateDir, { recursive: true });

  await clearPreviousRun(paths.pids, paths.dynamodb, print);
  await assertPortFree(API_PORT, 'the HTTP API');
  await assertPortFree(EDGE_PORT, 'the AWS edge endpoint');
  await assertPortFree(DYNAMODB_PORT, 'DynamoDB Local');

  // Makes this process the functions' Lambda environment (process.env) before any handler loads.
  const invoker = createFunctionInvoker();
  const logLevel = (process.env['LOG_LEVEL'] ?? 'warn') as LogLevel;
  const logger = createLogger({ level: logLevel, fields: { service: 'groundwork-local' } });
  const signingKey = loadOrCreateSigningKey(paths.signingKey);

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        print(`groundwork: while stopping: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  try {
    const writePids = (dynamoPid?: number) => {
      const pids: PidsFile = {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        stateDir,
        ports: { api: API_PORT, edge: EDGE_PORT, dynamodb: DYNAMODB_PORT },
        ...(dynamoPid !== undefined ? { dynamodb: { pid: dynamoPid } } : {}),
      };
      writeFileSync(paths.pids, `${JSON.stringify(pids, null, 2)}\n`);
    };
    stops.push(async () => rmSync(paths.pids, { force: true }));

    const dynamo: RunningDynamoDb = await startDynamoDbLocal({ port: DYNAMODB_PORT, dataDir: paths.dynamodb, cacheDir: paths.cache, sharedDb: true });
    // Written at once: if this process dies hard, the next start finds (and stops) this pid.
    writePids(dynamo.pid);
    stops.push(() => dynamo.stop());
    const table = await ensureTable();

    const events = createEventBridgeService({
      logFile: paths.events,
      logger,
      rules: invoker.eventBridgeSubscriptions().map((subscription) => ({
        name: subscription.functionName,
        busName: subscription.busName,
        pattern: subscription.pattern,
        deliver: async (event) => {
          await invoker.invoke(subscription.functionName, event);
        },
      })),
    });
    const sns = createSnsService({
      logger,
      subscriptions: invoker.snsSubscriptions().map((subscription) => ({
        topicArn: subscription.topicArn,
        deliver: async (snsEvent) => {
          await invoker.invoke(subscription.functionName, snsEvent);
        },
      })),
    });
    // Lambda's event source mappings: each queue a function polls, delivering to it (decision 0012).
    const sqs = createSqsService({
      edgeUrl: endpoints.edge,
      delayScale: speed,
      logger,
      queues: invoker.sqsSubscriptions().map((subscription) => ({
        queueName: subscription.queueName,
        visibilityTimeoutSeconds: subscription.visibilityTimeoutSeconds,
        ...(subscription.maxReceiveCount !== undefined ? { maxReceiveCount: subscription.maxReceiveCount } : {}),
        deliver: async (event) => {
          await invoker.invoke(subscription.functionName, event);
        },
      })),
    });
    stops.push(async () => sqs.stop());
    // Every function under its ARN, as a Task's Resource names it.
    const functions = Object.fromEntries(Object.keys(invoker.service.functions).map((name) => [arns.function(name), (input: unknown) => invoker.invoke(name, input)]));
    const stepFunctions = createStepFunctionsService({
      machines: {
        [arns.provisionStateMachine]: readStateMachine('provision-stack.asl.json'),
        [arns.deleteStateMachine]: readStateMachine('delete-stack.asl.json'),
      },
      functions,
      waitScale: speed,
      stateFile: join(stateDir, 'stepfunctions.json'),
      // A workflow cut short by a stop runs again from its start (its steps are idempotent).
      onRestart: 'rerun',
      // As in AWS: status changes go to the default bus, where the stackExecutionEnded rule listens.
      onStatusChange: (detail) =>
        void events
          .putEvent('default', { source: 'aws.states', detailType: 'Step Functions Execution Status Change', detail, account: SERVICE_ACCOUNT, region: REGION, resources: [detail.executionArn] })
          .catch((error: unknown) => logger.warn('execution status change not sent', { executionArn: detail.executionArn, error })),
      logger,
    });
    const sandbox: Sandbox = createSandbox({
      hooks: {
        publishToTopic: async (topicArn, message) => {
          await sns.publish(topicArn, message);
        },
        putEvent: (busArn, entry) => events.putEvent(busArn, entry),
      },
      edgeUrl: endpoints.edge,
      stateFile: paths.sandbox,
      speed,
      log: (message) => print(`sandbox: ${message}`),
    });
    stops.push(() => sandbox.stop());

    const edge: EdgeServer = await startEdgeServer({
      port: EDGE_PORT,
      services: [stepFunctions, events, sns, sqs, ...sandbox.services],
      routes: [
        onboardingTemplateRoute(),
        {
          prefix: '/_sandbox/',
          handle: (request) => {
            const query = new URLSearchParams(request.query).toString();
            return sandbox.handleRoute({ method: request.method, path: query ? `${request.path}?${query}` : request.path, body: request.body });
          },
        },
      ],
      logger,
    });
    stops.push(() => edge.close());

    const verbose = logLevel === 'debug' || logLevel === 'info';
    const api: LocalApi = await startLocalApi({
      port: API_PORT,
      invoker,
      verifier: signingKey,
      log: (line) => print(`api: ${line}`),
      ...(verbose ? { accessLog: (line: string) => print(`api: ${line}`) } : {}),
    });
    stops.push(() => api.close());

    if (process.env['GROUNDWORK_QUIET'] !== '1') {
      events.subscribe((event) => {
        const line = eventLine(event);
        if (line) print(line);
      });
    }
    const resumed = stepFunctions.resumeInterrupted();

    print(
      [
        '',
        `Groundwork is running on ${LOCAL_HOST} (state in ${stateDir}, table ${table === 'created' ? 'created' : 'kept'}).`,
        '',
        `  HTTP API         ${api.url}`,
        `  AWS endpoint     ${edge.url}   Step Functions, EventBridge, SNS, SQS, and the sandbox accounts' CloudFormation and STS`,
        `  DynamoDB Local   ${dynamo.endpoint}   (pid ${dynamo.pid})`,
        `  Event log        ${paths.events}`,
        `  Speed            ${speed} of AWS's durations (GROUNDWORK_SPEED)`,
        ...(resumed.length > 0 ? [`  Resumed          ${resumed.length} workflow execution(s) a previous stop interrupted`] : []),
        '',
        'Get a token:   npx groundwork token --tenant acme',
        'Try:           npx groundwork accounts create --aws-account-id 111111111111',
        `Faults:        curl -X PUT ${endpoints.edge}/_sandbox/faults -d '{…}'   (see README)`,
        'Stop:          Ctrl-C',
        '',
      ].join('\n'),
    );

    return { stateDir, speed, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function main(): Promise<void> {
  let running: RunningGroundwork;
  try {
    running = await startGroundwork();
  } catch (error) {
    const known = error instanceof PortInUseError || error instanceof AlreadyRunningError || error instanceof InvalidSpeedError || error instanceof UnsupportedNodeError;
    process.stderr.write(`groundwork: ${known ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
  let stoppingSince: number | undefined;
  const shutdown = (signal: string, exitCode = 0) => {
    if (stoppingSince !== undefined) {
      // Ctrl-C reaches npm, tsx and this process at once, and each may pass it on: the same
      // keypress arrives more than once. Only a later one means "stop waiting".
      if (Date.now() - stoppingSince < 1000) return;
      process.stderr.write(`groundwork: ${signal} again, exiting without waiting\n`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    process.stdout.write(`\ngroundwork: ${signal}, stopping…\n`);
    const force = setTimeout(() => {
      process.stderr.write('groundwork: stopping took over 15 s, exiting\n');
      process.exit(1);
    }, 15_000);
    force.unref();
    void running.stop().then(() => {
      process.stdout.write('groundwork: stopped; `npm start` continues from the same state.\n');
      process.exit(exitCode);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
  // A dev server keeps serving after a stray rejection, but says so; a thrown exception stops it cleanly.
  process.on('unhandledRejection', (reason) => process.stderr.write(`groundwork: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`));
  process.on('uncaughtException', (error) => {
    process.stderr.write(`groundwork: uncaught exception: ${error.stack ?? error.message}\n`);
    shutdown('uncaught exception', 1);
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
