import { defaultCpuCredits, LAUNCH_TEMPLATE_CREDIT_SPECIFICATION } from './credit-specification';
import { ecsAmiParameterPath, SSM_AMI_PARAMETER_TYPE } from './amis';
import type { ComponentTemplate, StackTemplateInput } from './component-template';
import { instanceProfileArn } from './fixed-roles';
import { base64, getAtt, ref, sub } from './intrinsics';
import { NetworkOutputs } from './network';
import { SecurityOutputs } from './security';
import { addServiceLogGroup } from './service-log-group';
import { nameTag, tagSpecifications } from './tags';
import { TemplateBuilder } from './template-builder';

/**
 * The cluster component: an ECS cluster whose capacity is EC2 instances in the private subnets,
 * in an auto-scaling group driven by an ECS capacity provider (managed scaling: ECS grows and
 * shrinks the group to fit the tasks, between the request's min and max).
 */
export const ClusterOutputs = {
  ClusterName: 'ClusterName',
  ClusterArn: 'ClusterArn',
  CapacityProviderName: 'CapacityProviderName',
  AutoScalingGroupName: 'AutoScalingGroupName',
} as const;

/** What ECS allows in a cluster name (CreateCluster: up to 255 letters, digits, hyphens, underscores). */
const ECS_CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Container Insights writes its performance log events to this group, creating it if missing:
 * "These logs are in CloudWatch Logs, in a log group named /aws/ecs/containerinsights/CLUSTER_NAME/performance"
 * (CloudWatch User Guide, "Container Insights performance log events for Amazon ECS",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html).
 */
const containerInsightsLogGroupName = (clusterName: string): string => `/aws/ecs/containerinsights/${clusterName}/performance`;

/**
 * A month of per-task history for post-mortems; the metrics CloudWatch derives from these events
 * are kept separately (15 months), so a longer retention would mostly add storage cost.
 */
const CONTAINER_INSIGHTS_RETENTION_DAYS = 30;

export function buildClusterTemplate(input: StackTemplateInput): ComponentTemplate {
  const compute = input.request.compute;
  if (compute === null) throw new Error('a request without compute deploys no cluster component');
  const b = new TemplateBuilder('cluster', input, `ECS cluster on ${compute.instanceType} instances`);
  const subnetIds = b.fromOutput('network', NetworkOutputs.PrivateSubnetIds, 'List<AWS::EC2::Subnet::Id>');
  const appSecurityGroupId = b.fromOutput('security', SecurityOutputs.AppSecurityGroupId, 'AWS::EC2::SecurityGroup::Id');
  const imageId = b.fromValue(
    'EcsImageId',
    SSM_AMI_PARAMETER_TYPE,
    ecsAmiParameterPath(compute.instanceType),
    "ECS-optimized Amazon Linux 2023 for the instance type's architecture",
  );

  // A fixed name (unique per stack, as the stack name is), because the Container Insights log group
  // is named after the cluster and must exist before it: CloudFormation's generated name is known
  // only once the cluster is created, and by then ECS may have created the group itself.
  const clusterName = b.stackName;
  if (!ECS_CLUSTER_NAME.test(clusterName)) throw new Error(`${clusterName} is not a valid ECS cluster name`);
  const insightsLogGroup = addServiceLogGroup(b, {
    logicalId: 'ContainerInsightsLogGroup',
    name: containerInsightsLogGroupName(clusterName),
    retentionInDays: CONTAINER_INSIGHTS_RETENTION_DAYS,
  });
  const cluster = b.resource('Cluster', {
    Type: 'AWS::ECS::Cluster',
    // Created after its log group and deleted before it (after the instances, which depend on the
    // cluster), so Container Insights never creates a group of its own that the stack would leave behind.
    DependsOn: insightsLogGroup,
    Properties: {
      ClusterName: clusterName,
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
      Tags: [nameTag(b.stackName)],
    },
  });
  // The account's fixed container-instance role, made by the onboarding stack: the ECS agent's calls, in groundwork-* clusters only.
  const profileArn = instanceProfileArn(b, 'container');

  const userData = [
    '#!/bin/bash',
    'cat >> /etc/ecs/ecs.config <<\'EOF\'',
    'ECS_CLUSTER=${Cluster}',
    // Tasks in awsvpc mode must not borrow the instance role through the metadata service.
    'ECS_AWSVPC_BLOCK_IMDS=true',
    'ECS_ENABLE_CONTAINER_METADATA=true',
    'EOF',
    '',
  ].join('\n');
  b.resource('LaunchTemplate', {
    Type: 'AWS::EC2::LaunchTemplate',
    Properties: {
      LaunchTemplateData: {
        ImageId: imageId,
        InstanceType: compute.instanceType,
        // Standard credits where the type has credits at all (m7g/m7i have none).
        ...(defaultCpuCredits(compute.instanceType) ? { CreditSpecification: LAUNCH_TEMPLATE_CREDIT_SPECIFICATION } : {}),
        IamInstanceProfile: { Arn: profileArn },
        SecurityGroupIds: [appSecurityGroupId],
        // IMDSv2 only, one hop: containers on bridge networks cannot reach the instance's credentials.
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 30, DeleteOnTermination: true } }],
        UserData: base64(sub(userData)),
        TagSpecifications: tagSpecifications(b.tagContext, ['instance', 'volume', 'network-interface'], b.stackName),
      },
      TagSpecifications: tagSpecifications(b.tagContext, ['launch-template'], b.stackName),
    },
  });
  const autoScalingGroup = b.resource('AutoScalingGroup', {
    Type: 'AWS::AutoScaling::AutoScalingGroup',
    Properties: {
      MinSize: String(compute.min),
      MaxSize: String(compute.max),
      // The starting size; the capacity provider's managed scaling adjusts it afterwards.
      DesiredCapacity: String(compute.desired),
      VPCZoneIdentifier: subnetIds,
      LaunchTemplate: { LaunchTemplateId: ref('LaunchTemplate'), Version: getAtt('LaunchTemplate', 'LatestVersionNumber') },
      // No scale-in protection: with it, ECS's managed termination protection would keep instances
      // that still run tasks, and deleting the stack (a rollback) could hang on them.
      NewInstancesProtectedFromScaleIn: false,
      Tags: [nameTag(b.stackName)],
    },
  });
  const capacityProvider = b.resource('CapacityProvider', {
    Type: 'AWS::ECS::CapacityProvider',
    Properties: {
      AutoScalingGroupProvider: {
        AutoScalingGroupArn: autoScalingGroup,
        ManagedScaling: { Status: 'ENABLED', TargetCapacity: 100 },
        ManagedTerminationProtection: 'DISABLED',
        // No managed draining. With it, ECS puts a termination lifecycle hook on the group (heartbeat
        // 3600 s, default CONTINUE) that only ECS completes; CloudFormation must delete the capacity
        // provider before the group it names (no DependsOn can turn that round), so on delete the
        // hook outlives its handler and every instance waits in Terminating:Wait for the heartbeat,
        // stalling the group's deletion (and a rollback) by up to an hour. Decision 0015.
        ManagedDraining: 'DISABLED',
      },
      Tags: [nameTag(b.stackName)],
    },
  });
  b.resource('ClusterCapacityProviders', {
    Type: 'AWS::ECS::ClusterCapacityProviderAssociations',
    Properties: {
      Cluster: cluster,
      CapacityProviders: [capacityProvider],
      DefaultCapacityProviderStrategy: [{ CapacityProvider: capacityProvider, Weight: 1, Base: 0 }],
    },
  });

  b.output(ClusterOutputs.ClusterName, cluster, 'ECS cluster name');
  b.output(ClusterOutputs.ClusterArn, getAtt('Cluster', 'Arn'), 'ECS cluster ARN');
  b.output(ClusterOutputs.CapacityProviderName, capacityProvider, 'Capacity provider for services and tasks');
  b.output(ClusterOutputs.AutoScalingGroupName, autoScalingGroup, 'Auto-scaling group of the container instances');
  return b.build();
}
