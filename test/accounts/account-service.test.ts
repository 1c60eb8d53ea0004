import { AccountService } from '../../src/accounts/account-service';
import { createAccountInputSchema, type CreateAccountInputBody } from '../../src/accounts/create-account-input';
import { hashRegistrationToken } from '../../src/accounts/onboarding-credentials';
import { AccountHasLiveStacksError, AccountNotFoundError, AccountAlreadyRegisteredError } from '../../src/accounts/errors';
import { TenantLimitError } from '../../src/errors';
import { createLogger } from '../../src/log/logger';
import { InMemoryAccountStore } from '../support/in-memory-account-store';
import { testOnboardingSettings } from '../support/onboarding-settings';
import { recordedEvents } from '../support/recorded-events';

const NOW = new Date('2025-03-04T05:06:07.000Z');

/** A POST /v1/accounts body as the route hands it over: parsed, defaults filled in. */
const input = (body: CreateAccountInputBody) => createAccountInputSchema.parse(body);

function setup(options: { maxAccountsPerTenant?: number } = {}) {
  const store = new InMemoryAccountStore();
  const events = recordedEvents();
  const logLines: string[] = [];
  const service = new AccountService({
    store,
    events: events.publisher,
    onboarding: testOnboardingSettings,
    logger: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
    now: () => NOW,
    ...options,
  });
  return { store, events, logLines, service };
}

describe('AccountService over an in-memory store', () => {
  it('creates an account awaiting connection, keeps only the token hash, and announces it', async () => {
    // Prepare
    const { store, events, service } = setup();

    // Act
    const created = await service.create('acme', input({ awsAccountId: '123456789012', name: 'Production' }));

    // Assess
    expect(created).toMatchObject({ status: 'AWAITING_CONNECTION', awsAccountId: '123456789012', name: 'Production', registrationTokenExpiresAt: '2025-03-06T05:06:07.000Z' });
    const [stored] = store.all();
    expect(stored?.registrationTokenHash).toBe(hashRegistrationToken(created.onboarding.registrationToken));
    expect(JSON.stringify(stored)).not.toContain(created.onboarding.registrationToken);
    expect(events.published).toEqual([
      { type: 'Account Status Change', detail: { tenantId: 'acme', accountId: created.id, awsAccountId: '123456789012', status: 'AWAITING_CONNECTION', occurredAt: NOW.toISOString() } },
    ]);
  });

  it('takes the account back when its creation cannot be announced, so a retry starts clean', async () => {
    const { store, events, service } = setup();
    events.failWith(new Error('EventBridge down'));

    await expect(service.create('acme', input({ awsAccountId: '123456789012' }))).rejects.toThrow('EventBridge down');

    expect(store.all()).toEqual([]);
    events.failWith(undefined);
    await expect(service.create('acme', input({ awsAccountId: '123456789012' }))).resolves.toMatchObject({ status: 'AWAITING_CONNECTION' });
  });

  it('refuses a second registration of the same AWS account by a tenant', async () => {
    const { service } = setup();
    const first = await service.create('acme', input({ awsAccountId: '123456789012' }));
    const second = service.create('acme', input({ awsAccountId: '123456789012' }));
    await expect(second).rejects.toBeInstanceOf(AccountAlreadyRegisteredError);
    await expect(second).rejects.toThrow(first.id);
  });

  it('shows another tenant\'s account as missing', async () => {
    const { service } = setup();
    const created = await service.create('tenant-a', input({ awsAccountId: '123456789012' }));
    await expect(service.get('tenant-b', created.id)).rejects.toBeInstanceOf(AccountNotFoundError);
    await expect(service.get('tenant-a', created.id)).resolves.toMatchObject({ id: created.id });
  });

  it('deletes an account and announces DELETED with the status it had', async () => {
    const { store, events, service } = setup();
    const created = await service.create('acme', input({ awsAccountId: '123456789012' }));

    await service.delete('acme', created.id);

    expect(store.all()).toEqual([]);
    expect(events.published.at(-1)?.detail).toEqual({ tenantId: 'acme', accountId: created.id, awsAccountId: '123456789012', status: 'DELETED', previousStatus: 'AWAITING_CONNECTION', occurredAt: NOW.toISOString() });
  });

  it('deletes an account even when EventBridge refuses the event, and logs it', async () => {
    const { store, events, logLines, service } = setup();
    const created = await service.create('acme', input({ awsAccountId: '123456789012' }));
    events.failWith(new Error('EventBridge down'));

    await service.delete('acme', created.id);

    expect(store.all()).toEqual([]);
    expect(logLines.join('\n')).toContain('account deletion not published');
  });

  it('refuses to delete an account that still has live stacks', async () => {
    const { store, service } = setup();
    const created = await service.create('acme', input({ awsAccountId: '123456789012' }));
    store.holdLiveStack(created.id);

    await expect(service.delete('acme', created.id)).rejects.toBeInstanceOf(AccountHasLiveStacksError);
    expect(store.all()).toHaveLength(1);
  });

  it('lists a tenant\'s own accounts page by page', async () => {
    const { service } = setup();
    for (let i = 0; i < 3; i += 1) await service.create('acme', input({ awsAccountId: `10000000000${i}` }));
    await service.create('globex', input({ awsAccountId: '100000000009' }));

    const first = await service.list('acme', { limit: 2 });
    const second = await service.list('acme', { limit: 2, ...(first.nextToken ? { nextToken: first.nextToken } : {}) });

    expect(first.items).toHaveLength(2);
    expect(second.nextToken).toBeUndefined();
    expect([...first.items, ...second.items].map((item) => item.awsAccountId).sort()).toEqual(['100000000000', '100000000001', '100000000002']);
  });

  it('keeps a tenant under its account cap, announcing nothing for a refused account, and frees a place on delete', async () => {
    // Prepare: a cap of 2, reached
    const { store, events, service } = setup({ maxAccountsPerTenant: 2 });
    const first = await service.create('acme', input({ awsAccountId: '111111111111' }));
    await service.create('acme', input({ awsAccountId: '222222222222' }));

    // Act
    const refused = service.create('acme', input({ awsAccountId: '333333333333' }));

    // Assess
    await expect(refused).rejects.toThrow(TenantLimitError);
    await expect(refused).rejects.toMatchObject({ status: 409, code: 'tenant-limit', limit: 2, count: 2 });
    expect(store.all()).toHaveLength(2);
    expect(events.published).toHaveLength(2);
    await expect(service.create('globex', input({ awsAccountId: '333333333333' }))).resolves.toMatchObject({ status: 'AWAITING_CONNECTION' });
    await service.delete('acme', first.id);
    expect(store.tenantCount('acme')).toBe(1);
    await expect(service.create('acme', input({ awsAccountId: '333333333333' }))).resolves.toMatchObject({ status: 'AWAITING_CONNECTION' });
  });
});
