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
  /** 0-based index of the AZ (the template picks the AZ with Fn::GetAZs / Fn::Select). */
  azIndex: number;
  cidr: string;
}

export interface NetworkPlan {
  vpcCidr: string;
  azCount: 2 | 3;
  subnets: PlannedSubnet[];
}
