import type { CfnTemplate } from '../../src/cfn/template-types';
import { handlerReturnedMessage } from '../iam/access-denied';
import { valuesAt } from '../iam/handler-requests';
import type { AccountRegistry } from './account-registry';
import { publicImageIds } from './data/ssm-public-parameters';
import type { StackRecord } from './sandbox-state';
import { isListParameterType, TemplateEvaluator } from './template-evaluator';

/**
 * What a resource's service refuses because a thing its properties name does not exist in the
 * account and region, as CloudFormation reports it, or undefined. What exists: the live resources
 * of the account's stacks (AccountRegistry.liveResources), the key pairs made with EC2's
 * CreateKeyPair or ImportKeyPair, the ACM certificates seeded with `/_sandbox/certificates`, and the AMIs of the public parameters the sandbox models
 * (data/ssm-public-parameters.ts). Mirrors region-checks.ts.
 *
 * The services' words, as quoted with CloudFormation or the SDKs (data/README.md, "References"):
 * EC2's "The image id '[ami-…]' does not exist" (InvalidAMIID.NotFound, F5Networks/f5-aws-cloudformation-v2#58),
 * "The key pair '…' does not exist" (InvalidKeyPair.NotFound, hashicorp/vault-guides#260),
 * "The subnet ID '…' does not exist" (InvalidSubnetID.NotFound, boto/boto3#2398),
 * "The vpc ID '…' does not exist" (InvalidVpcID.NotFound, cloudposse/terraform-aws-msk-apache-kafka-cluster#79),
 * "The security group '…' does not exist" (InvalidGroup.NotFound, hashicorp/terraform#23499);
 * ECS's "Cluster not found." (ClusterNotFoundException, aws/aws-sdk-java#3093); Elastic Load
 * Balancing's "Certificate '…' not found" (CertificateNotFound, hashicorp/terraform-provider-aws#11334,
 * kubernetes-sigs/aws-load-balancer-controller#2581);
 * RDS's "Some input subnets in :[…] are invalid." (aws-samples/aws-cdk-examples#824);
 * Lambda's "Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. EC2
 * Error Message: …" (serverless/serverless#2973) and "Error occurred while GetObject. S3 Error Code:
 * NoSuchBucket. S3 Error Message: The specified bucket does not exist" for its code's bucket
 * (aws-solutions/aws-control-tower-customizations#188); Auto Scaling's "AMI … is invalid: The image id
 * '[…]' does not exist" for a launch configuration (benishak/lamp-aws-cloudformation#1).
 */

/** What EC2 itself looks up. */
type Ec2Kind = 'vpc' | 'subnet' | 'security-group' | 'image' | 'key-pair';
type Kind = Ec2Kind | 'ecs-cluster' | 'certificate' | 'bucket' | 'db-snapshot';

interface Reference {
  path: string;
  kind: Kind;
}

const ref = (path: string, kind: Kind): Reference => ({ path, kind });

/** Where each resource type names things that must exist, by property path (`A.*.B`: every element of list A). */
const REFERENCES: Readonly<Record<string, readonly Reference[]>> = {
  'AWS::EC2::Subnet': [ref('VpcId', 'vpc')],
  'AWS::EC2::SecurityGroup': [ref('VpcId', 'vpc'), ref('SecurityGroupIngress.*.SourceSecurityGroupId', 'security-group'), ref('SecurityGroupEgress.*.DestinationSecurityGroupId', 'security-group')],
  'AWS::EC2::RouteTable': [ref('VpcId', 'vpc')],
  'AWS::EC2::VPCGatewayAttachment': [ref('VpcId', 'vpc')],
  'AWS::EC2::VPCEndpoint': [ref('VpcId', 'vpc'), ref('SubnetIds.*', 'subnet'), ref('SecurityGroupIds.*', 'security-group')],
  'AWS::EC2::SubnetRouteTableAssociation': [ref('SubnetId', 'subnet')],
  'AWS::EC2::NatGateway': [ref('SubnetId', 'subnet')],
  'AWS::EC2::NetworkInterface': [ref('SubnetId', 'subnet'), ref('GroupSet.*', 'security-group')],
  'AWS::EC2::SecurityGroupIngress': [ref('GroupId', 'security-group'), ref('SourceSecurityGroupId', 'security-group')],
  'AWS::EC2::SecurityGroupEgress': [ref('GroupId', 'security-group'), ref('DestinationSecurityGroupId', 'security-group')],
  'AWS::EC2::Instance': [
    ref('ImageId', 'image'),
    ref('KeyName', 'key-pair'),
    ref('SubnetId', 'subnet'),
    ref('SecurityGroupIds.*', 'security-group'),
    ref('NetworkInterfaces.*.SubnetId', 'subnet'),
    ref('NetworkInterfaces.*.GroupSet.*', 'security-group'),
  ],
  'AWS::AutoScaling::LaunchConfiguration': [ref('ImageId', 'image'), ref('KeyName', 'key-pair')],
  'AWS::AutoScaling::AutoScalingGroup': [ref('VPCZoneIdentifier.*', 'subnet')],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': [ref('Subnets.*', 'subnet'), ref('SubnetMappings.*.SubnetId', 'subnet'), ref('SecurityGroups.*', 'security-group')],
  'AWS::ElasticLoadBalancingV2::TargetGroup': [ref('VpcId', 'vpc')],
  'AWS::ElasticLoadBalancingV2::Listener': [ref('Certificates.*.CertificateArn', 'certificate')],
  'AWS::ElasticLoadBalancingV2::ListenerCertificate': [ref('Certificates.*.CertificateArn', 'certificate')],
  'AWS::RDS::DBSubnetGroup': [ref('SubnetIds.*', 'subnet')],
  // A DB instance restored from a snapshot (RestoreDBInstanceFromDBSnapshot): the snapshot must exist.
  'AWS::RDS::DBInstance': [ref('DBSnapshotIdentifier', 'db-snapshot')],
  'AWS::ECS::Service': [ref('Cluster', 'ecs-cluster')],
  'AWS::ECS::ClusterCapacityProviderAssociations': [ref('Cluster', 'ecs-cluster')],
  'AWS::Lambda::Function': [ref('Code.S3Bucket', 'bucket'), ref('VpcConfig.SubnetIds.*', 'subnet'), ref('VpcConfig.SecurityGroupIds.*', 'security-group')],
};

/** EC2's own words for a thing of that kind that does not exist. */
const EC2_NOT_FOUND: Readonly<Record<Ec2Kind, (id: string) => string>> = {
  vpc: (id) => `The vpc ID '${id}' does not exist`,
  subnet: (id) => `The subnet ID '${id}' does not exist`,
  'security-group': (id) => `The security group '${id}' does not exist`,
  image: (id) => `The image id '[${id}]' does not exist`,
  'key-pair': (name) => `The key pair '${name}' does not exist`,
};

const LAMBDA_DESCRIBE: Readonly<Partial<Record<Kind, string>>> = {
  subnet: 'DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound',
  'security-group': 'DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound',
};

export function referenceRefusal(stack: StackRecord, type: string, properties: Record<string, unknown>, accounts: AccountRegistry, uuid: (purpose: string) => string): string | undefined {
  const failed = (message: string, service: string) =>
    handlerReturnedMessage(message, service, { status: 400, requestId: uuid('request'), requestToken: uuid('request-token'), handlerErrorCode: 'InvalidRequest' });
  const exists = existence(stack, accounts);
  for (const { path, kind } of REFERENCES[type] ?? []) {
    // An ECS service that names no cluster runs in the account's `default` cluster, which must exist too.
    const values = kind === 'ecs-cluster' && properties[path] === undefined ? ['default'] : valuesAt(properties, path);
    const missing = values.filter((value) => !exists(kind, value));
    const first = missing[0];
    if (first === undefined) continue;
    if (kind === 'ecs-cluster') return failed('Cluster not found.', 'ecs');
    if (kind === 'certificate') return failed(`Certificate '${first}' not found`, 'elasticloadbalancing');
    if (kind === 'bucket') return failed('Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist', 'lambda');
    // RDS's DBSnapshotNotFound (404), worded as RDS answered it in aws/aws-cli#8296 (2023).
    if (kind === 'db-snapshot') return handlerReturnedMessage(`DBSnapshot not found: ${first}`, 'rds', { status: 404, requestId: uuid('request'), requestToken: uuid('request-token'), handlerErrorCode: 'NotFound' });
    if (type === 'AWS::RDS::DBSubnetGroup') return failed(`Some input subnets in :[${values.join(', ')}] are invalid.`, 'rds');
    if (type === 'AWS::Lambda::Function') return failed(`Error occurred while ${LAMBDA_DESCRIBE[kind] ?? ''}. EC2 Error Message: ${EC2_NOT_FOUND[kind](first)}`, 'lambda');
    if (type === 'AWS::AutoScaling::LaunchConfiguration' && kind === 'image') return failed(`AMI ${first} is invalid: ${EC2_NOT_FOUND.image(first)}`, 'autoscaling');
    // Auto Scaling and Elastic Load Balancing look the subnets up in EC2 and pass on its words; what
    // exactly they answer is not quoted in any source found (closest documented wording).
    const service = type.startsWith('AWS::AutoScaling::') ? 'autoscaling' : type.startsWith('AWS::ElasticLoadBalancingV2::') ? 'elasticloadbalancing' : 'ec2';
    return failed(EC2_NOT_FOUND[kind](first), service);
  }
  return type === 'AWS::AutoScaling::AutoScalingGroup' ? launchTemplateRefusal(stack, properties, accounts, exists, failed) : undefined;
}

/**
 * An auto-scaling group checks its launch template as it is created, in EC2's words after its own:
 * "You must use a valid fully-formed launch template. Value () for parameter groupId is invalid. The
 * value cannot be empty" (ryanmurakami/hbfl#58, a ValidationError of CreateAutoScalingGroup). The
 * launch template alone is accepted, as EC2 accepts it. Only a template named by id is looked up.
 */
function launchTemplateRefusal(
  stack: StackRecord,
  properties: Record<string, unknown>,
  accounts: AccountRegistry,
  exists: (kind: Kind, id: string) => boolean,
  failed: (message: string, service: string) => string,
): string | undefined {
  const id = valuesAt(properties, 'LaunchTemplate.LaunchTemplateId')[0];
  const data = id === undefined ? undefined : accounts.liveResourceOfType(stack.account, stack.region, 'AWS::EC2::LaunchTemplate', id)?.properties?.['LaunchTemplateData'];
  if (typeof data !== 'object' || data === null) return undefined;
  const checked: Array<{ path: string; kind: Ec2Kind }> = [
    { path: 'ImageId', kind: 'image' },
    { path: 'KeyName', kind: 'key-pair' },
    { path: 'SecurityGroupIds.*', kind: 'security-group' },
    { path: 'NetworkInterfaces.*.Groups.*', kind: 'security-group' },
  ];
  for (const { path, kind } of checked) {
    const missing = valuesAt(data as Record<string, unknown>, path).find((value) => !exists(kind, value));
    if (missing !== undefined) return failed(`You must use a valid fully-formed launch template. ${EC2_NOT_FOUND[kind](missing)}`, 'autoscaling');
  }
  return undefined;
}

/**
 * AWS-specific parameter types whose values must name a thing of the account and region
 * ("AWS-specific parameter types", CloudFormation User Guide): CloudFormation starts the stack and
 * rolls it back at once, "Parameter validation failed: parameter value no-such-key for parameter
 * name KeyName does not exist. Rollback requested by user." (a stack event, as quoted in
 * aws/amazon-ecs-cli#236, PacktPublishing/Implementing-DevOps-on-AWS#2, doccano/doccano#2307).
 * The reason without "Rollback requested by user.", or undefined.
 */
export function parameterRefusal(template: CfnTemplate, parameters: Record<string, string>, stack: Pick<StackRecord, 'account' | 'region'>, accounts: AccountRegistry): string | undefined {
  const exists = existence(stack, accounts);
  for (const [key, definition] of Object.entries(template.Parameters ?? {})) {
    const elementType = isListParameterType(definition.Type) ? definition.Type.replace(/^List<(.*)>$/, '$1') : definition.Type;
    const kind = PARAMETER_KINDS[elementType];
    if (kind === undefined) continue;
    const values = isListParameterType(definition.Type) ? (parameters[key] ?? '').split(',').map((value) => value.trim()) : [parameters[key] ?? ''];
    const missing = values.find((value) => !exists(kind, value));
    if (missing !== undefined) return `Parameter validation failed: parameter value ${missing} for parameter name ${key} does not exist.`;
  }
  return undefined;
}

const PARAMETER_KINDS: Readonly<Record<string, Kind>> = {
  'AWS::EC2::KeyPair::KeyName': 'key-pair',
  'AWS::EC2::VPC::Id': 'vpc',
  'AWS::EC2::Subnet::Id': 'subnet',
  'AWS::EC2::SecurityGroup::Id': 'security-group',
  'AWS::EC2::Image::Id': 'image',
};

/** The key pair names of the account and region: made with the EC2 API, or by a live AWS::EC2::KeyPair. */
export function keyPairNames(accounts: AccountRegistry, account: string, region: string): string[] {
  const made = accounts.held(account, 'keyPairs').filter((pair) => pair.region === region).map((pair) => pair.keyName);
  const stacks = [...accounts.liveResources(account, region)].filter(({ resource }) => resource.type === 'AWS::EC2::KeyPair').map(({ resource }) => resource.physicalId ?? '');
  return [...made, ...stacks];
}

/** Whether a thing of that kind and id exists in the stack's account and region. */
function existence(stack: Pick<StackRecord, 'account' | 'region'>, accounts: AccountRegistry): (kind: Kind, id: string) => boolean {
  const { account, region } = stack;
  const live = () => [...accounts.liveResources(account, region)];
  const liveOfType = (type: string, id: string) => live().some(({ resource }) => resource.type === type && resource.physicalId === id);
  return (kind, id) => {
    switch (kind) {
      case 'vpc':
        return liveOfType('AWS::EC2::VPC', id);
      case 'subnet':
        return liveOfType('AWS::EC2::Subnet', id);
      case 'security-group':
        return liveOfType('AWS::EC2::SecurityGroup', id) || live().some(({ stack: owner, resource }) => resource.type === 'AWS::EC2::VPC' && defaultSecurityGroup(owner, resource.logicalId) === id);
      case 'image':
        return publicImageIds(region).has(id);
      case 'key-pair':
        return keyPairNames(accounts, account, region).includes(id);
      case 'ecs-cluster': {
        const arn = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):cluster\/(.+)$/.exec(id);
        if (arn !== null && (arn[1] !== region || arn[2] !== account)) return false;
        return liveOfType('AWS::ECS::Cluster', arn?.[3] ?? id);
      }
      case 'certificate': {
        // An IAM server certificate (arn:aws:iam::…:server-certificate/…) is not checked: the sandbox has no IAM certificates.
        if (/^arn:aws[a-z-]*:iam::/.test(id)) return true;
        // ACM certificates are regional: one seeded in another region is not there.
        return liveOfType('AWS::CertificateManager::Certificate', id) || accounts.held(account, 'certificates').some((certificate) => certificate.arn === id && id.split(':')[3] === region);
      }
      case 'db-snapshot':
        // By identifier (RDS keeps them lower case) or ARN, in the stack's account and region.
        return accounts.held(account, 'dbSnapshots').some((snapshot) => snapshot.kind === 'instance' && snapshot.region === region && (snapshot.identifier === id.toLowerCase() || snapshot.arn === id));
      case 'bucket':
        // Bucket names are global: a bucket of any account counts (its region and the object are not checked).
        return accounts.liveAnywhere('AWS::S3::Bucket', id);
    }
  };
}

/** The security group EC2 makes with a VPC (its DefaultSecurityGroup), as the template evaluator names it. */
function defaultSecurityGroup(stack: StackRecord, vpcLogicalId: string): string {
  const identity = { stackId: stack.stackId, stackName: stack.stackName, account: stack.account, region: stack.region, parameters: {} };
  return String(new TemplateEvaluator({ Resources: { [vpcLogicalId]: { Type: 'AWS::EC2::VPC' } } }, identity).attribute(vpcLogicalId, 'DefaultSecurityGroup'));
}
