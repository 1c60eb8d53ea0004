import type { Account } from '../../src/accounts/account';
import { AccountRecorder } from '../../src/accounts/account-recorder';
import { AccountService } from '../../src/accounts/account-service';
import { AccountNotFoundError, RegistrationLinkRefusedError } from '../../src/accounts/errors';
import { hashRegistrationToken } from '../../src/accounts/onboarding-credentials';
import type { CustomResourceRequest } from '../../src/accounts/registration/custom-resource-request';
import type { RevocationCheckWork } from '../../src/accounts/registration/registration-work';
import { REVOCATION_POLICY } from '../../src/accounts/registration/revocation-check';
import { recordingQueue } from '../support/work-queue';
import { RegistrationDecision } from '../../src/accounts/registration/registration-decision';
import { createLogger } from '../../src/log/logger';
import { InMemoryAccountStore } from '../support/in-memory-account-store';
import { testOnboardingSettings } from '../support/onboarding-settings';
import { recordedEvents } from '../support/recorded-events';

/** Reconnecting an account with a fresh registration link (decision 0011, L1), over the in-memory store. */
const CUSTOMER = '123456789012';
const NOW = new Date('2025-03-04T05:06:07.000Z');
const OLD_STACK = `arn:aws:cloudformation:us-east-1:${CUSTOMER}:stack/GroundworkOnboarding/11111111-2222-3333-4444-555555555555`;
const NEW_STACK = `arn:aws:cloudformation:us-east-1:${CUSTOMER}:stack/GroundworkOnboarding/66666666-7777-8888-9999-000000000000`;
const ID = 'acc_aaaaaaaaaaaaaaaaaaaa';

function account(overrides: Partial<Account> = {}): Account {
  return {
    id: ID,
    tenantId: 'acme',
    awsAccountId: CUSTOMER,
    name: 'prod',
    status: 'REVOKED',
    statusReason: 'The onboarding stack was deleted.',
    externalId: 'external-id-kept',
    registrationTokenHash: hashRegistrationToken('gwr_old'),
    registrationTokenExpiresAt: '2025-03-01T00:00:00.000Z',
    registrationStackId: OLD_STACK,
    accessRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkAccess`,
    executionRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkExecution`,
    connectedAt: '2025-02-01T00:00:00.000Z',
    lastRequestId: 'request-old-delete',
    createdAt: '2025-02-01T00:00:00.000Z',
    updatedAt: '2025-03-01T00:00:00.000Z',
    version: 4,
    ...overrides,
  };
}

function setup(seeded: Account) {
  const store = new InMemoryAccountStore();
  store.seed(seeded);
  const events = recordedEvents();
  const logger = createLogger({ level: 'error', write: () => undefined });
  const service = new AccountService({ store, events: events.publisher, onboarding: testOnboardingSettings, logger, now: () => NOW });
  const register = (stackId: string, token: string) => {
    const request: CustomResourceRequest = {
      RequestType: 'Create',
      ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
      StackId: stackId,
      RequestId: `request-${stackId.slice(-4)}-${token.slice(-4)}`,
      ResourceType: 'Custom::GroundworkRegistration',
      LogicalResourceId: 'GroundworkRegistration',
      ResourceProperties: {
        GroundworkAccountId: ID,
        RegistrationToken: token,
        AccessRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkAccess2`,
        ExecutionRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkExecution2`,
        PermissionsBoundaryArn: `arn:aws:iam::${CUSTOMER}:policy/GroundworkBoundary2`,
        EventForwarding: 'false',
      },
    };
    const recorder = new AccountRecorder(store, events.publisher, logger, () => NOW);
    return new RegistrationDecision(request, {
      accounts: store,
      prover: { prove: async () => ({ ok: true }), canAssume: async () => true },
      recorder,
      revocationChecks: recordingQueue<RevocationCheckWork>(),
      revocationPolicy: REVOCATION_POLICY,
      now: () => NOW,
      log: logger,
    }).decide(new AbortController().signal);
  };
  return { store, events, service, register };
}

describe('a fresh registration link', () => {
  it('brings a REVOKED account back to AWAITING_CONNECTION with a new token, the same ExternalId, and nothing of its last connection', async () => {
    // Prepare
    const { store, events, service } = setup(account());

    // Act
    const answer = await service.reissueRegistrationLink('acme', ID);

    // Assess: the same onboarding as a creation; only the new token's hash is kept
    expect(answer).toMatchObject({ id: ID, status: 'AWAITING_CONNECTION', externalId: 'external-id-kept', registrationTokenExpiresAt: '2025-03-06T05:06:07.000Z' });
    expect(answer.onboarding).toMatchObject({ registrationTokenExpiresAt: '2025-03-06T05:06:07.000Z', templateUrl: testOnboardingSettings.templateUrl });
    expect(answer.onboarding.quickCreateUrl).toContain(encodeURIComponent(answer.onboarding.registrationToken));
    const [stored] = store.all();
    expect(stored?.registrationTokenHash).toBe(hashRegistrationToken(answer.onboarding.registrationToken));
    expect(JSON.stringify(stored)).not.toContain(answer.onboarding.registrationToken);
    for (const gone of ['statusReason', 'registrationStackId', 'accessRoleArn', 'executionRoleArn', 'connectedAt', 'lastRequestId'] as const) expect(stored?.[gone]).toBeUndefined();
    expect(events.published).toEqual([
      { type: 'Account Status Change', detail: { tenantId: 'acme', accountId: ID, awsAccountId: CUSTOMER, status: 'AWAITING_CONNECTION', previousStatus: 'REVOKED', occurredAt: NOW.toISOString() } },
    ]);
  });

  it('lets a new onboarding stack connect the account as a first connection, and the old token connects nothing', async () => {
    // Prepare
    const { store, service, register } = setup(account());
    const { onboarding } = await service.reissueRegistrationLink('acme', ID);

    // Act
    const withOldToken = await register(NEW_STACK, 'gwr_old');
    const withNewToken = await register(NEW_STACK, onboarding.registrationToken);

    // Assess
    expect(withOldToken.status).toBe('FAILED');
    expect(withNewToken).toMatchObject({ status: 'SUCCESS', physicalResourceId: ID });
    expect(store.all()[0]).toMatchObject({ status: 'CONNECTED', registrationStackId: NEW_STACK, externalId: 'external-id-kept', accessRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkAccess2`, connectedAt: NOW.toISOString() });
  });

  it('is given to a FAILED account and to one whose link expired unused', async () => {
    for (const seeded of [account({ status: 'FAILED' }), account({ status: 'AWAITING_CONNECTION', registrationStackId: undefined, registrationTokenExpiresAt: NOW.toISOString() })]) {
      const { service } = setup(seeded);
      await expect(service.reissueRegistrationLink('acme', ID)).resolves.toMatchObject({ status: 'AWAITING_CONNECTION' });
    }
  });

  it('is refused (409) to a CONNECTED account and to one whose link still runs, leaving it as it was; another tenant sees 404', async () => {
    for (const seeded of [account({ status: 'CONNECTED', statusReason: undefined }), account({ status: 'AWAITING_CONNECTION', registrationTokenExpiresAt: '2025-03-05T00:00:00.000Z' })]) {
      const { store, events, service } = setup(seeded);
      await expect(service.reissueRegistrationLink('acme', ID)).rejects.toThrow(RegistrationLinkRefusedError);
      expect(store.all()).toEqual([JSON.parse(JSON.stringify(seeded))]);
      expect(events.published).toEqual([]);
      await expect(service.reissueRegistrationLink('globex', ID)).rejects.toThrow(AccountNotFoundError);
    }
  });
});
