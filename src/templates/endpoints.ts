import type { ComponentTemplate, StackTemplateInput } from './component-template';
import { sub } from './intrinsics';
import { NetworkOutputs } from './network';
import { SecurityOutputs } from './security';
import { nameTag } from './tags';
import { TemplateBuilder } from './template-builder';

/**
 * The endpoints component: interface VPC endpoints in the private subnets, with private DNS, so that
 * ECS on EC2 works with no NAT at all: the agent registers (ecs, ecs-agent, ecs-telemetry), images
 * come from ECR (ecr.api, ecr.dkr; layers from S3 through the network's gateway endpoint), logs go
 * to CloudWatch Logs, task roles get credentials (sts) and tasks read their database secret
 * (secretsmanager). Deployed whenever nat is none, or when asked for (they also keep that traffic
 * off a NAT's per-GB charge).
 */
export const INTERFACE_ENDPOINT_SERVICES = [
  { service: 'secretsmanager', logicalId: 'SecretsManagerEndpoint' },
  { service: 'ecr.api', logicalId: 'EcrApiEndpoint' },
  { service: 'ecr.dkr', logicalId: 'EcrDockerEndpoint' },
  { service: 'logs', logicalId: 'LogsEndpoint' },
  { service: 'sts', logicalId: 'StsEndpoint' },
  { service: 'ecs', logicalId: 'EcsEndpoint' },
  { service: 'ecs-agent', logicalId: 'EcsAgentEndpoint' },
  { service: 'ecs-telemetry', logicalId: 'EcsTelemetryEndpoint' },
] as const;

export function buildEndpointsTemplate(input: StackTemplateInput): ComponentTemplate {
  const b = new TemplateBuilder('endpoints', input, 'interface VPC endpoints for ECS, ECR, CloudWatch Logs, STS and Secrets Manager');
  const vpcId = b.fromOutput('network', NetworkOutputs.VpcId, 'AWS::EC2::VPC::Id');
  const subnetIds = b.fromOutput('network', NetworkOutputs.PrivateSubnetIds, 'List<AWS::EC2::Subnet::Id>');
  const securityGroupId = b.fromOutput('security', SecurityOutputs.EndpointsSecurityGroupId, 'AWS::EC2::SecurityGroup::Id');

  for (const { service, logicalId } of INTERFACE_ENDPOINT_SERVICES) {
    b.resource(logicalId, {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcId: vpcId,
        VpcEndpointType: 'Interface',
        ServiceName: sub(`com.amazonaws.\${AWS::Region}.${service}`),
        SubnetIds: subnetIds,
        SecurityGroupIds: [securityGroupId],
        // The service's usual name resolves to the endpoint inside the VPC: no client changes.
        PrivateDnsEnabled: true,
        Tags: [nameTag(`${b.stackName}-${service}`)],
      },
    });
    b.output(logicalId, { Ref: logicalId }, `Interface endpoint for ${service}`);
  }
  return b.build();
}
