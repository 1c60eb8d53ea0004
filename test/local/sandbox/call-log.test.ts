import { CreateStackCommand, DescribeStacksCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { SERVICE_ACCOUNT } from '../../../local/config';
import type { AwsRequest, AwsResponse, AwsService } from '../../../local/contracts';
import { CallLog, type SandboxCall } from '../../../local/sandbox/call-log';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { rejectionOf, waitForStack } from './stack-waits';

/**
 * The sandbox's request log: every CloudFormation and STS call the accounts answer, with the
 * service, action, acting account, StackName and outcome (status and error code, a throttled or
 * denied call included), oldest first; in code (`sandbox.calls`) and over HTTP (`/_sandbox/calls`,
 * `?account=` to filter, DELETE to clear). First the log alone, with a fake service and clock;
 * then the sandbox's, driven by the SDK clients as the benchmarks drive it.
 */

function request(fields: Partial<AwsRequest> & { body: string }): AwsRequest {
  return { method: 'POST', path: '/', query: {}, headers: {}, service: 'cloudformation', region: 'us-east-1', accessKeyId: '111111111111', ...fields };
}

function answer(status: number, body = '<Ok/>'): AwsResponse {
  return { status, headers: { 'content-type': 'text/xml' }, body };
}

/** A service that answers each request as `respond` says, after `delayMs` if the body asks for one. */
function fakeService(respond: (request: AwsRequest) => AwsResponse, onHandle: (request: AwsRequest) => void = () => undefined): AwsService {
  return {
    signingNames: ['cloudformation'],
    async handle(incoming) {
      onHandle(incoming);
      const delay = Number(new URLSearchParams(incoming.body).get('DelayMs') ?? '0');
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      return respond(incoming);
    },
  };
}

describe('CallLog', () => {
  it('records what was called, in which account, on which stack, and how it ended, and passes the answer through', async () => {
    // Prepare
    let clock = 1_000;
    const log = new CallLog(() => clock);
    const failure = answer(400, '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id x does not exist</Message></Error></ErrorResponse>');
    const service = log.wrap(
      fakeService(
        (incoming) => (incoming.body.includes('DescribeStacks') ? failure : answer(200)),
        () => {
          clock += 250; // the answer goes out later than the request came in
        },
      ),
    );

    // Act
    const created = await service.handle(request({ body: 'Action=CreateStack&StackName=shop-network&TemplateBody=%7B%7D' }));
    const described = await service.handle(request({ body: 'Action=DescribeStacks&StackName=x', accessKeyId: '222222222222', region: 'eu-west-1' }));
    const identity = await service.handle(request({ body: 'Action=GetCallerIdentity&Version=2011-06-15', service: 'sts' }));

    // Assess
    expect(service.signingNames).toEqual(['cloudformation']);
    expect(created).toEqual(answer(200));
    expect(described).toBe(failure);
    expect(identity.status).toBe(200);
    expect(log.list()).toEqual<SandboxCall[]>([
      { at: 1_250, service: 'cloudformation', action: 'CreateStack', account: '111111111111', stackName: 'shop-network', status: 200 },
      { at: 1_500, service: 'cloudformation', action: 'DescribeStacks', account: '222222222222', stackName: 'x', status: 400, error: 'ValidationError' },
      { at: 1_750, service: 'sts', action: 'GetCallerIdentity', account: '111111111111', status: 200 },
    ]);
  });

  it('takes the error code only from a failed answer, and none when the answer carries none', async () => {
    // Prepare
    const log = new CallLog(() => 0);
    const bodies: Record<string, AwsResponse> = {
      // A template that happens to contain <Code> is no error.
      GetTemplate: answer(200, '<GetTemplateResponse><TemplateBody>&lt;Code&gt;</TemplateBody><Code>NotAnError</Code></GetTemplateResponse>'),
      ListStacks: answer(400, '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>'),
      DeleteStack: answer(502, 'Bad Gateway'),
    };
    const service = log.wrap(fakeService((incoming) => bodies[new URLSearchParams(incoming.body).get('Action') ?? ''] ?? answer(500)));

    // Act
    for (const action of Object.keys(bodies)) await service.handle(request({ body: `Action=${action}` }));

    // Assess
    expect(log.list().map(({ action, status, error }) => ({ action, status, error }))).toEqual([
      { action: 'GetTemplate', status: 200, error: undefined },
      { action: 'ListStacks', status: 400, error: 'Throttling' },
      { action: 'DeleteStack', status: 502, error: undefined },
    ]);
    expect(log.list().every((call) => !('error' in call) || call.error !== undefined)).toBe(true);
  });

  it('lists calls in the order they were answered, per account on demand, and keeps only the newest up to its limit', async () => {
    // Prepare
    let clock = 0;
    const log = new CallLog(() => ++clock, 3);
    const service = log.wrap(fakeService(() => answer(200)));

    // Act: the slow call is asked first and answered last.
    await Promise.all([
      service.handle(request({ body: 'Action=DescribeStacks&StackName=slow&DelayMs=30' })),
      service.handle(request({ body: 'Action=DescribeStacks&StackName=fast', accessKeyId: '222222222222' })),
    ]);
    const answered = log.list().map((call) => call.stackName);
    for (const name of ['a', 'b', 'c']) await service.handle(request({ body: `Action=DescribeStacks&StackName=${name}` }));
    const kept = log.list();
    kept.pop(); // a caller's copy: the log is untouched
    const afterPop = log.list().map((call) => call.stackName);
    // The call of 222222222222 was among the oldest: no longer kept.
    const ofOther = log.list('222222222222');
    log.clear();

    // Assess
    expect(answered).toEqual(['fast', 'slow']);
    expect(afterPop).toEqual(['a', 'b', 'c']);
    expect(log.list()).toEqual([]);
    expect(ofOther).toEqual([]);
  });

  it('filters by account', async () => {
    // Prepare
    const log = new CallLog(() => 0);
    const service = log.wrap(fakeService(() => answer(200)));

    // Act
    await service.handle(request({ body: 'Action=ListStacks', accessKeyId: '111111111111' }));
    await service.handle(request({ body: 'Action=ListStacks', accessKeyId: '222222222222' }));
    await service.handle(request({ body: 'Action=DescribeStacks', accessKeyId: '111111111111' }));

    // Assess
    expect(log.list('111111111111').map((call) => call.action)).toEqual(['ListStacks', 'DescribeStacks']);
    expect(log.list('222222222222').map((call) => call.action)).toEqual(['ListStacks']);
    expect(log.list('999999999999')).toEqual([]);
    expect(log.list()).toHaveLength(3);
  });
});

describe("the sandbox's call log", () => {
  const CUSTOMER = '555555555555';
  const OTHER = '666666666666';
  let edge: SandboxEdge;

  /** A role in CUSTOMER that SERVICE_ACCOUNT may assume. */
  const roleTemplate = JSON.stringify({
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: 'call-log-reader',
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SERVICE_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] },
        },
      },
    },
    Outputs: { RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
  });

  async function callsOverHttp(query = ''): Promise<{ status: number; contentType: string | null; calls: SandboxCall[] }> {
    const response = await fetch(`${edge.url}/_sandbox/calls${query}`);
    const body = (await response.json()) as { calls: SandboxCall[] };
    return { status: response.status, contentType: response.headers.get('content-type'), calls: body.calls };
  }

  beforeAll(async () => {
    edge = await startSandboxEdge();
  });

  afterAll(async () => {
    await edge.close();
  });

  beforeEach(async () => {
    edge.sandbox.faults.clear();
    await (await fetch(`${edge.url}/_sandbox/calls`, { method: 'DELETE' })).text();
  });

  it('records each CloudFormation and STS call in order: service, action, acting account, stack name and outcome', async () => {
    // Prepare
    const cfn = edge.cloudFormation(CUSTOMER);
    const before = Date.now();

    // Act
    await edge.sts(CUSTOMER).send(new GetCallerIdentityCommand({}));
    await cfn.send(new CreateStackCommand({ StackName: 'call-log-role', TemplateBody: roleTemplate, Capabilities: ['CAPABILITY_NAMED_IAM'] }));
    const stack = await waitForStack(cfn, 'call-log-role');
    const roleArn = stack.Outputs?.[0]?.OutputValue ?? '';
    const assumed = await edge.sts(SERVICE_ACCOUNT).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'reader' }));
    const asRole = edge.cloudFormation(CUSTOMER, {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
      sessionToken: assumed.Credentials?.SessionToken ?? '',
    });
    await asRole.send(new DescribeStacksCommand({ StackName: stack.StackId }));
    const missing = await rejectionOf(cfn.send(new DescribeStacksCommand({ StackName: 'never-was' })));
    const after = Date.now();
    const calls = edge.sandbox.calls();

    // Assess
    expect(missing.name).toBe('ValidationError');
    // DescribeStacks was polled by waitForStack any number of times: compare the rest in order.
    const distinct = calls.filter((call, index) => index === 0 || !(call.action === 'DescribeStacks' && calls[index - 1]?.action === 'DescribeStacks' && call.stackName === 'call-log-role'));
    expect(distinct.map(({ at: _at, ...call }) => call)).toEqual([
      { service: 'sts', action: 'GetCallerIdentity', account: CUSTOMER, status: 200 },
      { service: 'cloudformation', action: 'CreateStack', account: CUSTOMER, stackName: 'call-log-role', status: 200 },
      { service: 'cloudformation', action: 'DescribeStacks', account: CUSTOMER, stackName: 'call-log-role', status: 200 },
      { service: 'sts', action: 'AssumeRole', account: SERVICE_ACCOUNT, status: 200 },
      // With the role's credentials the call acts in the role's account.
      { service: 'cloudformation', action: 'DescribeStacks', account: CUSTOMER, stackName: stack.StackId, status: 200 },
      { service: 'cloudformation', action: 'DescribeStacks', account: CUSTOMER, stackName: 'never-was', status: 400, error: 'ValidationError' },
    ]);
    const times = calls.map((call) => call.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBeGreaterThanOrEqual(before);
    expect(times.at(-1)).toBeLessThanOrEqual(after);
  });

  it('records throttled and denied calls with their status and error code', async () => {
    // Prepare
    const cfn = edge.cloudFormation(CUSTOMER);
    edge.sandbox.faults.throttle(1);

    // Act
    const throttled = await rejectionOf(cfn.send(new DescribeStacksCommand({ StackName: 'throttled-stack' })));
    edge.sandbox.faults.throttle(0);
    const denied = await rejectionOf(edge.sts(OTHER).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${CUSTOMER}:role/call-log-reader`, RoleSessionName: 'intruder' })));
    const unknownKey = await rejectionOf(edge.cloudFormation('AKIAEXAMPLE').send(new ListStacksCommand({})));

    // Assess
    expect([throttled.name, denied.name, unknownKey.name]).toEqual(['Throttling', 'AccessDenied', 'InvalidClientTokenId']);
    expect(edge.sandbox.calls().map(({ at: _at, ...call }) => call)).toEqual([
      { service: 'cloudformation', action: 'DescribeStacks', account: CUSTOMER, stackName: 'throttled-stack', status: 400, error: 'Throttling' },
      { service: 'sts', action: 'AssumeRole', account: OTHER, status: 403, error: 'AccessDenied' },
      // Not an account: recorded under the access key id it came with.
      { service: 'cloudformation', action: 'ListStacks', account: 'AKIAEXAMPLE', status: 403, error: 'InvalidClientTokenId' },
    ]);
  });

  it('serves the calls over HTTP as JSON, one account on demand, and clears them on DELETE', async () => {
    // Prepare
    await edge.cloudFormation(CUSTOMER).send(new ListStacksCommand({}));
    await edge.cloudFormation(OTHER).send(new ListStacksCommand({}));
    await edge.sts(CUSTOMER).send(new GetCallerIdentityCommand({}));

    // Act
    const all = await callsOverHttp();
    const ofCustomer = await callsOverHttp(`?account=${CUSTOMER}`);
    const ofNobody = await callsOverHttp('?account=999999999999');
    const inCode = { all: edge.sandbox.calls(), ofCustomer: edge.sandbox.calls(CUSTOMER) };
    const refused = await fetch(`${edge.url}/_sandbox/calls`, { method: 'POST', body: '{}' });
    await refused.text();
    const cleared = await fetch(`${edge.url}/_sandbox/calls`, { method: 'DELETE' });
    const clearedBody: unknown = await cleared.json();
    const afterClear = await callsOverHttp();

    // Assess
    expect(all.status).toBe(200);
    expect(all.contentType).toBe('application/json');
    expect(all.calls.map((call) => [call.account, call.action])).toEqual([
      [CUSTOMER, 'ListStacks'],
      [OTHER, 'ListStacks'],
      [CUSTOMER, 'GetCallerIdentity'],
    ]);
    // The HTTP view is the in-code view: the same calls, the same fields. Reading them is no call.
    expect(all.calls).toEqual(inCode.all);
    expect(ofCustomer.calls.map((call) => call.action)).toEqual(['ListStacks', 'GetCallerIdentity']);
    expect(ofCustomer.calls).toEqual(inCode.ofCustomer);
    expect(ofNobody.calls).toEqual([]);
    expect(refused.status).toBe(405);
    expect(cleared.status).toBe(200);
    expect(clearedBody).toEqual({ calls: [] });
    expect(afterClear.calls).toEqual([]);
    expect(edge.sandbox.calls()).toEqual([]);
  });
});
