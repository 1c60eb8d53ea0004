import type { CfnValue } from '../cfn/template-types';
import { getAtt, ref } from './intrinsics';
import type { TemplateBuilder } from './template-builder';

/**
 * IAM roles for EC2 instances (NAT, cluster, bastion) with their instance profiles.
 *
 * Every role carries the customer's Groundwork permissions boundary: the execution role that
 * CloudFormation uses in the customer account may create roles only with it. No RoleName is set:
 * CloudFormation then names the role after the stack (`groundwork-<stackId>-<component>-…`), the
 * only names the execution role may create, and a re-created stack never collides with an old name.
 */
export const PERMISSIONS_BOUNDARY_PARAMETER = 'PermissionsBoundaryArn';

export function permissionsBoundary(builder: TemplateBuilder): CfnValue {
  return builder.fromContext(
    PERMISSIONS_BOUNDARY_PARAMETER,
    'permissionsBoundaryArn',
    'ARN of the GroundworkBoundary managed policy of this account; every role created here carries it',
  );
}

export interface InstanceRoleOptions {
  /** Logical id of the role; the instance profile is `<roleId>Profile`. */
  roleId: string;
  description: string;
  managedPolicyArns?: CfnValue[];
  /** Inline policies: {PolicyName, PolicyDocument}. */
  policies?: CfnValue[];
}

export interface InstanceRole {
  role: CfnValue;
  /** The profile's name (what AWS::EC2::Instance takes). */
  profileName: CfnValue;
  /** The profile's ARN (what a launch template takes). */
  profileArn: CfnValue;
}

export function addInstanceRole(builder: TemplateBuilder, options: InstanceRoleOptions): InstanceRole {
  const profileId = `${options.roleId}Profile`;
  const role = builder.resource(options.roleId, {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: options.description,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      PermissionsBoundary: permissionsBoundary(builder),
      ...(options.managedPolicyArns ? { ManagedPolicyArns: options.managedPolicyArns } : {}),
      ...(options.policies ? { Policies: options.policies } : {}),
    },
  });
  builder.resource(profileId, { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [role] } });
  return { role, profileName: ref(profileId), profileArn: getAtt(profileId, 'Arn') };
}
