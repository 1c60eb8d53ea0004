import { networkForm, nthSubnet } from '../model/cidr';
import { requireVpcCidr } from './allocate-cidr';
import { InvalidCidrError } from './errors';
import type { NetworkPlan, PlannedSubnet, SubnetTier } from '../model/network-plan';

/**
 * How a VPC block is carved, whatever its size (/16 … /20), in fixed fractions of it:
 *
 *   quarter 0..2  private AZ 0..2     3/4 of the VPC: ECS instances, awsvpc tasks, Lambda ENIs
 *                                     and interface endpoints each take an address here
 *   quarter 3     first half:  public   AZ 0..2 (+1 spare) — ALB/VPC Link ENIs, NAT, bastion
 *                 second half: isolated AZ 0..2 (+1 spare) — the database
 *
 * | VPC | private (×AZ)       | public / isolated (×AZ) |
 * |-----|---------------------|-------------------------|
 * | /16 | /18 = 16,384 addrs  | /21 = 2,048 addrs       |
 * | /18 | /20 =  4,096        | /23 =   512             |
 * | /20 | /22 =  1,024        | /25 =   128             |
 *
 * So public and isolated are /24 or larger for a /16 and /25 (never below /28) for a /20: room for an
 * ALB (which wants 8 free addresses per subnet), a NAT and a bastion, and for RDS Multi-AZ standbys.
 * A 2-AZ plan uses the same slots and leaves the third AZ's free, so a third AZ can be added later
 * without renumbering anything.
 */
const PRIVATE_PREFIX_DELTA = 2;
const EDGE_PREFIX_DELTA = 5;
/** Slots per tier in the last quarter: three AZs and one spare. */
const EDGE_SLOTS_PER_TIER = 4;

export function planSubnets(vpcCidr: string, azCount: 2 | 3): NetworkPlan {
  if (azCount !== 2 && azCount !== 3) {
    throw new InvalidCidrError('network.azCount', String(azCount), 'is not an AZ count we plan for: use 2 or 3');
  }
  const vpc = requireVpcCidr(vpcCidr, 'network.cidr');
  const vpcPrefix = vpc.prefix;
  const privatePrefix = vpcPrefix + PRIVATE_PREFIX_DELTA;
  const edgePrefix = vpcPrefix + EDGE_PREFIX_DELTA;

  const azIndexes = Array.from({ length: azCount }, (_, index) => index);
  const subnet = (tier: SubnetTier, azIndex: number, prefix: number, slot: number): PlannedSubnet => ({
    tier,
    azIndex,
    cidr: nthSubnet(vpc, prefix, slot),
  });
  // Slot numbers are counted in blocks of the subnet's own size from the VPC start; the private
  // quarters come first, so the edge tiers start at 3/4 of the VPC: slot 24 in /(vpc+5) units.
  const firstEdgeSlot = 3 * 2 ** (EDGE_PREFIX_DELTA - PRIVATE_PREFIX_DELTA);

  return {
    vpcCidr: networkForm(vpc),
    azCount,
    subnets: [
      ...azIndexes.map((az) => subnet('public', az, edgePrefix, firstEdgeSlot + az)),
      ...azIndexes.map((az) => subnet('private', az, privatePrefix, az)),
      ...azIndexes.map((az) => subnet('isolated', az, edgePrefix, firstEdgeSlot + EDGE_SLOTS_PER_TIER + az)),
    ],
  };
}
