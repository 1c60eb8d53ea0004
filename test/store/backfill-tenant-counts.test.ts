import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { Account } from '../../src/accounts/account';
import { DynamoDbAccountStore } from '../../src/accounts/account-store';
import { newAccountId, newExternalId } from '../../src/accounts/onboarding-credentials';
import { backfillTenantCounts, recountTenants } from '../../src/store/backfill-tenant-counts';
import { accountKey, stackKey, tenantAccountsIndex, tenantStacksIndex } from '../../src/store/table-keys';
import { tenantCount } from '../../src/store/tenant-counts';
import { createTestTable } from '../support/dynamodb';

/**
 * The one-off backfill of tenant counts (decision 0012) against DynamoDB Local: accounts and live
 * stacks from before the caps are counted in once, released stacks never, and a second run
 * changes nothing.
 */
let table: Awaited<ReturnType<typeof createTestTable>>;
let accounts: DynamoDbAccountStore;

beforeAll(async () => {
  table = await createTestTable();
  accounts = new DynamoDbAccountStore(table.dynamo, table.tableName);
});
afterAll(async () => {
  await table.drop();
});

const NOW = '2025-01-01T00:00:00.000Z';

function account(tenantId: string, awsAccountId: string, extra: Partial<Account> = {}): Account {
  return {
    id: newAccountId(),
    tenantId,
    awsAccountId,
    name: 'x',
    status: 'CONNECTED',
    externalId: newExternalId(),
    registrationTokenHash: 'h',
    registrationTokenExpiresAt: NOW,
    createdAt: NOW,
    updatedAt: NOW,
    version: 3,
    ...extra,
  };
}

/** An account as the store wrote it before the caps: no countsInTenant, no count. */
async function legacyAccount(tenantId: string, awsAccountId: string): Promise<Account> {
  const item = account(tenantId, awsAccountId);
  await table.dynamo.send(new PutCommand({ TableName: table.tableName, Item: { ...accountKey(item.id), gsi1pk: tenantAccountsIndex(tenantId), gsi1sk: `${NOW}#${item.id}`, ...item } }));
  return item;
}

/** A stack item as it was before the caps (only what the backfill reads of it matters here). */
async function legacyStack(tenantId: string, status: string): Promise<string> {
  const id = `stk-${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  await table.dynamo.send(new PutCommand({ TableName: table.tableName, Item: { ...stackKey(id), gsi1pk: tenantStacksIndex(tenantId), gsi1sk: `${NOW}#${id}`, id, tenantId, status, version: 7 } }));
  return id;
}

const counts = async (tenantId: string) => ({
  accounts: await tenantCount(table.dynamo, table.tableName, tenantId, 'accounts'),
  liveStacks: await tenantCount(table.dynamo, table.tableName, tenantId, 'liveStacks'),
});

describe('backfilling tenant counts', () => {
  it('counts in what predates the caps, once, so the counters equal what each tenant holds', async () => {
    // Prepare: tenant A holds 2 old accounts and 1 counted one, 2 old live stacks and 1 released; B only a counted account
    const [a, b] = [`a-${randomUUID()}`, `b-${randomUUID()}`];
    const oldAccount = await legacyAccount(a, '111111111111');
    await legacyAccount(a, '111111111112');
    await accounts.create(account(a, '111111111113', { countsInTenant: true }), { maxAccountsPerTenant: 50 });
    await legacyStack(a, 'CREATE_COMPLETE');
    await legacyStack(a, 'UPDATE_IN_PROGRESS');
    await legacyStack(a, 'DELETE_COMPLETE');
    await accounts.create(account(b, '222222222222', { countsInTenant: true }), { maxAccountsPerTenant: 50 });
    const before = await counts(a);

    // Act
    const first = await backfillTenantCounts(table.dynamo, table.tableName);
    const afterFirst = { a: await counts(a), b: await counts(b) };
    const second = await backfillTenantCounts(table.dynamo, table.tableName);

    // Assess
    expect(before).toEqual({ accounts: 1, liveStacks: 0 });
    expect(first.countedIn[a]).toEqual({ accounts: 2, liveStacks: 2 });
    expect(first.countedIn[b]).toBeUndefined();
    expect(afterFirst).toEqual({ a: { accounts: 3, liveStacks: 2 }, b: { accounts: 1, liveStacks: 0 } });
    expect((await recountTenants(table.dynamo, table.tableName))[a]).toEqual(afterFirst.a);
    // Idempotent: the second run finds nothing to count.
    expect(second.countedIn).toEqual({});
    expect({ a: await counts(a), b: await counts(b) }).toEqual(afterFirst);
    // The old account is now counted, so deleting it counts it out.
    const flagged = await accounts.get(oldAccount.id);
    expect(flagged).toMatchObject({ countsInTenant: true, version: oldAccount.version + 1 });
    await accounts.delete(flagged!);
    expect(await counts(a)).toEqual({ accounts: 2, liveStacks: 2 });
  });

  it('leaves an account changed under it to a fresh read: a writer holding the old version is refused, not miscounted', async () => {
    const tenant = `c-${randomUUID()}`;
    const old = await legacyAccount(tenant, '333333333333');

    await backfillTenantCounts(table.dynamo, table.tableName);

    // A deletion that read the account before the backfill (without the flag) fails on the version, and would retry with the flag.
    await expect(accounts.delete(old)).rejects.toThrow(/changed while it was being deleted/);
    expect(await counts(tenant)).toEqual({ accounts: 1, liveStacks: 0 });
  });
});
