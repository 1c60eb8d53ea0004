import * as z from 'zod/mini';
import { COMPONENTS } from '../model/components';
import { ACCOUNT_STATUSES, STACK_STATUSES, STEP_STATUSES } from '../model/statuses';

/**
 * The public events, one zod schema per detail-type: the single source of their TypeScript types
 * and of the JSON Schemas in src/events/schemas/ (`npm run build:schemas`; a test fails on drift).
 */
/** An account's statuses, and DELETED, which only an event can tell (the account is gone). */
export const ACCOUNT_EVENT_STATUSES = [...ACCOUNT_STATUSES, 'DELETED'] as const;

const tenantId = z.string().check(z.minLength(1));
const accountId = z.string().check(z.regex(/^acc_[a-z0-9]{20}$/));
const stackId = z.string().check(z.minLength(1));
const reason = (maxLength: number) => z.optional(z.string().check(z.maxLength(maxLength)));
const occurredAt = z.iso.datetime();

export const accountStatusChangeDetailSchema = z.strictObject({
  tenantId,
  accountId,
  awsAccountId: z.optional(z.string().check(z.regex(/^[0-9]{12}$/))),
  status: z.enum(ACCOUNT_EVENT_STATUSES),
  // Nothing follows DELETED.
  previousStatus: z.optional(z.enum(ACCOUNT_STATUSES)),
  reason: reason(1000),
  occurredAt,
});

/** What every stack event says: whose stack, why, and when. */
const stackEventFields = { tenantId, accountId, stackId, reason: reason(4000), occurredAt };

export const stackStatusChangeDetailSchema = z.strictObject({
  ...stackEventFields,
  status: z.enum(STACK_STATUSES),
  previousStatus: z.optional(z.enum(STACK_STATUSES)),
});

export const stackStepStatusChangeDetailSchema = z.strictObject({
  ...stackEventFields,
  step: z.enum(COMPONENTS),
  status: z.enum(STEP_STATUSES),
  previousStatus: z.optional(z.enum(STEP_STATUSES)),
});

export type AccountEventStatus = (typeof ACCOUNT_EVENT_STATUSES)[number];
export type AccountStatusChangeDetail = z.output<typeof accountStatusChangeDetailSchema>;
export type StackStatusChangeDetail = z.output<typeof stackStatusChangeDetailSchema>;
export type StackStepStatusChangeDetail = z.output<typeof stackStepStatusChangeDetailSchema>;

/** Each detail-type, its schema, and the file its JSON Schema is written to. */
export const EVENT_DETAILS = {
  'Account Status Change': { schema: accountStatusChangeDetailSchema, file: 'account-status-change.json' },
  'Stack Status Change': { schema: stackStatusChangeDetailSchema, file: 'stack-status-change.json' },
  'Stack Step Status Change': { schema: stackStepStatusChangeDetailSchema, file: 'stack-step-status-change.json' },
} as const;

export interface GroundworkEvents {
  'Account Status Change': AccountStatusChangeDetail;
  'Stack Status Change': StackStatusChangeDetail;
  'Stack Step Status Change': StackStepStatusChangeDetail;
}
