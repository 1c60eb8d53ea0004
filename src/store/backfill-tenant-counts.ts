import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, ScanCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RELEASED_STATUSES, type StackStatus } from '../model/statuses';
import type { TenantCounter } from '../model/tenant-limits';
import { countInTenant } from './tenant-counts';

/**
 * Counts in what predates the tenant caps (decision 0011, L4; decision 0012): accounts and live
 * stacks created before TENANT#<t>/COUNTS existed carry no `countsInTenant`, so they were never
 * counted, and never will be counted out. For each such item, one transaction sets its
 * `countsInTenant` (bumping its version) and adds 1 to its tenant's counter:
 *
 * - idempotent: an item already counted is skipped, so a second run changes nothing;
 * - safe beside live traffic: the item's write is conditional on the version read, and bumping the
 *   version makes a concurrent writer holding the old one fail and read again (the stack recorder
 *   retries by itself; an account write answers 409 "retry"), so a deletion or release racing the
 *   backfill always sees the flag it must count out. A stack released meanwhile is not counted in.
 *
 * After it, each tenant's counters equal what it holds: every account, and every stack not in a
 * released status (RELEASED_STATUSES), which is what creation counts in and release counts out.
 */
export interface BackfillReport {
  /** Items counted in by this run, per tenant and counter. */
  countedIn: Record<string, Partial<Record<TenantCounter, number>>>;
  /** Items already counted (or no longer countable) when this run reached them. */
  skipped: number;
}

interface Candidate {
  counter: TenantCounter;
  key: { pk: string; sk: string };
}

const MAX_ATTEMPTS = 5;

export async function backfillTenantCounts(client: DynamoDBDocumentClient, tableName: string): Promise<BackfillReport> {
  const report: BackfillReport = { countedIn: {}, skipped: 0 };
  for await (const candidate of uncounted(client, tableName)) {
    const tenantId = await countIn(client, tableName, candidate);
    if (tenantId === undefined) {
      report.skipped += 1;
      continue;
    }
    const tenant = (report.countedIn[tenantId] ??= {});
    tenant[candidate.counter] = (tenant[candidate.counter] ?? 0) + 1;
  }
  return report;
}

/** What each tenant holds, recounted from the items (a check of the counters; reads only). */
export async function recountTenants(client: DynamoDBDocumentClient, tableName: string): Promise<Record<string, Record<TenantCounter, number>>> {
  const counts: Record<string, Record<TenantCounter, number>> = {};
  for await (const item of scanItems(client, tableName)) {
    const counter = counterOf(item);
    if (!counter) continue;
    const tenant = (counts[String(item['tenantId'])] ??= { accounts: 0, liveStacks: 0 });
    tenant[counter] += 1;
  }
  return counts;
}

/** Accounts and live stacks: what the tenant's counters count. */
function counterOf(item: Record<string, unknown>): TenantCounter | undefined {
  if (item['sk'] === 'ACCOUNT' && typeof item['tenantId'] === 'string') return 'accounts';
  if (item['sk'] === 'STACK' && typeof item['tenantId'] === 'string' && !RELEASED_STATUSES.includes(item['status'] as StackStatus)) return 'liveStacks';
  return undefined;
}

async function* scanItems(client: DynamoDBDocumentClient, tableName: string): AsyncGenerator<Record<string, unknown>> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression: 'sk IN (:account, :stack)',
        ProjectionExpression: 'pk, sk, tenantId, #status, countsInTenant',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':account': 'ACCOUNT', ':stack': 'STACK' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) yield item;
    start = page.LastEvaluatedKey;
  } while (start);
}

async function* uncounted(client: DynamoDBDocumentClient, tableName: string): AsyncGenerator<Candidate> {
  for await (const item of scanItems(client, tableName)) {
    const counter = counterOf(item);
    if (counter && item['countsInTenant'] !== true) yield { counter, key: { pk: String(item['pk']), sk: String(item['sk']) } };
  }
}

/** Counts the item in, if it still needs it; its tenant, or undefined when it did not. */
async function countIn(client: DynamoDBDocumentClient, tableName: string, candidate: Candidate): Promise<string | undefined> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const { Item: item } = await client.send(new GetCommand({ TableName: tableName, Key: candidate.key, ConsistentRead: true }));
    if (!item || item['countsInTenant'] === true || counterOf(item) !== candidate.counter) return undefined;
    const tenantId = String(item['tenantId']);
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: candidate.key,
                UpdateExpression: 'SET countsInTenant = :true, #version = #version + :one',
                ConditionExpression: '#version = :version AND attribute_not_exists(countsInTenant)',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':true': true, ':one': 1, ':version': item['version'] },
              },
            },
            countInTenant(tableName, tenantId, candidate.counter, { by: 1 }),
          ],
        }),
      );
      return tenantId;
    } catch (error) {
      // Changed since it was read (or a transaction conflict): read it again.
      if (!(error instanceof TransactionCanceledException || error instanceof ConditionalCheckFailedException)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
  throw new Error(`${candidate.key.pk} kept changing while its tenant count was backfilled; run the backfill again`);
}

