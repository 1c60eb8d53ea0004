import type { CfnValue } from '../cfn/template-types';
import type { DeployContextKey } from '../model/deploy-context';
import { select } from './intrinsics';
import type { TemplateBuilder } from './template-builder';

/**
 * The instance profiles of the roles the onboarding stack created once in the customer account
 * (cfn/onboarding-role.yaml): component stacks only use them, and create no IAM role or profile, so
 * the execution role needs no IAM write at all (decision 0009).
 */
const PROFILES = {
  nat: { parameter: 'NatInstanceProfileArn', key: 'natInstanceProfileArn', role: 'GroundworkNatInstance: may only attach NAT network interfaces' },
  container: { parameter: 'ContainerInstanceProfileArn', key: 'containerInstanceProfileArn', role: 'GroundworkContainerInstance: the ECS agent, in groundwork-* clusters only' },
  bastion: { parameter: 'BastionInstanceProfileArn', key: 'bastionInstanceProfileArn', role: 'GroundworkBastion: Session Manager only' },
} as const satisfies Record<string, { parameter: string; key: DeployContextKey; role: string }>;

export type FixedInstanceProfile = keyof typeof PROFILES;

/**
 * The log groups the container instances and the services' task execution role may write to
 * (GroundworkPullAndLogPolicy in cfn/onboarding-role.yaml): a container's logs go to a group whose
 * name starts with this, never to one of the customer's own groups.
 */
export const WORKLOAD_LOG_GROUP_PREFIX = '/groundwork/';

/** The profile's ARN (what a launch template takes), as a parameter fed from the account's onboarding record. */
export function instanceProfileArn(builder: TemplateBuilder, profile: FixedInstanceProfile): CfnValue {
  const { parameter, key, role } = PROFILES[profile];
  return builder.fromContext(parameter, key, `ARN of the instance profile of ${role} (created by the onboarding stack)`);
}

/**
 * The profile's name (what AWS::EC2::Instance's IamInstanceProfile takes): the ARN's last part, as
 * the onboarding stack creates its profiles without a path (`…:instance-profile/<name>`).
 */
export function instanceProfileName(builder: TemplateBuilder, profile: FixedInstanceProfile): CfnValue {
  return select(1, { 'Fn::Split': [':instance-profile/', instanceProfileArn(builder, profile)] });
}
