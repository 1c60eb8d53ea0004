import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { _InstanceType } from '@aws-sdk/client-ec2';
import { EC2_INSTANCE_TYPES } from '../../../local/sandbox/data/ec2-instance-types';
import { CREATE_BLOCKED_RUNTIMES, LAMBDA_RUNTIMES } from '../../../local/sandbox/data/lambda-runtimes';
import type { CfnTemplate, CfnValue } from '../../../src/cfn/template-types';
import { sandboxForFile } from './sandbox-http';
import { stackEvents, waitForStack } from './stack-waits';

/**
 * Values AWS validates, the sandbox validates (fidelity review, "Leniency"): each bad value fails
 * its resource with the service's words and the stack rolls back; the good value next to it deploys.
 */
const ACCOUNT = '515151515151';

const sandbox = sandboxForFile(ACCOUNT);

let stackCount = 0;

/** Creates a stack of these resources and waits for it; its status and `<LogicalId>: <reason>` of each resource that failed. */
async function deploy(resources: CfnTemplate['Resources'], parameters: CfnTemplate['Parameters'] = {}) {
  stackCount += 1;
  const stackName = `values-${stackCount}`;
  await sandbox.cfn.send(
    new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify({ Parameters: parameters, Resources: resources }), Capabilities: ['CAPABILITY_NAMED_IAM'] }),
  );
  const stack = await waitForStack(sandbox.cfn, stackName);
  const failures = (await stackEvents(sandbox.cfn, stackName))
    .filter((event) => event.ResourceStatus === 'CREATE_FAILED' && event.ResourceStatusReason !== 'Resource creation cancelled' && event.LogicalResourceId !== stackName)
    .map((event) => `${event.LogicalResourceId ?? ''}: ${event.ResourceStatusReason ?? ''}`);
  return { status: stack.StackStatus, failures };
}

/** A resource's handler failure as CloudFormation words it, with the request ids left open. */
const handlerMessage = (message: string, service: string) =>
  new RegExp(`^Resource handler returned message: "${escape(message)} \\(Service: ${service}, Status Code: 400, Request ID: [^)]+\\)" \\(RequestToken: [^,]+, HandlerErrorCode: InvalidRequest\\)$`);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Expects the stack to roll back on exactly that resource, with that reason. */
async function expectRefused(resources: CfnTemplate['Resources'], logicalId: string, reason: RegExp | string, parameters?: CfnTemplate['Parameters']) {
  const { status, failures } = await deploy(resources, parameters);
  expect(status).toBe('ROLLBACK_COMPLETE');
  expect(failures).toHaveLength(1);
  const [id, ...rest] = (failures[0] ?? '').split(': ');
  expect(id).toBe(logicalId);
  if (typeof reason === 'string') expect(rest.join(': ')).toBe(reason);
  else expect(rest.join(': ')).toMatch(reason);
}

async function expectDeployed(resources: CfnTemplate['Resources'], parameters?: CfnTemplate['Parameters']) {
  const { status, failures } = await deploy(resources, parameters);
  expect(failures).toEqual([]);
  expect(status).toBe('CREATE_COMPLETE');
}

const AMI_PARAMETER: CfnTemplate['Parameters'] = {
  Ami: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64' },
};

describe('EC2 instance types', () => {
  it('the data holds every type of the EC2 API model the SDK ships', () => {
    expect([...EC2_INSTANCE_TYPES].sort()).toEqual(Object.values(_InstanceType).sort());
  });

  it('an instance of a type that does not exist fails with RunInstances\' words; an existing type deploys', async () => {
    const instance = (InstanceType: string) => ({ Server: { Type: 'AWS::EC2::Instance', Properties: { ImageId: { Ref: 'Ami' }, InstanceType } } });
    await expectRefused(instance('t9.mega'), 'Server', handlerMessage("Invalid value 't9.mega' for InstanceType.", 'Ec2'), AMI_PARAMETER);
    await expectDeployed(instance('t4g.nano'), AMI_PARAMETER);
  });

  it('a group launching a type that does not exist fails with Auto Scaling\'s words; its launch template alone is accepted, as EC2 accepts it', async () => {
    const group = (InstanceType: string) => ({
      Template: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { ImageId: { Ref: 'Ami' }, InstanceType } } },
      Group: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        Properties: {
          MinSize: '1',
          MaxSize: '1',
          AvailabilityZones: ['us-east-1a'],
          LaunchTemplate: { LaunchTemplateId: { Ref: 'Template' }, Version: { 'Fn::GetAtt': ['Template', 'LatestVersionNumber'] } },
        },
      },
    });
    await expectRefused(group('t9.mega'), 'Group', handlerMessage("You must use a valid fully-formed launch template. Invalid value 't9.mega' for InstanceType.", 'AutoScaling'), AMI_PARAMETER);
    await expectDeployed(group('t4g.nano'), AMI_PARAMETER);
  });
});

describe('EBS volumes', () => {
  it('a volume in an AZ the region lacks fails with EC2\'s words; one in a zone it has deploys', async () => {
    const volume = (AvailabilityZone: string) => ({ Volume: { Type: 'AWS::EC2::Volume', Properties: { AvailabilityZone, Size: 8 } } });
    await expectRefused(volume('us-east-1z'), 'Volume', handlerMessage("The zone 'us-east-1z' does not exist.", 'Ec2'));
    await expectDeployed(volume('us-east-1f'));
  });
});

describe('RDS engines, versions, classes, passwords, identifiers', () => {
  const database = (properties: Record<string, unknown>) => ({
    Database: {
      Type: 'AWS::RDS::DBInstance',
      Properties: { Engine: 'mysql', EngineVersion: '8.0.35', DBInstanceClass: 'db.t3.micro', AllocatedStorage: '20', MasterUsername: 'admin', MasterUserPassword: 'correct-horse-9', ...properties },
    },
  });

  it.each([
    ['an engine version RDS never had (mysql 99.9)', { EngineVersion: '99.9' }, 'Cannot find version 99.9 for mysql'],
    ['a MySQL major RDS retired (5.6.19)', { EngineVersion: '5.6.19' }, 'Cannot find version 5.6.19 for mysql'],
    ['a MariaDB version RDS never had', { Engine: 'mariadb', EngineVersion: '99.9' }, 'Cannot find version 99.9 for mariadb'],
    ['a class that does not exist (mysql)', { DBInstanceClass: 'db.x9.huge' }, 'Invalid DB Instance class: db.x9.huge'],
    ['a class that does not exist (postgres)', { Engine: 'postgres', EngineVersion: '17.9', DBInstanceClass: 'db.x9.huge' }, 'Invalid DB Instance class: db.x9.huge'],
    ['an engine RDS does not have (Aurora MySQL 1, "aurora")', { Engine: 'aurora' }, 'Invalid DB engine: aurora'],
    ['a password under 8 characters', { MasterUserPassword: 'short' }, 'The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.'],
    ['a MySQL password over 41 characters', { MasterUserPassword: 'x'.repeat(42) }, 'The parameter MasterUserPassword is not a valid password because it is longer than 41 characters.'],
    ['a password with "@"', { MasterUserPassword: 'pass@word1' }, `The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '"', ' ' may be used.`],
    ['a password with a space', { MasterUserPassword: 'pass word1' }, `The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '"', ' ' may be used.`],
    [
      'an identifier with two consecutive hyphens',
      { DBInstanceIdentifier: 'orders--db' },
      'The parameter DBInstanceIdentifier is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.',
    ],
  ])('%s fails with RDS\'s words', async (_case, properties, message) => {
    await expectRefused(database(properties), 'Database', handlerMessage(message, 'Rds'));
  });

  it('good values deploy: MySQL 8.0.35 and MariaDB 10.11 on existing classes, a 41-character MySQL password, a PostgreSQL password of 128, engine names in any case', async () => {
    await expectDeployed({
      ...database({ Engine: 'MySQL', MasterUserPassword: 'p'.repeat(41), DBInstanceIdentifier: 'Orders-DB' }),
      Maria: { ...database({}).Database, Properties: { ...database({}).Database.Properties, Engine: 'mariadb', EngineVersion: '10.11.6', DBInstanceClass: 'db.m6g.large' } },
      Postgres: { ...database({}).Database, Properties: { ...database({}).Database.Properties, Engine: 'postgres', EngineVersion: '17.9', DBInstanceClass: 'db.t4g.micro', MasterUserPassword: 'q'.repeat(128) } },
    });
  });
});

describe('VPC and subnet CIDR blocks', () => {
  const vpc = (CidrBlock: string) => ({ Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock } } });
  const subnet = (CidrBlock: string, dependsOn?: string) => ({
    Type: 'AWS::EC2::Subnet',
    ...(dependsOn === undefined ? {} : { DependsOn: dependsOn }),
    Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock, AvailabilityZone: 'us-east-1a' },
  });

  it('a VPC larger than /16 fails with InvalidVpc.Range\'s words, one that is no CIDR block with InvalidParameterValue\'s', async () => {
    await expectRefused(vpc('10.0.0.0/8'), 'Vpc', handlerMessage("The CIDR '10.0.0.0/8' is invalid.", 'Ec2'));
    await expectRefused(vpc('10.0.0.0/29'), 'Vpc', handlerMessage("The CIDR '10.0.0.0/29' is invalid.", 'Ec2'));
    await expectRefused(vpc('10.0.0.0/33'), 'Vpc', handlerMessage('Value (10.0.0.0/33) for parameter cidrBlock is invalid. This is not a valid CIDR block.', 'Ec2'));
  });

  it('a subnet outside its VPC fails with InvalidSubnet.Range\'s words', async () => {
    await expectRefused({ ...vpc('10.0.0.0/16'), Subnet: subnet('192.168.1.0/24') }, 'Subnet', handlerMessage("The CIDR '192.168.1.0/24' is invalid.", 'Ec2'));
  });

  it('a subnet overlapping another of its VPC fails with InvalidSubnet.Conflict\'s words', async () => {
    await expectRefused(
      { ...vpc('10.1.0.0/16'), First: subnet('10.1.0.0/24'), Second: subnet('10.1.0.128/25', 'First') },
      'Second',
      handlerMessage("The CIDR '10.1.0.128/25' conflicts with another subnet", 'Ec2'),
    );
  });

  it('a /16 and a /28 VPC deploy, with subnets inside them and in a secondary block, side by side', async () => {
    await expectDeployed({
      ...vpc('10.2.0.0/16'),
      Secondary: { Type: 'AWS::EC2::VPCCidrBlock', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.3.0.0/16' } },
      Small: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.9.0.0/28' } },
      A: subnet('10.2.0.0/24'),
      B: subnet('10.2.1.0/24'),
      Whole: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Small' }, CidrBlock: '10.9.0.0/28' } },
      InSecondary: subnet('10.3.0.0/28', 'Secondary'),
    });
  });
});

describe('names', () => {
  it('S3 bucket names: uppercase fails with CloudFormation\'s words, other rules with S3\'s; a valid name deploys', async () => {
    const bucket = (BucketName: string) => ({ Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName } } });
    await expectRefused(bucket('Invalid_Bucket_NAME'), 'Bucket', 'Bucket name should not contain uppercase characters');
    for (const name of ['bad_bucket', 'ab', 'my..bucket', '192.168.5.4', 'xn--bucket', 'bucket-s3alias', '-bucket']) {
      await expectRefused(bucket(name), 'Bucket', handlerMessage('The specified bucket is not valid.', 'S3'));
    }
    await expectDeployed(bucket('values-test-bucket.v2'));
  });

  it('SQS: a FIFO queue without the .fifo suffix or with dots in its name, and a standard queue named .fifo, fail with SQS\'s words', async () => {
    const queue = (QueueName: string, fifo: boolean) => ({ Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName, ...(fifo ? { FifoQueue: true } : {}) } } });
    const fifoMessage = 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.';
    const standardMessage = 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length';
    await expectRefused(queue('orders', true), 'Queue', handlerMessage(fifoMessage, 'Sqs'));
    await expectRefused(queue('bad.name.fifo.fifo', true), 'Queue', handlerMessage(fifoMessage, 'Sqs'));
    await expectRefused(queue(`${'q'.repeat(76)}.fifo`, true), 'Queue', handlerMessage(fifoMessage, 'Sqs'));
    await expectRefused(queue('messages.fifo', false), 'Queue', handlerMessage(standardMessage, 'Sqs'));
    await expectRefused(queue('q'.repeat(81), false), 'Queue', handlerMessage(standardMessage, 'Sqs'));
    await expectDeployed({ ...queue('orders.fifo', true), Standard: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q'.repeat(80) } } });
  });

  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const role = (properties: Record<string, unknown>) => ({ Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: trust, ...properties } } });
  const statement = (fields: Record<string, unknown>) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', ...fields }] });

  it('IAM names: a role name over 64 characters, a user name with a space and an inline policy name over 128 fail with IAM\'s words', async () => {
    const long = 'r'.repeat(80);
    await expectRefused(
      role({ RoleName: long }),
      'Role',
      handlerMessage(`1 validation error detected: Value '${long}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64`, 'Iam'),
    );
    await expectRefused(
      { User: { Type: 'AWS::IAM::User', Properties: { UserName: 'jane doe' } } },
      'User',
      handlerMessage("1 validation error detected: Value 'jane doe' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", 'Iam'),
    );
    const policyName = 'p'.repeat(129);
    await expectRefused(
      role({ Policies: [{ PolicyName: policyName, PolicyDocument: statement({}) }] }),
      'Role',
      handlerMessage(`1 validation error detected: Value '${policyName}' at 'policyName' failed to satisfy constraint: Member must have length less than or equal to 128`, 'Iam'),
    );
  });

  it('IAM policy grammar: an Effect other than Allow or Deny, an action without its service, an action with two colons fail with MalformedPolicyDocument\'s words', async () => {
    const inline = (fields: Record<string, unknown>) => role({ Policies: [{ PolicyName: 'inline', PolicyDocument: statement(fields) }] });
    await expectRefused(inline({ Effect: 'Perhaps' }), 'Role', handlerMessage('Syntax errors in policy.', 'Iam'));
    await expectRefused(inline({ Effect: 'allow' }), 'Role', handlerMessage('The policy failed legacy parsing', 'Iam'));
    await expectRefused(inline({ Action: 'not-an-action' }), 'Role', handlerMessage('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.', 'Iam'));
    await expectRefused(inline({ Action: 'ec2:ec2:CreateNetworkInterface' }), 'Role', handlerMessage('Actions/Condition can contain only one colon.', 'Iam'));
    await expectRefused(inline({ Action: [] }), 'Role', handlerMessage('Policy statement must contain actions.', 'Iam'));
    await expectRefused(inline({ Resource: 'my-bucket' }), 'Role', handlerMessage('Resource my-bucket must be in ARN format or "*".', 'Iam'));
    await expectRefused(inline({ Principal: '*' }), 'Role', handlerMessage('Policy document should not specify a principal.', 'Iam'));
    await expectRefused(
      { ...role({}), Policy: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'standalone', Roles: [{ Ref: 'Role' }], PolicyDocument: statement({ Effect: 'Maybe' }) } } },
      'Policy',
      handlerMessage('Syntax errors in policy.', 'Iam'),
    );
  });

  it('IAM: good names and a policy with wildcards, NotAction, a Deny and a Condition deploy', async () => {
    await expectDeployed({
      ...role({
        RoleName: `app-role_${'x'.repeat(55)}`,
        Policies: [
          {
            PolicyName: 'p'.repeat(128),
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Sid: 'Read', Effect: 'Allow', Action: ['s3:Get*', 'dynamodb:*'], Resource: ['arn:aws:s3:::bucket/*', '*'] },
                { Effect: 'Deny', NotAction: 'iam:*', NotResource: 'arn:aws:iam::*:role/x', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
                { Effect: 'Allow', Action: '*', Resource: '*' },
              ],
            },
          },
        ],
      }),
      Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: { ManagedPolicyName: 'values.managed@policy', PolicyDocument: JSON.stringify(statement({})) } },
    });
  });

  it('load balancing: a target group name over 32 characters fails with Elastic Load Balancing\'s words', async () => {
    const targetGroup = (Name: string) => ({
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.4.0.0/16' } },
      Targets: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Name, Port: 80, Protocol: 'HTTP', VpcId: { Ref: 'Vpc' } } },
    });
    const long = 't'.repeat(33);
    await expectRefused(targetGroup(long), 'Targets', handlerMessage(`Target group name '${long}' cannot be longer than '32' characters`, 'ElasticLoadBalancingV2'));
    await expectDeployed(targetGroup('t'.repeat(32)));
  });
});

describe('Lambda runtimes', () => {
  const fn = (Runtime: string) => ({
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
    },
    Function: { Type: 'AWS::Lambda::Function', Properties: { Runtime, Handler: 'index.handler', Role: { 'Fn::GetAtt': ['Role', 'Arn'] }, Code: { ZipFile: 'exports.handler = async () => 1;' } } },
  });

  it('the data\'s blocked runtimes are runtimes Lambda knows', () => {
    expect(Object.keys(CREATE_BLOCKED_RUNTIMES).filter((runtime) => !LAMBDA_RUNTIMES.includes(runtime))).toEqual([]);
  });

  it('a runtime Lambda no longer creates fails with its words and the newest of the family; an unknown one with the enum; a current one deploys', async () => {
    await expectRefused(
      fn('python2.7'),
      'Function',
      handlerMessage('The runtime parameter of python2.7 is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (python3.14) while creating or updating functions.', 'Lambda'),
    );
    await expectRefused(
      fn('nodejs20.x'),
      'Function',
      handlerMessage('The runtime parameter of nodejs20.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (nodejs24.x) while creating or updating functions.', 'Lambda'),
    );
    await expectRefused(fn('nodejs99.x'), 'Function', handlerMessage(`Value nodejs99.x at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${LAMBDA_RUNTIMES.join(', ')}] or be a valid ARN`, 'Lambda'));
    await expectDeployed(fn('nodejs22.x'));
  });
});

describe('DynamoDB key schemas', () => {
  const table = (definitions: string[], keys: string[]) => ({
    Table: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: definitions.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        KeySchema: keys.map((AttributeName, index) => ({ AttributeName, KeyType: index === 0 ? 'HASH' : 'RANGE' })),
      },
    },
  });

  it('a key on an attribute AttributeDefinitions lacks, or a definition no key uses, fails with CloudFormation\'s words; a consistent table deploys', async () => {
    const message = 'Property AttributeDefinitions is inconsistent with the KeySchema of the table and the secondary indexes';
    await expectRefused(table(['pk'], ['id']), 'Table', message);
    await expectRefused(table(['pk', 'unused'], ['pk']), 'Table', message);
    await expectDeployed(table(['pk', 'sk'], ['pk', 'sk']));
  });
});

describe('KMS key policies', () => {
  const key = (KeyPolicy: CfnValue, bypass = false) => ({
    Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy, ...(bypass ? { BypassPolicyLockoutSafetyCheck: true } : {}) } },
  });
  const root = { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } };
  const lockout = handlerMessage('The new key policy will not allow you to update the key policy in the future.', 'Kms');

  it('a policy denying kms:* to everyone, or allowing kms:PutKeyPolicy to no AWS principal, fails the lockout safety check in KMS\'s words', async () => {
    await expectRefused(
      key({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: root, Action: 'kms:*', Resource: '*' }, { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' }] }),
      'Key',
      lockout,
    );
    await expectRefused(key({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'logs.amazonaws.com' }, Action: 'kms:*', Resource: '*' }] }), 'Key', lockout);
    await expectRefused(key(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' }] })), 'Key', lockout);
  });

  it('the account root allowed kms:*, a conditional deny, or the safety check bypassed deploy', async () => {
    await expectDeployed({
      ...key({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: root, Action: 'kms:*', Resource: '*' },
          { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        ],
      }),
      Bypassed: key({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' }] }, true).Key,
    });
  });
});
