/**
 * Every item of the single Groundwork table, by key (pk / sk; gsi1pk / gsi1sk where listed):
 *
 * Accounts
 *   ACCOUNT#<id> / ACCOUNT                               the account (gsi1: TENANT#<t>#ACCOUNTS / <createdAt>#<id>)
 *   EXTERNAL_ID#<externalId> / EXTERNAL_ID               guards ExternalId uniqueness
 *   TENANT#<t>#AWS_ACCOUNT#<awsAccountId> / AWS_ACCOUNT  one registration per AWS account per tenant
 *   ACCOUNT#<id> / LIVE_STACKS                           `count`: how many of its stacks may hold resources
 * Stacks
 *   STACK#<id> / STACK                                   the stack (gsi1: TENANT#<t>#STACKS / <createdAt>#<id>)
 *   STACK#<id> / LIVE                                    while it may hold resources (gsi1: ACCOUNT#<a>#LIVE_STACKS)
 *   STACK#<id> / EVENT#<version>#<n>                     its history; `pending` until published to EventBridge
 *   STACKNAME#<t>#<a>#<region>#<name> / STACKNAME        one live stack per name
 *   IDEMPOTENCY#<t>#<key> / IDEMPOTENCY                  the request a key was first used with (TTL 24 h)
 * VPC blocks, per tenant, account and region
 *   CIDRS#<t>#<a>#<region> / CIDR#<block>                a live stack's VPC block { stackId }
 *   CIDRS#<t>#<a>#<region> / SCOPE                       `version`: bumped by each creation, so two
 *                                                        cannot both pass the overlap check
 * Tenants
 *   TENANT#<t> / COUNTS                                  `accounts`, `liveStacks`: what the tenant holds, against
 *                                                        its caps (model/tenant-limits.ts; absent: none)
 * Registration requests
 *   CFN_REQUEST#<requestId> / CFN_REQUEST                a custom-resource request, claimed and answered once (TTL 7 days)
 *
 * Stacks count themselves in LIVE_STACKS in the transactions that create and release them (each
 * creation also checks the account is CONNECTED), and an account's deletion requires it to be 0,
 * so an account and a stack in it can never be deleted and created at once. The tenant's COUNTS are
 * kept the same way: an account or a stack counts itself in (the increment conditional on the cap)
 * in the transaction that creates it, and out in the one that deletes or releases it; only what was
 * counted in (`countsInTenant`) is counted out, so what predates the count cannot drive it below zero.
 */
export interface ItemKey {
  pk: string;
  sk: string;
}

/** Where a tenant's stacks in one account and region take their VPC blocks. */
export interface CidrScopeKeyParts {
  tenantId: string;
  accountId: string;
  region: string;
}

// ---- accounts ------------------------------------------------------------------------------
export const accountKey = (id: string): ItemKey => ({ pk: `ACCOUNT#${id}`, sk: 'ACCOUNT' });
/** The count of the account's live stacks, attribute `count` (absent item: none). */
export const liveStacksCounterKey = (accountId: string): ItemKey => ({ pk: `ACCOUNT#${accountId}`, sk: 'LIVE_STACKS' });
export const externalIdKey = (externalId: string): ItemKey => ({ pk: `EXTERNAL_ID#${externalId}`, sk: 'EXTERNAL_ID' });
export const awsAccountKey = (tenantId: string, awsAccountId: string): ItemKey => ({ pk: `TENANT#${tenantId}#AWS_ACCOUNT#${awsAccountId}`, sk: 'AWS_ACCOUNT' });
export const tenantAccountsIndex = (tenantId: string) => `TENANT#${tenantId}#ACCOUNTS`;
/** gsi1pk of the account's live stacks (eventually consistent: a quick first answer). */
export const liveStacksIndex = (accountId: string) => `ACCOUNT#${accountId}#LIVE_STACKS`;

// ---- stacks --------------------------------------------------------------------------------
export const stackPartition = (id: string) => `STACK#${id}`;
export const stackKey = (id: string): ItemKey => ({ pk: stackPartition(id), sk: 'STACK' });
export const stackLiveKey = (id: string): ItemKey => ({ pk: stackPartition(id), sk: 'LIVE' });
/** Sort keys of a stack's events begin with this; they order by version, then position in the change. */
export const STACK_EVENT_PREFIX = 'EVENT#';
export const stackEventSortKey = (version: number, index: number) => `${STACK_EVENT_PREFIX}${String(version).padStart(10, '0')}#${index}`;
/** An event by the sequence (its sort key) a listing gave it. */
export const stackEventKey = (stackId: string, sequence: string): ItemKey => ({ pk: stackPartition(stackId), sk: sequence });
export const stackNameKey = (s: { tenantId: string; accountId: string; region: string; name: string }): ItemKey => ({
  pk: `STACKNAME#${s.tenantId}#${s.accountId}#${s.region}#${s.name}`,
  sk: 'STACKNAME',
});
export const idempotencyKey = (tenantId: string, key: string): ItemKey => ({ pk: `IDEMPOTENCY#${tenantId}#${key}`, sk: 'IDEMPOTENCY' });
export const tenantStacksIndex = (tenantId: string) => `TENANT#${tenantId}#STACKS`;

// ---- VPC blocks ----------------------------------------------------------------------------
export const cidrScopePartition = (scope: CidrScopeKeyParts) => `CIDRS#${scope.tenantId}#${scope.accountId}#${scope.region}`;
const CIDR_PREFIX = 'CIDR#';
export const CIDR_SCOPE_VERSION_SORT_KEY = 'SCOPE';
export const cidrItemKey = (scope: CidrScopeKeyParts, cidr: string): ItemKey => ({ pk: cidrScopePartition(scope), sk: `${CIDR_PREFIX}${cidr}` });
export const cidrScopeVersionKey = (scope: CidrScopeKeyParts): ItemKey => ({ pk: cidrScopePartition(scope), sk: CIDR_SCOPE_VERSION_SORT_KEY });
/** The block a CIDR# sort key holds. */
export const cidrOfSortKey = (sk: string) => sk.slice(CIDR_PREFIX.length);

// ---- tenants -------------------------------------------------------------------------------
/** What the tenant holds, against its caps: attributes named after model/tenant-limits' counters. */
export const tenantCountsKey = (tenantId: string): ItemKey => ({ pk: `TENANT#${tenantId}`, sk: 'COUNTS' });

// ---- registration requests -----------------------------------------------------------------
export const registrationRequestKey = (requestId: string): ItemKey => ({ pk: `CFN_REQUEST#${requestId}`, sk: 'CFN_REQUEST' });
