import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyStatements } from '../../src/cfn/policy-statements';
import type { CfnTemplate } from '../../src/cfn/template-types';
import { validateTemplate } from '../../src/cfn/validate-template';
import { REGISTRATION_BINDING_ATTRIBUTES } from '../../src/accounts/registration/registration-binding';
import { tableDefinition } from '../../src/store/table-definition';
import { createTestTable } from '../support/dynamodb';


/**
 * `serverless package` runs offline (osls, esbuild) and its CloudFormation is checked against
 * the specification and against what the design promises of the service account.
 */
let outDir: string;
let template: CfnTemplate;
let tableName: string;
let dropTable: () => Promise<void>;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'groundwork-package-'));
  const run = spawnSync('serverless', ['package', '--stage', 'test', '--region', 'us-east-1', '--package', outDir], {
    encoding: 'utf8',
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`serverless package failed:\n${run.stdout}\n${run.stderr}`);
  template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
  const table = await createTestTable();
  tableName = table.tableName;
  dropTable = table.drop;
}, 150_000);

afterAll(async () => {
  rmSync(outDir, { recursive: true, force: true });
  await dropTable();
});

const resourcesOfType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

describe('the packaged service (serverless package)', () => {
  it('is valid against the CloudFormation specification', () => {
    expect(validateTemplate(template)).toEqual([]);
  });

  it('runs every function on nodejs24.x (arm64), each with a role of its own', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(5);
    const roles = functions.map(([, fn]) => JSON.stringify(fn.Properties?.['Role']));
    for (const [, fn] of functions) {
      expect(fn.Properties?.['Runtime']).toBe('nodejs24.x');
      expect(fn.Properties?.['Architectures']).toEqual(['arm64']);
    }
    expect(new Set(roles).size).toBe(functions.length);
  });

  /**
   * The budget is 500 KB. The two functions that read a customer's region carry the EC2 and RDS
   * clients: with the shapes they do not use dropped (scripts/esbuild-plugins.cjs) they measured 569
   * and 523 KB on 2026-12-06, down from 1,160 and 1,112 KB; RDS's error classes (~45 KB), which its
   * client registers for every error it can answer, stay.
   */
  const BUDGET_KB: Record<string, number> = { 'createPlan.zip': 600, 'createStack.zip': 550 };

  it('bundles each function separately as minified ESM of at most 500 KB (the region readers 600 and 550 KB)', () => {
    const zips = readdirSync(outDir).filter((f) => f.endsWith('.zip'));
    expect(zips.sort()).toEqual([
      'createAccount.zip', 'createPlan.zip', 'createStack.zip', 'deleteAccount.zip', 'deleteStack.zip', 'getAccount.zip',
      'getStack.zip', 'listAccounts.zip', 'listStacks.zip', 'onboardingCallback.zip', 'onboardingWorker.zip', 'reissueRegistrationLink.zip', 'stackEvents.zip', 'stackExecutionEnded.zip',
      'stackWorkflow.zip',
    ]);
    for (const zip of zips) {
      const dir = join(outDir, zip.replace(/\.zip$/, ''));
      expect(spawnSync('python3', ['-m', 'zipfile', '-e', join(outDir, zip), dir]).status).toBe(0);
      const bundles = spawnSync('find', [dir, '-name', '*.mjs'], { encoding: 'utf8' }).stdout.trim().split('\n');
      expect(bundles).toHaveLength(1);
      expect([zip, Math.ceil(statSync(bundles[0] ?? '').size / 1024) <= (BUDGET_KB[zip] ?? 500)]).toEqual([zip, true]);
    }
  });

  it('runs a packaged bundle for real, with only the credentials Lambda puts in the environment', () => {
    // The bundles carry an env-only credential provider (an esbuild alias): prove a real SDK call works.
    const dir = join(outDir, 'listAccounts');
    if (!existsSync(dir)) expect(spawnSync('python3', ['-m', 'zipfile', '-e', join(outDir, 'listAccounts.zip'), dir]).status).toBe(0);
    const bundle = join(dir, 'functions/list-accounts/handler.mjs');
    const script = `
      const { handler } = await import(${JSON.stringify(bundle)});
      const event = { rawPath: '/v1/accounts', headers: {}, requestContext: { authorizer: { jwt: { claims: { tenant: 'bundle-check' } } } } };
      const result = await handler(event, { awsRequestId: 'r', getRemainingTimeInMillis: () => 10000 });
      process.stdout.write(JSON.stringify(result));`;
    const endpoint = process.env['GROUNDWORK_TEST_DYNAMODB_ENDPOINT'] ?? '';
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env['PATH'] ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_SESSION_TOKEN: 'session',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
        TABLE_NAME: tableName,
        EVENT_BUS_NAME: 'groundwork-test',
        SERVICE_ROLE_ARN: 'arn:aws:iam::000000000000:role/groundwork-test-service',
        TENANT_CLAIM: 'tenant',
        ONBOARDING_TEMPLATE_URL: 'https://example.invalid/onboarding-role.yaml',
        REGISTRATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:groundwork-test-registration',
      },
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ statusCode: 200, body: '{"items":[]}' });
  });

  it('grants function roles no wildcard action and no wildcard resource', () => {
    const functionRoles = new Set(
      resourcesOfType('AWS::Lambda::Function').map(([, fn]) => (fn.Properties?.['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]),
    );
    const statements = policyStatements(template).filter((s) => functionRoles.has(s.owner) && s.kind === 'identity');
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
      expect(s.resources).not.toContain('*');
    }
  });

  it('lets only the functions that act in customer accounts assume the service role, which may only assume customer access roles', () => {
    // The onboarding worker proves the access role, the workflow drives stacks, the plan and stack creation read the region,
    // the stack deletion lists the services in the stack's cluster first (D9).
    const trust = policyStatements(template).filter((s) => s.owner === 'GroundworkServiceRole' && s.kind === 'trust');
    expect(trust.map((s) => s.principal)).toEqual([
      { AWS: ['OnboardingWorkerRole', 'StackWorkflowRole', 'CreatePlanRole', 'CreateStackRole', 'DeleteStackRole'].map((role) => ({ 'Fn::GetAtt': [role, 'Arn'] })) },
    ]);
    const grants = policyStatements(template).filter((s) => s.owner === 'GroundworkServiceRole' && s.kind === 'identity');
    expect(grants.map((s) => [s.actions, s.resources])).toEqual([[['sts:AssumeRole'], [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/GroundworkAccess-*' }]]]);
  });

  it('gives the SNS-facing callback no way to a customer account or an ExternalId (security review M1)', () => {
    const callback = policyStatements(template).filter((s) => s.owner === 'OnboardingCallbackRole' && s.kind === 'identity');
    const actions = callback.flatMap((s) => s.actions);
    expect(actions).not.toContain('sts:AssumeRole');
    expect(actions).not.toContain('events:PutEvents');
    for (const read of ['dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem', 'dynamodb:TransactGetItems']) expect(actions).not.toContain(read);
    // Its one read: GetItem of an account item, naming only the binding's attributes (never externalId).
    const gets = callback.filter((s) => s.actions.includes('dynamodb:GetItem'));
    expect(gets).toHaveLength(1);
    expect(gets[0]?.actions).toEqual(['dynamodb:GetItem']);
    const attributes = gets[0]?.condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes'] as string[];
    expect([...attributes].sort()).toEqual(['pk', 'sk', ...REGISTRATION_BINDING_ATTRIBUTES].sort());
    expect(attributes).not.toContain('externalId');
    expect(gets[0]?.condition?.['ForAllValues:StringEquals']?.['dynamodb:LeadingKeys']).toEqual(['ACCOUNT#*']);
    expect(gets[0]?.condition?.['StringEqualsIfExists']).toEqual({ 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' });
    // It writes only its request records, and sends only to the registration queue.
    const writes = callback.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:') && a !== 'dynamodb:GetItem'));
    expect(writes.map((s) => [s.actions, s.condition])).toEqual([[['dynamodb:PutItem', 'dynamodb:UpdateItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CFN_REQUEST#*'] } }]]);
    expect(callback.filter((s) => s.actions.some((a) => a.startsWith('sqs:'))).map((s) => [s.actions, s.resources])).toEqual([[['sqs:SendMessage'], [{ 'Fn::GetAtt': ['RegistrationQueue', 'Arn'] }]]]);
    const environment = (template.Resources['OnboardingCallbackLambdaFunction']?.Properties?.['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(environment['REGISTRATION_QUEUE_URL']).toEqual({ Ref: 'RegistrationQueue' });
  });

  it('feeds the onboarding worker from the two onboarding queues only, each accepting messages from one role alone', () => {
    const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping').filter(([, m]) => JSON.stringify(m.Properties?.['FunctionName']).includes('OnboardingWorker'));
    expect(mappings.map(([, m]) => [m.Properties?.['EventSourceArn'], m.Properties?.['BatchSize']])).toEqual([
      [{ 'Fn::GetAtt': ['RegistrationQueue', 'Arn'] }, 1],
      [{ 'Fn::GetAtt': ['RevocationCheckQueue', 'Arn'] }, 1],
    ]);
    expect(resourcesOfType('AWS::SNS::Subscription').map(([, s]) => JSON.stringify(s.Properties?.['Endpoint']))).not.toContainEqual(expect.stringContaining('OnboardingWorker'));
    for (const [policy, queue, sender] of [['RegistrationQueuePolicy', 'RegistrationQueue', 'OnboardingCallbackRole'], ['RevocationCheckQueuePolicy', 'RevocationCheckQueue', 'OnboardingWorkerRole']] as const) {
      const statements = (template.Resources[policy]?.Properties?.['PolicyDocument'] as { Statement: Array<Record<string, unknown>> }).Statement;
      expect(statements).toEqual([
        expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queue, 'Arn'] }, Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [sender, 'Arn'] } } } }),
      ]);
    }
    // No other function role may send to them.
    const senders = policyStatements(template).filter((s) => s.kind === 'identity' && s.actions.includes('sqs:SendMessage'));
    expect(senders.map((s) => [s.owner, s.resources])).toEqual([
      ['OnboardingCallbackRole', [{ 'Fn::GetAtt': ['RegistrationQueue', 'Arn'] }]],
      ['OnboardingWorkerRole', [{ 'Fn::GetAtt': ['RevocationCheckQueue', 'Arn'] }]],
    ]);
    const worker = policyStatements(template).filter((s) => s.owner === 'OnboardingWorkerRole' && s.kind === 'identity').flatMap((s) => s.actions);
    expect(worker).toEqual(expect.arrayContaining(['sts:AssumeRole', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'events:PutEvents', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']));
  });

  it('alarms on the age of the oldest message of each onboarding queue, and on anything dead-lettered', () => {
    const alarms = resourcesOfType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
    const onQueue = (queue: string, metric: string) =>
      alarms.find((a) => a['MetricName'] === metric && JSON.stringify(a['Dimensions']) === JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }]));
    expect(onQueue('RegistrationQueue', 'ApproximateAgeOfOldestMessage')).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 300 });
    // Checks are delayed up to 900 s by design: their threshold is above that.
    expect(Number(onQueue('RevocationCheckQueue', 'ApproximateAgeOfOldestMessage')?.['Threshold'])).toBeGreaterThan(900);
    expect(onQueue('OnboardingDeadLetterQueue', 'ApproximateNumberOfMessagesVisible')).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('lets the list routes read only their own kind of item, through an index of keys only', () => {
    for (const [role, prefix] of [['ListAccountsRole', 'ACCOUNT#*'], ['ListStacksRole', 'STACK#*']] as const) {
      const statements = policyStatements(template).filter((s) => s.owner === role && s.kind === 'identity' && s.actions.some((a) => a.startsWith('dynamodb:')));
      expect(statements.map((s) => [s.actions, s.resources, s.condition])).toEqual([
        [['dynamodb:Query'], [{ 'Fn::Sub': '${GroundworkTable.Arn}/index/ownerKeys' }], undefined],
        [['dynamodb:BatchGetItem'], [{ 'Fn::GetAtt': ['GroundworkTable', 'Arn'] }], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [prefix] } }],
      ]);
    }
    const indexes = template.Resources['GroundworkTable']?.Properties?.['GlobalSecondaryIndexes'] as Array<{ Projection: { ProjectionType: string } }>;
    expect(indexes.map((index) => index.Projection.ProjectionType)).toEqual(['KEYS_ONLY']);
  });

  it('puts every route behind the JWT authorizer', () => {
    const routes = resourcesOfType('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties?.['RouteKey']).sort()).toEqual([
      'DELETE /v1/accounts/{id}', 'DELETE /v1/stacks/{id}', 'GET /v1/accounts', 'GET /v1/accounts/{id}', 'GET /v1/stacks',
      'GET /v1/stacks/{id}', 'GET /v1/stacks/{id}/events', 'POST /v1/accounts', 'POST /v1/accounts/{id}/registration-link', 'POST /v1/plans', 'POST /v1/stacks',
    ]);
    for (const [, route] of routes) expect(route.Properties?.['AuthorizationType']).toBe('JWT');
  });

  it('declares the table exactly as the code expects it', () => {
    const table = template.Resources['GroundworkTable']?.Properties ?? {};
    const expected = tableDefinition('ignored');
    expect(table['KeySchema']).toEqual(expected.KeySchema);
    expect(table['AttributeDefinitions']).toEqual(expected.AttributeDefinitions);
    expect(table['GlobalSecondaryIndexes']).toEqual(expected.GlobalSecondaryIndexes);
    expect(table['TimeToLiveSpecification']).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('never lets Lambda retry the onboarding callback (it answers CloudFormation itself)', () => {
    const [[, config] = []] = resourcesOfType('AWS::Lambda::EventInvokeConfig');
    expect(config?.Properties?.['MaximumRetryAttempts']).toBe(0);
  });

  it('deploys both state machines from the ASL files, every placeholder substituted, invoking only the workflow function', () => {
    for (const [logicalId, file] of [['ProvisionStackStateMachine', 'provision-stack'], ['DeleteStackStateMachine', 'delete-stack']] as const) {
      const properties = template.Resources[logicalId]?.Properties ?? {};
      const asl = readFileSync(new URL(`../../statemachines/${file}.asl.json`, import.meta.url), 'utf8');
      // Exactly the file, nulls included (serverless drops them from an object definition).
      expect(JSON.parse(String(properties['DefinitionString']))).toEqual(JSON.parse(asl));
      const placeholders = new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
      expect(Object.keys(properties['DefinitionSubstitutions'] as object).sort()).toEqual([...placeholders].sort());
    }
    const invoke = policyStatements(template).filter((s) => s.owner === 'StateMachineRole' && s.kind === 'identity');
    expect(invoke.map((s) => [s.actions, s.resources])).toEqual([[['lambda:InvokeFunction'], [{ 'Fn::GetAtt': ['StackWorkflowLambdaFunction', 'Arn'] }]]]);
  });

  it('bounds what the open registration topic can take: few executions, only CloudFormation\'s response bucket', () => {
    // Security review H4: the callback has a small reserved concurrency and no ResponseURL override.
    const callback = template.Resources['OnboardingCallbackLambdaFunction']?.Properties ?? {};
    expect(callback['ReservedConcurrentExecutions']).toBeGreaterThanOrEqual(1);
    expect(callback['ReservedConcurrentExecutions']).toBeLessThanOrEqual(10);
    expect(Object.keys((callback['Environment'] as { Variables?: object } | undefined)?.Variables ?? {})).not.toContain('CFN_RESPONSE_URL_PATTERN');
  });

  it('throttles the HTTP API: every route by default, the creating routes harder', () => {
    // Security review L4.
    const stage = template.Resources['HttpApiStage']?.Properties ?? {};
    const defaults = stage['DefaultRouteSettings'] as { ThrottlingBurstLimit?: number; ThrottlingRateLimit?: number };
    expect(defaults.ThrottlingBurstLimit).toBeGreaterThan(0);
    expect(defaults.ThrottlingRateLimit).toBeGreaterThan(0);
    const routes = stage['RouteSettings'] as Record<string, { ThrottlingRateLimit: number }>;
    for (const route of ['POST /v1/accounts', 'POST /v1/stacks']) expect(routes[route]?.ThrottlingRateLimit).toBeLessThan(Number(defaults.ThrottlingRateLimit));
    const routeKeys = resourcesOfType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties?.['RouteKey']);
    for (const route of Object.keys(routes)) expect(routeKeys).toContain(route);
  });

  it('names the event bus groundwork-<stage>, and opens it to no one outside (security review L3)', () => {
    expect(template.Resources['GroundworkEventBus']?.Properties?.['Name']).toBe('groundwork-test');
    expect(resourcesOfType('AWS::Events::EventBusPolicy')).toEqual([]);
  });
});
