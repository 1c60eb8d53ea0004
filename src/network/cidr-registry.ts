import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CIDR_SCOPE_VERSION_SORT_KEY, cidrOfSortKey, cidrScopePartition } from '../store/table-keys';

/**
 * The VPC blocks a tenant's live stacks hold in one account and region, so a new stack's block
 * overlaps none of them (they may later be peered or joined by a transit gateway); the items are
 * laid out in store/table-keys.ts. Creating a stack reserves its block with a conditional write
 * in the same transaction as the stack; deleting the stack releases it.
 */
export interface CidrRegistry {
  taken(scope: CidrScope): Promise<string[]>;
}

export interface CidrScope {
  tenantId: string;
  accountId: string;
  region: string;
}

export class DynamoDbCidrRegistry implements CidrRegistry {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async taken(scope: CidrScope): Promise<string[]> {
    return (await this.scope(scope)).taken;
  }

  /** The scope's blocks, and the version a creation must find unchanged to take another. */
  async scope(scope: CidrScope): Promise<{ taken: string[]; version: number }> {
    const taken: string[] = [];
    let version = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :scope',
          ExpressionAttributeValues: { ':scope': cidrScopePartition(scope) },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        if (item['sk'] === CIDR_SCOPE_VERSION_SORT_KEY) version = Number(item['version']);
        else taken.push(cidrOfSortKey(String(item['sk'])));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return { taken, version };
  }
}
