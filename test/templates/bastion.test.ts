import { buildBastionTemplate } from '../../src/templates/bastion';
import { OPERATORS_CIDR, templateInput } from './fixtures';
import { props } from './template-queries';

describe('bastion template', () => {
  it('runs a t4g.nano on arm64 Amazon Linux 2023 in the first public subnet, behind the bastion group, IMDSv2 only', () => {
    // Act
    const { template, parameters } = buildBastionTemplate(templateInput({ bastion: { enabled: true, allowedCidr: OPERATORS_CIDR } }));
    // Assess
    expect(props(template, 'Bastion')).toMatchObject({
      InstanceType: 't4g.nano',
      ImageId: { Ref: 'BastionImageId' },
      MetadataOptions: { HttpTokens: 'required' },
    });
    // Its public address is asked for on its interface: the public subnets assign none on their own (D11).
    expect(props(template, 'Bastion')['NetworkInterfaces']).toEqual([
      { DeviceIndex: '0', SubnetId: { Ref: 'PublicSubnet0Id' }, GroupSet: [{ Ref: 'BastionSecurityGroupId' }], AssociatePublicIpAddress: true, DeleteOnTermination: true },
    ]);
    expect(props(template, 'Bastion')['SubnetId']).toBeUndefined();
    expect(props(template, 'Bastion')['KeyName']).toBeUndefined();
    expect(parameters['BastionImageId']).toEqual({ kind: 'value', value: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64' });
  });

  it('launches in standard CPU credit mode, so the t4g bills no surplus credits (EC2 would default it to unlimited)', () => {
    const { template } = buildBastionTemplate(templateInput({ bastion: { enabled: true, allowedCidr: OPERATORS_CIDR } }));
    // AWS::EC2::Instance spells it CPUCredits (AWS::EC2::LaunchTemplate says CpuCredits).
    expect(props(template, 'Bastion')['CreditSpecification']).toEqual({ CPUCredits: 'standard' });
  });

  it('uses the key pair only when one is given', () => {
    const { template } = buildBastionTemplate(templateInput({ bastion: { enabled: true, allowedCidr: OPERATORS_CIDR, keyName: 'ops' } }));
    expect(props(template, 'Bastion')['KeyName']).toBe('ops');
  });

  it('runs as the account\'s fixed bastion profile (by name, from its ARN), and creates no role', () => {
    const { template, parameters } = buildBastionTemplate(templateInput({ bastion: { enabled: true, allowedCidr: OPERATORS_CIDR } }));
    expect(props(template, 'Bastion')['IamInstanceProfile']).toEqual({ 'Fn::Select': [1, { 'Fn::Split': [':instance-profile/', { Ref: 'BastionInstanceProfileArn' }] }] });
    expect(parameters['BastionInstanceProfileArn']).toEqual({ kind: 'context', key: 'bastionInstanceProfileArn' });
    expect(Object.values(template.Resources).map((r) => r.Type)).toEqual(['AWS::EC2::Instance']);
  });
});
