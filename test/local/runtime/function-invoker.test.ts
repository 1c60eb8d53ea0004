import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGION, SERVICE_ACCOUNT, arns, functionEnvironment, names } from '../../../local/config';
import { createEphemeralSigningKey } from '../../../local/auth/local-signing-key';
import { startLocalApi } from '../../../local/api/local-api-server';
import { FunctionTimeoutError, UnknownFunctionError, createFunctionInvoker, readServiceDefinition, type LocalFunctionInvoker } from '../../../local/runtime/function-invoker';
import { parseServiceDefinition } from '../../../local/runtime/service-definition';
import { matchesPattern } from '../../../local/services/event-pattern';
import type { ApiResult } from '../../../src/http/api-handler';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { tableDefinition } from '../../../src/store/table-definition';
import { apiEvent } from '../../support/lambda';

/** Groundwork's functions run in-process, unchanged, as serverless.yml declares them. */

// Making an invoker writes the functions' environment into process.env: put it back afterwards.
const savedEnvironment = { ...process.env };
afterAll(() => {
  process.env = savedEnvironment;
});

describe('serverless.yml as the embedded default reads it', () => {
  const service = readServiceDefinition();

  it('has every function with its handler module and timeout', () => {
    expect(service.functions['createAccount']).toMatchObject({ modulePath: 'functions/create-account/handler', exportName: 'handler', timeoutSeconds: 10 });
    expect(service.functions['stackWorkflow']?.timeoutSeconds).toBe(50);
    expect(service.functions['onboardingCallback']?.timeoutSeconds).toBe(15);
    expect(service.functions['onboardingWorker']?.timeoutSeconds).toBe(60);
  });

  it('lists the HTTP API routes and the registration topic subscription under local names', () => {
    expect(service.httpRoutes).toContainEqual({ method: 'GET', path: '/v1/stacks/{id}/events', functionName: 'stackEvents' });
    expect(service.httpRoutes).toContainEqual({ method: 'POST', path: '/v1/accounts/{id}/registration-link', functionName: 'reissueRegistrationLink' });
    expect(service.httpRoutes).toHaveLength(11);
    expect(service.snsSubscriptions).toEqual([{ topicArn: arns.registrationTopic, functionName: 'onboardingCallback' }]);
    // The callback's second stage polls the two onboarding queues, under the names local/config.ts gives them.
    expect(service.sqsSubscriptions).toEqual([
      { queueName: names.registrationQueue, functionName: 'onboardingWorker', batchSize: 1, visibilityTimeoutSeconds: 360, maxReceiveCount: 3 },
      { queueName: names.revocationCheckQueue, functionName: 'onboardingWorker', batchSize: 1, visibilityTimeoutSeconds: 360, maxReceiveCount: 3 },
    ]);
    expect(service.eventBridgeSubscriptions.map((s) => [s.functionName, s.busName])).toEqual([['stackExecutionEnded', 'default']]);
  });

  it('hands a stopped provisioning or teardown execution of this stage, and nothing else, to stackExecutionEnded', () => {
    const [rule] = service.eventBridgeSubscriptions;
    const event = (stateMachineArn: string, status: string) => ({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { stateMachineArn, status, name: 'stk_1', input: '{"stackId":"stk_1"}' },
    });
    const matches = (stateMachineArn: string, status: string) => matchesPattern(rule?.pattern ?? {}, event(stateMachineArn, status));
    for (const status of ['FAILED', 'TIMED_OUT', 'ABORTED']) {
      expect(matches(arns.provisionStateMachine, status)).toBe(true);
      expect(matches(arns.deleteStateMachine, status)).toBe(true);
    }
    expect(matches(arns.provisionStateMachine, 'SUCCEEDED')).toBe(false);
    expect(matches(arns.provisionStateMachine, 'RUNNING')).toBe(false);
    expect(matches(arns.provisionStateMachine.replace('-local-', '-prod-'), 'ABORTED')).toBe(false);
  });

  it('reads the short httpApi form, plain topic names and eventBridge rules', () => {
    const parsed = parseServiceDefinition(`service: s
provider: { timeout: 7 }
functions:
  a:
    handler: f/a.handler
    events:
      - httpApi: 'GET /things/{id}'
      - sns: 'topic-\${sls:stage}'
      - eventBridge: { eventBus: !GetAtt Bus.Arn, pattern: { source: [aws.cloudformation] } }
      - eventBridge: { pattern: { source: [x] } }
resources:
  Resources:
    Bus: { Type: AWS::Events::EventBus, Properties: { Name: '\${self:service}-\${sls:stage}' } }
`);
    expect(parsed.httpRoutes).toEqual([{ method: 'GET', path: '/things/{id}', functionName: 'a' }]);
    expect(parsed.snsSubscriptions).toEqual([{ topicArn: 'arn:aws:sns:us-east-1:000000000000:topic-local', functionName: 'a' }]);
    expect(parsed.functions['a']?.timeoutSeconds).toBe(7);
    expect(parsed.eventBridgeSubscriptions).toEqual([
      { busName: 's-local', pattern: { source: ['aws.cloudformation'] }, functionName: 'a' },
      { busName: 'default', pattern: { source: ['x'] }, functionName: 'a' },
    ]);
  });
});

describe('the function invoker, on a fixture service', () => {
  let root: string;
  const imported: string[] = [];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'groundwork-invoker-'));
    writeFileSync(
      join(root, 'serverless.yml'),
      `service: fixture
provider: { timeout: 3, memorySize: 256 }
functions:
  echo:
    handler: functions/echo/handler.handler
  slow:
    handler: functions/slow/handler.handler
    timeout: 1
`,
    );
    mkdirSync(join(root, 'functions', 'echo'), { recursive: true });
    mkdirSync(join(root, 'functions', 'slow'), { recursive: true });
    // Reads its environment at module scope, as Groundwork's handlers do.
    writeFileSync(
      join(root, 'functions', 'echo', 'handler.mjs'),
      `const tableAtColdStart = process.env.TABLE_NAME;
export const handler = async (event, context) => ({ event, tableAtColdStart, functionName: context.functionName, arn: context.invokedFunctionArn,
  remaining: context.getRemainingTimeInMillis(), requestId: context.awsRequestId, memory: context.memoryLimitInMB });`,
    );
    writeFileSync(join(root, 'functions', 'slow', 'handler.mjs'), 'export const handler = () => new Promise((resolve) => setTimeout(() => resolve("late"), 5000).unref());');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function invoker(): LocalFunctionInvoker {
    return createFunctionInvoker({
      root,
      environment: { ...functionEnvironment(), TABLE_NAME: 'fixture-table' },
      importModule: (file) => {
        imported.push(file);
        return import(file) as Promise<Record<string, unknown>>;
      },
    });
  }

  it('imports the handler on first use only, after setting the environment, and gives it a Lambda-like context', async () => {
    const functions = invoker();
    expect(imported).toHaveLength(0);

    const first = (await functions.invoke('echo', { hello: 'world' })) as Record<string, unknown>;
    const second = (await functions.invoke('echo', { again: true })) as Record<string, unknown>;

    expect(imported).toEqual([join(root, 'functions', 'echo', 'handler.mjs')]);
    expect(first).toMatchObject({
      event: { hello: 'world' },
      tableAtColdStart: 'fixture-table',
      functionName: 'groundwork-local-echo',
      arn: arns.function('echo'),
      memory: '256',
    });
    expect(first['remaining']).toBeGreaterThan(2500);
    expect(first['remaining']).toBeLessThanOrEqual(3000);
    expect(first['requestId']).not.toBe(second['requestId']);
  });

  it('stops waiting at the function timeout, as Lambda does', async () => {
    const started = Date.now();
    await expect(invoker().invoke('slow', {})).rejects.toThrow(FunctionTimeoutError);
    expect(Date.now() - started).toBeLessThan(4000); // the function would answer after 5 s
  });

  it('refuses a function serverless.yml does not declare', async () => {
    await expect(invoker().invoke('nope', {})).rejects.toThrow(UnknownFunctionError);
  });
});

describe("the function invoker, running Groundwork's account functions against DynamoDB Local", () => {
  // DynamoDB Local keeps one database per access key and region: the table is made with the
  // credentials the functions get (Groundwork's own account), as `npm start` makes it.
  const dynamo = new DynamoDBClient({
    endpoint: process.env['GROUNDWORK_TEST_DYNAMODB_ENDPOINT'] ?? '',
    region: REGION,
    credentials: { accessKeyId: SERVICE_ACCOUNT, secretAccessKey: 'local' },
  });
  const tableName = `groundwork-test-${randomUUID()}`;
  let eventBridge: Server;
  const putEvents: Array<{ target: string; body: { Entries: Array<Record<string, string>> } }> = [];
  let functions: LocalFunctionInvoker;

  beforeAll(async () => {
    await dynamo.send(new CreateTableCommand(tableDefinition(tableName)));
    // A stand-in EventBridge on 127.0.0.1 that accepts PutEvents.
    eventBridge = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        putEvents.push({ target: String(request.headers['x-amz-target']), body: JSON.parse(body || '{}') as (typeof putEvents)[number]['body'] });
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }));
      });
    });
    await new Promise<void>((resolve) => eventBridge.listen(0, '127.0.0.1', resolve));
    const { port } = eventBridge.address() as AddressInfo;
    functions = createFunctionInvoker({
      environment: {
        ...functionEnvironment(),
        TABLE_NAME: tableName,
        AWS_ENDPOINT_URL_DYNAMODB: process.env['GROUNDWORK_TEST_DYNAMODB_ENDPOINT'] ?? '',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      },
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => eventBridge.close(resolve));
    await dynamo.send(new DeleteTableCommand({ TableName: tableName }));
    dynamo.destroy();
  });

  it('creates, lists and reads an account through the real handlers, publishing the event', async () => {
    const created = (await functions.invoke('createAccount', apiEvent({ method: 'POST', path: '/v1/accounts', tenant: 'acme', body: { awsAccountId: '123456789012', name: 'Sandbox' } }))) as ApiResult;
    expect(created.statusCode).toBe(201);
    const account = JSON.parse(created.body ?? '{}') as { id: string; status: string; onboarding: { templateUrl: string; parameters: Record<string, string> } };
    expect(account.status).toBe('AWAITING_CONNECTION');
    // The local names and addresses from functionEnvironment reach the handler.
    expect(account.onboarding.templateUrl).toBe('http://127.0.0.1:4566/_groundwork/templates/onboarding-role.yaml');
    expect(account.onboarding.parameters['RegistrationTopicArn']).toBe(arns.registrationTopic);

    expect(putEvents).toHaveLength(1);
    expect(putEvents[0]?.target).toBe('AWSEvents.PutEvents');
    expect(putEvents[0]?.body.Entries[0]).toMatchObject({ Source: 'groundwork', DetailType: 'Account Status Change', EventBusName: names.eventBus });

    const listed = (await functions.invoke('listAccounts', apiEvent({ method: 'GET', path: '/v1/accounts', tenant: 'acme' }))) as ApiResult;
    expect(JSON.parse(listed.body ?? '{}')).toMatchObject({ items: [{ id: account.id }] });
    const fromOtherTenant = (await functions.invoke(
      'getAccount',
      apiEvent({ method: 'GET', path: `/v1/accounts/${account.id}`, tenant: 'globex', pathParameters: { id: account.id } }),
    )) as ApiResult;
    expect(fromOtherTenant.statusCode).toBe(404);
  });

  it('serves the same handlers behind the local API with a signed token', async () => {
    const key = createEphemeralSigningKey();
    const api = await startLocalApi({ port: 0, invoker: functions, verifier: key });
    try {
      const response = await fetch(`${api.url}/v1/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await key.issueToken({ tenant: 'initech' })}`, 'content-type': 'application/json' },
        body: JSON.stringify({ awsAccountId: '210987654321' }),
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('location')).toMatch(/^\/v1\/accounts\/acc_/);

      const invalid = await fetch(`${api.url}/v1/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await key.issueToken({ tenant: 'initech' })}`, 'content-type': 'application/json' },
        body: JSON.stringify({ awsAccountId: '12' }),
      });
      expect(invalid.status).toBe(400);
      expect(invalid.headers.get('content-type')).toBe('application/problem+json');
      expect(await invalid.json()).toMatchObject({ errors: [{ field: 'awsAccountId' }] });
    } finally {
      await api.close();
    }
  });
});
