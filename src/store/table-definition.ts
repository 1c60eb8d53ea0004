import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The single Groundwork table. serverless.yml declares the same keys (a test holds them equal);
 * tests and local mode create it from here. What each item is, and its key: table-keys.ts.
 *   pk / sk          the item's own key (ACCOUNT#<id> / ACCOUNT, …)
 *   gsi1pk / gsi1sk  listings by owner (TENANT#<tenant>#ACCOUNTS / <createdAt>#<id>, …)
 *   expiresAt        DynamoDB TTL, epoch seconds (dedupe records of registration requests)
 */
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
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
