import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The VPC blocks a tenant's live stacks hold in one account and region, so a new stack's block
 * overlaps none of them (they may later be peered or joined by a transit gateway):
 *   CIDRS#<tenant>#<accountId>#<region> / CIDR#<cidr>   { stackId }
 * Creating a stack reserves its block with a conditional write in the same transaction as the
 * stack; deleting the stack releases it.
 */
export interface CidrRegistry {
  taken(scope: CidrScope): Promise<string[]>;
}

export interface CidrScope {
  tenantId: string;
  accountId: string;
  region: string;
}

export const cidrScopeKey = (scope: CidrScope) => `CIDRS#${scope.tenantId}#${scope.accountId}#${scope.region}`;
export const cidrItemKey = (scope: CidrScope, cidr: string) => ({ pk: cidrScopeKey(scope), sk: `CIDR#${cidr}` });

export class DynamoDbCidrRegistry implements CidrRegistry {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async taken(scope: CidrScope): Promise<string[]> {
    const cidrs: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :scope AND begins_with(sk, :cidr)',
          ExpressionAttributeValues: { ':scope': cidrScopeKey(scope), ':cidr': 'CIDR#' },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) cidrs.push(String(item['sk']).slice('CIDR#'.length));
      start = page.LastEvaluatedKey;
    } while (start);
    return cidrs;
  }
}
