import { CreateStackCommand, ValidateTemplateCommand, type Capability } from '@aws-sdk/client-cloudformation';
import { readTemplate } from '../../../src/cfn/read-template';
import type { CfnTemplate } from '../../../src/cfn/template-types';
import { contains, networkForm, nthSubnet, parseCidr } from '../../../src/model/cidr';
import { TemplateResolutionError } from '../../../local/sandbox/errors';
import { TemplateEvaluator } from '../../../local/sandbox/template-evaluator';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, rejectionOf, stackEvents, waitForStack } from './stack-waits';
import { publicParameterValue } from '../../../local/sandbox/data/ssm-public-parameters';

/** An AMI the sandbox knows: what AWS's public parameter for Amazon Linux 2023 (arm64) names in us-east-1. */
const AMAZON_AMI = publicParameterValue('us-east-1', '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64') ?? '';

/**
 * What users' templates need of the sandbox (issue 12, gaps G1–G9 of the fidelity review): each
 * describe deploys, through the SDK, the kind of template the public corpus had, and checks what a
 * user would see in the outputs or the error.
 */

const ACCOUNT = '121212121212';

let edge: SandboxEdge;

beforeAll(async () => {
  edge = await startSandboxEdge();
});

afterAll(async () => {
  await edge.close();
});

async function deploy(name: string, template: CfnTemplate | string, options: { parameters?: Record<string, string>; capabilities?: Capability[] } = {}) {
  const cfn = edge.cloudFormation(ACCOUNT);
  await cfn.send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: typeof template === 'string' ? template : JSON.stringify(template),
      Parameters: Object.entries(options.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Capabilities: options.capabilities ?? [],
    }),
  );
  const stack = await waitForStack(cfn, name);
  const failures = (await stackEvents(cfn, name)).filter((event) => event.ResourceStatus === 'CREATE_FAILED').map((event) => `${event.LogicalResourceId}: ${event.ResourceStatusReason}`);
  return { stack, outputs: outputsOf(stack), failures };
}

async function refusal(name: string, template: CfnTemplate | string): Promise<string> {
  const error = await rejectionOf(edge.cloudFormation(ACCOUNT).send(new CreateStackCommand({ StackName: name, TemplateBody: typeof template === 'string' ? template : JSON.stringify(template) })));
  return error.message;
}

const getAtt = (resource: string, attribute: string) => ({ 'Fn::GetAtt': [resource, attribute] });

describe('G9: Fn::GetAtt and Ref have the shapes AWS gives them', () => {
  const dataStores: CfnTemplate = {
    Resources: {
      Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
      Distribution: {
        Type: 'AWS::CloudFront::Distribution',
        Properties: {
          DistributionConfig: {
            Enabled: true,
            Origins: [{ Id: 'site', DomainName: getAtt('Bucket', 'RegionalDomainName'), S3OriginConfig: {} }],
            DefaultCacheBehavior: { TargetOriginId: 'site', ViewerProtocolPolicy: 'redirect-to-https' },
          },
        },
      },
      Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
      Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
      MySql: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'MySQL', DBInstanceClass: 'db.t3.micro', AllocatedStorage: '20', MasterUsername: 'admin', MasterUserPassword: 'a-long-password' } },
      Aurora: { Type: 'AWS::RDS::DBCluster', Properties: { Engine: 'aurora-postgresql', MasterUsername: 'admin', MasterUserPassword: 'a-long-password' } },
      DocDb: { Type: 'AWS::DocDB::DBCluster', Properties: { MasterUsername: 'admin', MasterUserPassword: 'a-long-password' } },
      Redis: { Type: 'AWS::ElastiCache::ReplicationGroup', Properties: { ReplicationGroupDescription: 'cache', Engine: 'redis', CacheNodeType: 'cache.t3.micro', NumCacheClusters: 2 } },
      Memcached: { Type: 'AWS::ElastiCache::CacheCluster', Properties: { Engine: 'memcached', CacheNodeType: 'cache.t3.micro', NumCacheNodes: 1 } },
    },
    Outputs: {
      BucketName: { Value: { Ref: 'Bucket' } },
      DomainName: { Value: getAtt('Bucket', 'DomainName') },
      RegionalDomainName: { Value: getAtt('Bucket', 'RegionalDomainName') },
      WebsiteURL: { Value: getAtt('Bucket', 'WebsiteURL') },
      DistributionId: { Value: { Ref: 'Distribution' } },
      DistributionDomain: { Value: getAtt('Distribution', 'DomainName') },
      TopicArn: { Value: { Ref: 'Topic' } },
      TopicName: { Value: getAtt('Topic', 'TopicName') },
      QueueUrl: { Value: { Ref: 'Queue' } },
      QueueName: { Value: getAtt('Queue', 'QueueName') },
      JdbcUrl: { Value: { 'Fn::Sub': 'jdbc:mysql://${MySql.Endpoint.Address}:${MySql.Endpoint.Port}/app' } },
      AuroraWriter: { Value: getAtt('Aurora', 'Endpoint.Address') },
      AuroraReader: { Value: getAtt('Aurora', 'ReadEndpoint.Address') },
      AuroraPort: { Value: getAtt('Aurora', 'Endpoint.Port') },
      DocDbEndpoint: { Value: getAtt('DocDb', 'Endpoint') },
      DocDbReader: { Value: getAtt('DocDb', 'ReadEndpoint') },
      DocDbResourceId: { Value: getAtt('DocDb', 'ClusterResourceId') },
      DocDbPort: { Value: getAtt('DocDb', 'Port') },
      RedisAddress: { Value: getAtt('Redis', 'PrimaryEndPoint.Address') },
      RedisPort: { Value: getAtt('Redis', 'PrimaryEndPoint.Port') },
      MemcachedPort: { Value: getAtt('Memcached', 'ConfigurationEndpoint.Port') },
    },
  };

  it('gives storage, CDN, messaging, database and cache attributes their documented shapes', async () => {
    const { stack, outputs, failures } = await deploy('shapes-data', dataStores);

    expect(failures).toEqual([]);
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    const bucket = outputs['BucketName'] ?? '';
    expect(bucket).toMatch(/^shapes-data-bucket-[a-z0-9]+$/);
    expect(outputs['DomainName']).toBe(`${bucket}.s3.amazonaws.com`);
    expect(outputs['RegionalDomainName']).toBe(`${bucket}.s3.us-east-1.amazonaws.com`);
    expect(outputs['WebsiteURL']).toBe(`http://${bucket}.s3-website-us-east-1.amazonaws.com`);
    expect(outputs['DistributionId']).toMatch(/^E[A-Z0-9]{13}$/);
    expect(outputs['DistributionDomain']).toMatch(/^d[a-z0-9]{13}\.cloudfront\.net$/);
    expect(outputs['TopicName']).toBe(outputs['TopicArn']?.split(':').at(-1));
    expect(outputs['TopicName']).toMatch(/^shapes-data-Topic-[A-Z0-9]+$/);
    expect(outputs['QueueName']).toBe(outputs['QueueUrl']?.split('/').at(-1));
    expect(outputs['JdbcUrl']).toMatch(/^jdbc:mysql:\/\/[a-z0-9-]+\.[a-z0-9]{12}\.us-east-1\.rds\.amazonaws\.com:3306\/app$/);
    expect(outputs['AuroraWriter']).toMatch(/^shapes-data-aurora-[a-z0-9]+\.cluster-[a-z0-9]{12}\.us-east-1\.rds\.amazonaws\.com$/);
    expect(outputs['AuroraReader']).toMatch(/^shapes-data-aurora-[a-z0-9]+\.cluster-ro-[a-z0-9]{12}\.us-east-1\.rds\.amazonaws\.com$/);
    expect(outputs['AuroraPort']).toBe('5432');
    expect(outputs['DocDbEndpoint']).toMatch(/\.cluster-[a-z0-9]{12}\.us-east-1\.docdb\.amazonaws\.com$/);
    expect(outputs['DocDbReader']).toMatch(/\.cluster-ro-[a-z0-9]{12}\.us-east-1\.docdb\.amazonaws\.com$/);
    expect(outputs['DocDbResourceId']).toMatch(/^cluster-[A-Z0-9]{26}$/);
    expect(outputs['DocDbPort']).toBe('27017');
    expect(outputs['RedisAddress']).toMatch(/^master\.shapes-data-redis-[a-z0-9]+\.[a-z0-9]{6}\.use1\.cache\.amazonaws\.com$/);
    expect(outputs['RedisPort']).toBe('6379');
    expect(outputs['MemcachedPort']).toBe('11211');
    for (const value of Object.values(outputs)) expect(value).not.toMatch(/\/(DomainName|TopicName|QueueName|Endpoint|Port|Address)/);
  });

  it('gives DNS, IAM keys, Lambda versions and instance addresses their shapes', async () => {
    const template: CfnTemplate = {
      Resources: {
        Zone: { Type: 'AWS::Route53::HostedZone', Properties: { Name: 'example.com' } },
        Record: { Type: 'AWS::Route53::RecordSet', Properties: { HostedZoneId: { Ref: 'Zone' }, Name: 'www.example.com', Type: 'CNAME', TTL: '300', ResourceRecords: ['example.org'] } },
        User: { Type: 'AWS::IAM::User', Properties: {} },
        Key: { Type: 'AWS::IAM::AccessKey', Properties: { UserName: { Ref: 'User' } } },
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
        },
        Function: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler', Role: getAtt('Role', 'Arn'), Code: { ZipFile: 'exports.handler = async () => 1;' } } },
        Version: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Function' } } },
        NextVersion: { Type: 'AWS::Lambda::Version', DependsOn: 'Version', Properties: { FunctionName: { Ref: 'Function' } } },
        Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.20.0.0/16' } },
        Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.20.7.0/24', AvailabilityZone: 'us-east-1a' } },
        Instance: { Type: 'AWS::EC2::Instance', Properties: { ImageId: AMAZON_AMI, InstanceType: 't3.micro', SubnetId: { Ref: 'Subnet' } } },
      },
      Outputs: {
        ZoneId: { Value: { Ref: 'Zone' } },
        RecordName: { Value: { Ref: 'Record' } },
        AccessKeyId: { Value: { Ref: 'Key' } },
        Secret: { Value: getAtt('Key', 'SecretAccessKey') },
        VersionArn: { Value: { Ref: 'Version' } },
        NextVersionArn: { Value: { Ref: 'NextVersion' } },
        FunctionName: { Value: { Ref: 'Function' } },
        PrivateIp: { Value: getAtt('Instance', 'PrivateIp') },
      },
    };

    const { stack, outputs, failures } = await deploy('shapes-edge', template, { capabilities: ['CAPABILITY_IAM'] });

    expect(failures).toEqual([]);
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(outputs['ZoneId']).toMatch(/^Z[A-Z0-9]{20}$/);
    expect(outputs['RecordName']).toBe('www.example.com');
    expect(outputs['AccessKeyId']).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(outputs['Secret']).toMatch(/^[A-Za-z0-9/+]{40}$/);
    expect(outputs['VersionArn']).toBe(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:${outputs['FunctionName']}:1`);
    expect(outputs['NextVersionArn']).toBe(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:${outputs['FunctionName']}:2`);
    const [a, b, c, d] = (outputs['PrivateIp'] ?? '').split('.').map(Number);
    expect([a, b, c]).toEqual([10, 20, 7]);
    expect(d).toBeGreaterThanOrEqual(4);
    expect(d).toBeLessThanOrEqual(254);
  });

  it('refuses Fn::GetAtt of an attribute the type does not have, in CloudFormation words', async () => {
    const template: CfnTemplate = { Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: {} } }, Outputs: { Nope: { Value: getAtt('Topic', 'Endpoint.Address') } } };

    const message = await refusal('shapes-missing-attribute', template);

    expect(message).toBe('Template error: resource Topic does not support attribute type Endpoint.Address in Fn::GetAtt');
  });

  it('refuses an attribute the type has but the sandbox does not model, instead of making one up', () => {
    const evaluator = new TemplateEvaluator(
      { Resources: { Db: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres' } } } },
      { stackId: 'arn:aws:cloudformation:us-east-1:121212121212:stack/s/1', stackName: 's', account: ACCOUNT, region: 'us-east-1', parameters: {} },
    );

    const act = () => evaluator.attribute('Db', 'CertificateDetails.ValidTill');

    expect(act).toThrow(TemplateResolutionError);
    expect(act).toThrow('Template error: the sandbox does not model attribute CertificateDetails.ValidTill of AWS::RDS::DBInstance');
  });
});

describe('G1: IPv6', () => {
  const dualStack: CfnTemplate = {
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.30.0.0/16' } },
      Ipv6Block: { Type: 'AWS::EC2::VPCCidrBlock', Properties: { VpcId: { Ref: 'Vpc' }, AmazonProvidedIpv6CidrBlock: true } },
      SubnetA: {
        Type: 'AWS::EC2::Subnet',
        DependsOn: 'Ipv6Block',
        Properties: {
          VpcId: { Ref: 'Vpc' },
          AvailabilityZone: 'us-east-1a',
          CidrBlock: '10.30.0.0/24',
          Ipv6CidrBlock: { 'Fn::Select': [1, { 'Fn::Cidr': [{ 'Fn::Select': [0, getAtt('Vpc', 'Ipv6CidrBlocks')] }, 4, 64] }] },
        },
      },
      EgressOnly: { Type: 'AWS::EC2::EgressOnlyInternetGateway', Properties: { VpcId: { Ref: 'Vpc' } } },
      RouteTable: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'Vpc' } } },
      Ipv6Route: { Type: 'AWS::EC2::Route', Properties: { RouteTableId: { Ref: 'RouteTable' }, DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: { Ref: 'EgressOnly' } } },
    },
    Outputs: {
      VpcIpv6: { Value: { 'Fn::Select': [0, getAtt('Vpc', 'Ipv6CidrBlocks')] } },
      SubnetIpv6: { Value: { 'Fn::Select': [0, getAtt('SubnetA', 'Ipv6CidrBlocks')] } },
      Gateway: { Value: { Ref: 'EgressOnly' } },
    },
  };

  it('gives a VPC an Amazon-provided /56 that Fn::Cidr divides into /64 subnets, with an egress-only route', async () => {
    const { stack, outputs, failures } = await deploy('ipv6-vpc', dualStack);

    expect(failures).toEqual([]);
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    const vpcBlock = parseCidr(outputs['VpcIpv6'] ?? '');
    const pool = parseCidr('2600:1f18::/33');
    expect(vpcBlock?.prefix).toBe(56);
    expect(vpcBlock && pool && contains(pool, vpcBlock)).toBe(true);
    expect(vpcBlock && networkForm(vpcBlock)).toBe(outputs['VpcIpv6']);
    expect(outputs['SubnetIpv6']).toBe(vpcBlock && nthSubnet(vpcBlock, 64, 1));
    expect(outputs['Gateway']).toMatch(/^eigw-0[0-9a-f]{16}$/);
  });

  it('gives the same VPC the same block every time and another VPC another', () => {
    const identity = { stackId: 'arn:aws:cloudformation:us-east-1:121212121212:stack/v/1', stackName: 'v', account: ACCOUNT, region: 'us-east-1', parameters: {} };
    const twoVpcs: CfnTemplate = {
      Resources: {
        ...dualStack.Resources,
        Other: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.31.0.0/16' } },
        OtherBlock: { Type: 'AWS::EC2::VPCCidrBlock', Properties: { VpcId: { Ref: 'Other' }, AmazonProvidedIpv6CidrBlock: true } },
      },
    };

    const first = new TemplateEvaluator(twoVpcs, identity).attribute('Vpc', 'Ipv6CidrBlocks');
    const again = new TemplateEvaluator(twoVpcs, identity).attribute('Vpc', 'Ipv6CidrBlocks');
    const other = new TemplateEvaluator(twoVpcs, identity).attribute('Other', 'Ipv6CidrBlocks');
    const none = new TemplateEvaluator({ Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } } } }, identity).attribute('Vpc', 'Ipv6CidrBlocks');

    expect(first).toEqual(again);
    expect(first).toHaveLength(1);
    expect(other).toHaveLength(1);
    expect(other).not.toEqual(first);
    expect(none).toEqual([]);
  });
});

describe('G3: the Version attribute of custom resources', () => {
  it('is accepted on a custom resource and refused on other types', async () => {
    const cfn = edge.cloudFormation(ACCOUNT);
    const custom = { Resources: { Lookup: { Type: 'Custom::Lookup', Version: '1.0', Properties: { ServiceToken: 'arn:aws:sns:us-east-1:121212121212:lookups' } } } };
    const onTopic = { Resources: { Topic: { Type: 'AWS::SNS::Topic', Version: '1.0', Properties: {} } } };

    const accepted = await cfn.send(new ValidateTemplateCommand({ TemplateBody: JSON.stringify(custom) }));
    const refused = await rejectionOf(cfn.send(new ValidateTemplateCommand({ TemplateBody: JSON.stringify(onTopic) })));

    expect(accepted.Parameters).toEqual([]);
    expect(refused.message).toContain('unknown resource attribute "Version"');
  });
});

describe('G5: unused parameters', () => {
  const template: CfnTemplate = {
    Parameters: { Legacy: { Type: 'String', Default: 'kept for old callers' }, Name: { Type: 'String' } },
    Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { Ref: 'Name' } } } },
  };

  it('are accepted by ValidateTemplate and CreateStack, as AWS does', async () => {
    const validated = await edge.cloudFormation(ACCOUNT).send(new ValidateTemplateCommand({ TemplateBody: JSON.stringify(template) }));
    const { stack, failures } = await deploy('unused-parameter', template, { parameters: { Name: 'unused-parameter-topic', Legacy: 'x' } });

    expect(validated.Parameters?.map((parameter) => parameter.ParameterKey).sort()).toEqual(['Legacy', 'Name']);
    expect(failures).toEqual([]);
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
  });
});

describe('G6: resources whose Condition is false', () => {
  const legacy = (extra: Record<string, unknown>): CfnTemplate => ({
    Parameters: { UseLegacy: { Type: 'String', Default: 'false', AllowedValues: ['true', 'false'] } },
    Conditions: { Legacy: { 'Fn::Equals': [{ Ref: 'UseLegacy' }, 'true'] } },
    Resources: {
      Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
      LegacyWrapper: { Type: 'Custom::LegacyWrapper', Condition: 'Legacy', Version: '1.0', Properties: { Note: 'no ServiceToken: never created' } },
      ...(extra as CfnTemplate['Resources']),
    },
  });

  it('are not checked beyond their type: a false-condition custom resource needs no ServiceToken', async () => {
    const template = legacy({ OldQueue: { Type: 'AWS::SQS::Queue', Condition: 'Legacy', Properties: { NoSuchProperty: 1 } } });

    const validated = await edge.cloudFormation(ACCOUNT).send(new ValidateTemplateCommand({ TemplateBody: JSON.stringify(template) }));
    const { stack, failures } = await deploy('false-condition', template);

    expect(validated.Parameters?.[0]?.ParameterKey).toBe('UseLegacy');
    expect(failures).toEqual([]);
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
  });

  it('are checked when the condition holds, and their type always', async () => {
    const cfn = edge.cloudFormation(ACCOUNT);

    const whenTrue = await rejectionOf(
      cfn.send(new CreateStackCommand({ StackName: 'true-condition', TemplateBody: JSON.stringify(legacy({})), Parameters: [{ ParameterKey: 'UseLegacy', ParameterValue: 'true' }] })),
    );
    const unknownType = await refusal('false-condition-type', legacy({ Old: { Type: 'AWS::Nope::Thing', Condition: 'Legacy', Properties: {} } }));

    expect(whenTrue.message).toContain('a custom resource needs a ServiceToken');
    expect(unknownType).toContain('unknown resource type "AWS::Nope::Thing"');
  });
});

describe('G8: YAML as CloudFormation reads it', () => {
  // The shape of one of AWS's own samples: a single-quoted scalar continued at its key's indentation.
  const yaml = [
    'AWSTemplateFormatVersion: "2010-09-09"',
    'Description: \'A topic whose description is long enough',
    'to take two lines\'',
    'Resources:',
    '  Topic:',
    '    Type: AWS::SNS::Topic',
    '    Properties:',
    '      DisplayName: \'alerts for',
    '      the team\'',
    'Outputs:',
    '  Greeting:',
    '    Value: !Sub \'${AWS::StackName} says',
    '    hello from ${AWS::Region}\'',
    '  Arn:',
    '    Value: !Ref Topic',
    '',
  ].join('\n');

  it('reads a multi-line single-quoted scalar continued at its key\'s indentation, short-form tags included', async () => {
    const { stack, outputs, failures } = await deploy('yaml-continuation', yaml);

    expect(failures).toEqual([]);
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(stack.Description).toBe('A topic whose description is long enough to take two lines');
    expect(outputs['Greeting']).toBe('yaml-continuation says hello from us-east-1');
    expect(outputs['Arn']).toMatch(/^arn:aws:sns:us-east-1:121212121212:yaml-continuation-Topic-/);
  });

  it('leaves block scalars and well-formed quotes as they are', () => {
    const text = ["Resources:", "  Topic:", "    Type: AWS::SNS::Topic", "    Metadata:", "      Script: |", "        echo 'unclosed", "      Quote: 'it''s", "      here'", ''].join('\n');

    const template = readTemplate(text);

    expect(template.Resources['Topic']?.Metadata).toEqual({ Script: "echo 'unclosed\n", Quote: "it's here" });
  });
});
