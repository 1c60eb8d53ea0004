import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { DynamoDbCidrRegistry, type CidrScope } from '../network/cidr-registry';
import type { StackStatusChangeDetail, StackStepStatusChangeDetail } from '../events/event-details';
import { decodeCursor, encodeCursor, type CursorScope } from '../store/page-cursor';
import { queryOwnerIndex } from '../store/query-owner-index';
import { countInTenant, tenantCount } from '../store/tenant-counts';
import { conflicted, failedConditions, type NamedItem, type TransactItem } from '../store/transaction-items';
import {
  STACK_EVENT_PREFIX,
  accountKey,
  cidrItemKey,
  cidrScopeVersionKey,
  idempotencyKey,
  liveStacksCounterKey,
  liveStacksIndex,
  stackEventKey,
  stackEventSortKey,
  stackKey,
  stackLiveKey,
  stackNameKey,
  stackPartition,
  tenantStacksIndex,
} from '../store/table-keys';
import type { Stack } from './stack';

/**
 * Stacks in the Groundwork table (keys and layout: store/table-keys.ts): the stack, its live
 * marker, its name and VPC block locks, its history and the idempotency keys of its creation.
 * Every change is one transaction, conditional on the version read.
 */
export type StackEvent =
  | { type: 'Stack Status Change'; detail: StackStatusChangeDetail }
  | { type: 'Stack Step Status Change'; detail: StackStepStatusChangeDetail };

export interface IdempotencyRecord {
  requestHash: string;
  stackId: string;
  /** The first answer, replayed verbatim. */
  response: string;
}

export type CreateOutcome =
  | { kind: 'created' }
  | { kind: 'name-taken'; existingStackId: string }
  | { kind: 'cidr-race' }
  | { kind: 'idempotency-race' }
  /** The account stopped being CONNECTED (or was deleted) after it was read. */
  | { kind: 'account-changed' }
  /** The tenant already has as many live stacks as its cap allows: `count` of them. */
  | { kind: 'tenant-limit'; count: number };

export interface CreateOptions {
  /** The version of the VPC block scope that was read to allocate the stack's block. */
  scopeVersion: number;
  /** The cap the tenant's live stacks must stay under, counting this one (model/tenant-limits.ts). */
  maxLiveStacksPerTenant: number;
  idempotency?: { key: string; requestHash: string; response: string };
  events: readonly StackEvent[];
}

export interface SaveOptions {
  /** The stack reached a released status: free its name, block and live marker too. */
  release?: boolean;
  signal?: AbortSignal;
}

export type StackEventPage = { items: Array<StackEvent & { sequence: string }>; nextToken?: string };

export interface StackStore {
  /** The blocks taken in the scope, and the version a creation must find unchanged to take another. */
  cidrScope(scope: CidrScope): Promise<{ taken: string[]; version: number }>;
  /** The stack, its locks, its first events and its idempotency key: all, or (with the reason) none. */
  create(stack: Stack, options: CreateOptions): Promise<CreateOutcome>;
  idempotencyRecord(tenantId: string, key: string): Promise<IdempotencyRecord | undefined>;
  get(id: string): Promise<Stack | undefined>;
  /** Newest first. */
  listByTenant(tenantId: string, options: { limit: number; nextToken?: string }): Promise<{ items: Stack[]; nextToken?: string }>;
  /** Replaces `before` by `after` with the change's events; false when another writer got there first. */
  save(before: Stack, after: Stack, events: readonly StackEvent[], options?: SaveOptions): Promise<boolean>;
  /** The stack's history, oldest first. */
  events(stackId: string, options: { limit: number; nextToken?: string; pendingOnly?: boolean }): Promise<StackEventPage>;
  /** Takes an event for publication; false if another writer already took it. */
  claimForPublication(stackId: string, sequence: string): Promise<boolean>;
  /** Gives a claimed event back when its publication failed, so a later change sends it. */
  releaseClaim(stackId: string, sequence: string): Promise<void>;
}

const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
const ITEM_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk']);

function fromItem(item: Record<string, unknown>): Stack {
  const stack: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!ITEM_ATTRIBUTES.has(key)) stack[key] = value;
  return stack as unknown as Stack;
}

function stackItem(stack: Stack) {
  return { ...stackKey(stack.id), gsi1pk: tenantStacksIndex(stack.tenantId), gsi1sk: `${stack.createdAt}#${stack.id}`, ...stack };
}

function eventItems(stack: Stack, events: readonly StackEvent[]) {
  return events.map((event, index) => ({
    ...{ pk: stackPartition(stack.id), sk: stackEventSortKey(stack.version, index) },
    type: event.type,
    detail: event.detail,
    pending: 1,
  }));
}

/** The items of a creation, by what each guards. */
type CreationItem = 'stack' | 'live' | 'name' | 'cidr' | 'scopeVersion' | 'accountConnected' | 'liveCount' | 'tenantLiveStacks' | 'event' | 'idempotency';

/** Counts a stack into (1) or out of (-1) its account's live stacks (see table-keys). */
function countLiveStack(tableName: string, accountId: string, by: 1 | -1): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: liveStacksCounterKey(accountId),
      UpdateExpression: 'ADD #count :by',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':by': by },
    },
  };
}

function scopeOf(stack: Stack): CidrScope {
  return { tenantId: stack.tenantId, accountId: stack.accountId, region: stack.region };
}

export class DynamoDbStackStore implements StackStore {
  private readonly cidrs: DynamoDbCidrRegistry;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.cidrs = new DynamoDbCidrRegistry(client, tableName);
  }

  cidrScope(scope: CidrScope): Promise<{ taken: string[]; version: number }> {
    return this.cidrs.scope(scope);
  }

  async create(stack: Stack, options: CreateOptions): Promise<CreateOutcome> {
    const items = this.creationItems(stack, options);
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items.map(({ item }) => item) }));
      return { kind: 'created' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const failed = failedConditions(items, error);
      if (failed.has('idempotency')) return { kind: 'idempotency-race' };
      if (failed.has('name')) {
        const lock = await this.client.send(new GetCommand({ TableName: this.tableName, Key: stackNameKey(stack), ConsistentRead: true }));
        return { kind: 'name-taken', existingStackId: String(lock.Item?.['stackId'] ?? 'unknown') };
      }
      if (failed.has('accountConnected')) return { kind: 'account-changed' };
      if (failed.has('tenantLiveStacks')) return { kind: 'tenant-limit', count: await tenantCount(this.client, this.tableName, stack.tenantId, 'liveStacks') };
      // A concurrent transaction on the same items (real DynamoDB says TransactionConflict): allocate again.
      if (failed.has('cidr') || failed.has('scopeVersion') || conflicted(error)) return { kind: 'cidr-race' };
      throw error;
    }
  }

  /** One transaction, each item named after what it guards, so a cancellation is read by name. */
  private creationItems(stack: Stack, options: CreateOptions): Array<NamedItem<CreationItem>> {
    const TableName = this.tableName;
    const scope = scopeOf(stack);
    const firstScopeUse = options.scopeVersion === 0;
    return [
      { name: 'stack', item: { Put: { TableName, Item: stackItem(stack), ConditionExpression: 'attribute_not_exists(pk)' } } },
      { name: 'live', item: { Put: { TableName, Item: { ...stackLiveKey(stack.id), gsi1pk: liveStacksIndex(stack.accountId), gsi1sk: stack.id } } } },
      { name: 'name', item: { Put: { TableName, Item: { ...stackNameKey(stack), stackId: stack.id }, ConditionExpression: 'attribute_not_exists(pk)' } } },
      { name: 'cidr', item: { Put: { TableName, Item: { ...cidrItemKey(scope, stack.network.vpcCidr), stackId: stack.id }, ConditionExpression: 'attribute_not_exists(pk)' } } },
      {
        name: 'scopeVersion',
        item: {
          Update: {
            TableName,
            Key: cidrScopeVersionKey(scope),
            UpdateExpression: 'SET #version = :next',
            ConditionExpression: firstScopeUse ? 'attribute_not_exists(pk)' : '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':next': options.scopeVersion + 1, ...(firstScopeUse ? {} : { ':expected': options.scopeVersion }) },
          },
        },
      },
      {
        name: 'accountConnected',
        item: {
          ConditionCheck: {
            TableName,
            Key: accountKey(stack.accountId),
            ConditionExpression: '#status = :connected',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':connected': 'CONNECTED' },
          },
        },
      },
      { name: 'liveCount', item: countLiveStack(TableName, stack.accountId, 1) },
      { name: 'tenantLiveStacks', item: countInTenant(TableName, stack.tenantId, 'liveStacks', { by: 1, cap: options.maxLiveStacksPerTenant }) },
      ...eventItems(stack, options.events).map((Item) => ({ name: 'event' as const, item: { Put: { TableName, Item } } })),
      ...(options.idempotency
        ? [
            {
              name: 'idempotency' as const,
              item: {
                Put: {
                  TableName,
                  Item: {
                    ...idempotencyKey(stack.tenantId, options.idempotency.key),
                    requestHash: options.idempotency.requestHash,
                    response: options.idempotency.response,
                    stackId: stack.id,
                    expiresAt: Math.floor(Date.parse(stack.createdAt) / 1000) + IDEMPOTENCY_TTL_SECONDS,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            },
          ]
        : []),
    ];
  }

  async idempotencyRecord(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: idempotencyKey(tenantId, key), ConsistentRead: true }));
    return result.Item
      ? { requestHash: String(result.Item['requestHash']), stackId: String(result.Item['stackId']), response: String(result.Item['response']) }
      : undefined;
  }

  async get(id: string): Promise<Stack | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: stackKey(id), ConsistentRead: true }));
    return result.Item ? fromItem(result.Item) : undefined;
  }

  async listByTenant(tenantId: string, options: { limit: number; nextToken?: string }): Promise<{ items: Stack[]; nextToken?: string }> {
    const page = await queryOwnerIndex(this.client, this.tableName, { owner: tenantStacksIndex(tenantId), keyOf: stackKey, idPattern: /^stk-[a-z0-9]{20}$/, newestFirst: true, ...options });
    return { items: page.items.map(fromItem), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  /**
   * Replaces the stack with its next state (version + 1) if nobody changed it since `before`,
   * with the change's events; a stack that reaches a released status frees its name, block and
   * live marker in the same transaction. Returns false when another writer got there first.
   */
  async save(before: Stack, after: Stack, events: readonly StackEvent[], options: SaveOptions = {}): Promise<boolean> {
    const scope = scopeOf(after);
    const items = [
      {
        Put: {
          TableName: this.tableName,
          Item: stackItem(after),
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': before.version },
        },
      },
      ...eventItems(after, events).map((Item) => ({ Put: { TableName: this.tableName, Item } })),
      ...(options.release
        ? [
            { Delete: { TableName: this.tableName, Key: stackLiveKey(after.id) } },
            { Delete: { TableName: this.tableName, Key: stackNameKey(after) } },
            { Delete: { TableName: this.tableName, Key: cidrItemKey(scope, after.network.vpcCidr) } },
            // Counted out only if it was counted in, so the count cannot drift below what lives.
            ...(after.countsAsLive === true ? [countLiveStack(this.tableName, after.accountId, -1)] : []),
            ...(after.countsInTenant === true ? [countInTenant(this.tableName, after.tenantId, 'liveStacks', { by: -1 })] : []),
          ]
        : []),
    ];
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }), options.signal ? { abortSignal: options.signal } : {});
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed' || conflicted(error))) return false;
      throw error;
    }
  }

  async events(stackId: string, options: { limit: number; nextToken?: string; pendingOnly?: boolean }): Promise<StackEventPage> {
    const scope = stackEventsScope(stackId);
    const start = options.nextToken ? decodeCursor(options.nextToken, scope) : undefined;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :stack AND begins_with(sk, :event)',
        ExpressionAttributeValues: { ':stack': stackPartition(stackId), ':event': STACK_EVENT_PREFIX },
        ConsistentRead: true,
        ...(options.pendingOnly ? { FilterExpression: 'attribute_exists(pending)' } : { Limit: options.limit }),
        ...(start ? { ExclusiveStartKey: stackEventKey(stackId, start.s) } : {}),
      }),
    );
    const items = (result.Items ?? []).map((item) => ({ type: item['type'], detail: item['detail'], sequence: String(item['sk']) }) as StackEvent & { sequence: string });
    const last = items.at(-1);
    return { items, ...(result.LastEvaluatedKey && last && !options.pendingOnly ? { nextToken: encodeCursor({ s: last.sequence, id: stackId }, scope) } : {}) };
  }

  async claimForPublication(stackId: string, sequence: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: stackEventKey(stackId, sequence),
          UpdateExpression: 'REMOVE pending',
          ConditionExpression: 'attribute_exists(pending)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async releaseClaim(stackId: string, sequence: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: stackEventKey(stackId, sequence), UpdateExpression: 'SET pending = :one', ExpressionAttributeValues: { ':one': 1 } }),
    );
  }
}


/** An events cursor resumes inside this stack's history, at a sort key stackEventSortKey made. */
function stackEventsScope(stackId: string): CursorScope {
  return { owner: stackPartition(stackId), accepts: ({ s, id }) => id === stackId && /^EVENT#\d{10}#\d{1,6}$/.test(s) };
}
