import { createAccountInputSchema } from '../../src/accounts/create-account-input';
import { ValidationError } from '../../src/errors';
import * as z from 'zod';
import { parseInput } from '../../src/http/parse-input';

/** The list query's schema, on zod 4 (src/http/list-query.ts moves to it with the stack routes). */
const listQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(100).default(20), nextToken: z.string().min(1).max(2048).optional() })
  .strict();

/** The 400 bodies as clients saw them while the schemas were on zod 3; zod 4 must not reword them. */
function errorsFor(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
  throw new Error('the input was accepted');
}

describe('400 field errors keep their zod 3 wording on zod 4 schemas', () => {
  it.each([
    [{}, [{ field: 'awsAccountId', message: 'Required' }]],
    [{ awsAccountId: 5 }, [{ field: 'awsAccountId', message: 'Expected string, received number' }]],
    [{ awsAccountId: null }, [{ field: 'awsAccountId', message: 'Expected string, received null' }]],
    [{ awsAccountId: '1' }, [{ field: 'awsAccountId', message: 'must be a 12-digit AWS account id' }]],
    [{ awsAccountId: '123456789012', x: 1, y: 2 }, [{ field: 'x', message: 'is not a known field' }, { field: 'y', message: 'is not a known field' }]],
    [[1, 2], [{ field: 'body', message: 'Expected object, received array' }]],
  ])('POST /v1/accounts %j', (body, expected) => {
    expect(errorsFor(() => parseInput(createAccountInputSchema, body))).toEqual(expected);
  });

  it.each([
    [{ limit: 'abc' }, [{ field: 'limit', message: 'Expected number, received nan' }]],
    [{ limit: '0' }, [{ field: 'limit', message: 'Number must be greater than or equal to 1' }]],
    [{ limit: '1000' }, [{ field: 'limit', message: 'Number must be less than or equal to 100' }]],
    [{ limit: '1.5' }, [{ field: 'limit', message: 'Expected integer, received float' }]],
    [{ nextToken: '' }, [{ field: 'nextToken', message: 'String must contain at least 1 character(s)' }]],
    [{ nextToken: 'a 3000-character token' }, [{ field: 'nextToken', message: 'String must contain at most 2048 character(s)' }]],
  ])('a list query %j', (query, expected) => {
    const sent = 'nextToken' in query && query.nextToken === 'a 3000-character token' ? { nextToken: 'x'.repeat(3000) } : query;
    expect(errorsFor(() => parseInput(listQuerySchema, sent))).toEqual(expected);
  });
});
