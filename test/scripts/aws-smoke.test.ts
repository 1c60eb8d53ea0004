import { readFileSync } from 'node:fs';
import { zonesOffering } from '../../local/sandbox/data/ec2-regions';
import { createLogger } from '../../src/log/logger';
import { COMPONENT_DEPENDENCIES, type ComponentName } from '../../src/model/components';
import { registrationAttributesRead, registrationData } from '../../scripts/aws-smoke/registrar';
import { runSmoke, type SmokeIds } from '../../scripts/aws-smoke/run-smoke';
import { CHECK_BITS, verdicts } from '../../scripts/aws-smoke/task-check';
import { ACCOUNT, FakeAccount, REGION } from './aws-smoke-fake-account';

/**
 * `npm run aws:smoke` against a fake account: what it creates, in what order, through which
 * credentials, what it answers CloudFormation, and that it deletes everything whatever happens.
 * No test here reaches AWS or any host: every client's send is replaced, and so is fetch.
 */
const TEMPLATE = readFileSync(new URL('../../cfn/onboarding-role.yaml', import.meta.url), 'utf8');
const IDS: SmokeIds = {
  accountId: 'acc_smoketest00000000001',
  externalId: 'ExternalIdOfThisRun-0123456789abcdefghijklmnop',
  registrationToken: 'gwr_registration-token-of-this-run-0123456789',
  runId: 'run12345',
  stackId: 'stk-smoketest000000000001',
};
const DEFAULT_COMPONENTS: ComponentName[] = ['network', 'nat', 'security', 'secrets', 'database', 'cluster', 'frontend'];
const quiet = createLogger({ level: 'error', write: () => undefined });

let fake: FakeAccount;
beforeEach(() => {
  fake = new FakeAccount();
});
afterEach(() => fake.restore());

async function run(argv: string[] = ['--yes'], signal?: AbortSignal) {
  const lines: string[] = [];
  let runtimeBuilt = false;
  const code = await runSmoke({
    argv,
    env: { AWS_REGION: REGION },
    templateText: TEMPLATE,
    ids: IDS,
    logger: quiet,
    out: (line) => lines.push(line),
    runtime: () => {
      runtimeBuilt = true;
      return { ...fake.runtime(signal), out: (line: string) => lines.push(line) };
    },
  });
  return { code, output: lines.join('\n'), runtimeBuilt };
}

/** Component stack names in the order a command was sent for them through the access role. */
function order(command: 'CreateStack' | 'DeleteStack'): ComponentName[] {
  const names = fake.cloudFormation.calls.filter((c) => c.command === command && c.outcome === 'ok').map((c) => componentOf(c.stackName ?? ''));
  return [...new Set(names)];
}

const componentOf = (stackName: string) => stackName.replace(`groundwork-${IDS.stackId}-`, '') as ComponentName;
/** The component whose stack has this id (DeleteStack names the stack by id). */
const componentOfId = (stackId: string) => componentOf(fake.cloudFormation.allStacks().find((stack) => stack.stackId === stackId)?.stackName ?? stackId);

/** A component's stack as the double last saw it (deleted ones too). */
function componentStack(component: ComponentName) {
  return fake.cloudFormation.allStacks().find((stack) => stack.stackName === `groundwork-${IDS.stackId}-${component}`);
}

function expectNothingLeft(): void {
  expect(fake.cloudFormation.liveStackNames()).toEqual([]);
  expect(fake.onboarding?.status).toBe('DELETE_COMPLETE');
  expect(fake.live).toEqual({ buckets: new Set(), topics: new Set(), queues: new Set(), logGroups: new Set(), taskDefinitions: new Set() });
}

describe('npm run aws:smoke, before it creates anything', () => {
  it('without --yes prints what it would create and what it costs an hour, and touches no AWS API', async () => {
    // Act
    const { code, output, runtimeBuilt } = await run([]);
    // Assess
    expect(code).toBe(2);
    expect(output).toContain(`groundwork-${IDS.stackId}-database`);
    expect(output).toContain(`GroundworkAccess-${IDS.accountId}`);
    expect(output).toMatch(/about \$\d+\.\d\d an hour/);
    expect(output).toContain('Nothing was created');
    expect(runtimeBuilt).toBe(false);
    expect(fake.calls).toEqual([]);
  });

  it('without a region says so, and creates nothing', async () => {
    const lines: string[] = [];
    const code = await runSmoke({ argv: ['--yes'], env: {}, templateText: TEMPLATE, out: (l) => lines.push(l), runtime: () => fake.runtime() });
    expect([code, lines.join('\n')]).toEqual([2, expect.stringContaining('AWS_REGION')]);
    expect(fake.calls).toEqual([]);
  });

  it.each([
    ['an IAM user', `arn:aws:iam::${ACCOUNT}:user/alice`, 'IAM user'],
    ['the root user', `arn:aws:iam::${ACCOUNT}:root`, 'root user'],
  ])('refuses %s, having only asked who the caller is', async (_who, arn, said) => {
    // Prepare
    fake.callerArn = arn;
    // Act
    const { code, output } = await run();
    // Assess
    expect(code).toBe(2);
    expect(output).toContain(said);
    expect(output).toContain('must run as a role');
    expect(fake.calls.map((c) => `${c.client} ${c.command}`)).toEqual(['sts GetCallerIdentity']);
  });
});

describe('npm run aws:smoke --yes, when everything works', () => {
  it('onboards as a customer would: the template by URL, the caller\'s role (with its path) trusted', async () => {
    // Act
    const { code } = await run();
    // Assess
    expect(code).toBe(0);
    const [upload] = fake.callsTo('s3', 'PutObject');
    expect(upload?.input['Body']).toBe(TEMPLATE);
    const [launch] = fake.callsTo('cloudformation', 'CreateStack');
    expect(launch?.input).toMatchObject({
      StackName: 'GroundworkSmokeOnboarding-run12345',
      TemplateURL: `https://groundwork-aws-smoke-${ACCOUNT}-run12345.s3.${REGION}.amazonaws.com/onboarding-role.yaml`,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    });
    expect(launch?.input['TemplateBody']).toBeUndefined();
    expect(fake.onboarding?.parameters).toMatchObject({
      GroundworkAccountId: IDS.accountId,
      ExternalId: IDS.externalId,
      GroundworkServiceRoleArn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123`,
      AllowedRegions: REGION,
    });
  });

  it('trusts the role without a path, and says so, when the caller may not read its role', async () => {
    // Prepare
    fake.rolePath = undefined;
    // Act
    const { code, output } = await run();
    // Assess
    expect(code).toBe(0);
    expect(output).toContain('Could not read role AWSReservedSSO_Admin_0123 (AccessDenied)');
    expect(fake.onboarding?.parameters['GroundworkServiceRoleArn']).toBe(`arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_Admin_0123`);
  });

  it('answers the registration as Groundwork\'s callback does: proof first, then one SUCCESS with the Data the template reads', async () => {
    // Act
    await run();
    // Assess: the access role was tried with the ExternalId (accepted) and without it (refused) before the answer.
    const assumes = fake.callsTo('sts', 'AssumeRole').map((c) => c.input['ExternalId'] === IDS.externalId);
    expect(assumes.slice(0, 2)).toEqual([true, false]);
    const [create, remove] = fake.answers;
    expect(create?.url).toMatch(/^https:\/\/cloudformation-custom-resource-response-useast1\.s3\.amazonaws\.com\/.*request-\d+\?/);
    expect(create?.headers['content-type']).toBe('');
    expect(create?.body).toEqual({
      Status: 'SUCCESS',
      Reason: `Connected to Groundwork as ${IDS.accountId}.`,
      PhysicalResourceId: IDS.accountId,
      StackId: fake.onboarding?.stackId,
      RequestId: expect.stringMatching(/^request-/),
      LogicalResourceId: 'GroundworkRegistration',
      Data: { GroundworkAccountId: IDS.accountId },
    });
    // The Delete at teardown is answered too, or the onboarding stack would wait an hour for it.
    expect(remove?.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: IDS.accountId, LogicalResourceId: 'GroundworkRegistration' });
    expect(fake.answers).toHaveLength(2);
  });

  it('answers each registration request once, however often SQS delivers it', async () => {
    // Prepare
    fake.deliverTwice = true;
    // Act
    const { code } = await run();
    // Assess
    expect(code).toBe(0);
    expect(fake.answers.map((a) => a.body['Status'])).toEqual(['SUCCESS', 'SUCCESS']);
    expect(new Set(fake.answers.map((a) => a.body['RequestId'])).size).toBe(2);
    expectNothingLeft();
  });

  it('deploys each component through the access role, with the execution role and the stack tag, once what it depends on is complete', async () => {
    // Prepare: what each dependency's stack was when a component's CreateStack was sent.
    const seen: string[] = [];
    fake.onCall = (call) => {
      if (call.client !== 'access-role cloudformation' || call.command !== 'CreateStack') return;
      const component = componentOf(String(call.input['StackName']));
      COMPONENT_DEPENDENCIES[component].filter((d) => DEFAULT_COMPONENTS.includes(d)).forEach((d) => seen.push(`${component} after ${d}: ${componentStack(d)?.status ?? 'absent'}`));
    };
    // Act
    await run();
    // Assess
    expect([...order('CreateStack')].sort()).toEqual([...DEFAULT_COMPONENTS].sort());
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((line) => !line.endsWith('CREATE_COMPLETE'))).toEqual([]);
    for (const stack of fake.cloudFormation.allStacks()) {
      expect(stack.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/GroundworkExecution-${IDS.accountId}`);
      expect(stack.tags['groundwork:stack']).toBe(IDS.stackId);
    }
    // The fixed roles the registration named reached the templates as parameters.
    expect(componentStack('cluster')?.parameters['ContainerInstanceProfileArn']).toBe(
      `arn:aws:iam::${ACCOUNT}:instance-profile/GroundworkContainerInstance-${IDS.accountId}`,
    );
    // Only through the access role, with the ExternalId: the caller's own CloudFormation made the onboarding stack alone.
    expect(fake.callsTo('cloudformation', 'CreateStack')).toHaveLength(1);
  });

  it('reads the region through the access role once connected, and gives the network stack the AZs Groundwork chose from it', async () => {
    // Prepare: the NAT instance's type is missing from us-east-1a and us-east-1c; us-east-1e offers no t4g.small (the sandbox's data).
    fake.instanceTypeZones = (type) => (type === 't4g.nano' ? ['us-east-1b', 'us-east-1d', 'us-east-1e', 'us-east-1f'] : zonesOffering(REGION, type).map((zone) => zone.name));
    const timeline: string[] = [];
    let onboardingAtFirstRead: string | undefined;
    fake.onCall = (call) => {
      if (call.client === 'access-role ec2' && !timeline.some((line) => line.startsWith('access-role ec2'))) onboardingAtFirstRead = fake.onboarding?.status;
      timeline.push(`${call.client} ${call.command}`);
    };
    // Act
    const { code, output } = await run();
    // Assess
    expect(code).toBe(0);
    // Through the access role, with the ExternalId, after the onboarding stack completed and before any component.
    const session = fake.callsTo('sts', 'AssumeRole').find((c) => c.input['RoleSessionName'] === 'groundwork-create-stack');
    expect(session?.input).toMatchObject({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/GroundworkAccess-${IDS.accountId}`, ExternalId: IDS.externalId });
    const [offerings] = fake.callsTo('access-role ec2', 'DescribeInstanceTypeOfferings');
    expect(offerings?.input['Filters']).toEqual([{ Name: 'instance-type', Values: ['t4g.nano', 't4g.small'] }]);
    expect(fake.callsTo('access-role rds', 'DescribeDBEngineVersions')).toHaveLength(1);
    expect(onboardingAtFirstRead).toBe('CREATE_COMPLETE');
    expect(timeline.indexOf('access-role ec2 DescribeAvailabilityZones')).toBeLessThan(timeline.indexOf('access-role cloudformation CreateStack'));
    // The AZs that offer both types, by name, reached the network template as its AvailabilityZone<n> parameters.
    expect(componentStack('network')?.parameters).toMatchObject({ AvailabilityZone0: 'us-east-1b', AvailabilityZone1: 'us-east-1d', AvailabilityZone2: 'us-east-1f' });
    expect(output).toContain('AZs us-east-1b (use1-az2), us-east-1d (use1-az6), us-east-1f (use1-az5): the first by name that offer t4g.nano and t4g.small');
  });

  it('runs the check task with the caller\'s credentials in the private subnets, with the app security group and the stack\'s secret', async () => {
    // Act
    const { output } = await run();
    // Assess
    const network = componentStack('network')?.outputs ?? {};
    const security = componentStack('security')?.outputs ?? {};
    const secrets = componentStack('secrets')?.outputs ?? {};
    const [ran] = fake.callsTo('ecs', 'RunTask');
    expect(ran?.input).toMatchObject({
      cluster: `groundwork-${IDS.stackId}-cluster`,
      networkConfiguration: { awsvpcConfiguration: { subnets: (network['PrivateSubnetIds'] ?? '').split(','), securityGroups: [security['AppSecurityGroupId']] } },
    });
    expect(ran?.input['launchType']).toBeUndefined();
    const [definition] = fake.callsTo('ecs', 'RegisterTaskDefinition');
    expect(definition?.input).toMatchObject({
      networkMode: 'awsvpc',
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/GroundworkTaskExecution-${IDS.accountId}`,
      containerDefinitions: [expect.objectContaining({ secrets: [{ name: 'PGUSER', valueFrom: `${secrets['DatabaseSecretArn'] ?? ''}:username::` }, { name: 'PGPASSWORD', valueFrom: `${secrets['DatabaseSecretArn'] ?? ''}:password::` }] })],
    });
    expect(output).toMatch(/✓ verified .* egress from a private subnet through the NAT/);
    expect(output).toContain('egress: ok 203.0.113.7');
    expect(output).toMatch(/✓ verified .* login with the stack secret's credentials/);
  });

  it('deletes everything it made, each component stack once what depends on it is gone, then the onboarding stack', async () => {
    // Prepare: what each dependent's stack was when a component's DeleteStack was sent.
    const seen: string[] = [];
    fake.onCall = (call) => {
      if (call.client !== 'access-role cloudformation' || call.command !== 'DeleteStack') return;
      const component = componentOfId(String(call.input['StackName']));
      DEFAULT_COMPONENTS.filter((c) => COMPONENT_DEPENDENCIES[c].includes(component)).forEach((c) => seen.push(`${component} after ${c}: ${componentStack(c)?.status ?? 'absent'}`));
    };
    // Act
    const { output } = await run();
    // Assess
    expect([...order('DeleteStack')].sort()).toEqual([...DEFAULT_COMPONENTS].sort());
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((line) => !line.endsWith('DELETE_COMPLETE'))).toEqual([]);
    const onboardingDeleted = fake.calls.findIndex((c) => c.client === 'cloudformation' && c.command === 'DeleteStack');
    const lastComponentGone = fake.calls.findIndex((c) => c.client === 'ecs' && c.command === 'DeleteTaskDefinitions');
    expect(onboardingDeleted).toBeGreaterThan(lastComponentGone);
    expectNothingLeft();
    expect(output).toContain('Nothing was left behind');
    expect(output).not.toContain('FAILED');
  });
});

describe('npm run aws:smoke --yes, when something goes wrong', () => {
  it('tears everything down when a component fails to create, and says which', async () => {
    // Prepare
    fake.cloudFormation.failCreate(/-database$/, 'Resource handler returned message: "Cannot find version 16.4 for postgres"');
    // Act
    const { code, output } = await run();
    // Assess
    expect(code).toBe(1);
    expect(output).toMatch(/✗ FAILED .* database: .*\n.*Cannot find version 16\.4/);
    expect(fake.callsTo('ecs', 'RunTask')).toEqual([]);
    expectNothingLeft();
  });

  it('tears everything down on Ctrl-C', async () => {
    // Prepare: Ctrl-C as the database's stack is being created.
    const interrupt = new AbortController();
    fake.onCall = (call) => {
      if (call.command === 'CreateStack' && String(call.input['StackName']).endsWith('-database')) interrupt.abort(new Error('interrupted (Ctrl-C)'));
    };
    // Act
    const { code, output } = await run(['--yes'], interrupt.signal);
    // Assess
    expect(code).toBe(1);
    expect(output).toContain('Interrupted');
    expect(order('CreateStack')).not.toContain('frontend');
    expect(order('DeleteStack')).toContain('database');
    expectNothingLeft();
  });

  it('fails the run when a check fails inside the stack, and still deletes everything', async () => {
    // Prepare: no egress (the NAT forwards nothing), the database fine.
    fake.task = { exitCode: CHECK_BITS.egress, logs: ['egress: failed wget: download timed out', 'database: ready', 'database login: ok'] };
    // Act
    const { code, output } = await run();
    // Assess
    expect(code).toBe(1);
    expect(output).toMatch(/✗ FAILED .* egress from a private subnet through the NAT/);
    expect(output).toMatch(/✓ verified .* the database accepts connections/);
    expectNothingLeft();
  });

  it('names each stack it could not delete, and keeps the onboarding stack whose execution role they need', async () => {
    // Prepare
    fake.cloudFormation.failDelete(/-network$/);
    // Act
    const { code, output } = await run();
    // Assess
    expect(code).toBe(1);
    expect(output).toContain('NOT DELETED');
    expect(output).toContain(`CloudFormation stack groundwork-${IDS.stackId}-network (${REGION}): DELETE_FAILED twice`);
    expect(output).toMatch(/GroundworkSmokeOnboarding-run12345 .*kept: groundwork-stk-smoketest000000000001-network still exist/);
    expect(fake.cloudFormation.liveStackNames()).toEqual([`groundwork-${IDS.stackId}-network`]);
    expect(fake.onboarding?.status).toBe('CREATE_COMPLETE');
    expect(fake.live.buckets).toEqual(new Set());
  });

  it('stops before any component when the region cannot hold the default stack, says what it can, and deletes the onboarding stack', async () => {
    // Prepare: the NAT instance's type in two AZs only.
    fake.instanceTypeZones = (type) => (type === 't4g.nano' ? ['us-east-1a', 'us-east-1b'] : zonesOffering(REGION, type).map((zone) => zone.name));
    // Act
    const { code, output } = await run();
    // Assess
    expect(code).toBe(1);
    expect(output).toMatch(/✗ FAILED .* read what us-east-1 offers through the access role/);
    expect(output).toContain('network.azCount: us-east-1 has 2 availability zones that offer t4g.nano and t4g.small: us-east-1a, us-east-1b');
    expect(output).toContain('network.nat: the NAT instance (t4g.nano) is offered in 2');
    expect(fake.cloudFormation.allStacks()).toEqual([]);
    expectNothingLeft();
  });

  it('says what was refused when the access role may not read the region, and deletes everything', async () => {
    // Prepare
    fake.regionReadsDenied = true;
    // Act
    const { code, output } = await run();
    // Assess
    expect(code).toBe(1);
    expect(output).toContain('ec2:DescribeAvailabilityZones was refused');
    expect(fake.cloudFormation.allStacks()).toEqual([]);
    expectNothingLeft();
  });

  it('answers a registration whose token does not match in the first stage, without assuming any role', async () => {
    // Prepare: the stack was launched with another token than this run generated.
    fake.propertiesSent = { RegistrationToken: 'gwr_someone-elses-token-0123456789abcdef' };
    // Act
    const { code, output } = await run();
    // Assess
    expect(code).toBe(1);
    expect(output).toContain(`Groundwork would refuse this registration: Groundwork has no registration matching this link for AWS account ${ACCOUNT}`);
    expect(fake.callsTo('sts', 'AssumeRole')).toEqual([]);
    expect(fake.answers.map((a) => [a.body['Status'], a.body['Reason']])).toEqual([
      ['FAILED', expect.stringContaining('no registration matching this link')],
      ['SUCCESS', 'Nothing registered by this stack.'],
    ]);
    expectNothingLeft();
  });

  it('refuses a registration whose ResponseURL Groundwork would not call, and answers it FAILED only to delete the stack', async () => {
    // Prepare
    fake.responseHost = 'cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com';
    // Act
    const { code, output } = await run();
    // Assess
    expect(code).toBe(1);
    expect(output).toContain('is not the CloudFormation response bucket of us-east-1');
    expect(fake.answers.map((a) => a.body['Status'])).toEqual(['FAILED', 'SUCCESS']);
    expect(fake.cloudFormation.allStacks()).toEqual([]);
    expectNothingLeft();
  });
});

describe('the check task\'s verdicts', () => {
  it('reads one bit of the exit code per check', () => {
    const checks = verdicts({ containers: [{ name: 'check', exitCode: CHECK_BITS.egress | CHECK_BITS.databaseLogin }] }, []);
    expect(checks.map((c) => [c.check, c.ok])).toEqual([
      ['egress', false],
      ['databaseReady', true],
      ['databaseLogin', false],
    ]);
  });

  it('fails every check when the task never ran its command, saying why and what that usually means', () => {
    const checks = verdicts({ stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 1 time(s)', containers: [{ name: 'check' }] }, []);
    expect(checks.every((c) => !c.ok)).toBe(true);
    expect(checks[0]?.detail).toContain('no egress');
  });
});

describe('the registration answer', () => {
  it('carries every attribute the onboarding template reads from the registration with GetAtt', () => {
    const read = registrationAttributesRead(TEMPLATE);
    expect(read.length).toBeGreaterThan(0);
    expect(Object.keys(registrationData(IDS.accountId)).sort()).toEqual([...read].sort());
  });
});
