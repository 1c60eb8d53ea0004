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
import { createStsRoleProver } from '../../../src/accounts/registration/prove-access-role';
import { DynamoDbRegistrationRequestStore } from '../../../src/accounts/registration/registration-request-store';
import { createEventPublisher, type EventPublisher } from '../../../src/events/event-publisher';
import { createLogger } from '../../../src/log/logger';
import { createTestTable } from '../../support/dynamodb';
import { eventDetailErrors } from '../../support/event-schemas';
import { lambdaContext } from '../../support/lambda';
import { startResponseServer } from '../../support/response-server';

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

function deps(overrides: Partial<OnboardingCallbackDeps> = {}): OnboardingCallbackDeps {
  const logger = createLogger({ level: 'debug', write: (line) => logLines.push(line) });
  return {
    accounts: store,
    requests: new DynamoDbRegistrationRequestStore(table.dynamo, table.tableName),
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

const EXPECTED: Record<Scenario, Record<RequestType, Expected>> = {
  valid: {
    Create: { status: 'SUCCESS', account: 'CONNECTED' },
    Update: { status: 'SUCCESS', account: 'CONNECTED' },
    Delete: { status: 'SUCCESS', account: 'REVOKED' },
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
    Delete: { status: 'SUCCESS', account: 'REVOKED' },
  },
  'expired token': {
    Create: { status: 'FAILED', account: 'FAILED', reason: /link expired/ },
    // The stack that was connected with the token needs no fresh one to re-prove its role.
    Update: { status: 'SUCCESS', account: 'CONNECTED' },
    Delete: { status: 'SUCCESS', account: 'REVOKED' },
  },
  'STS error': {
    Create: { status: 'FAILED', account: 'FAILED', reason: /STS failed .*ServiceUnavailable.*retry/ },
    Update: { status: 'FAILED', account: 'FAILED', reason: /STS failed .*ServiceUnavailable.*retry/ },
    Delete: { status: 'SUCCESS', account: 'REVOKED' },
  },
  'handler crash': {
    Create: { status: 'FAILED', account: 'FAILED', reason: /internal error .*reference/ },
    Update: { status: 'FAILED', account: 'FAILED', reason: /internal error .*reference/ },
    Delete: { status: 'SUCCESS', account: 'REVOKED' },
  },
  'slow dependency': {
    Create: { status: 'FAILED', account: 'FAILED', reason: /did not finish verifying the role in time/ },
    Update: { status: 'FAILED', account: 'FAILED', reason: /did not finish verifying the role in time/ },
    Delete: { status: 'SUCCESS', account: 'REVOKED' },
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
    await onboardingCallbackHandler(deps(overrides))(snsEvent(request), lambdaContext(remainingMs));
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

    await handler(snsEvent(request), lambdaContext());
    const afterFirst = await store.get(account.id);
    await handler(snsEvent(request), lambdaContext());
    await Promise.all([handler(snsEvent(request), lambdaContext()), handler(snsEvent(request), lambdaContext())]);

    expect(answersFor(request.RequestId)).toHaveLength(1);
    expect(await store.get(account.id)).toEqual(afterFirst);
    expect(publishedDetails()).toHaveLength(1);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('answers SUCCESS to the Delete of a registration it does not know', async () => {
    const unknown = { ...(await seedAccount('AWAITING_CONNECTION')).account, id: 'acc_zzzzzzzzzzzzzzzzzzzz' };
    const request = customResourceRequest({ type: 'Delete', account: unknown, token: newRegistrationToken(), physicalId: 'groundwork-registration-invalid' });
    await onboardingCallbackHandler(deps())(snsEvent(request), lambdaContext());
    const garbage = { ...request, RequestId: randomUUID(), ResourceProperties: { ServiceToken: 'x' } };
    garbage.ResponseURL = responses.url(garbage.RequestId);
    await onboardingCallbackHandler(deps())(snsEvent(garbage), lambdaContext());

    expect(answersFor(request.RequestId).map((a) => a.body['Status'])).toEqual(['SUCCESS']);
    expect(answersFor(request.RequestId)[0]?.body['PhysicalResourceId']).toBe('groundwork-registration-invalid');
    expect(answersFor(garbage.RequestId).map((a) => a.body['Status'])).toEqual(['SUCCESS']);
    expect(publishedDetails()).toHaveLength(0);
  });

  it('answers FAILED once to a request it cannot read but can answer', async () => {
    const requestId = randomUUID();
    const malformed = { RequestType: 'Explode', ResponseURL: responses.url(requestId), StackId: REGISTERED_STACK, RequestId: requestId, LogicalResourceId: 'GroundworkRegistration' };
    await onboardingCallbackHandler(deps())(snsEvent(malformed), lambdaContext());
    await onboardingCallbackHandler(deps())(snsEvent('not json at all'), lambdaContext());
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
    await onboardingCallbackHandler(deps({ prover: createStsRoleProver(sts, { propagationRetryMs: 5000, retryIntervalMs: 20 }) }))(snsEvent(request), lambdaContext());
    expect(answersFor(request.RequestId)[0]?.body['Status']).toBe('SUCCESS');
    expect(withExternalId).toBe(3);
    expect((await store.get(account.id))?.status).toBe('CONNECTED');
  });

  it('refuses a second onboarding stack that reuses a link already used', async () => {
    const { account, token } = await seedAccount('CONNECTED');
    arrangeSts('valid');
    const request = customResourceRequest({ type: 'Create', account, token, stackId: REGISTERED_STACK.replace('11111111', '99999999') });
    await onboardingCallbackHandler(deps())(snsEvent(request), lambdaContext());
    expect(answersFor(request.RequestId)[0]?.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/already used/) });
    expect((await store.get(account.id))?.status).toBe('CONNECTED');
  });

  it('still answers, once, when the state store is down', async () => {
    const { account, token } = await seedAccount('AWAITING_CONNECTION');
    const broken = { claim: () => Promise.reject(new Error('DynamoDB unavailable')), markAnswered: () => Promise.reject(new Error('DynamoDB unavailable')) };
    const request = customResourceRequest({ type: 'Create', account, token });
    await onboardingCallbackHandler(deps({ requests: broken }))(snsEvent(request), lambdaContext());
    expect(answersFor(request.RequestId).map((a) => a.body['Status'])).toEqual(['FAILED']);
  });

  it('takes back a connection whose event could not be published: a FAILED answer never leaves a CONNECTED account', async () => {
    const { account, token } = await seedAccount('AWAITING_CONNECTION');
    arrangeSts('valid');
    eventBridgeMock.on(PutEventsCommand).rejects(new TypeError("Cannot read properties of undefined (reading 'Entries')"));
    const request = customResourceRequest({ type: 'Create', account, token });
    await onboardingCallbackHandler(deps())(snsEvent(request), lambdaContext());
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
    await onboardingCallbackHandler(deps({ answer }))(snsEvent(request), lambdaContext());
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
    await onboardingCallbackHandler(deps({ events }))(snsEvent(customResourceRequest({ type: 'Create', account, token })), lambdaContext());
    expect(published).toEqual([expect.objectContaining({ accountId: account.id, status: 'CONNECTED', previousStatus: 'AWAITING_CONNECTION' })]);
  });
});
