import * as z from 'zod';

/**
 * The body of POST /v1/accounts. Anything else (an ExternalId above all) is refused by name.
 * Its own module: the service needs only the type, so functions that merely use the service do not bundle zod.
 */
export const createAccountInputSchema = z
  .object({
    awsAccountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(64, 'must be at most 64 characters')
      .regex(/^[\p{L}\p{N} ._-]+$/u, 'may contain letters, digits, spaces, dots, underscores and hyphens')
      .optional(),
  })
  .strict();
export type CreateAccountInput = z.output<typeof createAccountInputSchema>;
