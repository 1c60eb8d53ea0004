/**
 * How much one tenant may hold at once (decision 0011, L4): the stage's throttling protects the
 * service account's concurrency, these caps keep one tenant from everybody else's share. Both are
 * configurable per stage (MAX_ACCOUNTS_PER_TENANT, MAX_LIVE_STACKS_PER_TENANT).
 */
export interface TenantLimits {
  accounts: number;
  liveStacks: number;
}

export const DEFAULT_TENANT_LIMITS: Readonly<TenantLimits> = { accounts: 50, liveStacks: 100 };

/** What a cap counts, as the tenant's COUNTS item names it. */
export type TenantCounter = keyof TenantLimits;
