// One-off and idempotent (decision 0012): counts in the accounts and live stacks that predate the
// per-tenant caps, so each tenant's TENANT#<t>/COUNTS equals what it holds. Safe to run while the
// stage serves traffic, and again (a second run changes nothing). Uses the caller's AWS credentials.
//
//   npx tsx scripts/backfill-tenant-counts.ts --table groundwork-<stage> [--region <region>]
//
// Needs dynamodb:Scan, GetItem and UpdateItem on the table (TransactWriteItems is authorised per item).
import { parseArgs } from 'node:util';
import { createTableClient } from '../src/aws/clients';
import { backfillTenantCounts, recountTenants } from '../src/store/backfill-tenant-counts';
import { tenantCount } from '../src/store/tenant-counts';

const { values } = parseArgs({ options: { table: { type: 'string' }, region: { type: 'string' } } });
if (!values.table) {
  console.error('usage: npx tsx scripts/backfill-tenant-counts.ts --table groundwork-<stage> [--region <region>]');
  process.exit(2);
}
const client = createTableClient(values.region ? { region: values.region } : {});
const report = await backfillTenantCounts(client, values.table);
console.log(`counted in: ${JSON.stringify(report.countedIn)}; already counted or gone: ${report.skipped}`);
let drift = 0;
for (const [tenantId, held] of Object.entries(await recountTenants(client, values.table))) {
  const counted = { accounts: await tenantCount(client, values.table, tenantId, 'accounts'), liveStacks: await tenantCount(client, values.table, tenantId, 'liveStacks') };
  const same = counted.accounts === held.accounts && counted.liveStacks === held.liveStacks;
  if (!same) drift += 1;
  console.log(`${tenantId}: holds ${held.accounts} accounts, ${held.liveStacks} live stacks; counted ${counted.accounts}, ${counted.liveStacks}${same ? '' : '  <- differs (a change in flight? run again)'}`);
}
process.exitCode = drift === 0 ? 0 : 1;
