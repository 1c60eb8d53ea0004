/**
 * How long CloudFormation usually takes to create and to delete a resource of each type, in
 * seconds, in us-east-1, as of 2026. One table for three users: the stack workflow sizes its
 * waits from it (src/stacks/workflow/component-timing.ts), the sandbox account takes this long
 * (times its speed) for every resource it creates or deletes (local/sandbox), and the benchmarks
 * compute their lower bounds from it (bench/). It lives here, in src/, so production code never
 * imports from local/.
 *
 * Where the figures come from (rounded to a typical run, not a best case):
 * - AWS's own statements: RDS "DB instance creation can take several minutes" and Multi-AZ takes
 *   longer (RDS User Guide, "Creating an Amazon RDS DB instance"); an Application Load Balancer is
 *   "provisioning" for a few minutes before "active" (ELB User Guide); a NAT gateway is "pending"
 *   then "available", usually within a few minutes (VPC User Guide, "NAT gateways"); CloudFormation's
 *   stabilisation waits and the CONFIGURATION_COMPLETE event (AWS DevOps Blog, "How we sped up AWS
 *   CloudFormation deployments with optimistic stabilization", March 2024).
 * - Public stack-event and `terraform apply` logs of the same resources (e.g. aws_nat_gateway
 *   "Creation complete after 1m45s", aws_db_instance 5–8 min for a small single-AZ PostgreSQL,
 *   aws_lb ~3 min, aws_iam_instance_profile's long-standing ~2 min propagation wait).
 * - The component durations the workflow assumed before it read this table (RDS ~8 min, an ALB ~3,
 *   a NAT gateway ~2): the critical paths of the component templates land near those figures.
 * A type not listed takes DEFAULT_TIMING. Custom resources take only the delivery overhead here:
 * the rest is the real time their handler takes to answer.
 */
export const TIMING_AS_OF = '2026-11';

export interface ResourceTiming {
  create: number;
  delete: number;
}

export const DEFAULT_TIMING: ResourceTiming = { create: 10, delete: 5 };

/** Delivery of a custom-resource request to its topic; the handler's own time comes on top. */
export const CUSTOM_RESOURCE_TIMING: ResourceTiming = { create: 1, delete: 1 };

export const RESOURCE_TIMING: Readonly<Record<string, ResourceTiming>> = {
  // Networking: quick API calls, except what waits for capacity or propagation.
  'AWS::EC2::VPC': { create: 5, delete: 5 },
  'AWS::EC2::Subnet': { create: 5, delete: 5 },
  'AWS::EC2::InternetGateway': { create: 10, delete: 5 },
  'AWS::EC2::VPCGatewayAttachment': { create: 15, delete: 15 },
  'AWS::EC2::EgressOnlyInternetGateway': { create: 5, delete: 5 },
  'AWS::EC2::RouteTable': { create: 5, delete: 5 },
  'AWS::EC2::Route': { create: 5, delete: 5 },
  'AWS::EC2::SubnetRouteTableAssociation': { create: 5, delete: 5 },
  'AWS::EC2::SecurityGroup': { create: 5, delete: 5 },
  'AWS::EC2::SecurityGroupIngress': { create: 3, delete: 2 },
  'AWS::EC2::SecurityGroupEgress': { create: 3, delete: 2 },
  'AWS::EC2::NetworkAcl': { create: 5, delete: 5 },
  'AWS::EC2::NetworkAclEntry': { create: 3, delete: 3 },
  'AWS::EC2::EIP': { create: 5, delete: 5 },
  'AWS::EC2::NatGateway': { create: 100, delete: 60 },
  'AWS::EC2::NetworkInterface': { create: 5, delete: 5 },
  'AWS::EC2::LaunchTemplate': { create: 5, delete: 2 },
  'AWS::EC2::FlowLog': { create: 10, delete: 5 },
  'AWS::EC2::Instance': { create: 40, delete: 45 },
  'AWS::EC2::Volume': { create: 10, delete: 10 },
  // A gateway endpoint (the default type) is a route; interface endpoints take longer (see variant).
  'AWS::EC2::VPCEndpoint': { create: 5, delete: 5 },
  'AWS::EC2::TransitGateway': { create: 180, delete: 120 },
  // Load balancing.
  'AWS::ElasticLoadBalancingV2::LoadBalancer': { create: 180, delete: 30 },
  'AWS::ElasticLoadBalancingV2::TargetGroup': { create: 10, delete: 5 },
  'AWS::ElasticLoadBalancingV2::Listener': { create: 5, delete: 5 },
  'AWS::ElasticLoadBalancingV2::ListenerRule': { create: 5, delete: 5 },
  // Compute.
  'AWS::AutoScaling::AutoScalingGroup': { create: 70, delete: 120 },
  'AWS::AutoScaling::LaunchConfiguration': { create: 5, delete: 5 },
  'AWS::ECS::Cluster': { create: 10, delete: 5 },
  'AWS::ECS::CapacityProvider': { create: 5, delete: 5 },
  'AWS::ECS::ClusterCapacityProviderAssociations': { create: 10, delete: 10 },
  'AWS::ECS::TaskDefinition': { create: 5, delete: 2 },
  'AWS::ECS::Service': { create: 120, delete: 120 },
  'AWS::Lambda::Function': { create: 15, delete: 5 },
  'AWS::Lambda::Permission': { create: 3, delete: 3 },
  'AWS::EKS::Cluster': { create: 600, delete: 300 },
  // Databases and caches.
  'AWS::RDS::DBInstance': { create: 480, delete: 360 },
  'AWS::RDS::DBSubnetGroup': { create: 5, delete: 5 },
  'AWS::RDS::DBParameterGroup': { create: 5, delete: 5 },
  'AWS::RDS::DBCluster': { create: 240, delete: 300 },
  'AWS::ElastiCache::ReplicationGroup': { create: 600, delete: 400 },
  'AWS::ElastiCache::SubnetGroup': { create: 5, delete: 5 },
  'AWS::DynamoDB::Table': { create: 20, delete: 15 },
  // Identity: CloudFormation waits for IAM to propagate.
  'AWS::IAM::Role': { create: 15, delete: 5 },
  'AWS::IAM::Policy': { create: 15, delete: 5 },
  'AWS::IAM::ManagedPolicy': { create: 10, delete: 5 },
  'AWS::IAM::InstanceProfile': { create: 120, delete: 5 },
  'AWS::IAM::User': { create: 10, delete: 5 },
  // Secrets, keys, configuration.
  'AWS::SecretsManager::Secret': { create: 5, delete: 5 },
  'AWS::SecretsManager::SecretTargetAttachment': { create: 5, delete: 5 },
  'AWS::KMS::Key': { create: 10, delete: 5 },
  'AWS::KMS::Alias': { create: 3, delete: 3 },
  'AWS::SSM::Parameter': { create: 3, delete: 3 },
  'AWS::CertificateManager::Certificate': { create: 300, delete: 10 },
  // DNS and service discovery: a private namespace is a Route 53 hosted zone.
  'AWS::ServiceDiscovery::PrivateDnsNamespace': { create: 50, delete: 45 },
  'AWS::ServiceDiscovery::PublicDnsNamespace': { create: 50, delete: 45 },
  'AWS::ServiceDiscovery::Service': { create: 5, delete: 5 },
  'AWS::Route53::HostedZone': { create: 45, delete: 45 },
  'AWS::Route53::RecordSet': { create: 45, delete: 45 },
  // API Gateway: a VPC link waits for its ENIs.
  'AWS::ApiGatewayV2::Api': { create: 5, delete: 5 },
  'AWS::ApiGatewayV2::Stage': { create: 5, delete: 5 },
  'AWS::ApiGatewayV2::Route': { create: 3, delete: 3 },
  'AWS::ApiGatewayV2::Integration': { create: 3, delete: 3 },
  'AWS::ApiGatewayV2::VpcLink': { create: 120, delete: 60 },
  'AWS::ApiGateway::RestApi': { create: 5, delete: 5 },
  // Messaging, events, storage, logs.
  'AWS::SNS::Topic': { create: 10, delete: 10 },
  'AWS::SNS::Subscription': { create: 5, delete: 5 },
  'AWS::SQS::Queue': { create: 10, delete: 10 },
  'AWS::Events::Rule': { create: 10, delete: 5 },
  'AWS::Events::EventBus': { create: 5, delete: 5 },
  'AWS::StepFunctions::StateMachine': { create: 5, delete: 5 },
  'AWS::S3::Bucket': { create: 20, delete: 10 },
  'AWS::Logs::LogGroup': { create: 3, delete: 3 },
  'AWS::CloudWatch::Alarm': { create: 3, delete: 3 },
  'AWS::CloudFront::Distribution': { create: 300, delete: 300 },
  // CloudFormation's own.
  'AWS::CloudFormation::WaitConditionHandle': { create: 1, delete: 1 },
  'AWS::CloudFormation::WaitCondition': { create: 1, delete: 1 },
};

/**
 * A resource whose CreationPolicy waits for signals (src/cfn/creation-policy.ts) completes once its
 * instance signals, about this long after the resource starts: the instance launches (the table's
 * AWS::EC2::Instance, 40 s), boots and runs its user data (for the NAT instance about 50 s more:
 * the interface attach and the checks, and, on an image without a netfilter tool, a swap file and
 * a small package install). The sandbox's instances signal this long after their resource starts.
 */
export const INSTANCE_SIGNAL_SECONDS = 90;

/** Resources of one type that take notably different times depending on a property. */
function variant(type: string, properties: Record<string, unknown> | undefined): ResourceTiming | undefined {
  // Interface endpoints place an ENI in every subnet and wait for their private DNS.
  if (type === 'AWS::EC2::VPCEndpoint' && (properties?.['VpcEndpointType'] === 'Interface' || properties?.['VpcEndpointType'] === 'GatewayLoadBalancer')) {
    return { create: 90, delete: 60 };
  }
  if (type === 'AWS::RDS::DBInstance' && (properties?.['MultiAZ'] === true || properties?.['MultiAZ'] === 'true')) return { create: 900, delete: 600 };
  return undefined;
}

function isCustom(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/**
 * How long CloudFormation usually takes to update a resource in place, in seconds, as of 2026-12.
 * Most in-place updates are one modify call and CloudFormation's stabilisation wait: a few seconds
 * (public `terraform apply` logs of the same calls, e.g. aws_sqs_queue and aws_ssm_parameter
 * "Modifications complete after 1s–3s"), so a type not listed takes its create time, at most
 * MAX_DEFAULT_UPDATE_SECONDS. The types listed wait for something slower than the call:
 * - an ECS service's update is a deployment: new tasks start, pass health checks and the old ones
 *   drain (ECS Developer Guide, "Rolling update"; the deployment circuit breaker waits for it), about
 *   as long as the service's create;
 * - an RDS instance's modify applied immediately (a class or storage change) runs for minutes
 *   (RDS User Guide, "Modifying an Amazon RDS DB instance"; terraform aws_db_instance
 *   "Modifications complete after 5m–10m");
 * - an auto-scaling group's rolling replacement (UpdatePolicy) launches new instances; a CloudFront
 *   distribution redeploys to every edge location ("Deployed" status, CloudFront Developer Guide);
 *   an ElastiCache replication group's modify applies node by node.
 */
export const UPDATE_TIMING: Readonly<Record<string, number>> = {
  'AWS::ECS::Service': 120,
  'AWS::RDS::DBInstance': 360,
  'AWS::RDS::DBCluster': 240,
  'AWS::AutoScaling::AutoScalingGroup': 70,
  'AWS::CloudFront::Distribution': 300,
  'AWS::ElastiCache::ReplicationGroup': 400,
  'AWS::EKS::Cluster': 600,
};
export const MAX_DEFAULT_UPDATE_SECONDS = 10;

export type ResourceOperation = 'create' | 'update' | 'delete';

/**
 * Typical seconds CloudFormation takes for one resource, unscaled. With its (resolved) properties,
 * the variants that depend on them are told apart (a gateway VPC endpoint, a Multi-AZ database).
 */
export function resourceSeconds(type: string, operation: ResourceOperation, properties?: Record<string, unknown>): number {
  const timing = variant(type, properties) ?? (isCustom(type) ? CUSTOM_RESOURCE_TIMING : RESOURCE_TIMING[type]) ?? DEFAULT_TIMING;
  if (operation === 'update') return UPDATE_TIMING[type] ?? Math.min(timing.create, MAX_DEFAULT_UPDATE_SECONDS);
  return timing[operation];
}
