import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { accountKey, liveStacksCounterKey, liveStacksIndex } from '../accounts/account-store';
import { cidrItemKey, cidrScopeKey, DynamoDbCidrRegistry, type CidrScope } from '../network/cidr-registry';
import type { StackStatusChangeDetail, StackStepStatusChangeDetail } from '../events/event-details';
import { decodeCursor, encodeCursor } from '../store/page-cursor';
import { queryOwnerIndex } from '../store/query-owner-index';
import type { Stack } from './stack';

/**
 * Stacks in the Groundwork table:
 *   STACK#<id> / STACK                       the stack (listed per tenant through gsi1)
 *   STACK#<id> / LIVE                        while it may hold resources (gsi1: ACCOUNT#<a>#LIVE_STACKS)
 *   STACK#<id> / EVENT#<version>#<n>         its history; `pending` until published to EventBridge
 *   STACKNAME#<t>#<a>#<region>#<name>        one live stack per name
 *   CIDRS#<t>#<a>#<region> / CIDR#<block>    its VPC block; / SCOPE versions the scope so two
 *                                            creations cannot both pass the overlap check
 *   IDEMPOTENCY#<t>#<key>                    the request a key was first used with (24 h)
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
  | { kind: 'account-changed' };

const stackKey = (id: string) => ({ pk: `STACK#${id}`, sk: 'STACK' });
const liveKey = (id: string) => ({ pk: `STACK#${id}`, sk: 'LIVE' });
const nameKey = (s: { tenantId: string; accountId: string; region: string; name: string }) => ({
  pk: `STACKNAME#${s.tenantId}#${s.accountId}#${s.region}#${s.name}`,
  sk: 'STACKNAME',
});
const scopeLockKey = (scope: CidrScope) => ({ pk: cidrScopeKey(scope), sk: 'SCOPE' });
const idempotencyKey = (tenantId: string, key: string) => ({ pk: `IDEMPOTENCY#${tenantId}#${key}`, sk: 'IDEMPOTENCY' });
const tenantStacksIndex = (tenantId: string) => `TENANT#${tenantId}#STACKS`;
const eventSortKey = (version: number, index: number) => `EVENT#${String(version).padStart(10, '0')}#${index}`;

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
    ...{ pk: `STACK#${stack.id}`, sk: eventSortKey(stack.version, index) },
    type: event.type,
    detail: event.detail,
    pending: 1,
  }));
}

/** Another transaction touched the same items at the same time: the caller re-reads and retries. */
function conflicted(error: TransactionCanceledException): boolean {
  return (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict');
}

/** Counts a stack into (1) or out of (-1) its account's live stacks; see account-store. */
function countLiveStack(tableName: string, accountId: string, by: 1 | -1) {
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

export class DynamoDbStackStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  cidrScope(scope: CidrScope): Promise<{ taken: string[]; version: number }> {
    return new DynamoDbCidrRegistry(this.client, this.tableName).scope(scope);
  }

  async create(stack: Stack, options: { scopeVersion: number; idempotency?: { key: string; requestHash: string; response: string }; events: readonly StackEvent[] }): Promise<CreateOutcome> {
    const scope = scopeOf(stack);
    const items = [
      { Put: { TableName: this.tableName, Item: stackItem(stack), ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.tableName, Item: { ...liveKey(stack.id), gsi1pk: liveStacksIndex(stack.accountId), gsi1sk: stack.id } } },
      { Put: { TableName: this.tableName, Item: { ...nameKey(stack), stackId: stack.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.tableName, Item: { ...cidrItemKey(scope, stack.network.vpcCidr), stackId: stack.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Update: {
          TableName: this.tableName,
          Key: scopeLockKey(scope),
          UpdateExpression: 'SET #version = :next',
          ConditionExpression: options.scopeVersion === 0 ? 'attribute_not_exists(pk)' : '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':next': options.scopeVersion + 1, ...(options.scopeVersion === 0 ? {} : { ':expected': options.scopeVersion }) },
        },
      },
      {
        ConditionCheck: {
          TableName: this.tableName,
          Key: accountKey(stack.accountId),
          ConditionExpression: '#status = :connected',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':connected': 'CONNECTED' },
        },
      },
      countLiveStack(this.tableName, stack.accountId, 1),
      ...eventItems(stack, options.events).map((Item) => ({ Put: { TableName: this.tableName, Item } })),
      ...(options.idempotency
        ? [
            {
              Put: {
                TableName: this.tableName,
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
          ]
        : []),
    ];
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return { kind: 'created' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const failed = (index: number) => error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';
      if (options.idempotency && failed(items.length - 1)) return { kind: 'idempotency-race' };
      if (failed(2)) {
        const lock = await this.client.send(new GetCommand({ TableName: this.tableName, Key: nameKey(stack), ConsistentRead: true }));
        return { kind: 'name-taken', existingStackId: String(lock.Item?.['stackId'] ?? 'unknown') };
      }
      // A concurrent transaction on the same items (real DynamoDB says TransactionConflict): allocate again.
      if (failed(5)) return { kind: 'account-changed' };
      if (failed(3) || failed(4) || conflicted(error)) return { kind: 'cidr-race' };
      throw error;
    }
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
    const page = await queryOwnerIndex(this.client, this.tableName, { owner: tenantStacksIndex(tenantId), keyOf: stackKey, newestFirst: true, ...options });
    return { items: page.items.map(fromItem), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  /**
   * Replaces the stack with its next state (version + 1) if nobody changed it since `before`,
   * with the change's events; a stack that reaches a released status frees its name, block and
   * live marker in the same transaction. Returns false when another writer got there first.
   */
  async save(before: Stack, after: Stack, events: readonly StackEvent[], options: { release?: boolean; signal?: AbortSignal } = {}): Promise<boolean> {
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
            { Delete: { TableName: this.tableName, Key: liveKey(after.id) } },
            { Delete: { TableName: this.tableName, Key: nameKey(after) } },
            { Delete: { TableName: this.tableName, Key: cidrItemKey(scope, after.network.vpcCidr) } },
            // Counted out only if it was counted in, so the count cannot drift below what lives.
            ...(after.countsAsLive === true ? [countLiveStack(this.tableName, after.accountId, -1)] : []),
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

  /** The stack's history, oldest first. */
  async events(stackId: string, options: { limit: number; nextToken?: string; pendingOnly?: boolean }): Promise<{ items: Array<StackEvent & { sequence: string }>; nextToken?: string }> {
    const start = options.nextToken ? decodeCursor(options.nextToken) : undefined;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :stack AND begins_with(sk, :event)',
        ExpressionAttributeValues: { ':stack': `STACK#${stackId}`, ':event': 'EVENT#' },
        ConsistentRead: true,
        ...(options.pendingOnly ? { FilterExpression: 'attribute_exists(pending)' } : { Limit: options.limit }),
        ...(start ? { ExclusiveStartKey: { pk: `STACK#${stackId}`, sk: start.s } } : {}),
      }),
    );
    const items = (result.Items ?? []).map((item) => ({ type: item['type'], detail: item['detail'], sequence: String(item['sk']) }) as StackEvent & { sequence: string });
    const last = items.at(-1);
    return { items, ...(result.LastEvaluatedKey && last && !options.pendingOnly ? { nextToken: encodeCursor({ s: last.sequence, id: stackId }) } : {}) };
  }

  /** Takes an event for publication; false if another writer already took it. */
  async claimForPublication(stackId: string, sequence: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `STACK#${stackId}`, sk: sequence },
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

  /** Gives a claimed event back when its publication failed, so a later change sends it. */
  async releaseClaim(stackId: string, sequence: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: { pk: `STACK#${stackId}`, sk: sequence }, UpdateExpression: 'SET pending = :one', ExpressionAttributeValues: { ':one': 1 } }),
    );
  }
}

