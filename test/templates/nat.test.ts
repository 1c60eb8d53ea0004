import type { CfnValue } from '../../src/cfn/template-types';
import { buildNatTemplate, natAzIndexes } from '../../src/templates/nat';
import { templateInput } from './fixtures';
import { props, resourcesOfType, subText } from './template-queries';

const defaultRoutes = (template: ReturnType<typeof buildNatTemplate>['template']): Array<{ [key: string]: CfnValue }> =>
  resourcesOfType(template, 'AWS::EC2::Route').map(([, r]) => r.Properties ?? {});

describe('nat template', () => {
  describe('instance (the fck-nat pattern)', () => {
    const { template, parameters } = buildNatTemplate(templateInput({ network: { nat: 'instance', azCount: 3 } }));

    it('routes every private route table to a network interface with source/destination check off, in a public subnet', () => {
      expect(defaultRoutes(template)).toEqual(
        [0, 1, 2].map((az) => ({ RouteTableId: { Ref: `PrivateRouteTable${az}Id` }, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: { Ref: 'NatNetworkInterface0' } })),
      );
      expect(props(template, 'NatNetworkInterface0')).toMatchObject({ SubnetId: { Ref: 'PublicSubnet0Id' }, SourceDestCheck: false });
      expect(parameters['PublicSubnet0Id']).toEqual({ kind: 'output', component: 'network', output: 'PublicSubnet0Id' });
    });

    it('runs a t4g.nano from the arm64 Amazon Linux 2023 SSM parameter in an auto-scaling group of exactly one', () => {
      const data = props(template, 'NatLaunchTemplate0')['LaunchTemplateData'] as { [key: string]: CfnValue };
      expect(data).toMatchObject({ InstanceType: 't4g.nano', ImageId: { Ref: 'NatImageId' }, MetadataOptions: { HttpTokens: 'required' } });
      expect(template.Parameters?.['NatImageId']?.Type).toBe('AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
      expect(parameters['NatImageId']).toEqual({ kind: 'value', value: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64' });
      expect(props(template, 'NatAutoScalingGroup0')).toMatchObject({ MinSize: '1', MaxSize: '1', DesiredCapacity: '1', VPCZoneIdentifier: [{ Ref: 'PublicSubnet0Id' }] });
    });

    it('attaches that interface at boot, then forwards and masquerades', () => {
      const data = props(template, 'NatLaunchTemplate0')['LaunchTemplateData'] as { [key: string]: CfnValue };
      const script = subText(data['UserData']);
      expect(script).toContain("ENI_ID='${NatNetworkInterface0}'");
      expect(script).toContain('aws ec2 attach-network-interface');
      expect(script).toContain('--no-source-dest-check');
      expect(script).toContain('net.ipv4.ip_forward=1');
      expect(script).toContain('masquerade');
      // Shell variables never use braces: in Fn::Sub those would be CloudFormation references.
      expect([...new Set(script.match(/\$\{[^}]*\}/g))].sort()).toEqual(['${AWS::Region}', '${AWS::StackId}', '${NatNetworkInterface0}', '${VpcCidr}']);
    });

    it('installs no package unbounded at boot: any dnf runs under a timeout, never in an endless retry loop (D8)', () => {
      const script = subText((props(template, 'NatLaunchTemplate0')['LaunchTemplateData'] as { [key: string]: CfnValue })['UserData']);
      const dnf = script.split('\n').filter((line) => /\bdnf\b/.test(line) && !/^\s*(#|echo)/.test(line) && !line.includes('echo "'));
      expect(dnf.length).toBeGreaterThan(0);
      for (const line of dnf) expect(line).toMatch(/^\s*timeout \d+ dnf /);
      expect(script).not.toMatch(/until[^\n]*dnf|while[^\n]*dnf/);
    });

    it('sets no route of its own, which systemd-networkd could drop, and finds its interfaces by MAC, not by their eni- names (D2, D12)', () => {
      const script = subText((props(template, 'NatLaunchTemplate0')['LaunchTemplateData'] as { [key: string]: CfnValue })['UserData']);
      expect(script).not.toMatch(/ip route (add|replace)/);
      expect(script).not.toContain('ip link show dev "$ENI_ID"');
      expect(script).toContain('After=network-online.target');
      expect(script).toContain('Restart=on-failure');
    });

    it('completes the group only on its instance\'s signal, sent once egress works; no signal in time fails it (D6)', () => {
      expect(template.Resources['NatAutoScalingGroup0']?.CreationPolicy).toEqual({ ResourceSignal: { Count: 1, Timeout: 'PT15M' } });
      expect(template.Resources['NatAutoScalingGroup0']?.UpdatePolicy).toMatchObject({ AutoScalingRollingUpdate: { WaitOnResourceSignals: true, PauseTime: 'PT15M' } });
      const script = subText((props(template, 'NatLaunchTemplate0')['LaunchTemplateData'] as { [key: string]: CfnValue })['UserData']);
      expect(script).toContain("RESOURCE='NatAutoScalingGroup0'");
      const success = script.indexOf('signal SUCCESS');
      expect(success).toBeGreaterThan(script.indexOf('https://cloudformation.$REGION.amazonaws.com/'));
      expect(success).toBeGreaterThan(script.indexOf('net.ipv4.ip_forward)" = 1'));
    });

    it('launches its instances with the account\'s fixed NAT instance profile, and creates no role', () => {
      const { parameters } = buildNatTemplate(templateInput({ network: { nat: 'instance', azCount: 2 } }));
      expect(props(template, 'NatLaunchTemplate0')['LaunchTemplateData']).toMatchObject({ IamInstanceProfile: { Arn: { Ref: 'NatInstanceProfileArn' } } });
      expect(parameters['NatInstanceProfileArn']).toEqual({ kind: 'context', key: 'natInstanceProfileArn' });
      expect(Object.values(template.Resources).filter((r) => r.Type.startsWith('AWS::IAM::'))).toEqual([]);
    });

    it('puts the instance\'s primary interface, with its public address, in the NAT security group', () => {
      const data = props(template, 'NatLaunchTemplate0')['LaunchTemplateData'] as { [key: string]: CfnValue };
      expect(data['NetworkInterfaces']).toEqual([{ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: [{ 'Fn::GetAtt': ['NatSecurityGroup', 'GroupId'] }], DeleteOnTermination: true }]);
    });

    it('lets the NAT forward only for the VPC', () => {
      const ingress = resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
      expect(ingress).toEqual([expect.objectContaining({ CidrIp: { Ref: 'VpcCidr' }, IpProtocol: '-1' })]);
    });
  });

  it('gateway: one NAT gateway with an Elastic IP in the first public subnet, for every AZ', () => {
    const { template } = buildNatTemplate(templateInput({ network: { nat: 'gateway', azCount: 3 } }));
    expect(resourcesOfType(template, 'AWS::EC2::NatGateway').map(([id]) => id)).toEqual(['NatGateway0']);
    expect(props(template, 'NatGateway0')).toMatchObject({ SubnetId: { Ref: 'PublicSubnet0Id' }, AllocationId: { 'Fn::GetAtt': ['NatEip0', 'AllocationId'] } });
    expect(defaultRoutes(template).map((r) => r['NatGatewayId'])).toEqual([{ Ref: 'NatGateway0' }, { Ref: 'NatGateway0' }, { Ref: 'NatGateway0' }]);
    expect(resourcesOfType(template, 'AWS::AutoScaling::AutoScalingGroup')).toEqual([]);
  });

  it('gateway-per-az: each AZ\'s private route table goes to its own NAT gateway', () => {
    const { template } = buildNatTemplate(templateInput({ network: { nat: 'gateway-per-az', azCount: 2 } }));
    expect(defaultRoutes(template)).toEqual([
      { RouteTableId: { Ref: 'PrivateRouteTable0Id' }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: 'NatGateway0' } },
      { RouteTableId: { Ref: 'PrivateRouteTable1Id' }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: 'NatGateway1' } },
    ]);
    expect(props(template, 'NatGateway1')['SubnetId']).toEqual({ Ref: 'PublicSubnet1Id' });
  });

  it('none: there is no nat component to build', () => {
    expect(natAzIndexes('none', 3)).toEqual([]);
    expect(() => buildNatTemplate(templateInput({ network: { nat: 'none' } }))).toThrow('nat none');
  });

  it('counts one NAT for instance and gateway, one per AZ for gateway-per-az (what cost estimates use)', () => {
    expect(natAzIndexes('instance', 3)).toEqual([0]);
    expect(natAzIndexes('gateway', 3)).toEqual([0]);
    expect(natAzIndexes('gateway-per-az', 3)).toEqual([0, 1, 2]);
  });
});
