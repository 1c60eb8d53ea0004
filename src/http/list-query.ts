// zod 3 until the stack routes that share it are on zod 4: a bundle with both is over its size cap.
import { z } from 'zod/v3';

/** The query of every list route: a page size and the token of the page to continue from. */
export const listQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    nextToken: z.string().min(1).max(2048).optional(),
  })
  .strict();
