import { TemplateBuilder } from '../../src/templates/template-builder';
import { withGroundworkTags } from '../../src/templates/tags';
import { templateInput } from './fixtures';

describe('template builder', () => {
  it('refuses a parameter fed by a component this one does not depend on', () => {
    const builder = new TemplateBuilder('nat', templateInput(), 'test');
    expect(() => builder.fromOutput('security', 'AppSecurityGroupId', 'String')).toThrow('nat does not depend on security');
  });

  it('records the source of every parameter it declares', () => {
    // Prepare
    const builder = new TemplateBuilder('cluster', templateInput(), 'test');
    // Act
    builder.fromOutput('network', 'VpcId', 'AWS::EC2::VPC::Id');
    builder.fromContext('NatInstanceProfileArn', 'natInstanceProfileArn', 'profile');
    builder.resource('Handle', { Type: 'AWS::CloudFormation::WaitConditionHandle' });
    const built = builder.build();
    // Assess
    expect(Object.keys(built.template.Parameters ?? {})).toEqual(['VpcId', 'NatInstanceProfileArn']);
    expect(built.parameters).toEqual({
      VpcId: { kind: 'output', component: 'network', output: 'VpcId' },
      NatInstanceProfileArn: { kind: 'context', key: 'natInstanceProfileArn' },
    });
    expect(built.stackName).toBe('groundwork-stk0123456789abcdef-cluster');
  });

  it('refuses to tag a resource type whose tag shape nobody has recorded', () => {
    expect(() => withGroundworkTags({ Type: 'AWS::S3::Bucket' }, { tenantId: 't', stackId: 's', component: 'network' })).toThrow('no tag style recorded for AWS::S3::Bucket');
  });

  it('tags API Gateway v2 resources with a map, keeping a Name tag given by the builder', () => {
    const tagged = withGroundworkTags({ Type: 'AWS::ApiGatewayV2::Api', Properties: { Tags: { Name: 'x' } } }, { tenantId: 't', stackId: 's', component: 'frontend' });
    expect(tagged.Properties?.['Tags']).toEqual({ Name: 'x', 'groundwork:tenant': 't', 'groundwork:stack': 's', 'groundwork:component': 'frontend' });
  });
});
