import * as z from 'zod/mini';

/** The query of every list route: a page size and the token of the page to continue from. */
export const listQuerySchema = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 20),
  nextToken: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});
