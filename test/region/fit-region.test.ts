import { RETIRED_POSTGRES_VERSIONS } from '../../local/sandbox/data/rds-postgres';
import { ValidationError } from '../../src/errors';
import { stackRequestSchema, type StackRequestInput } from '../../src/model/stack-request';
import { fitRequestToRegion, instanceTypesOf } from '../../src/region/fit-region';
import type { RegionOffer } from '../../src/region/region-offer';
import { sandboxRegionOffers } from '../support/sandbox-region-offers';

/**
 * Where a stack goes in its account's region, and what the region cannot meet: read here from the
 * sandbox's dated region data (local/sandbox/data/), as the sandbox's EC2 and RDS answer it.
 */
const ACCESS = { accessRoleArn: 'arn:aws:iam::123456789012:role/GroundworkAccess-acc_abcdefghij0123456789', externalId: 'ext', sessionName: 'test' };
const request = (input: Partial<StackRequestInput> = {}) => stackRequestSchema.parse({ name: 'shop', accountId: 'acc_abcdefghij0123456789', ...input });
const offerOf = (region: string) => sandboxRegionOffers()(ACCESS, region);

async function refusal(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${String(error)}`);
  return error;
}

describe('fitting a stack request to its region', () => {
  it('chooses the first AZs by name that offer every instance type: us-east-1a, b and c for the default stack', async () => {
    const fit = await fitRequestToRegion(request(), await offerOf('us-east-1'));
    expect(fit.availabilityZones).toEqual([
      { name: 'us-east-1a', zoneId: 'use1-az1' },
      { name: 'us-east-1b', zoneId: 'use1-az2' },
      { name: 'us-east-1c', zoneId: 'use1-az4' },
    ]);
  });

  it('refuses 3 AZs in us-west-1, naming the 2 it has, and fits 2 there', async () => {
    const refused = await refusal(fitRequestToRegion(request({ region: 'us-west-1' }), await offerOf('us-west-1')));
    expect(refused.status).toBe(400);
    expect(refused.errors).toEqual([
      { field: 'network.azCount', message: 'us-west-1 has 2 availability zones that offer t4g.nano and t4g.small: us-west-1a, us-west-1c; set azCount to 2' },
    ]);

    const fit = await fitRequestToRegion(request({ region: 'us-west-1', network: { azCount: 2 } }), await offerOf('us-west-1'));
    expect(fit.availabilityZones.map((zone) => zone.name)).toEqual(['us-west-1a', 'us-west-1c']);
  });

  it('skips an AZ that lacks one of the instance types, and names the type that falls short on its own field', async () => {
    // Prepare: us-east-1b does not offer the cluster's type; us-east-1c offers nothing the stack launches but it.
    const offer: RegionOffer = {
      ...(await offerOf('us-east-1')),
      instanceTypeZones: async (types) =>
        new Map(types.map((type): [string, Set<string>] => [type, new Set(type === 't4g.small' ? ['us-east-1a', 'us-east-1d'] : ['us-east-1a', 'us-east-1b', 'us-east-1d', 'us-east-1f'])])),
    };
    // Act
    const two = await fitRequestToRegion(request({ network: { azCount: 2 } }), offer);
    const three = await refusal(fitRequestToRegion(request(), offer));
    // Assess
    expect(two.availabilityZones.map((zone) => zone.name)).toEqual(['us-east-1a', 'us-east-1d']);
    expect(three.errors).toEqual([
      { field: 'network.azCount', message: 'us-east-1 has 2 availability zones that offer t4g.nano and t4g.small: us-east-1a, us-east-1d; set azCount to 2' },
      { field: 'compute.instanceType', message: "the cluster instance type (t4g.small) is offered in 2 of us-east-1's 6 availability zones: us-east-1a, us-east-1d" },
    ]);
  });

  it('refuses an instance type the region offers nowhere, on its field', async () => {
    const refused = await refusal(fitRequestToRegion(request({ compute: { instanceType: 'x2iedn.32xlarge' } }), await offerOf('us-east-1')));
    expect(refused.errors).toContainEqual({ field: 'compute.instanceType', message: "the cluster instance type (x2iedn.32xlarge) is offered in 0 of us-east-1's 6 availability zones: none" });
    expect(refused.errors.map((error) => error.field)).toEqual(['network.azCount', 'compute.instanceType']);
  });

  it('asks for the instance types the stack launches, and no other', () => {
    expect(instanceTypesOf(request()).map((use) => [use.field, use.instanceType])).toEqual([['network.nat', 't4g.nano'], ['compute.instanceType', 't4g.small']]);
    const bastion = request({ network: { nat: 'gateway' }, compute: null, frontend: { type: 'none' }, bastion: { enabled: true, allowedCidr: '203.0.113.0/24' } });
    expect(instanceTypesOf(bastion).map((use) => [use.field, use.instanceType])).toEqual([['bastion.enabled', 't4g.nano']]);
  });

  it('accepts the default PostgreSQL version, a major alone, and a minor RDS still creates', async () => {
    const offer = await offerOf('us-east-1');
    expect(request().database?.version).toBe('16');
    for (const version of ['16', '17', '16.11', '18.3']) {
      await expect(fitRequestToRegion(request({ database: { version } }), offer)).resolves.toMatchObject({ availabilityZones: expect.any(Array) });
    }
  });

  it.each(Object.keys(RETIRED_POSTGRES_VERSIONS))('refuses PostgreSQL %s, which RDS no longer creates, naming the versions it can', async (version) => {
    const refused = await refusal(fitRequestToRegion(request({ database: { version } }), await offerOf('us-east-1')));
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors[0]?.field).toBe('database.version');
    expect(refused.errors[0]?.message).toMatch(new RegExp(`^PostgreSQL ${version.replace('.', '\\.')} cannot be created in us-east-1; the versions it can: 14\\.18, .*16\\.9, 16\\.10, 16\\.11, 16\\.12, 16\\.13; .*18\\.3; or give a major version alone \\(14, 15, 16, 17, 18\\)`));
  });

  it('refuses a DB instance class that cannot run the version there, naming the classes that can', async () => {
    const refused = await refusal(fitRequestToRegion(request({ database: { instanceClass: 'db.r7g.16xlarge' } }), await offerOf('us-east-1')));
    expect(refused.errors).toEqual([
      {
        field: 'database.instanceClass',
        message: 'db.r7g.16xlarge cannot run PostgreSQL 16 in us-east-1; the classes that can run 16.13 there: db.m7g.large, db.t3.medium, db.t3.micro, db.t3.small, db.t4g.medium, db.t4g.micro, db.t4g.small',
      },
    ]);
  });

  it('reports every field the region cannot meet at once', async () => {
    const refused = await refusal(fitRequestToRegion(request({ region: 'us-west-1', database: { version: '16.4' } }), await offerOf('us-west-1')));
    expect(refused.errors.map((error) => error.field)).toEqual(['network.azCount', 'database.version']);
    expect(refused.message).toBe('us-west-1 cannot hold this stack as requested.');
  });

  it('reads nothing of RDS for a stack without a database', async () => {
    const offer = await offerOf('us-east-1');
    const untouched = { ...offer, postgresVersions: () => Promise.reject(new Error('RDS read')) };
    await expect(fitRequestToRegion(request({ database: null }), untouched)).resolves.toMatchObject({ availabilityZones: expect.any(Array) });
  });
});
