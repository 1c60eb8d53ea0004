import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The single Groundwork table. serverless.yml declares the same keys (a test holds them equal);
 * tests and local mode create it from here. What each item is, and its key: table-keys.ts.
 *   pk / sk          the item's own key (ACCOUNT#<id> / ACCOUNT, …)
 *   gsi1pk / gsi1sk  listings by owner (TENANT#<tenant>#ACCOUNTS / <createdAt>#<id>, …), in the
 *                    owner index
 *   expiresAt        DynamoDB TTL, epoch seconds (dedupe records of registration requests)
 *
 * The owner index projects KEYS_ONLY: a listing reads the keys there and the items from the table
 * (store/query-owner-index.ts). An index projecting ALL put every tenant's ExternalIds and token
 * hashes in front of every role that may Query it (security review M1). It is named `ownerKeys`,
 * not `gsi1`: DynamoDB cannot change an existing index's projection (an UpdateTable index Update
 * changes throughput only), so the new projection is a new index; decision 0012 says how a live
 * stage moves over.
 */
export const OWNER_INDEX = 'ownerKeys';

export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
      { AttributeName: 'gsi1sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: OWNER_INDEX,
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}
