import { CreateStackCommand, DescribeStacksCommand, type Capability, type CloudFormationClient, type Parameter } from '@aws-sdk/client-cloudformation';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxEdge } from './sandbox-http';

/**
 * The public-template corpus (test/fixtures/public-templates, provenance in its README): each
 * template as a user deploys it — its stack name, the parameters a user gives (a parent's stack name
 * where the template imports from it), the capabilities it needs — and the shape of the outputs it
 * must produce. Listed parents first. Shared by public-templates.test.ts and by whoever tries a
 * pending candidate by hand.
 */

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/public-templates');

/** A parameter value: as typed, or an output of a stack deployed before (what a user would copy). */
export type ParameterValue = string | { stack: string; output: string };

export interface PublicTemplate {
  /** The stack's name; children name their parent by it. */
  stack: string;
  /** Path under FIXTURES. */
  file: string;
  parameters?: Record<string, ParameterValue>;
  capabilities?: Capability[];
  /**
   * Nested templates: where each child lives (its S3 URL without `https://`, as the template builds it
   * from the parameters given) and its file under FIXTURES. The test edge serves each at that location
   * and the template's TemplateURLs point at the edge instead of `https://`, as a user who mirrors the
   * bucket locally would edit them.
   */
  nested?: Record<string, string>;
  /** Output name: the shape its value must have. */
  outputs?: Record<string, RegExp>;
  /** Logical id: the shape of its physical id (for templates with few or no outputs). */
  resources?: Record<string, RegExp>;
}

const VPC_ID = /^vpc-[0-9a-f]{17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{17}$/;
const SG_ID = /^sg-[0-9a-f]{17}$/;
const ARN = (service: string, resource = '.+') => new RegExp(`^arn:aws:${service}:(us-east-1)?:(222233334444)?:${resource}$`);

export const PUBLIC_TEMPLATES: PublicTemplate[] = [
  {
    stack: 'aws-vpc-nat',
    file: 'aws-cloudformation-templates/VPC/VPC_With_Managed_NAT_And_Private_Subnet.yaml',
    outputs: { VPCId: VPC_ID, PublicSubnet0: SUBNET_ID, PrivateSubnet1: SUBNET_ID, DefaultSecurityGroup: SG_ID },
  },
  {
    stack: 'aws-sqs',
    file: 'aws-cloudformation-templates/SQS/SQSStandardQueue.yaml',
    parameters: { UsedeadletterQueue: 'true' },
    outputs: { QueueURL: /^https:\/\/sqs\.us-east-1\.amazonaws\.com\/222233334444\/aws-sqs-SQSQueue-[A-Z0-9]+$/, QueueARN: ARN('sqs'), DeadLetterQueueARN: ARN('sqs') },
  },
  {
    stack: 'aws-sns',
    file: 'aws-cloudformation-templates/SNS/SNSTopic.yaml',
    parameters: { SubscriptionEndPoint: 'arn:aws:sqs:us-east-1:222233334444:orders', SubscriptionProtocol: 'sqs' },
    outputs: { TopicARN: ARN('sns', 'aws-sns-SNSTopic-[A-Z0-9]+') },
  },
  {
    stack: 'aws-dynamodb',
    file: 'aws-cloudformation-templates/DynamoDB/DynamoDB_Table.yaml',
    parameters: { HashKeyElementName: 'id' },
    outputs: { TableName: /^aws-dynamodb-myDynamoDBTable-[A-Z0-9]+$/ },
  },
  {
    stack: 'aws-compliant-bucket',
    file: 'aws-cloudformation-templates/S3/compliant-bucket.yaml',
    parameters: { AppName: 'corpus' },
    capabilities: ['CAPABILITY_NAMED_IAM'],
    resources: { ObjectStorageBucket: /^corpus-us-east-1-222233334444$/, ObjectStorageLogBucket: /^corpus-logs-us-east-1-222233334444$/ },
  },
  {
    stack: 'aws-fargate-cluster',
    file: 'aws-cloudformation-templates/ECS/FargateLaunchType/clusters/public-vpc.yaml',
    capabilities: ['CAPABILITY_IAM'],
    outputs: { VPCId: VPC_ID, PublicSubnetOne: SUBNET_ID, FargateContainerSecurityGroup: SG_ID, ExternalUrl: /^http:\/\/[a-z0-9-]+\.us-east-1\.elb\.amazonaws\.com$/ },
  },
  {
    stack: 'aws-fargate-service',
    file: 'aws-cloudformation-templates/ECS/FargateLaunchType/services/public-service.yaml',
    parameters: { StackName: 'aws-fargate-cluster', DesiredCount: '1' },
    resources: { Service: ARN('ecs', 'service/[\\w-]+/[\\w-]+') },
  },
  {
    stack: 'peck-vpc',
    file: 'aws-cloudformation-fargate/fargate-networking-stacks/public-private-vpc.yml',
    capabilities: ['CAPABILITY_IAM'],
    outputs: { VPCId: VPC_ID, PrivateSubnetTwo: SUBNET_ID, ExternalUrl: /^http:\/\/[a-z0-9-]+\.us-east-1\.elb\.amazonaws\.com$/ },
  },
  {
    stack: 'peck-service',
    file: 'aws-cloudformation-fargate/service-stacks/private-subnet-public-loadbalancer.yml',
    parameters: { StackName: 'peck-vpc', ServiceName: 'peck-nginx', DesiredCount: '1' },
    resources: { Service: ARN('ecs', 'service/[\\w-]+/[\\w-]+'), TaskDefinition: ARN('ecs', 'task-definition/peck-service-TaskDefinition-[A-Z0-9]+:1') },
  },
  {
    stack: 'aws-rds-piops',
    file: 'aws-cloudformation-templates/RDS/RDS_PIOPS.yaml',
    parameters: { DBUser: 'admin' },
    resources: { myDB: /^aws-rds-piops-mydb-[a-z0-9]+$/, DBCredential: ARN('secretsmanager', 'secret:aws-rds-piops-DBCredential-[A-Za-z0-9]+-[A-Za-z0-9]{6}') },
  },
  {
    stack: 'aws-flow-logs',
    file: 'aws-cloudformation-templates/Solutions/VPCFlowLogs/templates/VPCFlowLogs-main.cfn.yaml',
    capabilities: ['CAPABILITY_IAM'],
    parameters: {
      VPCID: { stack: 'aws-vpc-nat', output: 'VPCId' },
      CreateVPCFlowLogsToCloudWatch: 'Yes',
      CreateVPCFlowLogsToS3: 'Yes',
      TemplatesS3BucketName: 'corpus-templates',
      TemplatesS3BucketRegion: 'us-east-1',
      // "(Optional)" in their descriptions, but declared without a Default: a user passes them empty.
      S3AccessLogsBucketName: '',
      VPCFlowLogsBucketKMSKey: '',
      VPCFlowLogsBucketName: '',
      VPCFlowLogsCloudWatchKMSKey: '',
    },
    nested: {
      'corpus-templates.s3.us-east-1.amazonaws.com/templates/VPCFlowLogsCloudWatch.cfn.yaml': 'aws-cloudformation-templates/Solutions/VPCFlowLogs/templates/VPCFlowLogsCloudWatch.cfn.yaml',
      'corpus-templates.s3.us-east-1.amazonaws.com/templates/VPCFlowLogsS3.cfn.yaml': 'aws-cloudformation-templates/Solutions/VPCFlowLogs/templates/VPCFlowLogsS3.cfn.yaml',
    },
    resources: { VPCFlowLogsCloudWatchStack: ARN('cloudformation', 'stack/aws-flow-logs-VPCFlowLogsCloudWatchStack-[A-Z0-9]+/[0-9a-f-]{36}') },
  },
  {
    stack: 'startup-vpc',
    file: 'startup-kit-templates/vpc.cfn.yml',
    parameters: { TemplateBucket: 'startup-kit-corpus', AvailabilityZone1: 'us-east-1a', AvailabilityZone2: 'us-east-1b' },
    nested: { 's3.amazonaws.com/startup-kit-corpus/templates/vpc.cfn.yml': 'startup-kit-templates/templates/vpc.cfn.yml' },
    outputs: { VpcStackName: /^startup-vpc-VpcStack-[A-Z0-9]+$/ },
    resources: { VpcStack: ARN('cloudformation', 'stack/startup-vpc-VpcStack-[A-Z0-9]+/[0-9a-f-]{36}') },
  },
  {
    stack: 'widdix-alert',
    file: 'widdix-aws-cf-templates/operations/alert.yaml',
    parameters: { Email: 'ops@example.com' },
    outputs: { TopicARN: ARN('sns', 'widdix-alert-Topic-[A-Z0-9]+'), StackName: /^widdix-alert$/ },
  },
  {
    stack: 'widdix-kms',
    file: 'widdix-aws-cf-templates/security/kms-key.yaml',
    outputs: { KeyId: /^[0-9a-f-]{36}$/, KeyArn: ARN('kms', 'key/[0-9a-f-]{36}') },
  },
];

/**
 * Candidates that do not deploy on this branch, each with the gap it hits (README.md, "Pending").
 * Once the gap is closed, move the entry to PUBLIC_TEMPLATES and its files out of pending/.
 */
export const PENDING_PUBLIC_TEMPLATES: Array<PublicTemplate & { gap: string }> = [
  {
    stack: 'aws-rds-mysql',
    gap: 'G9 (attribute shapes): `Engine: MySQL` (capitalised) gets `Endpoint.Port` 5432; AWS answers 3306.',
    file: 'pending/aws-cloudformation-templates/RDS/RDS_with_DBParameterGroup.yaml',
    parameters: { DBUser: 'admin' },
    outputs: { JDBCConnectionString: /^jdbc:mysql:\/\/[a-z0-9-]+\.[a-z0-9]+\.us-east-1\.rds\.amazonaws\.com:3306\/MyDatabase$/ },
  },
  {
    stack: 'startup-db',
    gap: 'Would fail on AWS too: its DatabaseInstanceClass values (db.t2/m4/r4) cannot run the PostgreSQL RDS now creates by default (the sandbox answers with RDS\'s words from its dated data).',
    file: 'pending/startup-kit-templates/templates/db.cfn.yml',
    capabilities: ['CAPABILITY_IAM'],
    parameters: { NetworkStackName: { stack: 'startup-vpc', output: 'VpcStackName' }, DatabasePassword: 'CorrectHorse42' },
    outputs: { RdsDbURL: /^startup-db-database-[a-z0-9]+\.[a-z0-9]+\.us-east-1\.rds\.amazonaws\.com$/, DatabaseAlarmTopicArn: ARN('sns', 'startup-db-DatabaseAlarmTopic-[A-Z0-9]+') },
  },
  {
    stack: 'widdix-s3',
    gap: 'G3: the `Version` resource attribute of its custom resources is refused at CreateStack (then G4: Lambda-backed custom resources).',
    file: 'pending/widdix-aws-cf-templates/state/s3.yaml',
    parameters: { ParentKmsKeyStack: 'widdix-kms' },
    outputs: { BucketName: /^widdix-s3-bucket-[a-z0-9]+$/, BucketDomainName: /^widdix-s3-bucket-[a-z0-9]+\.s3\.amazonaws\.com$/ },
  },
  {
    stack: 'widdix-vpc',
    gap: 'G1 (IPv6): `Fn::GetAtt VPC.Ipv6CidrBlocks` stays empty after `AWS::EC2::VPCCidrBlock`, so `Fn::Select`/`Fn::Cidr` over it fail the subnets.',
    file: 'pending/widdix-aws-cf-templates/vpc/vpc-2azs.yaml',
    outputs: { VPC: VPC_ID, CidrBlock: /^10\.0\.0\.0\/16$/, CidrBlockIPv6: /^[0-9a-f:]+::\/56$/ },
  },
  {
    stack: 'widdix-nat',
    gap: 'Its parent widdix-vpc (G1).',
    file: 'pending/widdix-aws-cf-templates/vpc/vpc-nat-gateway.yaml',
    parameters: { ParentVPCStack: 'widdix-vpc', ParentAlertStack: 'widdix-alert' },
    outputs: { IPAddress: /^\d+\.\d+\.\d+\.\d+$/ },
  },
  {
    stack: 'widdix-client-sg',
    gap: 'Its parent widdix-vpc (G1).',
    file: 'pending/widdix-aws-cf-templates/state/client-sg.yaml',
    parameters: { ParentVPCStack: 'widdix-vpc' },
    outputs: { ClientSecurityGroup: SG_ID },
  },
  {
    stack: 'widdix-fargate',
    gap: 'Its parent widdix-vpc (G1).',
    file: 'pending/widdix-aws-cf-templates/fargate/cluster.yaml',
    parameters: { ParentVPCStack: 'widdix-vpc', ParentAlertStack: 'widdix-alert' },
    outputs: { Cluster: /^widdix-fargate-Cluster-[A-Za-z0-9]+$/, URL: /^http:\/\/.+\.elb\.amazonaws\.com$/ },
  },
  {
    stack: 'widdix-postgres',
    gap: 'Its parent widdix-vpc (G1); its EngineVersion AllowedValues (15.3 and older minors) may also be refused by the RDS version check, as AWS no longer creates them.',
    file: 'pending/widdix-aws-cf-templates/state/rds-postgres.yaml',
    parameters: { ParentVPCStack: 'widdix-vpc', ParentClientStack: 'widdix-client-sg', DBMasterUserPassword: 'correct-horse-battery', EngineVersion: '15.3', DBInstanceClass: 'db.t3.micro' },
    outputs: { DNSName: /\.rds\.amazonaws\.com$/ },
  },
  {
    stack: 'ecs-refarch',
    gap: 'G5: a child (infrastructure/ecs-cluster.yaml) declares the parameter `VPC` and never uses it. After that, LifecycleHook\'s Lambda uses python3.6, which AWS no longer creates (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).',
    file: 'pending/ecs-refarch-cloudformation/master.yaml',
    capabilities: ['CAPABILITY_NAMED_IAM'],
    nested: Object.fromEntries(
      ['infrastructure/vpc.yaml', 'infrastructure/security-groups.yaml', 'infrastructure/load-balancers.yaml', 'infrastructure/ecs-cluster.yaml', 'infrastructure/lifecyclehook.yaml', 'services/product-service/service.yaml', 'services/website-service/service.yaml'].map(
        (path) => [`s3.amazonaws.com/ecs-refarch-cloudformation/${path}`, `pending/ecs-refarch-cloudformation/${path}`],
      ),
    ),
    outputs: { ProductServiceUrl: /^http:\/\/[a-z0-9-]+\.us-east-1\.elb\.amazonaws\.com\/products$/ },
  },
];

export function fixture(file: string): string {
  return readFileSync(join(FIXTURES, file), 'utf8');
}

/** CreateStack as a user would call it; nested templates' children are served from the edge first. */
export async function createPublicStack(edge: SandboxEdge, cfn: CloudFormationClient, entry: PublicTemplate): Promise<void> {
  let body = fixture(entry.file);
  if (entry.nested !== undefined) {
    for (const [location, file] of Object.entries(entry.nested)) edge.putObject(location, fixture(file));
    body = body.replaceAll(/(TemplateURL:[^\n]*?)https:\/\//g, `$1${edge.url}/_test/objects/`);
  }
  const parameters: Parameter[] = [];
  for (const [ParameterKey, value] of Object.entries(entry.parameters ?? {})) {
    parameters.push({ ParameterKey, ParameterValue: typeof value === 'string' ? value : await outputOf(cfn, value) });
  }
  await cfn.send(new CreateStackCommand({ StackName: entry.stack, TemplateBody: body, Parameters: parameters, ...(entry.capabilities ? { Capabilities: entry.capabilities } : {}) }));
}

async function outputOf(cfn: CloudFormationClient, from: { stack: string; output: string }): Promise<string> {
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: from.stack }));
  const value = Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === from.output)?.OutputValue;
  if (value === undefined) throw new Error(`${from.stack} has no output ${from.output}`);
  return value;
}
