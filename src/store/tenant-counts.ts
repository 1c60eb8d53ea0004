import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TenantCounter } from '../model/tenant-limits';
import { tenantCountsKey } from './table-keys';
import type { TransactItem } from './transaction-items';

/**
 * The tenant's COUNTS item (store/table-keys.ts), counted in the same transactions that create
 * and release what it counts. An increment carries the cap as its condition, so two creations at
 * the edge cannot both pass: the condition holds atomically with the write, and a transaction that
 * conflicts with a concurrent one is cancelled (ConditionalCheckFailed or TransactionConflict;
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html),
 * which no read-then-write check could promise. An increment without a cap counts in what already
 * exists (backfill-tenant-counts.ts).
 */
export function countInTenant(tableName: string, tenantId: string, counter: TenantCounter, change: { by: 1; cap: number } | { by: 1 | -1 }): TransactItem {
  return {
    Update: {
      TableName: tableName,
      Key: tenantCountsKey(tenantId),
      UpdateExpression: 'ADD #n :by',
      ExpressionAttributeNames: { '#n': counter },
      ExpressionAttributeValues: { ':by': change.by, ...('cap' in change ? { ':cap': change.cap } : {}) },
      ...('cap' in change ? { ConditionExpression: 'attribute_not_exists(#n) OR #n < :cap' } : {}),
    },
  };
}

/** The tenant's current count, read after a refused increment to say how many it holds. */
export async function tenantCount(client: DynamoDBDocumentClient, tableName: string, tenantId: string, counter: TenantCounter): Promise<number> {
  const result = await client.send(new GetCommand({ TableName: tableName, Key: tenantCountsKey(tenantId), ConsistentRead: true }));
  return Number(result.Item?.[counter] ?? 0);
}
