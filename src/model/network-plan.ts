/**
 * The address plan of one stack's VPC: its block and one subnet per tier and AZ.
 * - public: ALB / API Gateway VPC Link ENIs, NAT, bastion; routes to the internet gateway.
 * - private: the ECS instances and tasks; routes to the NAT, or nowhere off the VPC when nat is none.
 * - isolated: the database; never a route off the VPC.
 */
export const SUBNET_TIERS = ['public', 'private', 'isolated'] as const;
export type SubnetTier = (typeof SUBNET_TIERS)[number];

export interface PlannedSubnet {
  tier: SubnetTier;
  /** 0-based index of the AZ: the network template takes that AZ's name as its parameter AvailabilityZone<azIndex>. */
  azIndex: number;
  cidr: string;
}

/**
 * An AZ as the customer's account names it (`us-east-1a`), and its AZ id (`use1-az1`), the same
 * physical zone in every account: in the oldest regions each account maps names to zones itself.
 */
export interface AvailabilityZone {
  name: string;
  zoneId: string;
}

export interface NetworkPlan {
  vpcCidr: string;
  azCount: 2 | 3;
  subnets: PlannedSubnet[];
  /**
   * The AZs chosen for the stack from what its account's region offers, by azIndex (src/region/).
   * Absent from a plan for an account Groundwork cannot read yet; every stack created records them.
   */
  availabilityZones?: AvailabilityZone[];
}
