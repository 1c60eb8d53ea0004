import { handlerReturnedMessage } from '../iam/access-denied';
import type { AccountRegistry } from './account-registry';
import { EC2_INSTANCE_TYPES } from './data/ec2-instance-types';
import { CREATE_BLOCKED_RUNTIMES, LAMBDA_RUNTIMES, LAMBDA_RUNTIMES_AS_OF, RECOMMENDED_RUNTIMES } from './data/lambda-runtimes';
import { launchedType } from './region-checks';
import { availabilityZoneNames } from './region-offerings';
import type { StackRecord } from './sandbox-state';
import { subnetCidrRefusal, vpcCidrRefusal } from './value-cidr';
import { isRecord, policyGrammarRefusal } from './value-iam-policy';
import { keyPolicyLockoutRefusal } from './value-kms';
import { bucketNameRefusal, iamNameRefusal, IAM_NAME_LIMITS, loadBalancingNameRefusal, queueNameRefusal, type NameRefusal } from './value-names';
import { rdsInstanceRefusal } from './value-rds';

/**
 * What a resource's service refuses because a value is not one AWS accepts, as CloudFormation
 * reports it, or undefined: an instance type that does not exist, an EBS volume's AZ the region
 * lacks, an RDS engine, class, version or password RDS refuses, a VPC or subnet CIDR block EC2
 * refuses, a name S3, SQS, IAM, Elastic Load Balancing or RDS refuses, a Lambda runtime Lambda does
 * not know or no longer creates, an IAM policy document IAM cannot parse, a DynamoDB key schema on
 * attributes it does not define, a KMS key policy that locks everyone out. Values only: whether a
 * referenced thing exists, or what the region offers an instance or a database, is checked elsewhere.
 * Each check cites AWS's words where it is made (data/README.md, "Values AWS validates").
 */
export function valueRefusal(stack: StackRecord, type: string, properties: Record<string, unknown>, accounts: AccountRegistry, uuid: (purpose: string) => string): string | undefined {
  const failed = (message: string, service: string) =>
    handlerReturnedMessage(message, service, { status: 400, requestId: uuid('request'), requestToken: uuid('request-token'), handlerErrorCode: 'InvalidRequest' });
  const named = (refusal: NameRefusal | undefined) => (refusal === undefined ? undefined : refusal.service === undefined ? refusal.message : failed(refusal.message, refusal.service));
  const refusedBy = (service: string, message: string | undefined) => (message === undefined ? undefined : failed(message, service));

  switch (type) {
    case 'AWS::EC2::Instance': {
      const instanceType = text(properties['InstanceType']);
      // RunInstances: "Invalid value 'e' for InstanceType." (ansible/workshops#2000, server AmazonEC2).
      return instanceType === undefined || EC2_INSTANCE_TYPES.has(instanceType) ? undefined : failed(`Invalid value '${instanceType}' for InstanceType.`, 'ec2');
    }
    case 'AWS::AutoScaling::AutoScalingGroup': {
      // EC2 takes any type into a launch template; the group refuses it (a stack event quoted in the
      // code corpus: "You must use a valid fully-formed launch template. Invalid value 'm5.medium' for
      // InstanceType. (Service: AmazonAutoScaling; Status Code: 400; Error Code: ValidationError …)").
      const instanceType = launchedType(stack, properties, accounts);
      return instanceType === undefined || EC2_INSTANCE_TYPES.has(instanceType)
        ? undefined
        : failed(`You must use a valid fully-formed launch template. Invalid value '${instanceType}' for InstanceType.`, 'autoscaling');
    }
    case 'AWS::EC2::Volume': {
      // CreateVolume in an AZ the region lacks: InvalidZone.NotFound "The zone 'us-west-2a' does not
      // exist." (hashicorp/terraform#6110). A region outside the data is not checked.
      const zone = text(properties['AvailabilityZone']);
      const zones = availabilityZoneNames(stack.region);
      return zone === undefined || zones.length === 0 || zones.includes(zone) ? undefined : failed(`The zone '${zone}' does not exist.`, 'ec2');
    }
    case 'AWS::EC2::VPC': {
      const cidrBlock = text(properties['CidrBlock']);
      return refusedBy('ec2', cidrBlock === undefined ? undefined : vpcCidrRefusal(cidrBlock));
    }
    case 'AWS::EC2::Subnet':
      return refusedBy('ec2', subnetCidrRefusal(stack, properties, accounts));
    case 'AWS::RDS::DBInstance':
      return refusedBy('rds', rdsInstanceRefusal(properties));
    case 'AWS::S3::Bucket': {
      const name = text(properties['BucketName']);
      return named(name === undefined ? undefined : bucketNameRefusal(name));
    }
    case 'AWS::SQS::Queue': {
      const name = text(properties['QueueName']);
      const fifo = properties['FifoQueue'] === true || properties['FifoQueue'] === 'true';
      return named(name === undefined ? undefined : queueNameRefusal(name, fifo));
    }
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
    case 'AWS::ElasticLoadBalancingV2::TargetGroup': {
      const name = text(properties['Name']);
      return named(name === undefined ? undefined : loadBalancingNameRefusal(type.endsWith('TargetGroup') ? 'target group' : 'load balancer', name));
    }
    case 'AWS::Lambda::Function':
      return refusedBy('lambda', properties['PackageType'] === 'Image' ? undefined : runtimeRefusal(text(properties['Runtime'])));
    case 'AWS::DynamoDB::Table':
      return keySchemaRefusal(properties);
    case 'AWS::KMS::Key':
      return refusedBy('kms', keyPolicyLockoutRefusal(properties));
    default:
      return type.startsWith('AWS::IAM::') ? named(iamRefusal(properties)) : undefined;
  }
}

/**
 * An IAM resource's names (its own and its inline policies') and policy documents: AWS::IAM::Role,
 * User and Group with `Policies`, AWS::IAM::Policy, ManagedPolicy, RolePolicy, UserPolicy, GroupPolicy,
 * InstanceProfile. The trust policy (AssumeRolePolicyDocument) is not checked: its grammar differs.
 */
function iamRefusal(properties: Record<string, unknown>): NameRefusal | undefined {
  for (const property of Object.keys(IAM_NAME_LIMITS)) {
    const name = text(properties[property]);
    const refused = name === undefined ? undefined : iamNameRefusal(property, name);
    if (refused !== undefined) return refused;
  }
  const inline = Array.isArray(properties['Policies']) ? (properties['Policies'] as unknown[]) : [];
  const documents = [properties['PolicyDocument'], ...inline.map((policy) => (isRecord(policy) ? policy['PolicyDocument'] : undefined))];
  for (const policy of inline) {
    const name = isRecord(policy) ? text(policy['PolicyName']) : undefined;
    const refused = name === undefined ? undefined : iamNameRefusal('PolicyName', name);
    if (refused !== undefined) return refused;
  }
  for (const document of documents) {
    const refused = document === undefined ? undefined : policyGrammarRefusal(document);
    if (refused !== undefined) return { message: refused, service: 'iam' };
  }
  return undefined;
}

/**
 * Lambda's answer for a runtime it does not know (the Runtime enum, data/lambda-runtimes.ts) or no
 * longer creates functions with. Lambda's words: "Value nodejs12.xa at 'runtime' failed to satisfy
 * constraint: Member must satisfy enum value set: […] or be a valid ARN" (the order of the set in
 * Lambda's answer is not known; the sandbox lists the API model's order), and "The runtime parameter
 * of python2.7 is no longer supported for creating or updating AWS Lambda functions. We recommend you
 * use the new runtime (python3.9) while creating or updating functions." (aws-samples/amazon-serverless-datalake-workshop#4,
 * aws-samples/aws-cdk-examples#1003).
 */
function runtimeRefusal(runtime: string | undefined): string | undefined {
  if (runtime === undefined || runtime.startsWith('arn:')) return undefined;
  if (!LAMBDA_RUNTIMES.includes(runtime)) {
    return `Value ${runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${LAMBDA_RUNTIMES.join(', ')}] or be a valid ARN`;
  }
  const blocked = CREATE_BLOCKED_RUNTIMES[runtime];
  // The data speaks as of its date: a block dated later is not in force yet.
  if (blocked === undefined || blocked.createBlockedFrom > LAMBDA_RUNTIMES_AS_OF) return undefined;
  const family = /^[a-z]+/.exec(runtime.replace(/^dotnetcore/, 'dotnet'))?.[0] ?? runtime;
  const successor = RECOMMENDED_RUNTIMES[family] ?? 'provided.al2023';
  return `The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (${successor}) while creating or updating functions.`;
}

/**
 * DynamoDB: every key of the table's and its indexes' key schemas must be defined in
 * AttributeDefinitions, and every definition used by a key. CloudFormation's words: "Property
 * AttributeDefinitions is inconsistent with the KeySchema of the table and the secondary indexes"
 * (aws-cloudformation/cfn-lint#1037, quoting CloudFormation; DynamoDB's own "Some AttributeDefinitions
 * are not used" and "Some index key attribute have no definition" are quoted there too).
 */
function keySchemaRefusal(properties: Record<string, unknown>): string | undefined {
  const definitions = records(properties['AttributeDefinitions']).map((definition) => definition['AttributeName']);
  if (definitions.length === 0) return undefined;
  const indexes = [...records(properties['GlobalSecondaryIndexes']), ...records(properties['LocalSecondaryIndexes'])];
  const keys = [properties['KeySchema'], ...indexes.map((index) => index['KeySchema'])].flatMap(records).map((key) => key['AttributeName']);
  const consistent = keys.every((key) => definitions.includes(key)) && definitions.every((definition) => keys.includes(definition));
  return consistent ? undefined : 'Property AttributeDefinitions is inconsistent with the KeySchema of the table and the secondary indexes';
}

function records(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
