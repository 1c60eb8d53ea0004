import { CreateStackCommand, DeleteStackCommand, DescribeStackEventsCommand, DescribeStacksCommand, type Stack as CfnStack } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { CreateTopicCommand, DeleteTopicCommand, SetTopicAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { onboardingLinks } from '../../src/accounts/onboarding-links';
import type { RegistrationProperties } from '../../src/accounts/registration/custom-resource-request';
import type { RoleProver } from '../../src/accounts/registration/prove-access-role';
import type { Logger } from '../../src/log/logger';
import { DEPLOY_CONTEXT_KEYS, type DeployContext } from '../../src/model/deploy-context';
import type { CallerRole } from './caller-role';
import { registrationData, Registrar, type OnboardingIdentity } from './registrar';
import type { Cleanup, SmokeReport } from './smoke-report';
import { SmokeCheckFailed, type SmokeRuntime } from './smoke-runtime';

export type { OnboardingIdentity } from './registrar';

/**
 * Onboards the account as a customer would, with Groundwork's side played by this script: the
 * real cfn/onboarding-role.yaml, launched by TemplateURL (it is over the 51,200-byte TemplateBody
 * limit), whose Custom::GroundworkRegistration publishes to a temporary SNS topic (the ServiceToken,
 * as Groundwork's registration topic) that feeds an SQS queue this script reads, with the parameters
 * Groundwork's quick-create link gives (onboardingLinks; AllowedRegions: the run's region). Each
 * request goes through Groundwork's two callback stages (registrar.ts: the ResponseURL pattern, the
 * token screened, one answer, its shape) after Groundwork's own proof of the access role
 * (assumable with the ExternalId, refused without it).
 */

export interface Onboarded {
  stackId: string;
  accessRoleArn: string;
  executionRoleArn: string;
  deployContext: DeployContext;
  templateVersion?: number;
}

/** The policy of Groundwork's registration topic (serverless.yml, RegistrationTopicPolicy): customer stacks publish from their own accounts. */
function registrationTopicPolicy(topicArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'CustomerOnboardingStacks', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sns:Publish', Resource: topicArn }],
  });
}

/** Lets only this topic deliver to the queue (Amazon SNS Developer Guide, "Subscribing an Amazon SQS queue to an Amazon SNS topic"). */
function queuePolicy(queueArn: string, topicArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queueArn, Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } }],
  });
}

const TERMINAL = /(_COMPLETE|_FAILED)$/;

export class Onboarding {
  private readonly registrar: Registrar;
  private topicArn = '';
  private queueUrl = '';
  private stackId: string | undefined;

  constructor(
    private readonly runtime: SmokeRuntime,
    private readonly caller: CallerRole,
    private readonly identity: OnboardingIdentity,
    prover: RoleProver,
    logger: Logger,
  ) {
    this.registrar = new Registrar(runtime, caller, identity, prover, logger);
  }

  /** Component stacks still standing, which need this stack's execution role to be deleted. */
  private stacksUsingIt: () => string[] = () => [];

  keepWhileUsedBy(stacksLeft: () => string[]): void {
    this.stacksUsingIt = stacksLeft;
  }

  get stackName(): string {
    // Not groundwork-*: the access role it creates may never delete it.
    return `GroundworkSmokeOnboarding-${this.identity.runId}`;
  }

  async run(report: SmokeReport, cleanup: Cleanup, templateText: string): Promise<Onboarded> {
    const { clients, region } = this.runtime;
    const templateUrl = await report.step('upload cfn/onboarding-role.yaml to a temporary S3 bucket', async (note) => {
      const bucket = `groundwork-aws-smoke-${this.caller.account}-${this.identity.runId}`;
      const key = 'onboarding-role.yaml';
      cleanup.register(`S3 bucket ${bucket} (${region})`, async () => {
        await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(ignoreMissing);
        await clients.s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(ignoreMissing);
      });
      await clients.s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          // us-east-1 takes no location constraint (Amazon S3 API Reference, CreateBucket).
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      );
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: templateText, ContentType: 'text/yaml' }));
      const bytes = Buffer.byteLength(templateText);
      note(`${bytes} bytes${bytes > 51_200 ? ': over the 51,200-byte TemplateBody limit, so the stack is launched by TemplateURL, as the quick-create link does' : ''}`);
      return `https://${bucket}.s3.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}/${key}`;
    });

    await report.step('create a temporary registration topic (the ServiceToken) and queue', async (note) => {
      const name = `groundwork-aws-smoke-${this.identity.runId}`;
      cleanup.register(`SNS topic ${name} (${region})`, async () => {
        if (this.topicArn) await clients.sns.send(new DeleteTopicCommand({ TopicArn: this.topicArn }));
      });
      this.topicArn = (await clients.sns.send(new CreateTopicCommand({ Name: name }))).TopicArn ?? '';
      await clients.sns.send(new SetTopicAttributesCommand({ TopicArn: this.topicArn, AttributeName: 'Policy', AttributeValue: registrationTopicPolicy(this.topicArn) }));
      cleanup.register(`SQS queue ${name} (${region})`, async () => {
        if (this.queueUrl) await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: this.queueUrl })).catch(ignoreMissing);
      });
      this.queueUrl = (await clients.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
      const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['QueueArn'] }));
      const queueArn = attributes.Attributes?.['QueueArn'] ?? '';
      await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: this.queueUrl, Attributes: { Policy: queuePolicy(queueArn, this.topicArn) } }));
      await clients.sns.send(new SubscribeCommand({ TopicArn: this.topicArn, Protocol: 'sqs', Endpoint: queueArn }));
      this.registrar.queueUrl = this.queueUrl;
      note(`topic ${this.topicArn} with Groundwork's topic policy (sns:Publish from any principal), delivering to ${queueArn}`);
    });

    await report.step(`launch the onboarding stack ${this.stackName} by TemplateURL, as a customer does`, async (note) => {
      cleanup.register(`CloudFormation stack ${this.stackName} (${region}) and the roles it created`, () => this.delete());
      // The parameters of Groundwork's quick-create link, for an account whose one region is this run's.
      const { parameters } = onboardingLinks(
        { templateUrl, region, serviceRoleArn: this.caller.roleArn, registrationTopicArn: this.topicArn },
        { id: this.identity.accountId, externalId: this.identity.externalId, regions: [region] },
        this.identity.registrationToken,
      );
      const created = await clients.cloudFormation.send(
        new CreateStackCommand({
          StackName: this.stackName,
          TemplateURL: templateUrl,
          Capabilities: ['CAPABILITY_NAMED_IAM'],
          Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        }),
      );
      this.stackId = created.StackId;
      this.registrar.stackId = created.StackId;
      note(`${created.StackId ?? '(no StackId returned)'}; the access role trusts ${this.caller.roleArn} and may act in ${parameters.AllowedRegions} only`);
    });

    const registration = await report.step('receive the registration request and answer it as Groundwork\'s callback does', async (note) => {
      const deadline = this.runtime.now() + this.runtime.timing.onboardingCreateMs;
      for (;;) {
        await this.registrar.pump(this.runtime.signal);
        const connected = this.registrar.connected;
        if (connected) {
          note(`ResponseURL is ${this.registrar.responseUrlHost}: this region's CloudFormation response bucket, which Groundwork's callback accepts (decision 0011)`);
          note('the token screened by the first stage against the account\'s binding, handed over, and decided once by the worker (decision 0012)');
          note(`access role ${connected.properties.AccessRoleArn} assumable with the ExternalId ${connected.proofSeconds.toFixed(0)} s after the request, and refused without it`);
          note(`answered SUCCESS with Data ${JSON.stringify(Object.keys(registrationData(this.identity.accountId)))}`);
          return connected;
        }
        if (this.registrar.refusal) throw new SmokeCheckFailed(`Groundwork would refuse this registration: ${this.registrar.refusal}`);
        const found = await this.describe();
        if (found && found.StackStatus !== 'CREATE_IN_PROGRESS') {
          throw new SmokeCheckFailed(`the onboarding stack ended ${found.StackStatus ?? '?'} before registering: ${await this.failureReason(found)}`);
        }
        if (this.runtime.now() > deadline) throw new SmokeCheckFailed('no registration request arrived from the onboarding stack in time');
        await this.runtime.sleep(this.runtime.timing.pollMs, this.runtime.signal);
      }
    });

    return report.step('onboarding stack CREATE_COMPLETE, its outputs read from the answer', async (note) => {
      const found = await this.waitWhileInProgress(this.runtime.timing.onboardingCreateMs, this.runtime.signal);
      if (found?.StackStatus !== 'CREATE_COMPLETE') {
        throw new SmokeCheckFailed(`the onboarding stack ended ${found?.StackStatus ?? 'deleted'}: ${found ? await this.failureReason(found) : ''}`);
      }
      const outputs = Object.fromEntries((found.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
      if (outputs['GroundworkAccountId'] !== this.identity.accountId) {
        throw new SmokeCheckFailed(`output GroundworkAccountId is ${outputs['GroundworkAccountId'] ?? 'missing'}, not the Data answered (${this.identity.accountId})`);
      }
      note('output GroundworkAccountId equals the Data Groundwork answered (GetAtt of the custom resource)');
      const properties = registration.properties;
      return {
        stackId: found.StackId ?? this.stackId ?? '',
        accessRoleArn: properties.AccessRoleArn,
        executionRoleArn: properties.ExecutionRoleArn,
        deployContext: deployContextOf(properties),
        ...(properties.TemplateVersion !== undefined ? { templateVersion: Number(properties.TemplateVersion) } : {}),
      };
    });
  }

  /**
   * Deletes the onboarding stack, whatever state it is in: a pending Create is answered FAILED
   * (so the stack does not wait an hour for us), the Delete of the registration is answered
   * SUCCESS, and DeleteStack is only called once nothing is in progress (review U2).
   */
  async delete(): Promise<void> {
    if (!this.stackId) return;
    const using = this.stacksUsingIt();
    if (using.length > 0) {
      throw new Error(
        `kept: ${using.join(', ')} still exist and can only be deleted with its execution role. Delete them first, then this stack (if its GroundworkRegistration resource then fails to delete, its topic is gone: delete the stack again, retaining that resource).`,
      );
    }
    this.registrar.interrupted = true;
    const deadline = this.runtime.now() + this.runtime.timing.onboardingDeleteMs;
    let deletes = 0;
    for (;;) {
      const found = await this.describe();
      if (!found || found.StackStatus === 'DELETE_COMPLETE') return;
      const status = found.StackStatus ?? '';
      if (TERMINAL.test(status) && (deletes === 0 || status === 'DELETE_FAILED')) {
        if (deletes >= 2) throw new Error(`DELETE_FAILED: ${await this.failureReason(found)}`);
        await this.runtime.clients.cloudFormation.send(new DeleteStackCommand({ StackName: this.stackId }));
        deletes += 1;
      }
      await this.registrar.pump();
      if (this.runtime.now() > deadline) throw new Error(`still ${status} after ${Math.round(this.runtime.timing.onboardingDeleteMs / 60_000)} minutes`);
      await this.runtime.sleep(this.runtime.timing.pollMs);
    }
  }

  private async waitWhileInProgress(limitMs: number, signal?: AbortSignal): Promise<CfnStack | undefined> {
    const deadline = this.runtime.now() + limitMs;
    for (;;) {
      const found = await this.describe();
      if (!found || TERMINAL.test(found.StackStatus ?? '')) return found;
      if (this.runtime.now() > deadline) throw new SmokeCheckFailed(`the onboarding stack is still ${found.StackStatus ?? '?'}`);
      await this.registrar.pump(signal);
      await this.runtime.sleep(this.runtime.timing.pollMs, signal);
    }
  }

  private async describe(): Promise<CfnStack | undefined> {
    try {
      const result = await this.runtime.clients.cloudFormation.send(new DescribeStacksCommand({ StackName: this.stackId ?? this.stackName }));
      return result.Stacks?.[0];
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) return undefined;
      throw error;
    }
  }

  private async failureReason(found: CfnStack): Promise<string> {
    const events = await this.runtime.clients.cloudFormation.send(new DescribeStackEventsCommand({ StackName: found.StackId ?? this.stackName })).catch(() => undefined);
    const first = (events?.StackEvents ?? []).filter((e) => e.ResourceStatus?.endsWith('_FAILED') && e.LogicalResourceId !== found.StackName).at(-1);
    return first ? `${first.LogicalResourceId ?? '?'}: ${first.ResourceStatusReason ?? ''}` : (found.StackStatusReason ?? '');
  }
}

/** The fixed roles a registration names, keyed as the account records them (natInstanceProfileArn ← NatInstanceProfileArn). */
function deployContextOf(properties: RegistrationProperties): DeployContext {
  const named = properties as unknown as Record<string, string | undefined>;
  return Object.fromEntries(
    DEPLOY_CONTEXT_KEYS.flatMap((key) => {
      const value = named[key.charAt(0).toUpperCase() + key.slice(1)];
      return value === undefined ? [] : [[key, value]];
    }),
  );
}

function ignoreMissing(error: unknown): void {
  if (error instanceof Error && /NoSuch|NotFound|NonExistent/i.test(error.name)) return;
  throw error;
}
