import type { CfnValue } from '../../src/cfn/template-types';
import { ecsAmiParameterPath, isGravitonInstanceType } from '../../src/templates/amis';
import { buildClusterTemplate } from '../../src/templates/cluster';
import { STACK_ID, templateInput } from './fixtures';
import { props, resource, subText } from './template-queries';

describe('cluster template', () => {
  const launchData = (template: ReturnType<typeof buildClusterTemplate>['template']) =>
    props(template, 'LaunchTemplate')['LaunchTemplateData'] as { [key: string]: CfnValue };

  it('runs the requested instances in the private subnets, sized min/desired/max as requested', () => {
    // Act
    const { template } = buildClusterTemplate(templateInput({ compute: { instanceType: 'm7g.large', min: 2, desired: 3, max: 6 } }));
    // Assess
    expect(props(template, 'AutoScalingGroup')).toMatchObject({ MinSize: '2', DesiredCapacity: '3', MaxSize: '6', VPCZoneIdentifier: { Ref: 'PrivateSubnetIds' } });
    expect(launchData(template)).toMatchObject({ InstanceType: 'm7g.large', SecurityGroupIds: [{ Ref: 'AppSecurityGroupId' }], MetadataOptions: { HttpTokens: 'required' } });
  });

  it.each([
    ['t4g.small', '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id'],
    ['c7gn.xlarge', '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id'],
    ['m7i.large', '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id'],
    ['g5.xlarge', '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id'],
  ])('takes the ECS-optimized image of the right architecture for %s', (instanceType, path) => {
    const { template, parameters } = buildClusterTemplate(templateInput({ compute: { instanceType } }));
    expect(launchData(template)['ImageId']).toEqual({ Ref: 'EcsImageId' });
    expect(parameters['EcsImageId']).toEqual({ kind: 'value', value: path });
    expect(ecsAmiParameterPath(instanceType)).toBe(path);
  });

  it('recognises Graviton families, including a1, and not x86 GPU families', () => {
    expect(['a1.large', 't4g.nano', 'm6gd.large', 'r8g.xlarge', 'im4gn.large', 'x2gd.large'].filter((t) => !isGravitonInstanceType(t))).toEqual([]);
    expect(['t3.micro', 'm7i.large', 'g4dn.xlarge', 'g5.xlarge', 'c7a.large'].filter(isGravitonInstanceType)).toEqual([]);
  });

  it('joins the cluster from user data and keeps tasks off the instance credentials', () => {
    const { template } = buildClusterTemplate(templateInput());
    const script = subText(launchData(template)['UserData']);
    expect(script).toContain('ECS_CLUSTER=${Cluster}');
    expect(script).toContain('ECS_AWSVPC_BLOCK_IMDS=true');
  });

  it('launches instances with the account\'s fixed container-instance profile, and creates no role', () => {
    const { template, parameters } = buildClusterTemplate(templateInput());
    expect(launchData(template)['IamInstanceProfile']).toEqual({ Arn: { Ref: 'ContainerInstanceProfileArn' } });
    expect(parameters['ContainerInstanceProfileArn']).toEqual({ kind: 'context', key: 'containerInstanceProfileArn' });
    expect(Object.values(template.Resources).filter((r) => r.Type.startsWith('AWS::IAM::'))).toEqual([]);
  });

  it('lets ECS scale the group through a capacity provider, the cluster default, with container insights', () => {
    const { template } = buildClusterTemplate(templateInput());
    expect(props(template, 'Cluster')['ClusterSettings']).toEqual([{ Name: 'containerInsights', Value: 'enabled' }]);
    expect(props(template, 'CapacityProvider')['AutoScalingGroupProvider']).toMatchObject({
      AutoScalingGroupArn: { Ref: 'AutoScalingGroup' },
      ManagedScaling: { Status: 'ENABLED' },
      ManagedTerminationProtection: 'DISABLED',
    });
    // No ECS lifecycle hook on the group: the capacity provider is deleted before the group it
    // names, and a hook left without its handler would hold every instance's termination (D14).
    expect(props(template, 'CapacityProvider')['AutoScalingGroupProvider']).toMatchObject({ ManagedDraining: 'DISABLED' });
    expect(props(template, 'ClusterCapacityProviders')).toMatchObject({
      Cluster: { Ref: 'Cluster' },
      DefaultCapacityProviderStrategy: [{ CapacityProvider: { Ref: 'CapacityProvider' }, Weight: 1, Base: 0 }],
    });
    expect(Object.keys(template.Outputs ?? {})).toEqual(expect.arrayContaining(['ClusterName', 'ClusterArn', 'CapacityProviderName']));
  });

  it('owns the Container Insights log group, so deleting the stack leaves no logs behind', () => {
    // Act
    const { template } = buildClusterTemplate(templateInput());
    // Assess: the name CloudWatch uses, after a cluster name fixed per stack and valid for ECS.
    const clusterName = props(template, 'Cluster')['ClusterName'];
    expect(clusterName).toBe(`groundwork-${STACK_ID}-cluster`);
    expect(String(clusterName)).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
    expect(resource(template, 'ContainerInsightsLogGroup')).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: { LogGroupName: `/aws/ecs/containerinsights/groundwork-${STACK_ID}-cluster/performance`, RetentionInDays: 30 },
    });
    // Created before the cluster, deleted after it: ECS never gets to create the group itself.
    expect(resource(template, 'Cluster').DependsOn).toBe('ContainerInsightsLogGroup');
  });
});
