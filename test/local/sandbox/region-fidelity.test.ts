import { CreateStackCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeAvailabilityZonesCommand, DescribeInstanceTypeOfferingsCommand, paginateDescribeInstanceTypeOfferings } from '@aws-sdk/client-ec2';
import { DescribeDBEngineVersionsCommand, DescribeOrderableDBInstanceOptionsCommand } from '@aws-sdk/client-rds';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { readFileSync } from 'node:fs';
import { arns, SERVICE_ACCOUNT } from '../../../local/config';
import { CREATABLE_POSTGRES_VERSIONS } from '../../../local/sandbox/data/rds-postgres';
import type { CfnTemplate, CfnValue } from '../../../src/cfn/template-types';
import { customerRegionClientsFactory } from '../../../src/aws/customer-region-clients';
import { ValidationError } from '../../../src/errors';
import { stackRequestSchema, type StackRequestInput } from '../../../src/model/stack-request';
import { planSubnets } from '../../../src/network/plan-subnets';
import { RegionUnreadableError } from '../../../src/region/errors';
import { fitRequestToRegion } from '../../../src/region/fit-region';
import { awsRegionOfferFor } from '../../../src/region/region-offer';
import { buildNetworkTemplate } from '../../../src/templates/network';
import { buildStackTemplates } from '../../../src/templates/build-stack-templates';
import { deployComponents } from './deploy-components';
import { answeringOnboardingHooks, onboardAccount } from './onboard-account';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { rejectionOf, stackEvents, waitForStack } from './stack-waits';
import { publicParameterValue } from '../../../local/sandbox/data/ssm-public-parameters';

/** An AMI that exists in us-east-1: Amazon Linux 2023, as the sandbox's public parameter names it. */
const AMAZON_AMI = publicParameterValue('us-east-1', '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64') ?? '';

/**
 * The sandbox fails where AWS fails, from dated data (local/sandbox/data/): the AZs a region has and
 * the instance types each offers, the PostgreSQL versions RDS still creates. Each case is one that
 * Groundwork's old templates and defaults met in AWS (fidelity review D1, D5).
 */
const ACCOUNT = '444444444444';
const GROUNDWORK_ACCOUNT_ID = 'acc_abcdefghij0123456789';
const onboardingTemplate = readFileSync(new URL('../../../cfn/onboarding-role.yaml', import.meta.url), 'utf8');

let edge: SandboxEdge;
beforeAll(async () => {
  edge = await startSandboxEdge({ hooks: answeringOnboardingHooks(GROUNDWORK_ACCOUNT_ID) });
});
afterAll(async () => {
  await edge.close();
});

const request = (input: Partial<StackRequestInput> = {}) => stackRequestSchema.parse({ name: 'shop', accountId: GROUNDWORK_ACCOUNT_ID, ...input });

/** Creates the stack with the account's own keys and waits for it; returns its status and its resources' failure reasons. */
async function deploy(cfn: CloudFormationClient, stackName: string, template: CfnTemplate, parameters: Record<string, string> = {}) {
  await cfn.send(
    new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(template), Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }),
  );
  const stack = await waitForStack(cfn, stackName);
  const failures = (await stackEvents(cfn, stackName))
    .filter((event) => event.ResourceStatus === 'CREATE_FAILED' && event.ResourceStatusReason !== 'Resource creation cancelled' && event.LogicalResourceId !== stackName)
    .map((event) => `${event.LogicalResourceId ?? ''}: ${event.ResourceStatusReason ?? ''}`);
  return { status: stack.StackStatus, failures };
}

const vpcWithSubnet = (zone: CfnValue): CfnTemplate['Resources'] => ({
  Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.8.0.0/16' } },
  Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.8.0.0/24', AvailabilityZone: zone } },
});

describe('the sandbox regions answer EC2 and RDS from their data', () => {
  it('lists a region\'s AZs with their ids, filtered as EC2 filters, and refuses an AZ it does not have', async () => {
    const ec2 = edge.ec2(ACCOUNT, undefined, 'us-west-1');
    const { AvailabilityZones = [] } = await ec2.send(
      new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }, { Name: 'zone-type', Values: ['availability-zone'] }] }),
    );
    expect(AvailabilityZones.map(({ ZoneName, ZoneId, State, ZoneType, OptInStatus, RegionName }) => ({ ZoneName, ZoneId, State, ZoneType, OptInStatus, RegionName }))).toEqual([
      { ZoneName: 'us-west-1a', ZoneId: 'usw1-az1', State: 'available', ZoneType: 'availability-zone', OptInStatus: 'opt-in-not-required', RegionName: 'us-west-1' },
      { ZoneName: 'us-west-1c', ZoneId: 'usw1-az3', State: 'available', ZoneType: 'availability-zone', OptInStatus: 'opt-in-not-required', RegionName: 'us-west-1' },
    ]);
    const east = await edge.ec2(ACCOUNT).send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-id', Values: ['use1-az3'] }] }));
    expect(east.AvailabilityZones?.map((zone) => zone.ZoneName)).toEqual(['us-east-1e']);
    const unknown = await rejectionOf(ec2.send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['us-west-1b'] })));
    expect([unknown.name, unknown.message]).toEqual(['InvalidParameterValue', 'Invalid availability zone: [us-west-1b]']);
  });

  it('lists instance type offerings per AZ, page by page: us-east-1e (use1-az3) offers none of the types the stacks use', async () => {
    const ec2 = edge.ec2(ACCOUNT);
    const locations: string[] = [];
    for await (const page of paginateDescribeInstanceTypeOfferings(
      { client: ec2, pageSize: 5 },
      { LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: ['t4g.nano', 't3.small'] }] },
    )) {
      expect((page.InstanceTypeOfferings ?? []).length).toBeLessThanOrEqual(5);
      for (const offering of page.InstanceTypeOfferings ?? []) locations.push(`${offering.InstanceType ?? ''}@${offering.Location ?? ''}`);
    }
    expect(locations.filter((location) => location.startsWith('t4g.nano@')).sort()).toEqual(['a', 'b', 'c', 'd', 'f'].map((letter) => `t4g.nano@us-east-1${letter}`));
    expect(locations.filter((location) => location.endsWith('us-east-1e'))).toEqual([]);
    const byId = await ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: 'availability-zone-id', Filters: [{ Name: 'instance-type', Values: ['t4g.small'] }, { Name: 'location', Values: ['use1-az3'] }] }));
    expect(byId.InstanceTypeOfferings).toEqual([]);
  });

  it('lists the PostgreSQL versions RDS still creates (not 16.4) and the classes that run them', async () => {
    const rds = edge.rds(ACCOUNT);
    const { DBEngineVersions = [] } = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'postgres' }));
    expect(DBEngineVersions.map((version) => version.EngineVersion)).toEqual(CREATABLE_POSTGRES_VERSIONS);
    expect(DBEngineVersions[0]).toMatchObject({ Engine: 'postgres', MajorEngineVersion: '14', DBParameterGroupFamily: 'postgres14', Status: 'available' });
    expect((await rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'postgres', EngineVersion: '16.4' }))).DBEngineVersions).toEqual([]);

    const { OrderableDBInstanceOptions = [] } = await rds.send(new DescribeOrderableDBInstanceOptionsCommand({ Engine: 'postgres', EngineVersion: '16.11', Vpc: true }));
    expect(OrderableDBInstanceOptions.map((option) => option.DBInstanceClass)).toContain('db.t4g.micro');
    expect(OrderableDBInstanceOptions[0]?.AvailabilityZones?.map((zone) => zone.Name)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f']);
    const refused = await rejectionOf(rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'postgres', DefaultOnly: true })));
    expect(refused.name).toBe('InvalidParameterValue');
  });
});

describe('CloudFormation in a sandbox region fails where AWS fails', () => {
  it('Fn::GetAZs returns the region\'s AZs: the old network template (AZ index 2) fails in us-west-1; the chosen AZs build it', async () => {
    const cfn = edge.cloudFormation(ACCOUNT, undefined, 'us-west-1');
    const input = { request: request({ region: 'us-west-1' }), network: planSubnets('10.30.0.0/16', 3), tenantId: 'acme', stackId: 'stk-getazs00000000000' };
    // The template as the old builder wrote it: each subnet in the n-th AZ of Fn::GetAZs.
    const old = structuredClone(buildNetworkTemplate(input).template);
    delete old.Parameters;
    for (const resource of Object.values(old.Resources)) {
      const zone = resource.Properties?.['AvailabilityZone'] as { Ref?: string } | undefined;
      if (resource.Type === 'AWS::EC2::Subnet' && zone?.Ref) resource.Properties = { ...resource.Properties, AvailabilityZone: { 'Fn::Select': [Number(zone.Ref.slice(-1)), { 'Fn::GetAZs': '' }] } };
    }
    const before = await deploy(cfn, 'old-network', old);
    expect(before.status).toBe('ROLLBACK_COMPLETE');
    expect(before.failures.sort()).toEqual(['Isolated', 'Private', 'Public'].map((tier) => `${tier}Subnet2: Template error: Fn::Select cannot select nonexistent value at index`));

    const two = { ...input, request: request({ region: 'us-west-1', network: { azCount: 2 } }), network: planSubnets('10.31.0.0/16', 2) };
    const now = await deploy(cfn, 'new-network', buildNetworkTemplate(two).template, { AvailabilityZone0: 'us-west-1a', AvailabilityZone1: 'us-west-1c' });
    expect(now).toEqual({ status: 'CREATE_COMPLETE', failures: [] });
  });

  it('refuses an AvailabilityZone parameter naming no AZ of the region, before creating anything', async () => {
    const template = { Parameters: { Zone: { Type: 'AWS::EC2::AvailabilityZone::Name' } }, Resources: vpcWithSubnet({ Ref: 'Zone' }) };
    const refused = await rejectionOf(
      edge.cloudFormation(ACCOUNT, undefined, 'us-west-1').send(new CreateStackCommand({ StackName: 'bad-zone', TemplateBody: JSON.stringify(template), Parameters: [{ ParameterKey: 'Zone', ParameterValue: 'us-west-1b' }] })),
    );
    expect([refused.name, refused.message]).toEqual(['ValidationError', 'Parameter validation failed: parameter value us-west-1b for parameter name Zone does not exist.']);
  });

  it('fails a subnet in an AZ the region lacks, in EC2\'s words', async () => {
    const result = await deploy(edge.cloudFormation(ACCOUNT, undefined, 'us-west-1'), 'subnet-in-b', { Resources: vpcWithSubnet('us-west-1b') });
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures).toEqual([
      expect.stringMatching(
        /^Subnet: Resource handler returned message: "Value \(us-west-1b\) for parameter availabilityZone is invalid\. Subnets can currently only be created in the following availability zones: us-west-1a, us-west-1c\. \(Service: Ec2, Status Code: 400, Request ID: [\w-]+\)" \(RequestToken: [\w-]+, HandlerErrorCode: InvalidRequest\)$/,
      ),
    ]);
  });

  it('fails an instance, and an auto-scaling group\'s launch, of a type its AZ does not offer; builds them where it is offered', async () => {
    const cfn = edge.cloudFormation(ACCOUNT);
    const instance = (zone: string): CfnTemplate => ({
      Resources: { ...vpcWithSubnet(zone), Instance: { Type: 'AWS::EC2::Instance', Properties: { ImageId: AMAZON_AMI, InstanceType: 't4g.nano', SubnetId: { Ref: 'Subnet' } } } },
    });
    const group = (zone: string): CfnTemplate => ({
      Resources: {
        ...vpcWithSubnet(zone),
        LaunchTemplate: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { ImageId: AMAZON_AMI, InstanceType: 't3.small' } } },
        Group: {
          Type: 'AWS::AutoScaling::AutoScalingGroup',
          Properties: {
            MinSize: '1',
            MaxSize: '1',
            VPCZoneIdentifier: [{ Ref: 'Subnet' }],
            LaunchTemplate: { LaunchTemplateId: { Ref: 'LaunchTemplate' }, Version: { 'Fn::GetAtt': ['LaunchTemplate', 'LatestVersionNumber'] } },
          },
        },
      },
    });
    const offered = 'Please retry your request by not specifying an Availability Zone or choosing us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f.';
    const instanceInE = await deploy(cfn, 'instance-in-e', instance('us-east-1e'));
    expect(instanceInE.failures).toEqual([
      expect.stringMatching(
        new RegExp(`^Instance: Resource handler returned message: "Your requested instance type \\(t4g\\.nano\\) is not supported in your requested Availability Zone \\(us-east-1e\\)\\. ${offered.replace(/[.()]/g, '\\$&')} \\(Service: Ec2, Status Code: 400, Request ID: [\\w-]+\\)" \\(RequestToken: [\\w-]+, HandlerErrorCode: InvalidRequest\\)$`),
      ),
    ]);
    const groupInE = await deploy(cfn, 'group-in-e', group('us-east-1e'));
    expect(groupInE.failures).toEqual([`Group: Your requested instance type (t3.small) is not supported in your requested Availability Zone (us-east-1e). ${offered} Launching EC2 instance failed.`]);
    expect([instanceInE.status, groupInE.status]).toEqual(['ROLLBACK_COMPLETE', 'ROLLBACK_COMPLETE']);
    expect(await deploy(cfn, 'instance-in-a', instance('us-east-1a'))).toEqual({ status: 'CREATE_COMPLETE', failures: [] });
    expect(await deploy(cfn, 'group-in-a', group('us-east-1a'))).toEqual({ status: 'CREATE_COMPLETE', failures: [] });
  });

  it('fails the database of the old default stack (PostgreSQL 16.4) in RDS\'s words; builds the default (16) and a creatable minor', async () => {
    const cfn = edge.cloudFormation(ACCOUNT);
    const database = (version: string, instanceClass = 'db.t4g.micro'): CfnTemplate => ({
      Resources: { Database: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres', EngineVersion: version, DBInstanceClass: instanceClass, AllocatedStorage: '20', MasterUsername: 'groundwork', ManageMasterUserPassword: true } } },
    });
    const retired = await deploy(cfn, 'db-16-4', database('16.4'));
    expect(retired.failures).toEqual([
      expect.stringMatching(/^Database: Resource handler returned message: "Cannot find version 16\.4 for postgres \(Service: Rds, Status Code: 400, Request ID: [\w-]+\)" \(RequestToken: [\w-]+, HandlerErrorCode: InvalidRequest\)$/),
    ]);
    const noClass = await deploy(cfn, 'db-t2', database('16.11', 'db.t2.micro'));
    expect(noClass.failures).toEqual([
      expect.stringContaining(
        'RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t2.micro, Engine=postgres, EngineVersion=16.11, LicenseModel=postgresql-license.',
      ),
    ]);
    for (const version of ['16', '16.11']) expect(await deploy(cfn, `db-${version.replace('.', '-')}`, database(version))).toEqual({ status: 'CREATE_COMPLETE', failures: [] });
  });

  it('rolls back the whole default stack with the old pinned version 16.4, and builds it with the default major', async () => {
    const cfn = edge.cloudFormation('555555555555');
    const stackOf = (version: string | undefined, stackId: string) =>
      buildStackTemplates({ request: request(version === undefined ? {} : { database: { version } }), network: planSubnets('10.40.0.0/16', 3), tenantId: 'acme', stackId });
    const old = await deployComponents(cfn, '555555555555', stackOf('16.4', 'stk-old0000000000000000'));
    expect(old.get('database')?.StackStatus).toBe('ROLLBACK_COMPLETE');
    const now = await deployComponents(cfn, '555555555555', stackOf(undefined, 'stk-new0000000000000000'));
    expect([...now.values()].map((stack) => stack.StackStatus)).toEqual([...now.values()].map(() => 'CREATE_COMPLETE'));
  });
});

describe('the region reads through a customer\'s access role', () => {
  /** An account onboarded with the template, and a fit of requests to its region as the plan and create-stack functions make it. */
  const onboarded = async (template: string, account: string) => {
    const externalId = `ext-${account}-0123456789abcdef`;
    // The regions the checks read, allowed at onboarding (the access role reads nowhere else).
    const { accessRoleArn } = await onboardAccount(edge, { account, groundworkAccountId: GROUNDWORK_ACCOUNT_ID, externalId, template, regions: ['us-east-1', 'us-west-1', 'us-east-2', 'eu-west-1'] });
    // The service role assumes the access role (with the ExternalId), then reads EC2 and RDS with it.
    const service = await edge.sts(SERVICE_ACCOUNT).send(new AssumeRoleCommand({ RoleArn: arns.serviceRole, RoleSessionName: 'groundwork-service' }));
    const serviceRoleSts = edge.sts(SERVICE_ACCOUNT, { accessKeyId: service.Credentials?.AccessKeyId ?? '', secretAccessKey: service.Credentials?.SecretAccessKey ?? '', sessionToken: service.Credentials?.SessionToken ?? '' });
    const regions = awsRegionOfferFor(customerRegionClientsFactory(serviceRoleSts));
    return async (input: Partial<StackRequestInput>) => {
      const req = request(input);
      return fitRequestToRegion(req, await regions({ accessRoleArn, externalId, sessionName: 'groundwork-plan' }, req.region));
    };
  };
  const previousEndpoint = process.env['AWS_ENDPOINT_URL'];
  beforeAll(() => {
    // The product's clients take their endpoint from the SDK's configuration, as in local mode.
    process.env['AWS_ENDPOINT_URL'] = edge.url;
  });
  afterAll(() => {
    if (previousEndpoint === undefined) delete process.env['AWS_ENDPOINT_URL'];
    else process.env['AWS_ENDPOINT_URL'] = previousEndpoint;
  });

  it('lets the access role read the region, and the product fits the stack to it: us-west-1 has 2 AZs', async () => {
    const fitIn = await onboarded(onboardingTemplate, '666666666666');
    const refused = await fitIn({ region: 'us-west-1' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).errors).toEqual([
      { field: 'network.azCount', message: 'us-west-1 has 2 availability zones that offer t4g.nano and t4g.small: us-west-1a, us-west-1c; set azCount to 2' },
    ]);
    const fitted = await fitIn({ region: 'us-west-1', network: { azCount: 2 } });
    expect(fitted.availabilityZones).toEqual([
      { name: 'us-west-1a', zoneId: 'usw1-az1' },
      { name: 'us-west-1c', zoneId: 'usw1-az3' },
    ]);
    const calls = edge.sandbox.calls('666666666666').filter((call) => call.service === 'ec2' || call.service === 'rds');
    expect(new Set(calls.map((call) => `${call.service}:${call.action}:${call.status}`))).toEqual(
      new Set(['ec2:DescribeAvailabilityZones:200', 'ec2:DescribeInstanceTypeOfferings:200', 'rds:DescribeDBEngineVersions:200', 'rds:DescribeOrderableDBInstanceOptions:200']),
    );
  });

  it('refuses those reads to an access role without ReadWhatTheRegionOffers (UnauthorizedOperation, AccessDenied): a 409 to update the onboarding stack', async () => {
    const statement = /\n {14}# What a region offers this account[\s\S]*?Resource: '\*'\n/;
    expect(onboardingTemplate).toMatch(statement);
    const without = onboardingTemplate.replace(statement, '\n');
    const refused = await (await onboarded(without, '777777777777'))({}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RegionUnreadableError);
    expect(refused).toMatchObject({ status: 409, action: expect.stringMatching(/^(ec2:DescribeAvailabilityZones|ec2:DescribeInstanceTypeOfferings|rds:DescribeDBEngineVersions)$/) });
    const denied = edge.sandbox.calls('777777777777').filter((call) => call.service === 'ec2' || call.service === 'rds');
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.map((call) => [call.status, call.error])).toEqual(denied.map((call) => [403, call.service === 'ec2' ? 'UnauthorizedOperation' : 'AccessDenied']));
  });
});
