import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createCloudFormationAnswerer } from '../../src/accounts/registration/answer-cloudformation';
import { answerOnce, failure, success, type Decision, type Outcome } from '../../src/accounts/registration/answer-once';
import { cloudFormationResponseUrlPattern } from '../../src/accounts/registration/cloudformation-response-url';
import {
  accountOfArn,
  customResourceRequestSchema,
  registrationPropertiesSchema,
  type CustomResourceRequest,
  type RegistrationProperties,
} from '../../src/accounts/registration/custom-resource-request';
import { ANSWER_RESERVE_MS } from '../../src/accounts/registration/onboarding-callback-from-env';
import type { RoleProver } from '../../src/accounts/registration/prove-access-role';
import type { RegistrationRequestStore } from '../../src/accounts/registration/registration-request-store';
import type { Logger } from '../../src/log/logger';
import type { CallerRole } from './caller-role';
import type { SmokeRuntime } from './smoke-runtime';

/**
 * Groundwork's onboarding callback for the one account this run onboards, fed from the SQS queue
 * its registration topic delivers to instead of from Lambda: Groundwork's own envelope
 * (answerOnce: the ResponseURL pattern, exactly one answer, its shape), Groundwork's proof of the
 * access role, and the decision registration-decision.ts makes for a registration it can see is
 * ours (without the table).
 */

/** What Groundwork would have generated for this account (POST /v1/accounts). */
export interface OnboardingIdentity {
  accountId: string;
  externalId: string;
  registrationToken: string;
  /** Lower-case letters and digits, naming this run's temporary resources. */
  runId: string;
}

/** The Data a connected registration answers with: what the template's `!GetAtt GroundworkRegistration.<name>` read. */
export function registrationData(accountId: string): Record<string, string> {
  // As src/accounts/registration/registration-decision.ts answers a connected account.
  return { GroundworkAccountId: accountId };
}

/** Every `GroundworkRegistration.<attribute>` the onboarding template reads with GetAtt. */
export function registrationAttributesRead(templateText: string): string[] {
  return [...new Set([...templateText.matchAll(/!GetAtt\s+GroundworkRegistration\.([A-Za-z0-9]+)/g)].map((m) => m[1] ?? ''))];
}

export interface Connected {
  properties: RegistrationProperties;
  proofSeconds: number;
}

/** Groundwork's onboarding callback for one account, fed from the queue instead of Lambda. */
export class Registrar {
  queueUrl = '';
  stackId: string | undefined;
  /** Set once the run is being torn down: a Create still pending is refused. */
  interrupted = false;
  connected: Connected | undefined;
  refusal: string | undefined;
  responseUrlHost = '';
  /** This run's own request whose ResponseURL Groundwork would not call: answered FAILED only at teardown. */
  private unanswered: CustomResourceRequest | undefined;
  private readonly requests = new OnceOnlyRequests();
  private readonly answer;

  constructor(
    private readonly runtime: SmokeRuntime,
    private readonly caller: CallerRole,
    private readonly identity: OnboardingIdentity,
    private readonly prover: RoleProver,
    private readonly logger: Logger,
  ) {
    this.answer = createCloudFormationAnswerer(logger, runtime.fetch);
  }

  /** Answers every request for this run's onboarding stack waiting in the queue. */
  async pump(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.interrupted && this.unanswered) {
      const request = this.unanswered;
      this.unanswered = undefined;
      // A Delete always succeeds (nothing was registered); anything else is refused.
      const outcome = request.RequestType === 'Delete' ? success(request, 'Nothing was registered by this stack.') : failure(request, 'npm run aws:smoke is deleting this stack.', this.identity.accountId);
      const { StackId, RequestId, LogicalResourceId } = request;
      await this.answer(request.ResponseURL, { Status: outcome.status, Reason: outcome.reason, PhysicalResourceId: outcome.physicalResourceId, StackId, RequestId, LogicalResourceId }, { timeoutMs: 30_000 });
    }
    if (!this.queueUrl) return;
    const { sqs } = this.runtime.clients;
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: this.runtime.timing.receiveWaitSeconds }));
    for (const message of received.Messages ?? []) {
      await this.handle(message.Body ?? '');
      if (message.ReceiptHandle) await sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }

  private async handle(body: string): Promise<void> {
    const message = snsMessage(body);
    const request = customResourceRequestSchema.safeParse(parseJson(message));
    // The topic is open to anyone, as Groundwork's is: only this run's stack counts.
    if (!request.success || !this.stackId || request.data.StackId !== this.stackId) return;
    const url = new URL(request.data.ResponseURL);
    this.responseUrlHost = url.host; // the host only: the whole URL is a credential
    if (!cloudFormationResponseUrlPattern(this.runtime.region).test(request.data.ResponseURL)) {
      this.refusal = `its ResponseURL host ${url.host} is not the CloudFormation response bucket of ${this.runtime.region} that Groundwork's callback accepts (src/accounts/registration/cloudformation-response-url.ts), so the callback would ignore the request`;
      // Still this run's own stack: answered FAILED at teardown, so it does not wait an hour for an answer.
      if (url.protocol === 'https:' && /\.amazonaws\.com(\.cn)?$/.test(url.hostname)) this.unanswered = request.data;
      return;
    }
    const decision = new SmokeRegistration(request.data, this);
    await answerOnce(
      message,
      () => 60_000, // the onboarding callback's timeout (serverless.yml)
      {
        requests: this.requests,
        answer: this.answer,
        logger: this.logger,
        answerReserveMs: ANSWER_RESERVE_MS,
        staleClaimMs: 60_000,
        responseUrlPattern: cloudFormationResponseUrlPattern(this.runtime.region),
        now: () => new Date(this.runtime.now()),
      },
      () => decision,
    );
    const outcome = decision.outcome;
    if (request.data.RequestType !== 'Delete' && outcome?.status === 'SUCCESS' && decision.properties) {
      this.connected = { properties: decision.properties, proofSeconds: decision.proofSeconds };
    } else if (request.data.RequestType !== 'Delete' && outcome?.status === 'FAILED' && !this.interrupted) {
      this.refusal = outcome.reason;
    }
  }

  /** What registration-decision.ts decides for a registration it can see is ours, minus the table. */
  async decide(request: CustomResourceRequest, decision: SmokeRegistration, signal: AbortSignal): Promise<Outcome> {
    if (request.RequestType === 'Delete') return success(request, 'Groundwork access revoked.');
    const { accountId } = this.identity;
    if (this.interrupted) return failure(request, 'npm run aws:smoke was interrupted before this account was connected; the stack is being deleted.', accountId);
    const parsed = registrationPropertiesSchema.safeParse(request.ResourceProperties);
    if (!parsed.success) return failure(request, `The registration properties are missing or invalid (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}).`, accountId);
    const properties = parsed.data;
    if (properties.GroundworkAccountId !== accountId || properties.RegistrationToken !== this.identity.registrationToken) {
      return failure(request, 'The registration names another account or token than this run generated.', undefined);
    }
    if (accountOfArn(properties.AccessRoleArn) !== this.caller.account || accountOfArn(properties.ExecutionRoleArn) !== this.caller.account) {
      return failure(request, `The roles must be in AWS account ${this.caller.account}, the account being connected.`, accountId);
    }
    const started = this.runtime.now();
    const proof = await this.prover.prove({ roleArn: properties.AccessRoleArn, externalId: this.identity.externalId, sessionName: `groundwork-registration-${accountId}`.slice(0, 64), signal });
    decision.proofSeconds = (this.runtime.now() - started) / 1000;
    if (!proof.ok) return failure(request, proof.reason, accountId);
    decision.properties = properties;
    return success(request, `Connected to Groundwork as ${accountId}.`, { accountId, data: registrationData(accountId) });
  }
}

class SmokeRegistration implements Decision {
  outcome: Outcome | undefined;
  properties: RegistrationProperties | undefined;
  proofSeconds = 0;

  constructor(
    private readonly request: CustomResourceRequest,
    private readonly registrar: Registrar,
  ) {}

  get accountId(): string | undefined {
    return this.properties?.GroundworkAccountId;
  }

  async decide(signal: AbortSignal): Promise<Outcome> {
    this.outcome = await this.registrar.decide(this.request, this, signal);
    return this.outcome;
  }

  async recordInterruption(): Promise<void> {
    // Nothing is stored: the run keeps what it learnt in memory.
  }
}

/** Each CloudFormation RequestId is answered once, however often SQS delivers it. */
class OnceOnlyRequests implements RegistrationRequestStore {
  private readonly seen = new Set<string>();

  async claim(requestId: string): Promise<'claimed' | 'duplicate'> {
    if (this.seen.has(requestId)) return 'duplicate';
    this.seen.add(requestId);
    return 'claimed';
  }

  async markAnswered(): Promise<void> {}
}

/** The custom-resource request inside SNS's envelope (as Lambda's record.Sns.Message); a raw delivery is passed through. */
function snsMessage(body: string): string {
  const envelope = parseJson(body) as { Type?: unknown; Message?: unknown } | undefined;
  return envelope && envelope.Type === 'Notification' && typeof envelope.Message === 'string' ? envelope.Message : body;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
