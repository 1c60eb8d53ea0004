import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient } from '@aws-sdk/client-iam';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { zonesOffering } from '../../local/sandbox/data/ec2-regions';
import { describeEngineVersions, describeZones, orderableOptions } from '../../local/sandbox/region-offerings';
import { ONBOARDING_TEMPLATE_VERSION } from '../../src/accounts/onboarding-template-version';
import { customerCloudFormationFactory } from '../../src/aws/customer-clients';
import { customerRegionClientsFactory } from '../../src/aws/customer-region-clients';
import { awsRegionOfferFor } from '../../src/region/region-offer';
import type { SmokeClients } from '../../scripts/aws-smoke/smoke-clients';
import { DEFAULT_TIMING, type SmokeRuntime } from '../../scripts/aws-smoke/smoke-runtime';
import { CloudFormationDouble } from '../support/cloudformation-double';

/**
 * One AWS account as `npm run aws:smoke` meets it, with no network: every client is a real SDK
 * client whose `send` is replaced (aws-sdk-client-mock). The component stacks go to the
 * CloudFormation double (templates evaluated, outputs rendered); the caller's own CloudFormation
 * plays the onboarding stack, whose custom resource publishes to the SQS queue and completes
 * when the answer is PUT to its ResponseURL (the injected fetch). The access role's EC2 and RDS
 * (Groundwork's region reads) answer from the sandbox's dated region data (local/sandbox/data/).
 * Time is virtual: each sleep moves the clock.
 */
export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';

export interface Call {
  client: string;
  command: string;
  input: Record<string, unknown>;
}

export interface AnswerPut {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

type Handler = (input: Record<string, unknown>) => unknown;
interface SentCommand {
  input: unknown;
  constructor: { name: string };
}
/** What the tests use of a mocked client: its send, and undoing the mock. */
interface Stub {
  send: { callsFake(answer: (command: SentCommand) => Promise<unknown>): unknown };
  restore(): void;
}

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

interface OnboardingStack {
  stackId: string;
  status: string;
  parameters: Record<string, string>;
  outputs: Record<string, string>;
  requests: Map<string, 'Create' | 'Delete'>;
}

export class FakeAccount {
  readonly calls: Call[] = [];
  readonly answers: AnswerPut[] = [];
  readonly cloudFormation = new CloudFormationDouble({ account: ACCOUNT, region: REGION });
  /** The caller's identity (GetCallerIdentity). */
  callerArn = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com`;
  /** The path iam:GetRole reports for the caller's role; undefined: the caller may not call it. */
  rolePath: string | undefined = '/aws-reserved/sso.amazonaws.com/';
  /** How the ResponseURL's host reads (CloudFormation's bucket for us-east-1, global endpoint). */
  responseHost = 'cloudformation-custom-resource-response-useast1.s3.amazonaws.com';
  /** How the check task ends. */
  task: { exitCode?: number; stopCode?: string; stoppedReason?: string; logs: string[] } = {
    exitCode: 0,
    logs: ['egress: ok 203.0.113.7', 'database: ready', 'database login: ok'],
  };
  readonly live = { buckets: new Set<string>(), topics: new Set<string>(), queues: new Set<string>(), logGroups: new Set<string>(), taskDefinitions: new Set<string>() };
  onboarding: OnboardingStack | undefined;
  /** The AZs (by name) that offer an instance type: the sandbox's data for the region, unless a test says otherwise. */
  instanceTypeZones: (instanceType: string) => string[] = (instanceType) => zonesOffering(REGION, instanceType).map((zone) => zone.name);
  /** The access role may not read the region (an onboarding stack from before the region checks). */
  regionReadsDenied = false;
  /** Replaces registration properties CloudFormation sends (a stack launched with someone else's values). */
  propertiesSent: Record<string, string> = {};
  /** SQS delivers each registration request twice (it delivers at least once). */
  deliverTwice = false;
  /** Called on every call, before it is answered: a test's hook (e.g. Ctrl-C at a chosen moment). */
  onCall: (call: Call) => void = () => undefined;

  private clock = 1_767_000_000_000;
  private readonly queue: Array<{ body: string; receipt: string }> = [];
  private sequence = 0;
  private readonly stubs: Stub[] = [];
  private readonly clientsMade: SmokeClients;

  constructor() {
    const config = { region: REGION, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' } };
    this.clientsMade = {
      sts: this.fake('sts', new STSClient(config), this.sts()),
      iam: this.fake('iam', new IAMClient(config), this.iam()),
      cloudFormation: this.fake('cloudformation', new CloudFormationClient(config), this.callerCloudFormation()),
      s3: this.fake('s3', new S3Client(config), this.s3()),
      sns: this.fake('sns', new SNSClient(config), this.sns()),
      sqs: this.fake('sqs', new SQSClient(config), this.sqs()),
      ecs: this.fake('ecs', new ECSClient(config), this.ecs()),
      logs: this.fake('logs', new CloudWatchLogsClient(config), this.logs()),
    };
    // Every other CloudFormation client (the access role's, built by Groundwork's factory) goes to the double.
    // After the caller's clients: mocking an instance whose class is already mocked would undo the class's mock.
    const accessRole = mockClient(CloudFormationClient) as unknown as Stub;
    this.stubs.push(accessRole);
    accessRole.send.callsFake(async (command) => {
      this.onCall({ client: 'access-role cloudformation', command: command.constructor.name.replace(/Command$/, ''), input: command.input as Record<string, unknown> });
      return this.cloudFormation.send(command);
    });
    // The caller has no EC2 or RDS client: every one is the access role's (Groundwork's region reads).
    this.fake('access-role ec2', EC2Client, this.regionEc2());
    this.fake('access-role rds', RDSClient, this.regionRds());
  }

  restore(): void {
    this.stubs.forEach((stub) => stub.restore());
  }

  now = (): number => this.clock;

  runtime(signal: AbortSignal = new AbortController().signal): SmokeRuntime {
    return {
      region: REGION,
      clients: this.clientsMade,
      customerCloudFormation: customerCloudFormationFactory(this.clientsMade.sts, this.now),
      regionOffers: awsRegionOfferFor(customerRegionClientsFactory(this.clientsMade.sts, this.now)),
      fetch: this.fetch,
      sleep: async (ms, sleepSignal) => {
        sleepSignal?.throwIfAborted();
        this.clock += ms;
      },
      now: this.now,
      signal,
      timing: { ...DEFAULT_TIMING, pollMs: 5_000, receiveWaitSeconds: 0 },
      out: () => undefined,
    };
  }

  callsTo(client: string, command?: string): Call[] {
    return this.calls.filter((c) => c.client === client && (command === undefined || c.command === command));
  }

  /** The answer CloudFormation's response bucket received (the presigned PUT). */
  private readonly fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    this.answers.push({ url: String(url), headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)), body });
    this.applyAnswer(body);
    return new Response('', { status: 200 });
  }) as typeof fetch;

  /** Replaces the send of one client, or of every client of a class. */
  private fake<C>(name: string, client: C, handlers: Record<string, Handler>): C {
    const stub = mockClient(client as never) as unknown as Stub;
    this.stubs.push(stub);
    stub.send.callsFake(async (command) => {
      const call: Call = { client: name, command: command.constructor.name.replace(/Command$/, ''), input: (command.input ?? {}) as Record<string, unknown> };
      this.calls.push(call);
      this.onCall(call);
      const handler = handlers[call.command];
      if (!handler) throw new Error(`the fake ${name} does not answer ${call.command}`);
      return handler(call.input);
    });
    return client;
  }

  private sts(): Record<string, Handler> {
    return {
      GetCallerIdentity: () => ({ Arn: this.callerArn, Account: ACCOUNT }),
      AssumeRole: (input) => {
        const onboarding = this.onboarding;
        const accessRole = onboarding && `arn:aws:iam::${ACCOUNT}:role/GroundworkAccess-${onboarding.parameters['GroundworkAccountId'] ?? ''}`;
        if (!onboarding || input['RoleArn'] !== accessRole || input['ExternalId'] !== onboarding.parameters['ExternalId']) {
          throw awsError('AccessDenied', `not authorized to perform sts:AssumeRole on ${String(input['RoleArn'])}`);
        }
        return { Credentials: { AccessKeyId: 'ASIAACCESS', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(this.clock + 900_000) } };
      },
    };
  }

  private iam(): Record<string, Handler> {
    return {
      GetRole: (input) => {
        if (this.rolePath === undefined) throw awsError('AccessDenied', 'not authorized to perform: iam:GetRole');
        return { Role: { Arn: `arn:aws:iam::${ACCOUNT}:role${this.rolePath}${String(input['RoleName'])}` } };
      },
    };
  }

  private callerCloudFormation(): Record<string, Handler> {
    return {
      CreateStack: (input) => {
        if (input['TemplateBody'] !== undefined) throw awsError('ValidationError', 'Template may not exceed 51200 bytes in size.');
        const parameters = Object.fromEntries(((input['Parameters'] ?? []) as Array<{ ParameterKey: string; ParameterValue: string }>).map((p) => [p.ParameterKey, p.ParameterValue]));
        const stackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${String(input['StackName'])}/0000-${(this.sequence += 1)}`;
        this.onboarding = { stackId, status: 'CREATE_IN_PROGRESS', parameters, outputs: {}, requests: new Map() };
        this.publish('Create');
        return { StackId: stackId };
      },
      DescribeStacks: (input) => {
        const stack = this.onboarding;
        if (!stack || (input['StackName'] !== stack.stackId && stack.status === 'DELETE_COMPLETE')) throw awsError('ValidationError', `Stack with id ${String(input['StackName'])} does not exist`);
        return { Stacks: [{ StackId: stack.stackId, StackName: String(input['StackName']), StackStatus: stack.status, Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] };
      },
      DescribeStackEvents: () => ({ StackEvents: [] }),
      DeleteStack: () => {
        const stack = this.onboarding;
        if (!stack || stack.status === 'DELETE_COMPLETE' || stack.status === 'DELETE_IN_PROGRESS') return {};
        if (stack.status.endsWith('_IN_PROGRESS')) throw awsError('ValidationError', `Stack is in ${stack.status} state and can not be deleted`);
        stack.status = 'DELETE_IN_PROGRESS';
        this.publish('Delete');
        return {};
      },
    };
  }

  /** CloudFormation publishes the registration's request to the ServiceToken topic, which delivers it to the queue. */
  private publish(requestType: 'Create' | 'Delete'): void {
    const stack = this.onboarding;
    if (!stack) return;
    const requestId = `request-${(this.sequence += 1)}`;
    stack.requests.set(requestId, requestType);
    const p = stack.parameters;
    const account = p['GroundworkAccountId'] ?? '';
    const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}-${account}`;
    const profile = (name: string) => `arn:aws:iam::${ACCOUNT}:instance-profile/${name}-${account}`;
    const request = {
      RequestType: requestType,
      ResponseURL: `https://${this.responseHost}/${encodeURIComponent(stack.stackId)}%7CGroundworkRegistration%7C${requestId}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc123`,
      StackId: stack.stackId,
      RequestId: requestId,
      ResourceType: 'Custom::GroundworkRegistration',
      LogicalResourceId: 'GroundworkRegistration',
      ...(requestType === 'Delete' ? { PhysicalResourceId: account } : {}),
      ResourceProperties: {
        ServiceToken: p['RegistrationTopicArn'],
        GroundworkAccountId: account,
        RegistrationToken: p['RegistrationToken'],
        AccessRoleArn: role('GroundworkAccess'),
        ExecutionRoleArn: role('GroundworkExecution'),
        NatInstanceProfileArn: profile('GroundworkNatInstance'),
        ContainerInstanceProfileArn: profile('GroundworkContainerInstance'),
        BastionInstanceProfileArn: profile('GroundworkBastion'),
        TaskExecutionRoleArn: role('GroundworkTaskExecution'),
        TemplateVersion: String(ONBOARDING_TEMPLATE_VERSION),
        ...this.propertiesSent,
      },
    };
    const envelope = { Type: 'Notification', MessageId: `m-${requestId}`, TopicArn: p['RegistrationTopicArn'], Message: JSON.stringify(request) };
    this.queue.push({ body: JSON.stringify(envelope), receipt: `receipt-${requestId}` });
    if (this.deliverTwice) this.queue.push({ body: JSON.stringify(envelope), receipt: `receipt-${requestId}-again` });
  }

  private applyAnswer(body: Record<string, unknown>): void {
    const stack = this.onboarding;
    const requestType = stack?.requests.get(String(body['RequestId']));
    if (!stack || !requestType) return;
    if (requestType === 'Create') {
      const data = (body['Data'] ?? {}) as Record<string, string>;
      if (body['Status'] === 'SUCCESS' && data['GroundworkAccountId'] !== undefined) {
        stack.status = 'CREATE_COMPLETE';
        stack.outputs = { AccessRoleArn: `arn:aws:iam::${ACCOUNT}:role/GroundworkAccess-x`, GroundworkAccountId: data['GroundworkAccountId'] };
      } else {
        stack.status = 'ROLLBACK_COMPLETE';
      }
    } else {
      stack.status = body['Status'] === 'SUCCESS' ? 'DELETE_COMPLETE' : 'DELETE_FAILED';
    }
  }

  /** EC2 as the access role reads the region (src/region/region-offer.ts), from the sandbox's data. */
  private regionEc2(): Record<string, Handler> {
    return {
      DescribeAvailabilityZones: () => {
        this.refuseRegionRead('ec2:DescribeAvailabilityZones', 'UnauthorizedOperation');
        return { AvailabilityZones: describeZones(REGION) };
      },
      DescribeInstanceTypeOfferings: (input) => {
        this.refuseRegionRead('ec2:DescribeInstanceTypeOfferings', 'UnauthorizedOperation');
        if (input['LocationType'] !== 'availability-zone') throw awsError('InvalidParameterValue', `the fake answers LocationType availability-zone only, not ${String(input['LocationType'])}`);
        const filters = (input['Filters'] ?? []) as Array<{ Name: string; Values: string[] }>;
        const types = filters.find((f) => f.Name === 'instance-type')?.Values ?? [];
        return { InstanceTypeOfferings: types.flatMap((type) => this.instanceTypeZones(type).map((zone) => ({ InstanceType: type, LocationType: 'availability-zone', Location: zone }))) };
      },
    };
  }

  /** RDS as the access role reads the region, from the sandbox's data. */
  private regionRds(): Record<string, Handler> {
    return {
      DescribeDBEngineVersions: (input) => {
        this.refuseRegionRead('rds:DescribeDBEngineVersions', 'AccessDenied');
        return { DBEngineVersions: describeEngineVersions(REGION, input['Engine'] as string | undefined) };
      },
      DescribeOrderableDBInstanceOptions: (input) => {
        this.refuseRegionRead('rds:DescribeOrderableDBInstanceOptions', 'AccessDenied');
        const filter = {
          engine: String(input['Engine']),
          ...(input['EngineVersion'] !== undefined ? { engineVersion: String(input['EngineVersion']) } : {}),
          ...(input['DBInstanceClass'] !== undefined ? { instanceClass: String(input['DBInstanceClass']) } : {}),
        };
        return { OrderableDBInstanceOptions: orderableOptions(REGION, filter) };
      },
    };
  }

  private refuseRegionRead(action: string, name: string): void {
    if (!this.regionReadsDenied) return;
    throw Object.assign(new Error(`You are not authorized to perform: ${action}`), { name, $metadata: { httpStatusCode: 403 } });
  }

  private s3(): Record<string, Handler> {
    return {
      CreateBucket: (input) => {
        this.live.buckets.add(String(input['Bucket']));
        return {};
      },
      PutObject: () => ({}),
      DeleteObject: () => ({}),
      DeleteBucket: (input) => {
        this.live.buckets.delete(String(input['Bucket']));
        return {};
      },
    };
  }

  private sns(): Record<string, Handler> {
    return {
      CreateTopic: (input) => {
        const arn = `arn:aws:sns:${REGION}:${ACCOUNT}:${String(input['Name'])}`;
        this.live.topics.add(arn);
        return { TopicArn: arn };
      },
      SetTopicAttributes: () => ({}),
      Subscribe: () => ({ SubscriptionArn: 'arn:aws:sns:sub' }),
      DeleteTopic: (input) => {
        this.live.topics.delete(String(input['TopicArn']));
        return {};
      },
    };
  }

  private sqs(): Record<string, Handler> {
    return {
      CreateQueue: (input) => {
        const url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${String(input['QueueName'])}`;
        this.live.queues.add(url);
        return { QueueUrl: url };
      },
      GetQueueAttributes: (input) => ({ Attributes: { QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${String(input['QueueUrl']).split('/').at(-1) ?? ''}` } }),
      SetQueueAttributes: () => ({}),
      ReceiveMessage: () => ({ Messages: this.queue.splice(0, 10).map((m) => ({ Body: m.body, ReceiptHandle: m.receipt })) }),
      DeleteMessage: () => ({}),
      DeleteQueue: (input) => {
        this.live.queues.delete(String(input['QueueUrl']));
        return {};
      },
    };
  }

  private ecs(): Record<string, Handler> {
    let taskArn = '';
    return {
      DescribeClusters: () => ({ clusters: [{ registeredContainerInstancesCount: 2 }] }),
      RegisterTaskDefinition: (input) => {
        const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${String(input['family'])}:1`;
        this.live.taskDefinitions.add(arn);
        return { taskDefinition: { taskDefinitionArn: arn } };
      },
      RunTask: () => {
        taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/cluster/0123456789abcdef`;
        return { tasks: [{ taskArn }] };
      },
      DescribeTasks: () => ({
        tasks: [
          {
            taskArn,
            lastStatus: 'STOPPED',
            ...(this.task.stopCode ? { stopCode: this.task.stopCode } : {}),
            ...(this.task.stoppedReason ? { stoppedReason: this.task.stoppedReason } : {}),
            containers: [{ name: 'check', ...(this.task.exitCode === undefined ? {} : { exitCode: this.task.exitCode }) }],
          },
        ],
      }),
      StopTask: () => ({}),
      DeregisterTaskDefinition: () => ({}),
      DeleteTaskDefinitions: (input) => {
        ((input['taskDefinitions'] ?? []) as string[]).forEach((arn) => this.live.taskDefinitions.delete(arn));
        return {};
      },
    };
  }

  private logs(): Record<string, Handler> {
    return {
      CreateLogGroup: (input) => {
        this.live.logGroups.add(String(input['logGroupName']));
        return {};
      },
      PutRetentionPolicy: () => ({}),
      GetLogEvents: () => ({ events: this.task.logs.map((message) => ({ message })) }),
      DescribeLogGroups: () => ({ logGroups: [] }),
      DeleteLogGroup: (input) => {
        this.live.logGroups.delete(String(input['logGroupName']));
        return {};
      },
    };
  }
}
