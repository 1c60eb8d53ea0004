import { createAccountInputSchema } from '../../src/accounts/create-account-input';
import { ValidationError } from '../../src/errors';
import { listQuerySchema } from '../../src/http/list-query';
import { parseInput } from '../../src/http/parse-input';
import { stackRequestSchema } from '../../src/model/stack-request';

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
  // Each expectation is what the zod 3 schema of the stack request (before the move to zod/mini)
  // answered for the same body.
  const base = { name: 'shop', accountId: 'acc_aaaaaaaaaaaaaaaaaaaa', region: 'eu-west-1' };
  it.each([
    [{}, [{ field: 'name', message: 'Required' }, { field: 'accountId', message: 'Required' }]],
    [{ ...base, name: 'Shop!' }, [{ field: 'name', message: 'must be 3–32 lowercase letters, digits or hyphens, starting with a letter' }]],
    [{ ...base, network: { azCount: 4 } }, [{ field: 'network.azCount', message: 'Invalid input' }]],
    [{ ...base, network: { nat: 'cheap' } }, [{ field: 'network.nat', message: "Invalid enum value. Expected 'instance' | 'gateway' | 'gateway-per-az' | 'none', received 'cheap'" }]],
    [{ ...base, compute: { min: 1.5 } }, [{ field: 'compute.min', message: 'Expected integer, received float' }]],
    [{ ...base, compute: { desired: '2' } }, [{ field: 'compute.desired', message: 'Expected number, received string' }]],
    [{ ...base, database: { engine: 'mysql' } }, [{ field: 'database.engine', message: 'Invalid literal value, expected "postgres"' }]],
    [{ ...base, frontend: { type: 'alb', extra: 1 } }, [{ field: 'frontend.extra', message: 'is not a known field' }]],
    [{ ...base, network: { cidr: '10.0.0.0/8' } }, [{ field: 'network.cidr', message: 'the VPC block must be between /16 and /20 so every tier has room in every AZ' }]],
    [{ ...base, bastion: { enabled: true } }, [{ field: 'bastion.allowedCidr', message: 'is required when the bastion is enabled: the CIDR your operators connect from' }]],
    [{ ...base, region: 5 }, [{ field: 'region', message: 'Expected string, received number' }]],
  ])('POST /v1/stacks %j', (body, expected) => {
    expect(errorsFor(() => parseInput(stackRequestSchema, body))).toEqual(expected);
  });

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
