import type { EventPublisher } from '../events/event-publisher';
import type { Logger } from '../log/logger';
import type { AccountStatus } from '../model/statuses';
import type { Account } from './account';
import type { AccountChange, AccountStore, CreateAccountOptions, WriteExpectation } from './account-store';

/**
 * The one writer of an account's status: each write of a status (its creation, a transition, its
 * deletion) is followed by the 'Account Status Change' event that says so. The API and the
 * onboarding callback both change accounts through it.
 */
export interface StatusTransition extends AccountChange {
  status: AccountStatus;
  /** Why (FAILED, REVOKED), in words the customer can act on; none clears the reason. */
  reason?: string;
  expected: WriteExpectation;
  /** The custom-resource request making the change, remembered so its own retry is recognised. */
  requestId?: string;
}

export class AccountRecorder {
  constructor(
    private readonly store: AccountStore,
    private readonly events: EventPublisher,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stores a new account and announces it. Unannounced, it is taken back, so a retry starts clean. */
  async create(account: Account, options: CreateAccountOptions): Promise<void> {
    await this.store.create(account, options);
    try {
      await this.events.publish('Account Status Change', {
        tenantId: account.tenantId,
        accountId: account.id,
        awsAccountId: account.awsAccountId,
        status: account.status,
        occurredAt: account.createdAt,
      });
    } catch (error) {
      await this.store.delete(account).catch((undo: unknown) =>
        this.logger.error('could not undo an account whose creation failed', { tenantId: account.tenantId, accountId: account.id, error: undo }),
      );
      throw error;
    }
  }

  /**
   * Writes the status (conditionally on `expected`) with the change, and publishes it when the
   * status or its reason really changed. Returns the account as written.
   */
  async transition(account: Account, transition: StatusTransition, options: { signal?: AbortSignal } = {}): Promise<Account> {
    const { status, reason, expected, requestId, set, remove } = transition;
    const at = this.now().toISOString();
    const signal = options.signal ? { signal: options.signal } : {};
    const updated = await this.store.update(
      account.id,
      {
        set: { ...set, status, updatedAt: at, ...(requestId !== undefined ? { lastRequestId: requestId } : {}), ...(reason !== undefined ? { statusReason: reason } : {}) },
        ...(remove ? { remove } : {}),
      },
      expected,
      signal,
    );
    if (account.status === status && account.statusReason === updated.statusReason) return updated;
    await this.events.publish(
      'Account Status Change',
      {
        tenantId: account.tenantId,
        accountId: account.id,
        awsAccountId: account.awsAccountId,
        status,
        previousStatus: account.status,
        ...(updated.statusReason !== undefined ? { reason: updated.statusReason } : {}),
        occurredAt: at,
      },
      signal,
    );
    return updated;
  }

  /** Forgets the account. It is gone whatever EventBridge says: a failed publication is logged, not thrown. */
  async delete(account: Account): Promise<void> {
    await this.store.delete(account);
    await this.events
      .publish('Account Status Change', {
        tenantId: account.tenantId,
        accountId: account.id,
        awsAccountId: account.awsAccountId,
        status: 'DELETED',
        previousStatus: account.status,
        occurredAt: this.now().toISOString(),
      })
      .catch((error: unknown) => this.logger.error('account deletion not published', { tenantId: account.tenantId, accountId: account.id, error }));
  }
}
