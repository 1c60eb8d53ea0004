import type { CfnResource, CfnValue } from '../cfn/template-types';
import { nameTag } from './tags';

/**
 * Security groups and their rules. Every rule between two groups is its own
 * AWS::EC2::SecurityGroupIngress / Egress resource, so two groups that name each other never form a
 * dependency cycle.
 *
 * EC2 gives a new group an allow-all egress rule, and CloudFormation removes it only when the
 * group's own `SecurityGroupEgress` list is non-empty (separate Egress resources do not remove it).
 * So every group we create carries exactly one inline rule, NO_EGRESS_RULE, that matches no traffic
 * (ICMP type 252 code 86 to 255.255.255.255/32, the placeholder the AWS CDK uses for the same
 * purpose): the group's real egress is then only what the separate Egress resources allow.
 * Readers of these templates (the reachability analyser) should treat that rule as "no rule".
 */
export const NO_EGRESS_RULE = {
  CidrIp: '255.255.255.255/32',
  IpProtocol: 'icmp',
  FromPort: 252,
  ToPort: 86,
  Description: 'Matches no traffic: removes the default allow-all egress rule',
} as const;

/** A TCP port or range, or every protocol and port ('all'). */
export type PortSpec = number | { from: number; to: number } | 'all';

function portProperties(ports: PortSpec): { [key: string]: CfnValue } {
  if (ports === 'all') return { IpProtocol: '-1' };
  const [from, to] = typeof ports === 'number' ? [ports, ports] : [ports.from, ports.to];
  return { IpProtocol: 'tcp', FromPort: from, ToPort: to };
}

export function securityGroup(description: string, vpcId: CfnValue, name: string): CfnResource {
  return {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: description,
      VpcId: vpcId,
      SecurityGroupEgress: [{ ...NO_EGRESS_RULE }],
      Tags: [nameTag(name)],
    },
  };
}

/** Traffic into `groupId` from members of `sourceGroupId`, or from a CIDR block. */
export function ingressRule(
  groupId: CfnValue,
  from: { group: CfnValue } | { cidr: CfnValue },
  ports: PortSpec,
  description: string,
): CfnResource {
  return {
    Type: 'AWS::EC2::SecurityGroupIngress',
    Properties: {
      GroupId: groupId,
      ...('group' in from ? { SourceSecurityGroupId: from.group } : { CidrIp: from.cidr }),
      ...portProperties(ports),
      Description: description,
    },
  };
}

/** Traffic out of `groupId` to members of `destinationGroupId`, or to a CIDR block. */
export function egressRule(
  groupId: CfnValue,
  to: { group: CfnValue } | { cidr: CfnValue },
  ports: PortSpec,
  description: string,
): CfnResource {
  return {
    Type: 'AWS::EC2::SecurityGroupEgress',
    Properties: {
      GroupId: groupId,
      ...('group' in to ? { DestinationSecurityGroupId: to.group } : { CidrIp: to.cidr }),
      ...portProperties(ports),
      Description: description,
    },
  };
}
