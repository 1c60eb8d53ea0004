import type { Account } from '../../src/accounts/account';
import type { AccountStore } from '../../src/accounts/account-store';
import type { CidrScope } from '../../src/network/cidr-registry';
import type { Stack } from '../../src/stacks/stack';
import type { CreateOptions, CreateOutcome, IdempotencyRecord, SaveOptions, StackEvent, StackEventPage, StackStore } from '../../src/stacks/stack-store';
import { decodeCursor, encodeCursor } from '../../src/store/page-cursor';
import {
  CIDR_SCOPE_VERSION_SORT_KEY,
  STACK_EVENT_PREFIX,
  cidrItemKey,
  cidrOfSortKey,
  cidrScopePartition,
  cidrScopeVersionKey,
  idempotencyKey,
  liveStacksCounterKey,
  stackEventKey,
  stackEventSortKey,
  stackKey,
  stackLiveKey,
  stackNameKey,
  stackPartition,
  tenantCountsKey,
  type ItemKey,
} from '../../src/store/table-keys';

/**
 * StackStore over a Map laid out as the table is (the same keys), for fast tests of the logic
 * above the store. It keeps what the services rely on: conditional writes (a name, a block, an
 * idempotency key taken once; a save only over the version read; the scope version), the
 * account's CONNECTED check and live count, the tenant's live-stack cap, and all-or-nothing: each write checks every
 * condition first and changes nothing if one fails (no await in between, so nothing interleaves).
 * `beforeWrite` lets a test slip a concurrent write in between a caller's read and its write.
 */
type Item = Record<string, unknown>;

const at = (key: ItemKey) => `${key.pk}\u0000${key.sk}`;
const copy = <T>(value: T): T => structuredClone(value);

/** The few account operations stacks need, in memory: a minimal AccountStore. */
export class InMemoryAccounts implements Pick<AccountStore, 'create' | 'get'> {
  private readonly accounts = new Map<string, Account>();

  async create(account: Account): Promise<void> {
    this.accounts.set(account.id, copy(account));
  }

  async get(id: string): Promise<Account | undefined> {
    const account = this.accounts.get(id);
    return account && copy(account);
  }

  /** Changes the account behind the caller's back (an operator, the registration). */
  setStatus(id: string, status: Account['status']): void {
    const account = this.accounts.get(id);
    if (account) account.status = status;
  }

  statusOf(id: string): Account['status'] | undefined {
    return this.accounts.get(id)?.status;
  }
}

export class InMemoryStackStore implements StackStore {
  private readonly items = new Map<string, Item>();
  /** Runs before each create and save, before its conditions are checked. */
  beforeWrite: ((operation: 'create' | 'save') => Promise<void> | void) | undefined;

  constructor(private readonly accounts: Pick<InMemoryAccounts, 'statusOf'>) {}

  async cidrScope(scope: CidrScope): Promise<{ taken: string[]; version: number }> {
    const partition = this.partition(cidrScopePartition(scope));
    const version = partition.find((item) => item['sk'] === CIDR_SCOPE_VERSION_SORT_KEY)?.['version'];
    return {
      taken: partition.filter((item) => item['sk'] !== CIDR_SCOPE_VERSION_SORT_KEY).map((item) => cidrOfSortKey(String(item['sk']))),
      version: typeof version === 'number' ? version : 0,
    };
  }

  async create(stack: Stack, options: CreateOptions): Promise<CreateOutcome> {
    await this.beforeWrite?.('create');
    const scope = { tenantId: stack.tenantId, accountId: stack.accountId, region: stack.region };
    const idempotency = options.idempotency && idempotencyKey(stack.tenantId, options.idempotency.key);
    if (idempotency && this.has(idempotency)) return { kind: 'idempotency-race' };
    const nameLock = this.items.get(at(stackNameKey(stack)));
    if (nameLock) return { kind: 'name-taken', existingStackId: String(nameLock['stackId']) };
    if (this.accounts.statusOf(stack.accountId) !== 'CONNECTED') return { kind: 'account-changed' };
    const tenantLiveStacks = this.tenantCount(stack.tenantId);
    if (tenantLiveStacks >= options.maxLiveStacksPerTenant) return { kind: 'tenant-limit', count: tenantLiveStacks };
    const scopeVersion = this.items.get(at(cidrScopeVersionKey(scope)))?.['version'];
    if (this.has(cidrItemKey(scope, stack.network.vpcCidr)) || (scopeVersion ?? 0) !== options.scopeVersion) return { kind: 'cidr-race' };
    if (this.has(stackKey(stack.id))) throw new Error(`stack id ${stack.id} collided`);

    this.put(stackKey(stack.id), { ...copy(stack) });
    this.put(stackLiveKey(stack.id), {});
    this.put(stackNameKey(stack), { stackId: stack.id });
    this.put(cidrItemKey(scope, stack.network.vpcCidr), { stackId: stack.id });
    this.put(cidrScopeVersionKey(scope), { version: options.scopeVersion + 1 });
    this.countLive(stack.accountId, 1);
    this.put(tenantCountsKey(stack.tenantId), { liveStacks: tenantLiveStacks + 1 });
    this.putEvents(stack, options.events);
    if (idempotency && options.idempotency) {
      this.put(idempotency, { requestHash: options.idempotency.requestHash, response: options.idempotency.response, stackId: stack.id });
    }
    return { kind: 'created' };
  }

  async idempotencyRecord(tenantId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const item = this.items.get(at(idempotencyKey(tenantId, key)));
    return item && { requestHash: String(item['requestHash']), stackId: String(item['stackId']), response: String(item['response']) };
  }

  async get(id: string): Promise<Stack | undefined> {
    return this.stack(id);
  }

  async listByTenant(tenantId: string, options: { limit: number; nextToken?: string }): Promise<{ items: Stack[]; nextToken?: string }> {
    const after = options.nextToken ? decodeCursor(options.nextToken, { owner: `stacks of ${tenantId}`, accepts: () => true }).s : undefined;
    const all = [...this.items.values()]
      .filter((item) => item['sk'] === 'STACK' && item['tenantId'] === tenantId)
      .map((item) => ({ order: `${String(item['createdAt'])}#${String(item['id'])}`, stack: this.stack(String(item['id'])) as Stack }))
      .sort((a, b) => (a.order < b.order ? 1 : -1))
      .filter((entry) => after === undefined || entry.order < after);
    const page = all.slice(0, options.limit);
    const last = page.at(-1);
    return { items: page.map((entry) => entry.stack), ...(all.length > page.length && last ? { nextToken: encodeCursor({ s: last.order, id: last.stack.id }, { owner: `stacks of ${tenantId}` }) } : {}) };
  }

  async save(before: Stack, after: Stack, events: readonly StackEvent[], options: SaveOptions = {}): Promise<boolean> {
    await this.beforeWrite?.('save');
    if (this.stack(before.id)?.version !== before.version) return false;
    this.put(stackKey(after.id), { ...copy(after) });
    this.putEvents(after, events);
    if (options.release) {
      const scope = { tenantId: after.tenantId, accountId: after.accountId, region: after.region };
      for (const key of [stackLiveKey(after.id), stackNameKey(after), cidrItemKey(scope, after.network.vpcCidr)]) this.items.delete(at(key));
      if (after.countsAsLive === true) this.countLive(after.accountId, -1);
      if (after.countsInTenant === true) this.put(tenantCountsKey(after.tenantId), { liveStacks: this.tenantCount(after.tenantId) - 1 });
    }
    return true;
  }

  async events(stackId: string, options: { limit: number; nextToken?: string; pendingOnly?: boolean }): Promise<StackEventPage> {
    const after = options.nextToken ? decodeCursor(options.nextToken, { owner: `events of ${stackId}`, accepts: () => true }).s : undefined;
    const all = this.partition(stackPartition(stackId))
      .filter((item) => String(item['sk']).startsWith(STACK_EVENT_PREFIX) && (after === undefined || String(item['sk']) > after))
      .filter((item) => !options.pendingOnly || item['pending'] !== undefined);
    const page = options.pendingOnly ? all : all.slice(0, options.limit);
    const items = page.map((item) => ({ type: item['type'], detail: copy(item['detail']), sequence: String(item['sk']) }) as StackEvent & { sequence: string });
    const last = items.at(-1);
    return { items, ...(all.length > page.length && last ? { nextToken: encodeCursor({ s: last.sequence, id: stackId }, { owner: `events of ${stackId}` }) } : {}) };
  }

  async claimForPublication(stackId: string, sequence: string): Promise<boolean> {
    const event = this.items.get(at(stackEventKey(stackId, sequence)));
    if (!event || event['pending'] === undefined) return false;
    delete event['pending'];
    return true;
  }

  async releaseClaim(stackId: string, sequence: string): Promise<void> {
    const event = this.items.get(at(stackEventKey(stackId, sequence)));
    if (event) event['pending'] = 1;
  }

  /** How many of the account's stacks are counted as possibly holding resources. */
  liveCount(accountId: string): number {
    return Number(this.items.get(at(liveStacksCounterKey(accountId)))?.['count'] ?? 0);
  }

  /** How many of the tenant's stacks count against its live-stack cap. */
  tenantCount(tenantId: string): number {
    return Number(this.items.get(at(tenantCountsKey(tenantId)))?.['liveStacks'] ?? 0);
  }

  private stack(id: string): Stack | undefined {
    const item = this.items.get(at(stackKey(id)));
    if (!item) return undefined;
    const { pk: _pk, sk: _sk, ...stack } = copy(item);
    return stack as unknown as Stack;
  }

  private putEvents(stack: Stack, events: readonly StackEvent[]): void {
    events.forEach((event, index) => this.put({ pk: stackPartition(stack.id), sk: stackEventSortKey(stack.version, index) }, { type: event.type, detail: copy(event.detail), pending: 1 }));
  }

  private countLive(accountId: string, by: 1 | -1): void {
    this.put(liveStacksCounterKey(accountId), { count: this.liveCount(accountId) + by });
  }

  private has(key: ItemKey): boolean {
    return this.items.has(at(key));
  }

  private put(key: ItemKey, item: Item): void {
    this.items.set(at(key), { ...item, ...key });
  }

  /** The partition's items in sort-key order, as a Query returns them. */
  private partition(pk: string): Item[] {
    return [...this.items.values()].filter((item) => item['pk'] === pk).sort((a, b) => (String(a['sk']) < String(b['sk']) ? -1 : 1));
  }
}
