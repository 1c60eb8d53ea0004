import { TransactionCanceledException, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { TenantLimitError } from '../errors';
import { queryOwnerIndex } from '../store/query-owner-index';
import { OWNER_INDEX } from '../store/table-definition';
import { countInTenant, tenantCount } from '../store/tenant-counts';
import { failedConditions, type NamedItem } from '../store/transaction-items';
import { accountKey, awsAccountKey, externalIdKey, liveStacksCounterKey, liveStacksIndex, tenantAccountsIndex } from '../store/table-keys';
import type { Account } from './account';
import { AccountAlreadyRegisteredError, AccountHasLiveStacksError, ConcurrentModificationError } from './errors';

/**
 * Accounts in the Groundwork table (keys and layout: store/table-keys.ts). Stacks count
 * themselves in the account's LIVE_STACKS item, and the account's deletion requires it to be 0,
 * so an account and a stack in it can never be deleted and created at once.
 */
export interface AccountPage {
  items: Account[];
  nextToken?: string;
}

/** A change to an account: fields to set, fields to remove. */
export interface AccountChange {
  set: Partial<Omit<Account, 'id' | 'tenantId' | 'version' | 'createdAt'>>;
  remove?: Array<keyof Account>;
}

/** Which state the write expects: the version read, or (for a request repeating its own write) its request id. */
export interface WriteExpectation {
  version: number;
  orLastRequestId?: string;
}

/** The cap the creation's tenant count must stay under (model/tenant-limits.ts). */
export interface CreateAccountOptions {
  maxAccountsPerTenant: number;
}

/** The items of an account's creation and deletion, by what each guards or counts. */
type AccountCreationItem = 'account' | 'externalId' | 'awsAccount' | 'tenantCount';
type AccountDeletionItem = 'account' | 'externalId' | 'awsAccount' | 'liveStacks' | 'tenantCount';

export interface AccountStore {
  /** The account with its ExternalId and AWS-account guards, counted in its tenant's accounts under the cap. */
  create(account: Account, options: CreateAccountOptions): Promise<void>;
  get(id: string, options?: { signal?: AbortSignal }): Promise<Account | undefined>;
  listByTenant(tenantId: string, options: { limit: number; nextToken?: string }): Promise<AccountPage>;
  update(id: string, change: AccountChange, expected: WriteExpectation, options?: { signal?: AbortSignal }): Promise<Account>;
  delete(account: Account): Promise<void>;
  hasLiveStacks(accountId: string): Promise<boolean>;
}

const ITEM_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'expiresAt']);

function fromItem(item: Record<string, unknown>): Account {
  const account: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!ITEM_ATTRIBUTES.has(key)) account[key] = value;
  return account as unknown as Account;
}

export class DynamoDbAccountStore implements AccountStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(account: Account, options: CreateAccountOptions): Promise<void> {
    const TableName = this.tableName;
    const items: Array<NamedItem<AccountCreationItem>> = [
      {
        name: 'account',
        item: {
          Put: {
            TableName,
            Item: { ...accountKey(account.id), gsi1pk: tenantAccountsIndex(account.tenantId), gsi1sk: `${account.createdAt}#${account.id}`, ...account },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      },
      { name: 'externalId', item: { Put: { TableName, Item: { ...externalIdKey(account.externalId), accountId: account.id }, ConditionExpression: 'attribute_not_exists(pk)' } } },
      { name: 'awsAccount', item: { Put: { TableName, Item: { ...awsAccountKey(account.tenantId, account.awsAccountId), accountId: account.id }, ConditionExpression: 'attribute_not_exists(pk)' } } },
      { name: 'tenantCount', item: countInTenant(TableName, account.tenantId, 'accounts', { by: 1, cap: options.maxAccountsPerTenant }) },
    ];
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items.map(({ item }) => item) }));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const failed = failedConditions(items, error);
      if (failed.has('awsAccount')) {
        const existing = await this.client.send(
          new GetCommand({ TableName: this.tableName, Key: awsAccountKey(account.tenantId, account.awsAccountId), ConsistentRead: true }),
        );
        throw new AccountAlreadyRegisteredError(account.awsAccountId, String(existing.Item?.['accountId'] ?? 'another account'));
      }
      if (failed.has('tenantCount')) {
        throw new TenantLimitError('accounts', options.maxAccountsPerTenant, await tenantCount(this.client, this.tableName, account.tenantId, 'accounts'));
      }
      throw new ConcurrentModificationError('The account could not be created (an id collided, or another creation ran at once); retry.', { cause: error });
    }
  }

  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<Account | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: accountKey(id), ConsistentRead: true }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    return result.Item ? fromItem(result.Item) : undefined;
  }

  async listByTenant(tenantId: string, options: { limit: number; nextToken?: string }): Promise<AccountPage> {
    const page = await queryOwnerIndex(this.client, this.tableName, { owner: tenantAccountsIndex(tenantId), keyOf: accountKey, idPattern: /^acc_[a-z0-9]{20}$/, ...options });
    return { items: page.items.map(fromItem), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async update(id: string, change: AccountChange, expected: WriteExpectation, options: { signal?: AbortSignal } = {}): Promise<Account> {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':expected': expected.version, ':one': 1 };
    const sets: string[] = ['#version = #version + :one'];
    Object.entries(change.set).forEach(([key, value], index) => {
      if (value === undefined) return;
      names[`#s${index}`] = key;
      values[`:s${index}`] = value;
      sets.push(`#s${index} = :s${index}`);
    });
    const removes = (change.remove ?? []).map((key, index) => {
      names[`#r${index}`] = key;
      return `#r${index}`;
    });
    let condition = 'attribute_exists(pk) AND (#version = :expected';
    if (expected.orLastRequestId !== undefined) {
      names['#lastRequestId'] = 'lastRequestId';
      values[':requestId'] = expected.orLastRequestId;
      condition += ' OR #lastRequestId = :requestId';
    }
    condition += ')';
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: accountKey(id),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      return fromItem(result.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConcurrentModificationError(`Account ${id} changed while it was being updated.`, { cause: error });
      }
      throw error;
    }
  }

  async delete(account: Account): Promise<void> {
    const TableName = this.tableName;
    const items: Array<NamedItem<AccountDeletionItem>> = [
      {
        name: 'account',
        item: {
          Delete: {
            TableName,
            Key: accountKey(account.id),
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': account.version },
          },
        },
      },
      { name: 'externalId', item: { Delete: { TableName, Key: externalIdKey(account.externalId) } } },
      { name: 'awsAccount', item: { Delete: { TableName, Key: awsAccountKey(account.tenantId, account.awsAccountId) } } },
      {
        name: 'liveStacks',
        item: {
          Delete: {
            TableName,
            Key: liveStacksCounterKey(account.id),
            ConditionExpression: 'attribute_not_exists(pk) OR #count <= :none',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':none': 0 },
          },
        },
      },
      // Counted out only if it was counted in (the version condition above pins what was read).
      ...(account.countsInTenant === true ? [{ name: 'tenantCount' as const, item: countInTenant(TableName, account.tenantId, 'accounts', { by: -1 }) }] : []),
    ];
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items.map(({ item }) => item) }));
    } catch (error) {
      if (error instanceof TransactionCanceledException && failedConditions(items, error).has('liveStacks')) {
        throw new AccountHasLiveStacksError(account.id);
      }
      if (error instanceof TransactionCanceledException) {
        throw new ConcurrentModificationError(`Account ${account.id} changed while it was being deleted; retry.`, { cause: error });
      }
      throw error;
    }
  }

  async hasLiveStacks(accountId: string): Promise<boolean> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: OWNER_INDEX,
        KeyConditionExpression: 'gsi1pk = :live',
        ExpressionAttributeValues: { ':live': liveStacksIndex(accountId) },
        Limit: 1,
      }),
    );
    return (result.Items ?? []).length > 0;
  }
}
