import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor, type CursorScope } from './page-cursor';

/**
 * One page of an owner's items through gsi1 (gsi1pk = the owner's listing, gsi1sk =
 * `<createdAt>#<id>`), with a nextToken that only ever resumes inside that same listing.
 */
export async function queryOwnerIndex(
  client: DynamoDBDocumentClient,
  tableName: string,
  query: {
    owner: string;
    /** The item's own primary key, rebuilt from its id to resume after it. */
    keyOf: (id: string) => { pk: string; sk: string };
    /** What the owner's ids look like (acc_…, stk-…): a cursor naming anything else is refused. */
    idPattern: RegExp;
    limit: number;
    nextToken?: string;
    newestFirst?: boolean;
  },
): Promise<{ items: Array<Record<string, unknown>>; nextToken?: string }> {
  const scope = ownerIndexScope(query.owner, query.idPattern);
  const start = query.nextToken ? decodeCursor(query.nextToken, scope) : undefined;
  const result = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :owner',
      ExpressionAttributeValues: { ':owner': query.owner },
      ScanIndexForward: !query.newestFirst,
      Limit: query.limit,
      ...(start ? { ExclusiveStartKey: { ...query.keyOf(start.id), gsi1pk: query.owner, gsi1sk: start.s } } : {}),
    }),
  );
  const items = result.Items ?? [];
  const last = items.at(-1);
  return {
    items,
    ...(result.LastEvaluatedKey && last ? { nextToken: encodeCursor({ s: String(last['gsi1sk']), id: String(last['id']) }, scope) } : {}),
  };
}

/** gsi1sk is `<createdAt as ISO 8601>#<id>`, and the id must be one of the owner's kind. */
function ownerIndexScope(owner: string, idPattern: RegExp): CursorScope {
  return {
    owner,
    accepts: ({ s, id }) => idPattern.test(id) && s.endsWith(`#${id}`) && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(s.slice(0, -id.length - 1)),
  };
}
