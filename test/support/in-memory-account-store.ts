import type { Account } from '../../src/accounts/account';
import type { AccountChange, AccountPage, AccountStore, CreateAccountOptions, WriteExpectation } from '../../src/accounts/account-store';
import { AccountAlreadyRegisteredError, AccountHasLiveStacksError, ConcurrentModificationError } from '../../src/accounts/errors';
import { TenantLimitError } from '../../src/errors';
import { decodeCursor, encodeCursor } from '../../src/store/page-cursor';

/**
 * The AccountStore contract in memory, with the DynamoDB store's conditions: one registration per
 * AWS account per tenant, the tenant's account cap, writes conditional on the version (or the request's own last write),
 * no deletion while stacks are live. For tests of the logic above the store, without Java.
 */
export class InMemoryAccountStore implements AccountStore {
  private readonly accounts = new Map<string, Account>();
  private readonly liveStacks = new Set<string>();
  private readonly tenantCounts = new Map<string, number>();

  /** Marks the account as holding a live stack, as a stack's creation would. */
  holdLiveStack(accountId: string): void {
    this.liveStacks.add(accountId);
  }

  /** Puts an account as it is, as a test's starting point. */
  seed(account: Account): void {
    this.accounts.set(account.id, structuredClone(account));
  }

  all(): Account[] {
    return [...this.accounts.values()].map((account) => structuredClone(account));
  }

  async create(account: Account, options: CreateAccountOptions): Promise<void> {
    const registered = [...this.accounts.values()].find((other) => other.tenantId === account.tenantId && other.awsAccountId === account.awsAccountId);
    if (registered) throw new AccountAlreadyRegisteredError(account.awsAccountId, registered.id);
    if (this.accounts.has(account.id) || [...this.accounts.values()].some((other) => other.externalId === account.externalId)) {
      throw new ConcurrentModificationError('The account could not be created (an id collided); retry.');
    }
    const count = this.tenantCount(account.tenantId);
    if (count >= options.maxAccountsPerTenant) throw new TenantLimitError('accounts', options.maxAccountsPerTenant, count);
    this.seed(account);
    this.tenantCounts.set(account.tenantId, count + 1);
  }

  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<Account | undefined> {
    options.signal?.throwIfAborted();
    const account = this.accounts.get(id);
    return account ? structuredClone(account) : undefined;
  }

  async listByTenant(tenantId: string, options: { limit: number; nextToken?: string }): Promise<AccountPage> {
    const sortKey = (account: Account) => `${account.createdAt}#${account.id}`;
    const after = options.nextToken ? decodeCursor(options.nextToken, { owner: `accounts of ${tenantId}`, accepts: () => true }).s : '';
    const owned = [...this.accounts.values()].filter((account) => account.tenantId === tenantId && sortKey(account) > after).sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    const items = owned.slice(0, options.limit);
    const last = items.at(-1);
    return { items: items.map((account) => structuredClone(account)), ...(owned.length > items.length && last ? { nextToken: encodeCursor({ s: sortKey(last), id: last.id }, { owner: `accounts of ${tenantId}` }) } : {}) };
  }

  async update(id: string, change: AccountChange, expected: WriteExpectation, options: { signal?: AbortSignal } = {}): Promise<Account> {
    options.signal?.throwIfAborted();
    const account = this.accounts.get(id);
    const expectedState = account !== undefined && (account.version === expected.version || (expected.orLastRequestId !== undefined && account.lastRequestId === expected.orLastRequestId));
    if (!account || !expectedState) throw new ConcurrentModificationError(`Account ${id} changed while it was being updated.`);
    // DynamoDB refuses an update that sets and removes one attribute ("Two document paths overlap").
    const overlapping = (change.remove ?? []).filter((key) => (change.set as Record<string, unknown>)[key] !== undefined);
    if (overlapping.length > 0) throw new Error(`Invalid UpdateExpression: Two document paths overlap with each other: ${overlapping.join(', ')}`);
    const updated: Account = { ...account, version: account.version + 1 };
    for (const [key, value] of Object.entries(change.set)) if (value !== undefined) Object.assign(updated, { [key]: value });
    for (const key of change.remove ?? []) delete updated[key];
    this.accounts.set(id, updated);
    return structuredClone(updated);
  }

  async delete(account: Account): Promise<void> {
    if (this.liveStacks.has(account.id)) throw new AccountHasLiveStacksError(account.id);
    if (this.accounts.get(account.id)?.version !== account.version) throw new ConcurrentModificationError(`Account ${account.id} changed while it was being deleted; retry.`);
    this.accounts.delete(account.id);
    if (account.countsInTenant === true) this.tenantCounts.set(account.tenantId, this.tenantCount(account.tenantId) - 1);
  }

  /** How many of the tenant's accounts count against its cap. */
  tenantCount(tenantId: string): number {
    return this.tenantCounts.get(tenantId) ?? 0;
  }

  async hasLiveStacks(accountId: string): Promise<boolean> {
    return this.liveStacks.has(accountId);
  }
}
