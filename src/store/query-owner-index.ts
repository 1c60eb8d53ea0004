import { BatchGetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor, type CursorScope } from './page-cursor';
import { OWNER_INDEX } from './table-definition';

/**
 * One page of an owner's items through the owner index (gsi1pk = the owner's listing, gsi1sk =
 * `<createdAt>#<id>`), with a nextToken that only ever resumes inside that same listing.
 *
 * The index holds keys only (table-definition.ts: no ExternalId or token hash may sit in an index
 * every lister can read, security review M1), so a page is two reads: the index gives the page's
 * keys in order, then one BatchGetItem (strongly consistent) reads those items from the table. An
 * item deleted between the two reads is left out; the cursor still follows the index.
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
    /** At most 100 (BatchGetItem's limit; list-query.ts caps `limit` at 100). */
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
      IndexName: OWNER_INDEX,
      KeyConditionExpression: 'gsi1pk = :owner',
      ExpressionAttributeValues: { ':owner': query.owner },
      ScanIndexForward: !query.newestFirst,
      Limit: query.limit,
      ...(start ? { ExclusiveStartKey: { ...query.keyOf(start.id), gsi1pk: query.owner, gsi1sk: start.s } } : {}),
    }),
  );
  const entries = (result.Items ?? []).map((entry) => ({ pk: String(entry['pk']), sk: String(entry['sk']), gsi1sk: String(entry['gsi1sk']) }));
  const items = await batchGet(client, tableName, entries);
  const last = entries.at(-1);
  return {
    items,
    ...(result.LastEvaluatedKey && last ? { nextToken: encodeCursor({ s: last.gsi1sk, id: idOfSortKey(last.gsi1sk) }, scope) } : {}),
  };
}

/** How often unprocessed keys are asked for again before the page fails (each after a short pause). */
const BATCH_GET_ROUNDS = 5;

/** The items at these keys, in their order; missing ones are left out. */
async function batchGet(client: DynamoDBDocumentClient, tableName: string, keys: Array<{ pk: string; sk: string }>): Promise<Array<Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const id = (key: { pk: unknown; sk: unknown }) => `${String(key.pk)}\u0000${String(key.sk)}`;
  let pending = keys.map(({ pk, sk }) => ({ pk, sk }));
  for (let round = 0; pending.length > 0; round += 1) {
    if (round === BATCH_GET_ROUNDS) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${BATCH_GET_ROUNDS} rounds`);
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
    const result = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
    for (const item of result.Responses?.[tableName] ?? []) found.set(id(item as { pk: unknown; sk: unknown }), item);
    pending = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Array<{ pk: string; sk: string }>;
  }
  return keys.flatMap((key) => {
    const item = found.get(id(key));
    return item ? [item] : [];
  });
}

/** The id at the end of a gsi1sk, `<createdAt>#<id>`. */
function idOfSortKey(sortKey: string): string {
  return sortKey.slice(sortKey.lastIndexOf('#') + 1);
}

/** gsi1sk is `<createdAt as ISO 8601>#<id>`, and the id must be one of the owner's kind. */
function ownerIndexScope(owner: string, idPattern: RegExp): CursorScope {
  return {
    owner,
    accepts: ({ s, id }) => idPattern.test(id) && s.endsWith(`#${id}`) && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(s.slice(0, -id.length - 1)),
  };
}
