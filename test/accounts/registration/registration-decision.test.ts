import type { Account } from '../../../src/accounts/account';
import { AccountRecorder } from '../../../src/accounts/account-recorder';
import { hashRegistrationToken } from '../../../src/accounts/onboarding-credentials';
import type { CustomResourceRequest } from '../../../src/accounts/registration/custom-resource-request';
import type { RoleProof } from '../../../src/accounts/registration/prove-access-role';
import { RegistrationDecision } from '../../../src/accounts/registration/registration-decision';
import { createLogger } from '../../../src/log/logger';
import type { RevocationCheckWork } from '../../../src/accounts/registration/registration-work';
import { REVOCATION_POLICY } from '../../../src/accounts/registration/revocation-check';
import { recordingQueue } from '../../support/work-queue';
import { InMemoryAccountStore } from '../../support/in-memory-account-store';
import { recordedEvents } from '../../support/recorded-events';

const CUSTOMER = '123456789012';
const STACK = `arn:aws:cloudformation:us-east-1:${CUSTOMER}:stack/GroundworkOnboarding/11111111-2222-3333-4444-555555555555`;
const TOKEN = 'gwr_token';
const NOW = new Date('2025-03-04T05:06:07.000Z');
const ACCOUNT_ID = 'acc_aaaaaaaaaaaaaaaaaaaa';

function account(overrides: Partial<Account> = {}): Account {
  return {
    id: ACCOUNT_ID,
    tenantId: 'acme',
    awsAccountId: CUSTOMER,
    name: 'prod',
    status: 'AWAITING_CONNECTION',
    externalId: 'external-id',
    registrationTokenHash: hashRegistrationToken(TOKEN),
    registrationTokenExpiresAt: '2025-03-05T00:00:00.000Z',
    createdAt: '2025-03-03T00:00:00.000Z',
    updatedAt: '2025-03-03T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}

function request(type: 'Create' | 'Update' | 'Delete', overrides: { token?: string; properties?: Record<string, string | undefined> } = {}): CustomResourceRequest {
  return {
    RequestType: type,
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
    StackId: STACK,
    RequestId: `request-${type}`,
    ResourceType: 'Custom::GroundworkRegistration',
    LogicalResourceId: 'GroundworkRegistration',
    ...(type !== 'Create' ? { PhysicalResourceId: ACCOUNT_ID } : {}),
    ResourceProperties: {
      GroundworkAccountId: ACCOUNT_ID,
      RegistrationToken: overrides.token ?? TOKEN,
      AccessRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkAccess`,
      ExecutionRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkExecution`,
      NatInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkNatInstance`,
      ContainerInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkContainerInstance`,
      BastionInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkBastion`,
      TaskExecutionRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkTaskExecution`,
      EventForwarding: 'false',
      TemplateVersion: '7',
      ...overrides.properties,
    },
  };
}

function setup(seeded: Account, proof: RoleProof = { ok: true }) {
  const checks = recordingQueue<RevocationCheckWork>();
  const store = new InMemoryAccountStore();
  store.seed(seeded);
  const events = recordedEvents();
  const logger = createLogger({ level: 'error', write: () => undefined });
  const decisionFor = (req: CustomResourceRequest) =>
    new RegistrationDecision(req, {
      accounts: store,
      prover: { prove: async () => proof, canAssume: async () => true },
      recorder: new AccountRecorder(store, events.publisher, logger, () => NOW),
      revocationChecks: checks,
      revocationPolicy: REVOCATION_POLICY,
      now: () => NOW,
      log: logger,
    });
  return { store, events, decisionFor, checks };
}

const signal = () => new AbortController().signal;

describe('RegistrationDecision over an in-memory store', () => {
  it('connects an account whose role is proven, and announces CONNECTED', async () => {
    const { store, events, decisionFor } = setup(account());

    const outcome = await decisionFor(request('Create')).decide(signal());

    expect(outcome).toEqual({ status: 'SUCCESS', reason: `Connected to Groundwork as ${ACCOUNT_ID}.`, physicalResourceId: ACCOUNT_ID, data: { GroundworkAccountId: ACCOUNT_ID } });
    expect(store.all()[0]).toMatchObject({ status: 'CONNECTED', registrationStackId: STACK, accessRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkAccess`, connectedAt: NOW.toISOString(), lastRequestId: 'request-Create' });
    expect(events.published.map((event) => event.detail)).toEqual([expect.objectContaining({ status: 'CONNECTED', previousStatus: 'AWAITING_CONNECTION' })]);
  });

  it('records the fixed roles the onboarding stack made, for the templates to use', async () => {
    const { store, decisionFor } = setup(account());

    await decisionFor(request('Create')).decide(signal());

    expect(store.all()[0]?.deployContext).toEqual({
      natInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkNatInstance`,
      containerInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkContainerInstance`,
      bastionInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkBastion`,
      taskExecutionRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkTaskExecution`,
    });
    expect(store.all()[0]?.onboardingTemplateVersion).toBe(7);
  });

  it('still connects a stack launched from an older template (no fixed role, no version), recording it as version 1', async () => {
    const { store, decisionFor } = setup(account());
    const older = request('Create', {
      properties: { NatInstanceProfileArn: undefined, ContainerInstanceProfileArn: undefined, BastionInstanceProfileArn: undefined, TaskExecutionRoleArn: undefined, TemplateVersion: undefined, PermissionsBoundaryArn: `arn:aws:iam::${CUSTOMER}:policy/GroundworkBoundary` },
    });
    for (const key of Object.keys(older.ResourceProperties)) if (older.ResourceProperties[key] === undefined) delete older.ResourceProperties[key];

    const outcome = await decisionFor(older).decide(signal());

    expect(outcome).toMatchObject({ status: 'SUCCESS' });
    expect(store.all()[0]).toMatchObject({ status: 'CONNECTED', deployContext: {}, onboardingTemplateVersion: 1 });
  });

  it('leaves the account exactly as it was when the token does not match', async () => {
    const { store, events, decisionFor } = setup(account());

    const outcome = await decisionFor(request('Create', { token: 'gwr_other' })).decide(signal());

    expect(outcome).toMatchObject({ status: 'FAILED', reason: expect.stringMatching(/no registration matching this link/) });
    expect(store.all()).toEqual([account()]);
    expect(events.published).toEqual([]);
  });

  it('marks the account FAILED, with a reason, when the role is refused', async () => {
    const { store, events, decisionFor } = setup(account(), { ok: false, reason: 'The role can be assumed without the ExternalId.' });

    const outcome = await decisionFor(request('Create')).decide(signal());

    expect(outcome).toMatchObject({ status: 'FAILED', physicalResourceId: ACCOUNT_ID });
    expect(store.all()[0]).toMatchObject({ status: 'FAILED', statusReason: 'The role can be assumed without the ExternalId.' });
    expect(store.all()[0]?.accessRoleArn).toBeUndefined();
    expect(events.published.map((event) => event.detail)).toEqual([expect.objectContaining({ status: 'FAILED', reason: 'The role can be assumed without the ExternalId.' })]);
  });

  it('refuses an expired link for a stack not yet connected', async () => {
    const { store, decisionFor } = setup(account({ registrationTokenExpiresAt: '2025-03-04T00:00:00.000Z' }));

    const outcome = await decisionFor(request('Create')).decide(signal());

    expect(outcome.reason).toMatch(/link expired/);
    expect(store.all()[0]?.status).toBe('FAILED');
  });

  it('does not revoke a connected account on the Delete of the stack that connected it: it notes the request and schedules a look at the role', async () => {
    // CloudFormation deletes the registration before the roles (decision 0011): at this moment the role always still works.
    const connected = account({ status: 'CONNECTED', registrationStackId: STACK, accessRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkAccess` });
    const { store, events, decisionFor, checks } = setup(connected);

    const outcome = await decisionFor(request('Delete')).decide(signal());

    expect(outcome).toMatchObject({ status: 'SUCCESS', physicalResourceId: ACCOUNT_ID });
    expect(store.all()[0]).toMatchObject({ status: 'CONNECTED', revocationRequestedAt: NOW.toISOString(), statusReason: expect.stringMatching(/deleted on 2025-03-04T05:06:07.000Z/) });
    expect(checks.sent).toEqual([{ work: { kind: 'revocation-check', accountId: ACCOUNT_ID, requestedAt: NOW.toISOString(), attempt: 1 }, delaySeconds: REVOCATION_POLICY.delaysSeconds[0] }]);
    expect(events.published.map((event) => event.detail)).toEqual([expect.objectContaining({ status: 'CONNECTED', previousStatus: 'CONNECTED' })]);
  });

  it('revokes at once, on that Delete, an account that holds no role (FAILED)', async () => {
    const failed = account({ status: 'FAILED', registrationStackId: STACK });
    const { store, decisionFor, checks } = setup(failed);

    const outcome = await decisionFor(request('Delete')).decide(signal());

    expect(outcome).toMatchObject({ status: 'SUCCESS', reason: 'Groundwork access revoked.' });
    expect(store.all()[0]).toMatchObject({ status: 'REVOKED', statusReason: expect.stringContaining(`POST /v1/accounts/${ACCOUNT_ID}/registration-link`) });
    expect(checks.sent).toEqual([]);
  });

  it('after an interruption, takes back a connection that landed and records FAILED without any role', async () => {
    const { store, decisionFor } = setup(account());
    const decision = decisionFor(request('Create'));
    await decision.decide(signal());

    await decision.recordInterruption('Groundwork did not finish verifying the role in time.', signal());

    const after = store.all()[0];
    expect(after).toMatchObject({ status: 'FAILED', statusReason: 'Groundwork did not finish verifying the role in time.' });
    expect(after?.accessRoleArn).toBeUndefined();
    expect(after?.registrationStackId).toBeUndefined();
    expect(decision.accountId).toBe(ACCOUNT_ID);
  });

  it('records nothing after an interruption of a request that may not change the account', async () => {
    const { store, decisionFor } = setup(account());
    const decision = decisionFor(request('Create', { token: 'gwr_other' }));
    await decision.decide(signal());

    await decision.recordInterruption('timed out', signal());

    expect(store.all()).toEqual([account()]);
  });
});

describe('what a stranger can learn or undo through the open topic', () => {
  const STRANGER = '999999999999';
  const strangers = (req: CustomResourceRequest): CustomResourceRequest => ({ ...req, StackId: req.StackId.replace(CUSTOMER, STRANGER) });

  it('answers a foreign registration exactly as one that does not exist (security review L5)', async () => {
    // Prepare: the same message from another AWS account, once naming a real account, once an unknown id
    const { decisionFor } = setup(account());
    const unknown = strangers(request('Create'));
    unknown.ResourceProperties = { ...unknown.ResourceProperties, GroundworkAccountId: 'acc_zzzzzzzzzzzzzzzzzzzz' };

    // Act
    const foreign = await decisionFor(strangers(request('Create'))).decide(signal());
    const missing = await decisionFor(unknown).decide(signal());

    // Assess: nothing tells them apart, and neither names our account or its AWS account
    expect(foreign).toEqual(missing);
    expect(JSON.stringify(foreign)).not.toContain(ACCOUNT_ID);
    expect(JSON.stringify(foreign)).not.toContain(CUSTOMER);
  });

  it('retires the token once a stack is bound: a second Create is refused, even naming the same stack (security review L1)', async () => {
    // Prepare: connected by STACK
    const { store, events, decisionFor } = setup(account({ status: 'CONNECTED', registrationStackId: STACK, accessRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkAccess` }));

    // Act
    const outcome = await decisionFor(request('Create')).decide(signal());

    // Assess: refused, and the account is exactly as it was
    expect(outcome).toMatchObject({ status: 'FAILED', reason: expect.stringMatching(/already used/) });
    expect(store.all()[0]).toMatchObject({ status: 'CONNECTED', registrationStackId: STACK, version: 1 });
    expect(events.published).toEqual([]);
  });

  it('still lets the bound stack\'s Update re-prove its role with the token', async () => {
    const { store, decisionFor } = setup(account({ status: 'CONNECTED', registrationStackId: STACK }));
    const outcome = await decisionFor(request('Update')).decide(signal());
    expect(outcome.status).toBe('SUCCESS');
    expect(store.all()[0]?.status).toBe('CONNECTED');
  });
});
