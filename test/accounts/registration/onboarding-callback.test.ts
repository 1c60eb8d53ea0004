import { DEFAULT_TENANT_LIMITS } from '../../../src/model/tenant-limits';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { randomUUID } from 'node:crypto';
import type { Account } from '../../../src/accounts/account';
import { DynamoDbAccountStore, type AccountStore } from '../../../src/accounts/account-store';
import { hashRegistrationToken, newAccountId, newExternalId, newRegistrationToken } from '../../../src/accounts/onboarding-credentials';
import { createCloudFormationAnswerer } from '../../../src/accounts/registration/answer-cloudformation';
import { onboardingCallbackHandler, type OnboardingCallbackDeps } from '../../../src/accounts/registration/onboarding-callback-handler';
import { onboardingWorkerHandler, type OnboardingWorkerDeps } from '../../../src/accounts/registration/onboarding-worker-handler';
import { createStsRoleProver } from '../../../src/accounts/registration/prove-access-role';
import { DynamoDbRegistrationBindingReader, REGISTRATION_BINDING_ATTRIBUTES } from '../../../src/accounts/registration/registration-binding';
import { DynamoDbRegistrationRequestStore } from '../../../src/accounts/registration/registration-request-store';
import type { DecideWork, RevocationCheckWork } from '../../../src/accounts/registration/registration-work';
import { REVOCATION_POLICY } from '../../../src/accounts/registration/revocation-check';
import { createEventPublisher, type EventPublisher } from '../../../src/events/event-publisher';
import { createLogger } from '../../../src/log/logger';
import { createTestTable } from '../../support/dynamodb';
import { eventDetailErrors } from '../../support/event-schemas';
import { lambdaContext } from '../../support/lambda';
import { startResponseServer } from '../../support/response-server';
import { recordingQueue, sqsEvent } from '../../support/work-queue';

const CUSTOMER = '123456789012';
const STRANGER = '210987654321';
const REGISTERED_STACK = `arn:aws:cloudformation:us-east-1:${CUSTOMER}:stack/GroundworkOnboarding/11111111-2222-3333-4444-555555555555`;

let table: Awaited<ReturnType<typeof createTestTable>>;
let responses: Awaited<ReturnType<typeof startResponseServer>>;
let store: DynamoDbAccountStore;
const sts = new STSClient({ region: 'us-east-1' });
const stsMock = mockClient(sts);
const eventBridge = new EventBridgeClient({ region: 'us-east-1' });
const eventBridgeMock = mockClient(eventBridge);
const logLines: string[] = [];
const ANSWER_RESERVE_MS = 1200;

/**
 * Deadlines the test runs out by hand: a dependency that hangs runs the time out as it is called,
 * so the test sees what happens at the deadline without waiting for it.
 */
function handRunDeadlines() {
  const running: AbortController[] = [];
  const requestedMs: number[] = [];
  return {
    requestedMs,
    deadline: (ms: number) => {
      requestedMs.push(ms);
      const controller = new AbortController();
      running.push(controller);
      return controller.signal;
    },
    runOut: () => running.forEach((controller) => controller.abort(new Error('time ran out'))),
  };
}
let deadlines = handRunDeadlines();

beforeAll(async () => {
  table = await createTestTable();
  responses = await startResponseServer();
  store = new DynamoDbAccountStore(table.dynamo, table.tableName);
});
afterAll(async () => {
  await responses.close();
  await table.drop();
});
beforeEach(() => {
  deadlines = handRunDeadlines();
  stsMock.reset();
  eventBridgeMock.reset();
  eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  logLines.length = 0;
});

type Scenario = 'valid' | 'bad token' | 'wrong account' | 'role without ExternalId condition' | 'expired token' | 'STS error' | 'handler crash' | 'slow dependency';
type RequestType = 'Create' | 'Update' | 'Delete';

/** A dependency that never answers: the time runs out while it is called. */
const hang = () => {
  deadlines.runOut();
  return new Promise<never>(() => undefined);
};
const accessDenied = () => Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' });

/** STS as the scenario has it: by default the role works only with the ExternalId. */
function arrangeSts(scenario: Scenario): void {
  if (scenario === 'slow dependency') {
    stsMock.on(AssumeRoleCommand).callsFake(hang);
    return;
  }
  if (scenario === 'STS error') {
    stsMock.on(AssumeRoleCommand).rejects(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }));
    return;
  }
  const creds = { Credentials: { AccessKeyId: 'ASIA', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + 900_000) } };
  stsMock.on(AssumeRoleCommand).callsFake((input: { ExternalId?: string }) => {
    if (input.ExternalId !== undefined || scenario === 'role without ExternalId condition') return Promise.resolve(creds);
    return Promise.reject(accessDenied());
  });
}

function arrangeEvents(scenario: Scenario): void {
  if (scenario === 'slow dependency') eventBridgeMock.on(PutEventsCommand).callsFake(hang);
}

/** A bug in the middle of the work: the first state write throws a TypeError. */
function crashingOnFirstWrite(): AccountStore {
  let crashed = false;
  return {
    create: (account, options) => store.create(account, options),
    get: (id, options) => store.get(id, options),
    listByTenant: (tenant, options) => store.listByTenant(tenant, options),
    delete: (account) => store.delete(account),
    hasLiveStacks: (id) => store.hasLiveStacks(id),
    update: (id, change, expected, options) => {
      if (!crashed) {
        crashed = true;
        return Promise.reject(new TypeError("Cannot read properties of undefined (reading 'Attributes')"));
      }
      return store.update(id, change, expected, options);
    },
  };
}

/** What the first stage handed to the worker, and what the worker scheduled, in this test. */
let handedOver = recordingQueue<DecideWork>();
let revocationChecks = recordingQueue<RevocationCheckWork>();
beforeEach(() => {
  handedOver = recordingQueue<DecideWork>();
  revocationChecks = recordingQueue<RevocationCheckWork>();
});

type Deps = OnboardingCallbackDeps & OnboardingWorkerDeps;

function deps(overrides: Partial<Deps> = {}): Deps {
  const logger = createLogger({ level: 'debug', write: (line) => logLines.push(line) });
  return {
    accounts: store,
    bindings: new DynamoDbRegistrationBindingReader(table.dynamo, table.tableName),
    requests: new DynamoDbRegistrationRequestStore(table.dynamo, table.tableName),
    handOver: handedOver,
    revocationChecks,
    revocationPolicy: REVOCATION_POLICY,
    prover: createStsRoleProver(sts, { propagationRetryMs: 0, retryIntervalMs: 10 }),
    events: createEventPublisher(eventBridge, 'groundwork-test'),
    answer: createCloudFormationAnswerer(logger),
    logger,
    answerReserveMs: ANSWER_RESERVE_MS,
    staleClaimMs: 60_000,
    responseUrlPattern: /^http:\/\/127\.0\.0\.1:\d+\/cfn-responses\//,
    ...overrides,
  };
}

/**
 * The registration as it travels in AWS: the SNS message to the first stage, and whatever it
 * queued to the worker (as SQS would hand it on). A `deadline` override is the worker's: the first
 * stage runs on real time.
 */
async function register(message: unknown, overrides: Partial<Deps> = {}, remainingMs = 20_000): Promise<void> {
  const both = deps(overrides);
  const { deadline: _workerDeadline, ...firstStage } = both;
  await onboardingCallbackHandler(firstStage)(snsEvent(message), lambdaContext(remainingMs));
  for (const { work } of handedOver.sent.splice(0)) await onboardingWorkerHandler(both)(sqsEvent(work), lambdaContext(remainingMs));
}

async function seedAccount(state: 'AWAITING_CONNECTION' | 'CONNECTED', options: { expired?: boolean } = {}) {
  const token = newRegistrationToken();
  const now = new Date();
  const account: Account = {
    id: newAccountId(),
    // One tenant per test: a tenant registers an AWS account once.
    tenantId: `acme-${randomUUID()}`,
    awsAccountId: CUSTOMER,
    name: 'prod',
    status: state,
    externalId: newExternalId(),
    registrationTokenHash: hashRegistrationToken(token),
    registrationTokenExpiresAt: new Date(now.getTime() + (options.expired ? -60_000 : 48 * 3600_000)).toISOString(),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    version: 1,
    ...(state === 'CONNECTED'
      ? {
          registrationStackId: REGISTERED_STACK,
          accessRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkAccess-x`,
          executionRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkExecution-x`,
          connectedAt: now.toISOString(),
        }
      : {}),
  };
  await store.create(account, { maxAccountsPerTenant: DEFAULT_TENANT_LIMITS.accounts });
  return { account, token };
}

function customResourceRequest(options: { type: RequestType; account: Account; token: string; stackAccount?: string; stackId?: string; physicalId?: string }) {
  const stackId = options.stackId ?? (options.stackAccount ? REGISTERED_STACK.replace(CUSTOMER, options.stackAccount) : REGISTERED_STACK);
  const requestId = randomUUID();
  const properties = {
    ServiceToken: 'arn:aws:sns:us-east-1:999999999999:groundwork-test-registration',
    GroundworkAccountId: options.account.id,
    RegistrationToken: options.token,
    AccessRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkAccess-${options.account.id}`,
    ExecutionRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkExecution-${options.account.id}`,
    NatInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkNatInstance-${options.account.id}`,
    ContainerInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkContainerInstance-${options.account.id}`,
    BastionInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkBastion-${options.account.id}`,
    TaskExecutionRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkTaskExecution-${options.account.id}`,
    EventForwarding: `arn:aws:events:us-east-1:${CUSTOMER}:rule/forward`,
  };
  return {
    RequestType: options.type,
    ResponseURL: responses.url(requestId),
    StackId: stackId,
    RequestId: requestId,
    ResourceType: 'Custom::GroundworkRegistration',
    LogicalResourceId: 'GroundworkRegistration',
    ...(options.type !== 'Create' ? { PhysicalResourceId: options.physicalId ?? options.account.id } : {}),
    ResourceProperties: properties,
    ...(options.type === 'Update' ? { OldResourceProperties: properties } : {}),
  };
}

function snsEvent(message: unknown): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:999999999999:groundwork-test-registration:sub',
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: 'arn:aws:sns:us-east-1:999999999999:groundwork-test-registration',
          Subject: 'AWS CloudFormation custom resource request',
          Message: typeof message === 'string' ? message : JSON.stringify(message),
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'sig',
          SigningCertUrl: 'https://sns.invalid/cert.pem',
          UnsubscribeUrl: 'https://sns.invalid/unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}

function answersFor(requestId: string) {
  return responses.answers.filter((answer) => answer.path.includes(requestId));
}

function publishedDetails() {
  return eventBridgeMock.commandCalls(PutEventsCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({ type: entry.DetailType ?? '', detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown> })),
  );
}

interface Expected {
  status: 'SUCCESS' | 'FAILED';
  account: Account['status'];
  reason?: RegExp;
}

// A Delete from the registering stack never revokes at once (decision 0012): the account stays
// CONNECTED, its revocation noted, until a later check finds the access role refused (below).
const EXPECTED: Record<Scenario, Record<RequestType, Expected>> = {
  valid: {
    Create: { status: 'SUCCESS', account: 'CONNECTED' },
    Update: { status: 'SUCCESS', account: 'CONNECTED' },
    Delete: { status: 'SUCCESS', account: 'CONNECTED' },
  },
  'bad token': {
    // Anyone can publish to the topic: without the token nothing changes, not even to FAILED.
    Create: { status: 'FAILED', account: 'AWAITING_CONNECTION', reason: /no registration matching this link/ },
    Update: { status: 'FAILED', account: 'CONNECTED', reason: /no registration matching this link/ },
    // Not the stack that registered with this token: nothing of ours to undo.
    Delete: { status: 'SUCCESS', account: 'CONNECTED' },
  },
  'wrong account': {
    // The same answer as for an account that does not exist (security review L5), naming only the caller's own AWS account.
    Create: { status: 'FAILED', account: 'AWAITING_CONNECTION', reason: new RegExp(`^Groundwork has no registration matching this link for AWS account ${STRANGER}\\.`) },
    Update: { status: 'FAILED', account: 'CONNECTED', reason: new RegExp(`^Groundwork has no registration matching this link for AWS account ${STRANGER}\\.`) },
    Delete: { status: 'SUCCESS', account: 'CONNECTED' },
  },
  'role without ExternalId condition': {
    Create: { status: 'FAILED', account: 'FAILED', reason: /can be assumed without the ExternalId/ },
    Update: { status: 'FAILED', account: 'FAILED', reason: /can be assumed without the ExternalId/ },
    Delete: { status: 'SUCCESS', account: 'CONNECTED' },
  },
  'expired token': {
    Create: { status: 'FAILED', account: 'FAILED', reason: /link expired/ },
    // The stack that was connected with the token needs no fresh one to re-prove its role.
    Update: { status: 'SUCCESS', account: 'CONNECTED' },
    Delete: { status: 'SUCCESS', account: 'CONNECTED' },
  },
  'STS error': {
    Create: { status: 'FAILED', account: 'FAILED', reason: /STS failed .*ServiceUnavailable.*retry/ },
    Update: { status: 'FAILED', account: 'FAILED', reason: /STS failed .*ServiceUnavailable.*retry/ },
    Delete: { status: 'SUCCESS', account: 'CONNECTED' },
  },
  'handler crash': {
    Create: { status: 'FAILED', account: 'FAILED', reason: /internal error .*reference/ },
    Update: { status: 'FAILED', account: 'FAILED', reason: /internal error .*reference/ },
    Delete: { status: 'SUCCESS', account: 'CONNECTED' },
  },
  'slow dependency': {
    Create: { status: 'FAILED', account: 'FAILED', reason: /did not finish verifying the role in time/ },
    Update: { status: 'FAILED', account: 'FAILED', reason: /did not finish verifying the role in time/ },
    Delete: { status: 'SUCCESS', account: 'CONNECTED' },
  },
};

const matrix = (Object.keys(EXPECTED) as Scenario[]).flatMap((scenario) =>
  (['Create', 'Update', 'Delete'] as RequestType[]).map((type) => [type, scenario, EXPECTED[scenario][type]] as const),
);

describe('onboarding callback: {Create, Update, Delete} × faults', () => {
  it.each(matrix)('%s × %s → one answer, the right status, the right account state', async (type, scenario, expected) => {
    // Prepare
    const { account, token } = await seedAccount(type === 'Create' ? 'AWAITING_CONNECTION' : 'CONNECTED', { expired: scenario === 'expired token' });
    arrangeSts(scenario);
    arrangeEvents(scenario);
    const request = customResourceRequest({
      type,
      account,
      token: scenario === 'bad token' ? newRegistrationToken() : token,
      ...(scenario === 'wrong account' ? { stackAccount: STRANGER } : {}),
    });
    const remainingMs = scenario === 'slow dependency' ? 2500 : 20_000;
    const started = Date.now();

    // Act
    const overrides = { ...(scenario === 'handler crash' ? { accounts: crashingOnFirstWrite() } : {}), ...(scenario === 'slow dependency' ? { deadline: deadlines.deadline } : {}) };
    await register(request, overrides, remainingMs);
    const tookMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100)); // nothing may arrive late

    // Assess: exactly one answer, in time (the wait for late answers is not the handler's), well-formed
    expect(tookMs).toBeLessThan(remainingMs);
    if (scenario === 'slow dependency') {
      // The decision had until the reserve; the record after it, no more than half the reserve before the end.
      const [decisionMs, recordMs] = deadlines.requestedMs;
      expect(decisionMs).toBeLessThanOrEqual(remainingMs - ANSWER_RESERVE_MS);
      expect(recordMs).toBeLessThanOrEqual(Math.min(1500, remainingMs - ANSWER_RESERVE_MS / 2));
    }
    const answers = answersFor(request.RequestId);
    expect(answers).toHaveLength(1);
    const [answer] = answers;
    expect(answer?.method).toBe('PUT');
    expect(answer?.contentType ?? '').toBe('');
    expect(answer?.body).toMatchObject({
      Status: expected.status,
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: 'GroundworkRegistration',
      // Create answers with the Groundwork account id; Update and Delete keep the id CloudFormation holds.
      // A Create that is not visibly ours names no account (security review L5).
      PhysicalResourceId: type === 'Create' && (scenario === 'bad token' || scenario === 'wrong account') ? 'groundwork-registration-invalid' : account.id,
    });
    expect(typeof answer?.body['Reason']).toBe('string');
    if (expected.reason) expect(String(answer?.body['Reason'])).toMatch(expected.reason);

    const after = await store.get(account.id);
    expect(after?.status).toBe(expected.account);
    if (type === 'Create' && expected.status === 'FAILED') expect(after?.accessRoleArn).toBeUndefined();
    if (type !== 'Delete' && expected.account === 'CONNECTED' && expected.status === 'SUCCESS') {
      expect(after?.accessRoleArn).toBe(request.ResourceProperties.AccessRoleArn);
      expect(after?.registrationStackId).toBe(REGISTERED_STACK);
    }
    if (expected.account === 'FAILED') {
      // A FAILED account holds no role, whatever this request had written before it failed.
      expect(after?.statusReason).toBeTruthy();
      expect(after?.accessRoleArn).toBeUndefined();
    }

    // Every event published is valid and says what happened.
    for (const event of publishedDetails()) {
      expect(event.type).toBe('Account Status Change');
      expect(eventDetailErrors(event.type, event.detail)).toEqual([]);
    }
    if (scenario === 'valid' && type !== 'Update') {
      expect(publishedDetails().map((e) => e.detail['status'])).toEqual([expected.account]);
    }
    // A Delete from the registering stack schedules the first look at the role, and only that.
    const registering = !(scenario === 'bad token' || scenario === 'wrong account');
    expect(revocationChecks.sent.map(({ work, delaySeconds }) => [work.kind, work.accountId, work.attempt, delaySeconds])).toEqual(
      type === 'Delete' && registering ? [['revocation-check', account.id, 1, REVOCATION_POLICY.delaysSeconds[0]]] : [],
    );
    if (type === 'Delete' && registering && scenario !== 'handler crash') expect(after?.revocationRequestedAt).toBe(revocationChecks.sent[0]?.work.requestedAt);

    // The ResponseURL is a credential: it never reaches a log, signed or not.
    const logs = logLines.join('\n');
    expect(logs).not.toContain('cfn-responses');
    expect(logs).not.toContain('X-Amz-Signature');
    expect(logs).not.toContain(token);
  });
});

describe('onboarding callback: delivery', () => {
  it('answers a redelivered message once and changes nothing twice', async () => {
    const { account, token } = await seedAccount('AWAITING_CONNECTION');
    arrangeSts('valid');
    const request = customResourceRequest({ type: 'Create', account, token });
    const handler = onboardingCallbackHandler(deps());
    const worker = onboardingWorkerHandler(deps());

    await handler(snsEvent(request), lambdaContext());
    const [work] = handedOver.sent;
    await worker(sqsEvent(work?.work), lambdaContext());
    const afterFirst = await store.get(account.id);
    // SNS delivers again (to the first stage), SQS delivers again (to the worker), some at once.
    await handler(snsEvent(request), lambdaContext());
    await Promise.all([handler(snsEvent(request), lambdaContext()), handler(snsEvent(request), lambdaContext()), worker(sqsEvent(work?.work), lambdaContext())]);

    expect(handedOver.sent).toHaveLength(1);
    expect(answersFor(request.RequestId)).toHaveLength(1);
    expect(await store.get(account.id)).toEqual(afterFirst);
    expect(publishedDetails()).toHaveLength(1);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('answers SUCCESS to the Delete of a registration it does not know', async () => {
    const unknown = { ...(await seedAccount('AWAITING_CONNECTION')).account, id: 'acc_zzzzzzzzzzzzzzzzzzzz' };
    const request = customResourceRequest({ type: 'Delete', account: unknown, token: newRegistrationToken(), physicalId: 'groundwork-registration-invalid' });
    await register(request);
    const garbage = { ...request, RequestId: randomUUID(), ResourceProperties: { ServiceToken: 'x' } };
    garbage.ResponseURL = responses.url(garbage.RequestId);
    await register(garbage);

    expect(answersFor(request.RequestId).map((a) => a.body['Status'])).toEqual(['SUCCESS']);
    expect(answersFor(request.RequestId)[0]?.body['PhysicalResourceId']).toBe('groundwork-registration-invalid');
    expect(answersFor(garbage.RequestId).map((a) => a.body['Status'])).toEqual(['SUCCESS']);
    expect(publishedDetails()).toHaveLength(0);
  });

  it('answers FAILED once to a request it cannot read but can answer', async () => {
    const requestId = randomUUID();
    const malformed = { RequestType: 'Explode', ResponseURL: responses.url(requestId), StackId: REGISTERED_STACK, RequestId: requestId, LogicalResourceId: 'GroundworkRegistration' };
    await register(malformed);
    await register('not json at all');
    expect(answersFor(requestId).map((a) => a.body['Status'])).toEqual(['FAILED']);
  });

  it('waits out IAM propagation: a role refused at first and accepted a moment later connects', async () => {
    const { account, token } = await seedAccount('AWAITING_CONNECTION');
    let withExternalId = 0;
    stsMock.on(AssumeRoleCommand).callsFake((input: { ExternalId?: string }) => {
      if (input.ExternalId === undefined) return Promise.reject(accessDenied());
      withExternalId += 1;
      return withExternalId < 3 ? Promise.reject(accessDenied()) : Promise.resolve({ Credentials: { AccessKeyId: 'a', SecretAccessKey: 'b', SessionToken: 'c', Expiration: new Date() } });
    });
    const request = customResourceRequest({ type: 'Create', account, token });
    await register(request, { prover: createStsRoleProver(sts, { propagationRetryMs: 5000, retryIntervalMs: 20 }) });
    expect(answersFor(request.RequestId)[0]?.body['Status']).toBe('SUCCESS');
    expect(withExternalId).toBe(3);
    expect((await store.get(account.id))?.status).toBe('CONNECTED');
  });

  it('refuses a second onboarding stack that reuses a link already used', async () => {
    const { account, token } = await seedAccount('CONNECTED');
    arrangeSts('valid');
    const request = customResourceRequest({ type: 'Create', account, token, stackId: REGISTERED_STACK.replace('11111111', '99999999') });
    await register(request);
    expect(answersFor(request.RequestId)[0]?.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/already used/) });
    expect((await store.get(account.id))?.status).toBe('CONNECTED');
  });

  it('still answers, once, when the state store is down', async () => {
    const { account, token } = await seedAccount('AWAITING_CONNECTION');
    const down = () => Promise.reject(new Error('DynamoDB unavailable'));
    const broken = { claim: down, handOver: down, take: down, markAnswered: down };
    const request = customResourceRequest({ type: 'Create', account, token });
    await register(request, { requests: broken });
    expect(answersFor(request.RequestId).map((a) => a.body['Status'])).toEqual(['FAILED']);
  });

  it('takes back a connection whose event could not be published: a FAILED answer never leaves a CONNECTED account', async () => {
    const { account, token } = await seedAccount('AWAITING_CONNECTION');
    arrangeSts('valid');
    eventBridgeMock.on(PutEventsCommand).rejects(new TypeError("Cannot read properties of undefined (reading 'Entries')"));
    const request = customResourceRequest({ type: 'Create', account, token });
    await register(request);
    expect(answersFor(request.RequestId).map((a) => a.body['Status'])).toEqual(['FAILED']);
    const after = await store.get(account.id);
    expect(after?.status).toBe('FAILED');
    expect(after?.accessRoleArn).toBeUndefined();
    expect(after?.registrationStackId).toBeUndefined();
  });

  it('never calls a ResponseURL that is not CloudFormation\'s, and changes nothing', async () => {
    const { account, token } = await seedAccount('AWAITING_CONNECTION');
    arrangeSts('valid');
    const request = { ...customResourceRequest({ type: 'Create', account, token }), ResponseURL: 'http://127.0.0.1:9/attacker' };
    const requests: string[] = [];
    const answer = createCloudFormationAnswerer(createLogger({ write: () => undefined }), (async (url: string) => {
      requests.push(String(url));
      return new Response(null, { status: 200 });
    }) as typeof fetch);
    await register(request, { answer });
    expect(requests).toEqual([]);
    expect((await store.get(account.id))?.status).toBe('AWAITING_CONNECTION');
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('keeps the event publisher out of the decision when it is injected as a fake', async () => {
    // A publisher fake that records; proves the handler publishes CONNECTED with the previous status.
    const published: unknown[] = [];
    const events: EventPublisher = { publish: async (_type, detail) => void published.push(detail) };
    const { account, token } = await seedAccount('AWAITING_CONNECTION');
    arrangeSts('valid');
    await register(customResourceRequest({ type: 'Create', account, token }), { events });
    expect(published).toEqual([expect.objectContaining({ accountId: account.id, status: 'CONNECTED', previousStatus: 'AWAITING_CONNECTION' })]);
  });
});

describe('onboarding callback: the SNS-facing stage holds no key (security review M1)', () => {
  it('checks the token from the binding alone: it never asks DynamoDB for the ExternalId, never calls STS, and queues only what passed', async () => {
    // Prepare: the first stage on a document client that records every command it sends
    const { account, token } = await seedAccount('AWAITING_CONNECTION');
    arrangeSts('valid');
    const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
    const recording = { send: (command: { constructor: { name: string }; input: Record<string, unknown> }, options?: unknown) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return (table.dynamo.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
    } } as unknown as typeof table.dynamo;
    const firstStage = onboardingCallbackHandler({
      ...deps(),
      bindings: new DynamoDbRegistrationBindingReader(recording, table.tableName),
      requests: new DynamoDbRegistrationRequestStore(recording, table.tableName),
    });
    const valid = customResourceRequest({ type: 'Create', account, token });
    const forged = customResourceRequest({ type: 'Create', account, token: newRegistrationToken() });

    // Act
    await firstStage(snsEvent(valid), lambdaContext());
    await firstStage(snsEvent(forged), lambdaContext());

    // Assess: every account read names only the binding's attributes
    const reads = sent.filter((command) => command.name === 'GetCommand');
    expect(reads).toHaveLength(2);
    for (const read of reads) {
      const names = read.input['ExpressionAttributeNames'] as Record<string, string>;
      const projected = String(read.input['ProjectionExpression']).split(',').map((name) => names[name.trim()]);
      expect(projected.sort()).toEqual([...REGISTRATION_BINDING_ATTRIBUTES].sort());
    }
    expect(sent.map((command) => command.name).filter((name) => !['GetCommand', 'PutCommand', 'UpdateCommand'].includes(name))).toEqual([]);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    // The forged one is answered at once and never reaches the worker; the valid one waits for it.
    expect(answersFor(forged.RequestId).map((answer) => answer.body['Status'])).toEqual(['FAILED']);
    expect(answersFor(valid.RequestId)).toEqual([]);
    expect(handedOver.sent.map(({ work }) => work.request.RequestId)).toEqual([valid.RequestId]);
    expect(JSON.stringify(handedOver.sent)).not.toContain(account.externalId);
    expect(logLines.join('\n')).not.toContain(account.externalId);
  });

  it('reads the binding without the ExternalId from DynamoDB itself', async () => {
    const { account } = await seedAccount('CONNECTED');
    const binding = await new DynamoDbRegistrationBindingReader(table.dynamo, table.tableName).read(account.id);
    expect(binding).toEqual({ awsAccountId: CUSTOMER, registrationTokenHash: account.registrationTokenHash, registrationStackId: REGISTERED_STACK, status: 'CONNECTED' });
    expect(JSON.stringify(binding)).not.toContain(account.externalId);
  });
});

describe('onboarding callback: a Delete revokes only once the access role is refused', () => {
  /** Runs the worker on the check it last scheduled, as SQS would after the delay. */
  async function runNextCheck(overrides: Partial<Deps> = {}) {
    const next = revocationChecks.sent.shift();
    if (!next) throw new Error('no revocation check was scheduled');
    await onboardingWorkerHandler(deps(overrides))(sqsEvent(next.work, 'groundwork-test-revocation-check'), lambdaContext());
    return next;
  }

  it('keeps the account CONNECTED while the role works, looks again with growing delays, and after the bound says the deletion did not remove access', async () => {
    // Prepare: the registering stack's Delete, and an access role that still works (a retained role, or a forged Delete)
    const { account, token } = await seedAccount('CONNECTED');
    arrangeSts('valid');
    await register(customResourceRequest({ type: 'Delete', account, token }));
    const pending = await store.get(account.id);

    // Act: every scheduled check, as SQS delivers them
    const delays: Array<number | undefined> = [];
    while (revocationChecks.sent.length > 0) delays.push((await runNextCheck()).delaySeconds);

    // Assess
    expect(pending).toMatchObject({ status: 'CONNECTED', statusReason: expect.stringMatching(/stops using this account as soon as its access role can no longer be assumed/) });
    expect(delays).toEqual([...REVOCATION_POLICY.delaysSeconds]);
    const after = await store.get(account.id);
    expect(after?.status).toBe('CONNECTED');
    expect(after?.revocationRequestedAt).toBeUndefined();
    expect(after?.statusReason).toMatch(/deletion did not remove Groundwork's access: .*role\/GroundworkAccess-x can still be assumed/);
    // One AssumeRole with the ExternalId per check, never without it.
    const calls = stsMock.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input);
    expect(calls).toHaveLength(REVOCATION_POLICY.delaysSeconds.length);
    for (const input of calls) expect(input.ExternalId).toBe(account.externalId);
    const last = publishedDetails().at(-1);
    expect(last?.detail).toMatchObject({ accountId: account.id, status: 'CONNECTED', previousStatus: 'CONNECTED', reason: after?.statusReason });
    expect(eventDetailErrors('Account Status Change', last?.detail ?? {})).toEqual([]);
  });

  it('revokes once STS refuses the role, pointing at a fresh link, and ignores checks that no longer apply', async () => {
    // Prepare
    const { account, token } = await seedAccount('CONNECTED');
    arrangeSts('valid');
    await register(customResourceRequest({ type: 'Delete', account, token }));
    const stale = { ...revocationChecks.sent[0]!.work, requestedAt: '2020-01-01T00:00:00.000Z' };

    // Act: the first look still finds the role (IAM has not caught up); the second is refused
    await runNextCheck();
    stsMock.reset();
    stsMock.on(AssumeRoleCommand).rejects(accessDenied());
    await runNextCheck();
    await onboardingWorkerHandler(deps())(sqsEvent(stale), lambdaContext());

    // Assess
    const after = await store.get(account.id);
    expect(after?.status).toBe('REVOKED');
    expect(after?.revocationRequestedAt).toBeUndefined();
    expect(after?.statusReason).toContain(`POST /v1/accounts/${account.id}/registration-link`);
    expect(revocationChecks.sent).toEqual([]);
    expect(publishedDetails().map((event) => [event.detail['previousStatus'], event.detail['status']])).toEqual([['CONNECTED', 'CONNECTED'], ['CONNECTED', 'REVOKED']]);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('sends a REVOKED account and an expired link to POST …/registration-link, never to deleting the account', async () => {
    const revoked = await seedAccount('AWAITING_CONNECTION');
    await store.update(revoked.account.id, { set: { status: 'REVOKED' } }, { version: revoked.account.version });
    const expired = await seedAccount('AWAITING_CONNECTION', { expired: true });
    arrangeSts('valid');
    const toRevoked = customResourceRequest({ type: 'Create', account: revoked.account, token: revoked.token });
    const toExpired = customResourceRequest({ type: 'Create', account: expired.account, token: expired.token });

    await register(toRevoked);
    await register(toExpired);

    for (const [request, account] of [[toRevoked, revoked.account], [toExpired, expired.account]] as const) {
      const reason = String(answersFor(request.RequestId)[0]?.body['Reason']);
      expect(reason).toContain(`POST /v1/accounts/${account.id}/registration-link`);
      expect(reason).not.toMatch(/delete the account/i);
    }
  });
});
