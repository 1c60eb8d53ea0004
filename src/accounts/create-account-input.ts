// zod/mini, as a namespace: the tree-shakable zod 4 (docs/decisions/0008).
import * as z from 'zod/mini';
import { accountRegionsSchema, DEFAULT_REGION } from '../model/regions';

/**
 * The body of POST /v1/accounts. Anything else (an ExternalId above all) is refused by name.
 * Its own module: the service needs only the type, so functions that merely use the service do not bundle zod.
 */
export const createAccountInputSchema = z.strictObject({
  awsAccountId: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id')),
  name: z.optional(
    z.string().check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.maxLength(64, 'must be at most 64 characters'),
      z.regex(/^[\p{L}\p{N} ._-]+$/u, 'may contain letters, digits, spaces, dots, underscores and hyphens'),
    ),
  ),
  /** Where Groundwork may deploy stacks in this account: the onboarding stack's AllowedRegions. */
  regions: z._default(accountRegionsSchema.check(z.describe('the regions Groundwork may deploy stacks to in this account, each named once')), [DEFAULT_REGION]),
});
export type CreateAccountInput = z.output<typeof createAccountInputSchema>;
export type CreateAccountInputBody = z.input<typeof createAccountInputSchema>;
