import { buildNetworkTemplate } from '../../src/templates/network';
import { NETWORK_PLANS, templateInput } from './fixtures';
import { props, resourcesOfType } from './template-queries';

describe('network template', () => {
  it('creates a VPC with DNS support and host names on the planned block', () => {
    // Act
    const { template } = buildNetworkTemplate(templateInput());
    // Assess
    expect(props(template, 'Vpc')).toMatchObject({ CidrBlock: '10.20.0.0/16', EnableDnsSupport: true, EnableDnsHostnames: true });
  });

  it.each([2, 3] as const)('creates one public, private and isolated subnet per AZ for %i AZs, from the plan, each in its chosen AZ', (azCount) => {
    const { template, parameters } = buildNetworkTemplate(templateInput({ network: { azCount } }));
    const subnets = resourcesOfType(template, 'AWS::EC2::Subnet').map(([, r]) => r.Properties ?? {});
    expect(subnets).toHaveLength(3 * azCount);
    for (const planned of NETWORK_PLANS[azCount].subnets) {
      expect(subnets).toContainEqual(
        expect.objectContaining({
          CidrBlock: planned.cidr,
          // The AZ the stack chose (at creation, from what the account's region offers), never an Fn::GetAZs index.
          AvailabilityZone: { Ref: `AvailabilityZone${planned.azIndex}` },
          MapPublicIpOnLaunch: false,
        }),
      );
    }
    for (let azIndex = 0; azIndex < azCount; azIndex += 1) {
      expect(template.Parameters?.[`AvailabilityZone${azIndex}`]).toMatchObject({ Type: 'AWS::EC2::AvailabilityZone::Name' });
      expect(parameters[`AvailabilityZone${azIndex}`]).toEqual({ kind: 'zone', azIndex });
    }
    expect(Object.keys(template.Parameters ?? {}).filter((name) => name.startsWith('AvailabilityZone'))).toHaveLength(azCount);
  });

  it('assigns no public address by default in any subnet, public ones included: whatever needs one asks for it (D11)', () => {
    const { template } = buildNetworkTemplate(templateInput());
    const subnets = resourcesOfType(template, 'AWS::EC2::Subnet').map(([, r]) => r.Properties ?? {});
    expect(subnets.map((subnet) => subnet['MapPublicIpOnLaunch'])).toEqual(subnets.map(() => false));
  });

  it('routes only the public route table to the internet gateway; private and isolated tables have no route off the VPC', () => {
    const { template } = buildNetworkTemplate(templateInput());
    const routes = resourcesOfType(template, 'AWS::EC2::Route').map(([, r]) => r.Properties);
    expect(routes).toEqual([{ RouteTableId: { Ref: 'PublicRouteTable' }, DestinationCidrBlock: '0.0.0.0/0', GatewayId: { Ref: 'InternetGateway' } }]);
  });

  it('gives each private subnet its own route table, so the nat component can route each AZ on its own', () => {
    const { template } = buildNetworkTemplate(templateInput());
    const associations = resourcesOfType(template, 'AWS::EC2::SubnetRouteTableAssociation').map(([, r]) => r.Properties);
    expect(associations).toEqual(
      expect.arrayContaining([0, 1, 2].map((az) => ({ SubnetId: { Ref: `PrivateSubnet${az}` }, RouteTableId: { Ref: `PrivateRouteTable${az}` } }))),
    );
    expect(associations).toEqual(
      expect.arrayContaining([0, 1, 2].map((az) => ({ SubnetId: { Ref: `IsolatedSubnet${az}` }, RouteTableId: { Ref: 'IsolatedRouteTable' } }))),
    );
    expect(associations).toHaveLength(9);
  });

  it('puts the S3 gateway endpoint on the private and isolated route tables only', () => {
    const { template } = buildNetworkTemplate(templateInput({ network: { azCount: 2 } }));
    expect(props(template, 'S3GatewayEndpoint')).toMatchObject({
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.s3' },
      RouteTableIds: [{ Ref: 'PrivateRouteTable0' }, { Ref: 'PrivateRouteTable1' }, { Ref: 'IsolatedRouteTable' }],
    });
  });

  it('outputs what the later components take: subnet lists, per-AZ public subnets and private route tables', () => {
    const { template } = buildNetworkTemplate(templateInput({ network: { azCount: 2 } }));
    expect(Object.keys(template.Outputs ?? {}).sort()).toEqual(
      ['IsolatedSubnetIds', 'PrivateRouteTable0Id', 'PrivateRouteTable1Id', 'PrivateSubnetIds', 'PublicSubnet0Id', 'PublicSubnet1Id', 'PublicSubnetIds', 'VpcCidr', 'VpcId'].sort(),
    );
  });

  it('refuses a plan that lacks a subnet of some tier in some AZ', () => {
    const input = templateInput();
    input.network = { ...input.network, subnets: input.network.subnets.filter((s) => !(s.tier === 'isolated' && s.azIndex === 2)) };
    expect(() => buildNetworkTemplate(input)).toThrow('0 isolated subnets in AZ 2');
  });
});
