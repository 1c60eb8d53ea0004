import * as z from 'zod/mini';
import type { EventPublisher } from '../events/event-publisher';
import type { Logger } from '../log/logger';
import { toAccountView, type Account, type AccountView } from './account';
import type { AccountPage, AccountStore } from './account-store';
import { AccountHasLiveStacksError, AccountNotFoundError } from './errors';
import {
  REGISTRATION_TOKEN_TTL_MS,
  hashRegistrationToken,
  newAccountId,
  newExternalId,
  newRegistrationToken,
} from './onboarding-credentials';
import { onboardingLinks, type OnboardingLinks, type OnboardingSettings } from './onboarding-links';

/** The body of POST /v1/accounts. Anything else (an ExternalId above all) is refused by name. */
export const createAccountInputSchema = z.strictObject({
  awsAccountId: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id')),
  name: z.optional(
    z
      .string()
      .check(
        z.trim(),
        z.minLength(1, 'must not be empty'),
        z.maxLength(64, 'must be at most 64 characters'),
        z.regex(/^[\p{L}\p{N} ._-]+$/u, 'may contain letters, digits, spaces, dots, underscores and hyphens'),
      ),
  ),
});
export type CreateAccountInput = z.output<typeof createAccountInputSchema>;

export const listQuerySchema = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 20),
  nextToken: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

export interface CreatedAccount extends AccountView {
  onboarding: OnboardingLinks & {
    /** Shown once: only its hash is kept. */
    registrationToken: string;
    registrationTokenExpiresAt: string;
  };
}

export interface AccountServiceDeps {
  store: AccountStore;
  events: EventPublisher;
  onboarding: OnboardingSettings;
  logger: Logger;
  now?: () => Date;
}

export class AccountService {
  private readonly now: () => Date;

  constructor(private readonly deps: AccountServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async create(tenantId: string, input: CreateAccountInput): Promise<CreatedAccount> {
    const now = this.now();
    const token = newRegistrationToken();
    const account: Account = {
      id: newAccountId(),
      tenantId,
      awsAccountId: input.awsAccountId,
      name: input.name ?? `AWS account ${input.awsAccountId}`,
      status: 'AWAITING_CONNECTION',
      externalId: newExternalId(),
      registrationTokenHash: hashRegistrationToken(token),
      registrationTokenExpiresAt: new Date(now.getTime() + REGISTRATION_TOKEN_TTL_MS).toISOString(),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: 1,
    };
    await this.deps.store.create(account);
    try {
      await this.deps.events.publish('Account Status Change', {
        tenantId,
        accountId: account.id,
        awsAccountId: account.awsAccountId,
        status: account.status,
        occurredAt: account.createdAt,
      });
    } catch (error) {
      // The caller will never see this token: undo the account so a retry starts clean.
      await this.deps.store.delete(account).catch((undo: unknown) =>
        this.deps.logger.error('could not undo an account whose creation failed', { tenantId, accountId: account.id, error: undo }),
      );
      throw error;
    }
    this.deps.logger.info('account created', { tenantId, accountId: account.id, awsAccountId: account.awsAccountId });
    return {
      ...toAccountView(account),
      onboarding: {
        ...onboardingLinks(this.deps.onboarding, account, token),
        registrationToken: token,
        registrationTokenExpiresAt: account.registrationTokenExpiresAt,
      },
    };
  }

  /** Another tenant's account is indistinguishable from a missing one. */
  async get(tenantId: string, accountId: string): Promise<Account> {
    const account = await this.deps.store.get(accountId);
    if (!account || account.tenantId !== tenantId) throw new AccountNotFoundError(accountId);
    return account;
  }

  async list(tenantId: string, query: { limit: number; nextToken?: string }): Promise<{ items: AccountView[]; nextToken?: string }> {
    const page: AccountPage = await this.deps.store.listByTenant(tenantId, query);
    return { items: page.items.map(toAccountView), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  /** Forgets the account. The customer's roles stay until they delete the onboarding stack. */
  async delete(tenantId: string, accountId: string): Promise<void> {
    const account = await this.get(tenantId, accountId);
    if (await this.deps.store.hasLiveStacks(account.id)) throw new AccountHasLiveStacksError(account.id);
    await this.deps.store.delete(account);
    this.deps.logger.info('account deleted', { tenantId, accountId });
    // The account is gone whatever EventBridge says: a failed publication is logged, not a 500.
    await this.deps.events
      .publish('Account Status Change', {
        tenantId,
        accountId: account.id,
        awsAccountId: account.awsAccountId,
        status: 'DELETED',
        previousStatus: account.status,
        occurredAt: this.now().toISOString(),
      })
      .catch((error: unknown) => this.deps.logger.error('account deletion not published', { tenantId, accountId, error }));
  }
}
