import { CreateStackCommand, DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CreateKeyPairCommand, DeleteKeyPairCommand, DescribeKeyPairsCommand, ImportKeyPairCommand } from '@aws-sdk/client-ec2';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicParameterValue } from '../../../local/sandbox/data/ssm-public-parameters';
import type { CfnTemplate, CfnValue } from '../../../src/cfn/template-types';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { rejectionOf, stackEvents, waitForStack } from './stack-waits';

/**
 * References that must exist do exist (fidelity review, "Nonexistent references"): an AMI, a key
 * pair, a VPC, subnet or security group, an ECS cluster, a load balancer's certificate a resource names must be in the account and
 * region, else the resource fails in its service's words; an AWS-specific parameter that names
 * nothing fails the stack; an SSM parameter Parameter Store lacks refuses the CreateStack. The same
 * template naming a real (stack-made or seeded) thing deploys.
 */

const ACCOUNT = '555555555555';
const AL2023 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64';
const AMI = publicParameterValue('us-east-1', AL2023) ?? '';

let edge: SandboxEdge;
let cfn: CloudFormationClient;
let stacks = 0;

beforeAll(async () => {
  edge = await startSandboxEdge();
  cfn = edge.cloudFormation(ACCOUNT);
});
afterAll(async () => {
  await edge.close();
});

/** Creates the stack and waits for it: its status, the failed resources' reasons and the stack's own. */
async function deploy(template: CfnTemplate, parameters: Record<string, string> = {}) {
  const stackName = `refs-${(stacks += 1)}`;
  await cfn.send(
    new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(template), Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }),
  );
  const stack = await waitForStack(cfn, stackName);
  const events = await stackEvents(cfn, stackName);
  const failures = events.filter((event) => event.ResourceStatus === 'CREATE_FAILED' && event.ResourceStatusReason !== 'Resource creation cancelled').map((event) => event.ResourceStatusReason ?? '');
  const rollback = events.find((event) => event.ResourceStatus === 'ROLLBACK_IN_PROGRESS')?.ResourceStatusReason;
  return { status: stack.StackStatus, failures, rollback };
}

const network: CfnTemplate['Resources'] = {
  Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.7.0.0/16' } },
  Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.7.0.0/24', AvailabilityZone: 'us-east-1a' } },
  OtherSubnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.7.1.0/24', AvailabilityZone: 'us-east-1b' } },
  Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'app', VpcId: { Ref: 'Vpc' } } },
};
const instance = (properties: Record<string, unknown>): CfnTemplate => ({
  Resources: { ...network, Instance: { Type: 'AWS::EC2::Instance', Properties: { ImageId: AMI, InstanceType: 't4g.nano', SubnetId: { Ref: 'Subnet' }, ...properties } } },
});
const listener = (certificateArn: CfnValue, extra: CfnTemplate['Resources'] = {}): CfnTemplate => ({
  Resources: {
    ...network,
    ...extra,
    Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: [{ Ref: 'Subnet' }, { Ref: 'OtherSubnet' }] } },
    Https: {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: { LoadBalancerArn: { Ref: 'Alb' }, Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: certificateArn }], DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] },
    },
  },
});
const lambda = (bucket: CfnValue, extra: CfnTemplate['Resources'] = {}): CfnTemplate => ({
  Resources: {
    ...extra,
    Function: {
      Type: 'AWS::Lambda::Function',
      Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler', Role: `arn:aws:iam::${ACCOUNT}:role/function`, Code: { S3Bucket: bucket, S3Key: 'function.zip' } },
    },
  },
});
/** The handler message CloudFormation reports for a service's refusal. */
const handler = (message: string, service: string) => new RegExp(`^Resource handler returned message: "${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(Service: ${service}, Status Code: 400, Request ID: [0-9a-f-]+\\)" \\(RequestToken: [0-9a-f-]+, HandlerErrorCode: InvalidRequest\\)$`);

describe('EC2 key pairs of a sandbox account', () => {
  it('creates, imports, lists and deletes key pairs as EC2 does, and refuses a duplicate or an unknown name in its words', async () => {
    const ec2 = edge.ec2(ACCOUNT);
    const created = await ec2.send(new CreateKeyPairCommand({ KeyName: 'ops', TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: 'team', Value: 'a' }] }] }));
    expect(created.KeyMaterial).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----$/);
    expect(createPrivateKey(created.KeyMaterial ?? '').asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(created.KeyFingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    expect(created.KeyPairId).toMatch(/^key-[0-9a-f]{17}$/);

    const { KeyPairs = [] } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['ops'], IncludePublicKey: true }));
    expect(KeyPairs.map(({ KeyName, KeyType, KeyPairId, Tags }) => ({ KeyName, KeyType, KeyPairId, Tags }))).toEqual([{ KeyName: 'ops', KeyType: 'rsa', KeyPairId: created.KeyPairId, Tags: [{ Key: 'team', Value: 'a' }] }]);
    const publicKey = KeyPairs[0]?.PublicKey ?? '';
    expect(publicKey).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+$/);

    const imported = await ec2.send(new ImportKeyPairCommand({ KeyName: 'laptop', PublicKeyMaterial: Buffer.from(`${publicKey} me@laptop`) }));
    expect(imported.KeyFingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    const listed = await ec2.send(new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: ['laptop', 'op?'] }] }));
    expect(listed.KeyPairs?.map((pair) => pair.KeyName).sort()).toEqual(['laptop', 'ops']);

    const duplicate = await rejectionOf(ec2.send(new CreateKeyPairCommand({ KeyName: 'ops' })));
    expect([duplicate.name, duplicate.message]).toEqual(['InvalidKeyPair.Duplicate', "The keypair 'ops' already exists."]);
    const malformed = await rejectionOf(ec2.send(new ImportKeyPairCommand({ KeyName: 'bad', PublicKeyMaterial: Buffer.from('not a key') })));
    expect([malformed.name, malformed.message]).toEqual(['InvalidKey.Format', 'Key is not in valid OpenSSH public key format']);

    await ec2.send(new DeleteKeyPairCommand({ KeyName: 'laptop' }));
    const gone = await rejectionOf(ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['laptop'] })));
    expect([gone.name, gone.message]).toEqual(['InvalidKeyPair.NotFound', "The key pair 'laptop' does not exist"]);
    // Key pairs are regional.
    const elsewhere = await rejectionOf(edge.ec2(ACCOUNT, undefined, 'eu-west-1').send(new DescribeKeyPairsCommand({ KeyNames: ['ops'] })));
    expect(elsewhere.name).toBe('InvalidKeyPair.NotFound');
  });

  it('keeps the key pairs it made across a restart (the state file)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sandbox-keys-'));
    try {
      const stateFile = join(folder, 'sandbox.json');
      const first = await startSandboxEdge({ stateFile });
      await first.ec2(ACCOUNT).send(new CreateKeyPairCommand({ KeyName: 'kept', KeyType: 'ed25519' }));
      await first.close();
      const second = await startSandboxEdge({ stateFile });
      const { KeyPairs = [] } = await second.ec2(ACCOUNT).send(new DescribeKeyPairsCommand({}));
      await second.close();
      expect(KeyPairs.map(({ KeyName, KeyType }) => ({ KeyName, KeyType }))).toEqual([{ KeyName: 'kept', KeyType: 'ed25519' }]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('a stack naming something that does not exist fails as in AWS', () => {
  it('rolls the stack back when an AWS-specific parameter names no key pair, VPC, subnet or image of the account', async () => {
    await edge.ec2(ACCOUNT).send(new CreateKeyPairCommand({ KeyName: 'deployer' }));
    const keyTemplate: CfnTemplate = { Parameters: { KeyName: { Type: 'AWS::EC2::KeyPair::KeyName' } }, Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { Tags: [{ Key: 'key', Value: { Ref: 'KeyName' } }] } } } };

    const missingKey = await deploy(keyTemplate, { KeyName: 'no-such-key' });
    expect(missingKey).toEqual({ status: 'ROLLBACK_COMPLETE', failures: [], rollback: 'Parameter validation failed: parameter value no-such-key for parameter name KeyName does not exist. Rollback requested by user.' });
    expect((await deploy(keyTemplate, { KeyName: 'deployer' })).status).toBe('CREATE_COMPLETE');

    const idTemplate: CfnTemplate = {
      Parameters: { VpcId: { Type: 'AWS::EC2::VPC::Id' }, Subnets: { Type: 'List<AWS::EC2::Subnet::Id>' }, Image: { Type: 'AWS::EC2::Image::Id' } },
      Resources: {
        Topic: {
          Type: 'AWS::SNS::Topic',
          Properties: { Tags: [{ Key: 'vpc', Value: { Ref: 'VpcId' } }, { Key: 'subnets', Value: { 'Fn::Join': [',', { Ref: 'Subnets' }] } }, { Key: 'image', Value: { Ref: 'Image' } }] },
        },
      },
    };
    const made = await deploy({ Resources: network, Outputs: { Vpc: { Value: { Ref: 'Vpc' } }, Subnets: { Value: { 'Fn::Join': [',', [{ Ref: 'Subnet' }, { Ref: 'OtherSubnet' }]] } } } });
    expect(made.status).toBe('CREATE_COMPLETE');
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: `refs-${stacks}` }));
    const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue ?? '']));
    const subnets = outputs['Subnets'] ?? '';

    const missingVpc = await deploy(idTemplate, { VpcId: 'vpc-0123456789abcdef0', Subnets: subnets, Image: AMI });
    expect(missingVpc.rollback).toBe('Parameter validation failed: parameter value vpc-0123456789abcdef0 for parameter name VpcId does not exist. Rollback requested by user.');
    const missingSubnet = await deploy(idTemplate, { VpcId: outputs['Vpc'] ?? '', Subnets: `${subnets.split(',')[0] ?? ''},subnet-0123456789abcdef0`, Image: AMI });
    expect(missingSubnet.rollback).toBe('Parameter validation failed: parameter value subnet-0123456789abcdef0 for parameter name Subnets does not exist. Rollback requested by user.');
    const missingImage = await deploy(idTemplate, { VpcId: outputs['Vpc'] ?? '', Subnets: subnets, Image: 'ami-00000000000000000' });
    expect(missingImage.rollback).toBe('Parameter validation failed: parameter value ami-00000000000000000 for parameter name Image does not exist. Rollback requested by user.');
    expect((await deploy(idTemplate, { VpcId: outputs['Vpc'] ?? '', Subnets: subnets, Image: AMI })).status).toBe('CREATE_COMPLETE');
  });

  it('refuses CreateStack when an SSM parameter names a public parameter that does not exist', async () => {
    const template = (name: string): CfnTemplate => ({
      Parameters: { Image: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: name } },
      Resources: { ...network, Instance: { Type: 'AWS::EC2::Instance', Properties: { ImageId: { Ref: 'Image' }, InstanceType: 't4g.nano', SubnetId: { Ref: 'Subnet' } } } },
    });
    const refused = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'refs-ssm', TemplateBody: JSON.stringify(template('/aws/service/no-such-path/image_id')) })));
    expect([refused.name, refused.message]).toEqual(['ValidationError', 'Unable to fetch parameters [/aws/service/no-such-path/image_id] from parameter store for this account.']);
    expect((await deploy(template(AL2023))).status).toBe('CREATE_COMPLETE');
  });

  it.each<[string, CfnTemplate, RegExp]>([
    ['an AMI the region does not have', instance({ ImageId: 'ami-00000000000000000' }), handler("The image id '[ami-00000000000000000]' does not exist", 'Ec2')],
    ['a key pair the account does not have', instance({ KeyName: 'no-such-key' }), handler("The key pair 'no-such-key' does not exist", 'Ec2')],
    ['a subnet that does not exist', instance({ SubnetId: 'subnet-0123456789abcdef0' }), handler("The subnet ID 'subnet-0123456789abcdef0' does not exist", 'Ec2')],
    ['a security group that does not exist', instance({ SecurityGroupIds: [{ Ref: 'Group' }, 'sg-0123456789abcdef0'] }), handler("The security group 'sg-0123456789abcdef0' does not exist", 'Ec2')],
    [
      'an ingress rule into a security group that does not exist',
      { Resources: { Rule: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: 'sg-0123456789abcdef0', IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '10.0.0.0/8' } } } },
      handler("The security group 'sg-0123456789abcdef0' does not exist", 'Ec2'),
    ],
    ['a subnet in a VPC that does not exist', { Resources: { Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.0.0.0/24' } } } }, handler("The vpc ID 'vpc-0123456789abcdef0' does not exist", 'Ec2')],
    [
      'an ECS service on a cluster that does not exist',
      { Resources: { Service: { Type: 'AWS::ECS::Service', Properties: { Cluster: 'no-such-cluster', TaskDefinition: 'arn:aws:ecs:us-east-1:555555555555:task-definition/web:1', DesiredCount: 1 } } } },
      handler('Cluster not found.', 'Ecs'),
    ],
    [
      'a load balancer on subnets that do not exist',
      { Resources: { Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] } } } },
      handler("The subnet ID 'subnet-0123456789abcdef0' does not exist", 'ElasticLoadBalancingV2'),
    ],
    [
      'a DB subnet group of subnets that do not exist',
      { Resources: { Group: { Type: 'AWS::RDS::DBSubnetGroup', Properties: { DBSubnetGroupDescription: 'db', SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] } } } },
      handler('Some input subnets in :[subnet-0123456789abcdef0, subnet-0123456789abcdef1] are invalid.', 'Rds'),
    ],
    [
      'an auto-scaling group whose launch template names an AMI that does not exist',
      {
        Resources: {
          ...network,
          Launch: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { ImageId: 'ami-00000000000000000', InstanceType: 't4g.nano' } } },
          Group: {
            Type: 'AWS::AutoScaling::AutoScalingGroup',
            Properties: { MinSize: '1', MaxSize: '1', VPCZoneIdentifier: [{ Ref: 'Subnet' }], LaunchTemplate: { LaunchTemplateId: { Ref: 'Launch' }, Version: { 'Fn::GetAtt': ['Launch', 'LatestVersionNumber'] } } },
          },
        },
      },
      handler("You must use a valid fully-formed launch template. The image id '[ami-00000000000000000]' does not exist", 'AutoScaling'),
    ],
    ['a Lambda function whose code is in a bucket that does not exist', lambda('no-such-bucket-5555'), handler('Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist', 'Lambda')],
    [
      'an HTTPS listener with a certificate of another account',
      listener('arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666'),
      handler("Certificate 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666' not found", 'ElasticLoadBalancingV2'),
    ],
  ])('fails the resource that names %s, in its service\'s words', async (_case, template, reason) => {
    const { status, failures } = await deploy(template);
    expect(status).toBe('ROLLBACK_COMPLETE');
    expect(failures).toEqual([expect.stringMatching(reason)]);
  });

  it('deploys the same resources naming what exists: a public AMI, a seeded or stack-made key pair, the stack\'s subnets, groups (the VPC\'s default one too) and cluster', async () => {
    await edge.ec2(ACCOUNT).send(new CreateKeyPairCommand({ KeyName: 'seeded' }));
    const template: CfnTemplate = {
      Resources: {
        ...network,
        Key: { Type: 'AWS::EC2::KeyPair', Properties: { KeyName: 'stack-made' } },
        Seeded: { Type: 'AWS::EC2::Instance', Properties: { ImageId: AMI, InstanceType: 't4g.nano', SubnetId: { Ref: 'Subnet' }, KeyName: 'seeded', SecurityGroupIds: [{ Ref: 'Group' }] } },
        Made: { Type: 'AWS::EC2::Instance', Properties: { ImageId: AMI, InstanceType: 't4g.nano', SubnetId: { Ref: 'Subnet' }, KeyName: { Ref: 'Key' } } },
        Rule: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { 'Fn::GetAtt': ['Vpc', 'DefaultSecurityGroup'] }, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, SourceSecurityGroupId: { Ref: 'Group' } } },
        Cluster: { Type: 'AWS::ECS::Cluster' },
        Service: { Type: 'AWS::ECS::Service', Properties: { Cluster: { 'Fn::GetAtt': ['Cluster', 'Arn'] }, TaskDefinition: 'arn:aws:ecs:us-east-1:555555555555:task-definition/web:1', DesiredCount: 1 } },
        Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: [{ Ref: 'Subnet' }, { Ref: 'OtherSubnet' }], SecurityGroups: [{ Ref: 'Group' }] } },
        DbSubnets: { Type: 'AWS::RDS::DBSubnetGroup', Properties: { DBSubnetGroupDescription: 'db', SubnetIds: [{ Ref: 'Subnet' }, { Ref: 'OtherSubnet' }] } },
      },
    };
    expect(await deploy(template)).toEqual({ status: 'CREATE_COMPLETE', failures: [], rollback: undefined });
  });

  it('accepts a Lambda function whose code bucket a stack made', async () => {
    expect((await deploy(lambda({ Ref: 'Code' }, { Code: { Type: 'AWS::S3::Bucket' } }))).status).toBe('CREATE_COMPLETE');
  });

  it('accepts an HTTPS listener whose certificate was seeded into the account and region, or made by a stack; not one seeded elsewhere', async () => {
    const seed = async (region: string) => {
      const response = await fetch(`${edge.url}/_sandbox/certificates`, { method: 'POST', body: JSON.stringify({ account: ACCOUNT, region, domainName: 'shop.example.com' }) });
      return ((await response.json()) as { arn: string }).arn;
    };
    const seeded = await seed('us-east-1');
    const elsewhere = await seed('eu-west-1');
    const refused = await fetch(`${edge.url}/_sandbox/certificates`, { method: 'POST', body: JSON.stringify({ account: 'nobody', region: 'us-east-1', domainName: 'x' }) });

    expect(seeded).toMatch(new RegExp(`^arn:aws:acm:us-east-1:${ACCOUNT}:certificate/[0-9a-f-]{36}$`));
    expect([refused.status, await refused.json()]).toEqual([400, { message: 'account must be a 12-digit account id' }]);
    expect((await deploy(listener(seeded))).status).toBe('CREATE_COMPLETE');
    expect((await deploy(listener({ Ref: 'Certificate' }, { Certificate: { Type: 'AWS::CertificateManager::Certificate', Properties: { DomainName: 'shop.example.com' } } }))).status).toBe('CREATE_COMPLETE');
    const wrongRegion = await deploy(listener(elsewhere));
    expect(wrongRegion.failures).toEqual([expect.stringMatching(handler(`Certificate '${elsewhere}' not found`, 'ElasticLoadBalancingV2'))]);
  });
});
