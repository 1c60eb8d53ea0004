import fc from 'fast-check';
import { Address4 } from 'ip-address';
import { InvalidCidrError } from '../../src/network/errors';
import { SUBNET_TIERS } from '../../src/model/network-plan';
import { planSubnets } from '../../src/network/plan-subnets';

interface Interval {
  start: bigint;
  end: bigint;
  prefix: number;
}

function interval(cidr: string): Interval {
  const address = new Address4(cidr);
  return { start: address.startAddress().bigInt(), end: address.endAddress().bigInt(), prefix: address.subnetMask };
}

const overlap = (a: Interval, b: Interval) => a.start <= b.end && b.start <= a.end;

/** A random aligned VPC block of the given size somewhere in 10.0.0.0/8. */
const vpcBlock = (prefix: number) =>
  fc.nat().map((pick) => {
    const size = 1n << BigInt(32 - prefix);
    const start = interval('10.0.0.0/8').start + (BigInt(pick) % (1n << BigInt(prefix - 8))) * size;
    return `${Address4.fromBigInt(start).correctForm()}/${prefix}`;
  });

describe('planSubnets', () => {
  it('carves a /16 over 3 AZs: three /18 private subnets, /21 public and isolated ones', () => {
    const plan = planSubnets('10.0.0.0/16', 3);

    expect(plan).toEqual({
      vpcCidr: '10.0.0.0/16',
      azCount: 3,
      subnets: [
        { tier: 'public', azIndex: 0, cidr: '10.0.192.0/21' },
        { tier: 'public', azIndex: 1, cidr: '10.0.200.0/21' },
        { tier: 'public', azIndex: 2, cidr: '10.0.208.0/21' },
        { tier: 'private', azIndex: 0, cidr: '10.0.0.0/18' },
        { tier: 'private', azIndex: 1, cidr: '10.0.64.0/18' },
        { tier: 'private', azIndex: 2, cidr: '10.0.128.0/18' },
        { tier: 'isolated', azIndex: 0, cidr: '10.0.224.0/21' },
        { tier: 'isolated', azIndex: 1, cidr: '10.0.232.0/21' },
        { tier: 'isolated', azIndex: 2, cidr: '10.0.240.0/21' },
      ],
    });
  });

  it('gives a 2-AZ plan the same subnets as the first two AZs of a 3-AZ plan (a third AZ can be added later)', () => {
    const two = planSubnets('172.20.16.0/20', 2);
    const three = planSubnets('172.20.16.0/20', 3);

    expect(two.subnets).toEqual(three.subnets.filter((subnet) => subnet.azIndex < 2));
  });

  it.each([16, 17, 18, 19, 20])('for every /%i VPC and both AZ counts: one subnet per tier and AZ, disjoint, inside the VPC, sized for the workload', (vpcPrefix) => {
    fc.assert(
      fc.property(vpcBlock(vpcPrefix), fc.constantFrom<2 | 3>(2, 3), (vpcCidr, azCount) => {
        // Act
        const plan = planSubnets(vpcCidr, azCount);

        // Assess: count per tier and AZ
        expect(plan.vpcCidr).toBe(vpcCidr);
        expect(plan.azCount).toBe(azCount);
        expect(plan.subnets).toHaveLength(SUBNET_TIERS.length * azCount);
        for (const tier of SUBNET_TIERS) {
          const azs = plan.subnets.filter((subnet) => subnet.tier === tier).map((subnet) => subnet.azIndex);
          expect(azs.sort()).toEqual(Array.from({ length: azCount }, (_, i) => i));
        }

        // inside the VPC, aligned, and pairwise disjoint
        const vpc = interval(vpcCidr);
        const blocks = plan.subnets.map((subnet) => ({ ...subnet, ...interval(subnet.cidr) }));
        for (const block of blocks) {
          expect(block.start >= vpc.start && block.end <= vpc.end).toBe(true);
          expect(block.cidr).toBe(new Address4(block.cidr).networkForm());
        }
        for (const [i, a] of blocks.entries()) {
          for (const b of blocks.slice(i + 1)) expect(overlap(a, b)).toBe(false);
        }

        // sized: private is the largest tier; public and isolated are a /24 for a /16 or bigger,
        // scale with the VPC, and are never smaller than a /28.
        const prefixes = (tier: string) => blocks.filter((block) => block.tier === tier).map((block) => block.prefix);
        const edgeFloor = 24 + (vpcPrefix - 16);
        for (const tier of ['public', 'isolated']) {
          for (const prefix of prefixes(tier)) {
            expect(prefix).toBeLessThanOrEqual(Math.min(edgeFloor, 28));
            expect(prefix).toBeGreaterThan(Math.max(...prefixes('private')));
          }
        }
        const privateAddresses = prefixes('private').reduce((sum, prefix) => sum + 2 ** (32 - prefix), 0);
        expect(privateAddresses).toBeGreaterThanOrEqual(2 ** (32 - vpcPrefix) / 2);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a VPC block it cannot plan for, naming network.cidr', () => {
    for (const cidr of ['10.0.0.0/21', '10.0.0.0/15', '10.0.5.0/16', '10.0.0.0', 'nonsense']) {
      const act = () => planSubnets(cidr, 3);
      expect(act).toThrow(InvalidCidrError);
      try {
        act();
      } catch (error) {
        expect(error).toMatchObject({ status: 400, errors: [{ field: 'network.cidr' }] });
      }
    }
  });
});
