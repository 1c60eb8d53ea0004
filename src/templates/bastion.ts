import { AL2023_ARM64_AMI_PATH, SSM_AMI_PARAMETER_TYPE } from './amis';
import type { ComponentTemplate, StackTemplateInput } from './component-template';
import { INSTANCE_CREDIT_SPECIFICATION } from './credit-specification';
import { instanceProfileName } from './fixed-roles';
import { getAtt } from './intrinsics';
import { NetworkOutputs } from './network';
import { SecurityOutputs } from './security';
import { nameTag } from './tags';
import { TemplateBuilder } from './template-builder';

/**
 * The bastion component: one small instance in the first public subnet, reachable on SSH only from
 * the allowed CIDR (security component), able to reach only the database and HTTPS. It is also a
 * Systems Manager managed instance, so operators can use Session Manager instead of SSH keys.
 */
export const BASTION_INSTANCE_TYPE = 't4g.nano';

export const BastionOutputs = {
  BastionInstanceId: 'BastionInstanceId',
  BastionPublicIp: 'BastionPublicIp',
  BastionPublicDnsName: 'BastionPublicDnsName',
} as const;

export function buildBastionTemplate(input: StackTemplateInput): ComponentTemplate {
  const { bastion } = input.request;
  const b = new TemplateBuilder('bastion', input, 'bastion host');
  // The account's fixed bastion role (Systems Manager only), made by the onboarding stack.
  const profileName = instanceProfileName(b, 'bastion');
  b.resource('Bastion', {
    Type: 'AWS::EC2::Instance',
    Properties: {
      ImageId: b.fromValue(
        'BastionImageId',
        SSM_AMI_PARAMETER_TYPE,
        AL2023_ARM64_AMI_PATH,
        'Amazon Linux 2023 arm64, resolved from its public SSM parameter',
      ),
      InstanceType: BASTION_INSTANCE_TYPE,
      // Standard credits: above its baseline the bastion slows down rather than bills surplus credits.
      CreditSpecification: INSTANCE_CREDIT_SPECIFICATION,
      // A public subnet, and a public address asked for explicitly (the subnets assign none on
      // their own); the security group admits only the allowed CIDR.
      NetworkInterfaces: [
        {
          DeviceIndex: '0',
          SubnetId: b.fromOutput('network', NetworkOutputs.publicSubnetId(0), 'AWS::EC2::Subnet::Id'),
          GroupSet: [b.fromOutput('security', SecurityOutputs.BastionSecurityGroupId, 'AWS::EC2::SecurityGroup::Id')],
          AssociatePublicIpAddress: true,
          DeleteOnTermination: true,
        },
      ],
      IamInstanceProfile: profileName,
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true } }],
      ...(bastion.keyName === undefined ? {} : { KeyName: bastion.keyName }),
      Tags: [nameTag(b.stackName)],
    },
  });
  b.output(BastionOutputs.BastionInstanceId, { Ref: 'Bastion' }, 'Bastion instance id (for Session Manager)');
  b.output(BastionOutputs.BastionPublicIp, getAtt('Bastion', 'PublicIp'), 'Public address to SSH to');
  b.output(BastionOutputs.BastionPublicDnsName, getAtt('Bastion', 'PublicDnsName'), 'Public DNS name to SSH to');
  return b.build();
}
