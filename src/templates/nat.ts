import { LAUNCH_TEMPLATE_CREDIT_SPECIFICATION } from './credit-specification';
import type { CfnValue } from '../cfn/template-types';
import type { NatMode } from '../model/stack-request';
import { AL2023_ARM64_AMI_PATH, SSM_AMI_PARAMETER_TYPE } from './amis';
import type { ComponentTemplate, StackTemplateInput } from './component-template';
import { instanceProfileArn } from './fixed-roles';
import { base64, getAtt, ref } from './intrinsics';
import { NetworkOutputs } from './network';
import { NAT_SIGNAL_TIMEOUT, natInstanceUserData } from './nat-instance-user-data';
import { egressRule, ingressRule, securityGroup } from './security-groups';
import { nameTag, tagSpecifications } from './tags';
import { TemplateBuilder } from './template-builder';

/**
 * The nat component: the private route tables' default route, and what it points at.
 * - `instance` (the default): the fck-nat pattern. A network interface with source/destination
 *   check off sits in a public subnet and is the route target; a t4g.nano in an auto-scaling group
 *   of one attaches it at boot and forwards/masquerades (nat-instance-user-data.ts). If the
 *   instance dies the group replaces it and the new one takes the same interface, so the routes
 *   never change. The group waits for its instance's signal, sent once egress works. About a tenth
 *   of a NAT gateway's hourly price.
 * - `gateway`: one NAT gateway (and Elastic IP) in the first public subnet for all AZs.
 * - `gateway-per-az`: one per AZ, each AZ's private route table to its own (no cross-AZ dependency).
 * - `none`: this component is not deployed, and private subnets have no route off the VPC.
 */
export const NAT_INSTANCE_TYPE = 't4g.nano';

export const NatOutputs = {
  natNetworkInterfaceId: (azIndex: number) => `NatNetworkInterface${azIndex}Id`,
  natGatewayId: (azIndex: number) => `NatGateway${azIndex}Id`,
  natPublicIp: (azIndex: number) => `NatPublicIp${azIndex}`,
} as const;

/**
 * The AZs that get a NAT (instance or gateway). One NAT instance serves every AZ, as one gateway
 * does: the instance mode is the low-cost choice, and its auto-scaling group already replaces a
 * failed instance; a NAT per AZ is what `gateway-per-az` is for. Cost estimates count these.
 */
export function natAzIndexes(mode: NatMode, azCount: number): number[] {
  if (mode === 'none') return [];
  if (mode === 'gateway-per-az') return Array.from({ length: azCount }, (_, index) => index);
  return [0];
}

/** The AZ whose NAT the private route table of `azIndex` sends internet traffic to. */
export function natAzFor(mode: NatMode, azIndex: number): number {
  return mode === 'gateway-per-az' ? azIndex : 0;
}

export function buildNatTemplate(input: StackTemplateInput): ComponentTemplate {
  const mode = input.request.network.nat;
  if (mode === 'none') throw new Error('nat none deploys no nat component');
  const b = new TemplateBuilder('nat', input, mode === 'instance' ? 'NAT instance (fck-nat pattern)' : 'NAT gateway');
  const azCount = input.network.azCount;
  const natAzs = natAzIndexes(mode, azCount);

  // What each private route table's default route points at, by the AZ of the NAT.
  const targets = new Map<number, { [key: string]: CfnValue }>();
  if (mode === 'instance') {
    addNatInstances(b, natAzs).forEach((eni, az) => targets.set(az, { NetworkInterfaceId: eni }));
  } else {
    for (const az of natAzs) targets.set(az, { NatGatewayId: addNatGateway(b, az) });
  }

  for (let az = 0; az < azCount; az += 1) {
    const target = targets.get(natAzFor(mode, az));
    if (target === undefined) throw new Error(`no NAT for AZ ${az}`);
    b.resource(`PrivateDefaultRoute${az}`, {
      Type: 'AWS::EC2::Route',
      Properties: {
        RouteTableId: b.fromOutput('network', NetworkOutputs.privateRouteTableId(az), 'String'),
        DestinationCidrBlock: '0.0.0.0/0',
        ...target,
      },
    });
  }
  return b.build();
}

function addNatGateway(b: TemplateBuilder, az: number): CfnValue {
  const eipId = `NatEip${az}`;
  b.resource(eipId, { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc', Tags: [nameTag(`${b.stackName}-${az}`)] } });
  const gateway = b.resource(`NatGateway${az}`, {
    Type: 'AWS::EC2::NatGateway',
    Properties: {
      AllocationId: getAtt(eipId, 'AllocationId'),
      SubnetId: b.fromOutput('network', NetworkOutputs.publicSubnetId(az), 'AWS::EC2::Subnet::Id'),
      Tags: [nameTag(`${b.stackName}-${az}`)],
    },
  });
  b.output(NatOutputs.natGatewayId(az), gateway, `NAT gateway of AZ ${az}`);
  b.output(NatOutputs.natPublicIp(az), ref(eipId), `Public address the private subnets reach the internet from (AZ ${az})`);
  return gateway;
}

/** One NAT instance per AZ in `azs`; returns the route-target network interface of each, by AZ. */
function addNatInstances(b: TemplateBuilder, azs: number[]): Map<number, CfnValue> {
  const vpcCidr = b.fromOutput('network', NetworkOutputs.VpcCidr, 'String', 'VPC block: the only sources the NAT forwards for');
  const vpcId = b.fromOutput('network', NetworkOutputs.VpcId, 'AWS::EC2::VPC::Id');
  b.resource('NatSecurityGroup', securityGroup('NAT instance: forwards traffic from the VPC to the internet', vpcId, b.stackName));
  const groupId = getAtt('NatSecurityGroup', 'GroupId');
  b.resource('NatIngressFromVpc', ingressRule(groupId, { cidr: vpcCidr }, 'all', 'Anything from inside the VPC, to be forwarded'));
  b.resource('NatEgressToInternet', egressRule(groupId, { cidr: '0.0.0.0/0' }, 'all', 'Forwarded traffic to the internet'));

  const interfaces = new Map<number, CfnValue>();
  for (const az of azs) {
    interfaces.set(
      az,
      b.resource(`NatNetworkInterface${az}`, {
        Type: 'AWS::EC2::NetworkInterface',
        Properties: {
          Description: `${b.stackName}: route target of the private subnets (AZ ${az})`,
          SubnetId: b.fromOutput('network', NetworkOutputs.publicSubnetId(az), 'AWS::EC2::Subnet::Id'),
          GroupSet: [groupId],
          // It carries packets neither from nor to itself: that is what forwarding is.
          SourceDestCheck: false,
          Tags: [nameTag(`${b.stackName}-${az}`)],
        },
      }),
    );
  }

  // The account's fixed NAT role, made by the onboarding stack: it may attach only interfaces
  // tagged as a NAT component's, and only to instances tagged so (which these are, at launch).
  const profileArn = instanceProfileArn(b, 'nat');
  const imageId = b.fromValue(
    'NatImageId',
    SSM_AMI_PARAMETER_TYPE,
    AL2023_ARM64_AMI_PATH,
    'Amazon Linux 2023 arm64, resolved from its public SSM parameter',
  );

  for (const az of azs) {
    const launchTemplateId = `NatLaunchTemplate${az}`;
    const autoScalingGroupId = `NatAutoScalingGroup${az}`;
    const name = `${b.stackName}-${az}`;
    b.resource(launchTemplateId, {
      Type: 'AWS::EC2::LaunchTemplate',
      Properties: {
        LaunchTemplateData: {
          ImageId: imageId,
          InstanceType: NAT_INSTANCE_TYPE,
          // Standard credits: above its baseline the NAT slows down rather than bills surplus credits.
          CreditSpecification: LAUNCH_TEMPLATE_CREDIT_SPECIFICATION,
          IamInstanceProfile: { Arn: profileArn },
          // The primary interface has the public address the forwarded traffic leaves from.
          NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: [groupId], DeleteOnTermination: true }],
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true } }],
          UserData: base64(natInstanceUserData({ networkInterfaceLogicalId: `NatNetworkInterface${az}`, vpcCidrParameter: NetworkOutputs.VpcCidr, signalledLogicalId: autoScalingGroupId })),
          // Tagged at launch: the IAM condition above checks the instance's tags.
          TagSpecifications: tagSpecifications(b.tagContext, ['instance', 'volume', 'network-interface'], name),
        },
        TagSpecifications: tagSpecifications(b.tagContext, ['launch-template'], name),
      },
    });
    b.resource(autoScalingGroupId, {
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      // The group is complete only when its instance says it forwards (it signals after checking
      // egress): a NAT that never works fails the stack instead of passing for done (decision 0015).
      CreationPolicy: { ResourceSignal: { Count: 1, Timeout: NAT_SIGNAL_TIMEOUT } },
      // A new launch template version replaces the one instance; the interface can only be
      // attached to one instance at a time, so none is kept in service meanwhile. The replacement
      // is waited for the same way.
      UpdatePolicy: { AutoScalingRollingUpdate: { MinInstancesInService: 0, MaxBatchSize: 1, WaitOnResourceSignals: true, PauseTime: NAT_SIGNAL_TIMEOUT } },
      Properties: {
        MinSize: '1',
        MaxSize: '1',
        DesiredCapacity: '1',
        // The interface lives in one AZ, so the instance must too.
        VPCZoneIdentifier: [b.fromOutput('network', NetworkOutputs.publicSubnetId(az), 'AWS::EC2::Subnet::Id')],
        LaunchTemplate: { LaunchTemplateId: ref(launchTemplateId), Version: getAtt(launchTemplateId, 'LatestVersionNumber') },
        Tags: [nameTag(name)],
      },
    });
    b.output(NatOutputs.natNetworkInterfaceId(az), ref(`NatNetworkInterface${az}`), `Route target of the private subnets (NAT instance of AZ ${az})`);
  }
  return interfaces;
}
