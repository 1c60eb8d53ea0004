import { buildEndpointsTemplate } from '../../src/templates/endpoints';
import { templateInput } from './fixtures';
import { resourcesOfType } from './template-queries';

describe('endpoints template', () => {
  it('creates the interface endpoints ECS on EC2 needs without a NAT, in the private subnets, with private DNS', () => {
    // Act
    const { template, parameters } = buildEndpointsTemplate(templateInput({ network: { nat: 'none' } }));
    // Assess
    const endpoints = resourcesOfType(template, 'AWS::EC2::VPCEndpoint').map(([, r]) => r.Properties ?? {});
    const services = endpoints.map((p) => (p['ServiceName'] as { 'Fn::Sub': string })['Fn::Sub'].replace('com.amazonaws.${AWS::Region}.', ''));
    expect(services.sort()).toEqual(['ecr.api', 'ecr.dkr', 'ecs', 'ecs-agent', 'ecs-telemetry', 'logs', 'secretsmanager', 'sts']);
    for (const endpoint of endpoints) {
      expect(endpoint).toMatchObject({
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        SubnetIds: { Ref: 'PrivateSubnetIds' },
        SecurityGroupIds: [{ Ref: 'EndpointsSecurityGroupId' }],
      });
    }
    expect(parameters['PrivateSubnetIds']).toEqual({ kind: 'output', component: 'network', output: 'PrivateSubnetIds' });
    expect(parameters['EndpointsSecurityGroupId']).toEqual({ kind: 'output', component: 'security', output: 'EndpointsSecurityGroupId' });
  });
});
