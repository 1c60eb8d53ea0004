import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { hashRegistrationToken } from '../../src/accounts/onboarding-credentials';
import { createCloudFormationAnswerer, type AnswerCloudFormation } from '../../src/accounts/registration/answer-cloudformation';
import { answerAndNote, decideOnce, failure, success, type AnswerOnceDeps, type Decision, type Outcome } from '../../src/accounts/registration/answer-once';
import { cloudFormationResponseUrlPattern } from '../../src/accounts/registration/cloudformation-response-url';
import { accountOfArn, customResourceRequestSchema, type CustomResourceRequest, type CustomResourceResponse, type RegistrationProperties } from '../../src/accounts/registration/custom-resource-request';
import { ANSWER_RESERVE_MS } from '../../src/accounts/registration/onboarding-callback-from-env';
import type { RoleProver } from '../../src/accounts/registration/prove-access-role';
import { receiveRegistration } from '../../src/accounts/registration/receive-registration';
import type { RegistrationBinding } from '../../src/accounts/registration/registration-binding';
import { RegistrationRequestMovedError, type ClaimResult, type RegistrationRequestStore } from '../../src/accounts/registration/registration-request-store';
import { screenRequest } from '../../src/accounts/registration/registration-screen';
import { decideWorkSchema, type DecideWork, type WorkQueue } from '../../src/accounts/registration/registration-work';
import type { Logger } from '../../src/log/logger';
import type { CallerRole } from './caller-role';
import type { SmokeRuntime } from './smoke-runtime';

/**
 * Groundwork's onboarding callback for the one account this run onboards, fed from the SQS queue
 * its registration topic delivers to instead of from Lambda, in its two stages (decision 0012):
 * the first stage as it is (receiveRegistration: the ResponseURL pattern, the RequestId claimed,
 * the token screened against the account's binding, the request handed over), then the worker's
 * envelope as it is (decideOnce: taken once, decided within its time, answered exactly once).
 * The decision is Groundwork's screen again, its proof of the access role, and what
 * registration-decision.ts answers for a registration it can see is ours (without the table).
 */

/** The Lambda timeouts of the two stages (serverless.yml: onboardingCallback 15 s, onboardingWorker 60 s). */
const FIRST_STAGE_MS = 15_000;
const WORKER_MS = 60_000;

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
  /** What the table would hold of this run's account: the binding the first stage screens against. */
  private binding: RegistrationBinding;
  /** The registration queue between the two stages: the work as SQS would carry it (JSON). */
  private readonly handedOver: string[] = [];
  /** Each request's answer, by RequestId, as it was PUT to its ResponseURL. */
  private readonly answered = new Map<string, CustomResourceResponse>();
  private readonly deps: AnswerOnceDeps;

  constructor(
    private readonly runtime: SmokeRuntime,
    caller: CallerRole,
    private readonly identity: OnboardingIdentity,
    private readonly prover: RoleProver,
    logger: Logger,
  ) {
    this.binding = { awsAccountId: caller.account, registrationTokenHash: hashRegistrationToken(identity.registrationToken), status: 'AWAITING_CONNECTION' };
    const put = createCloudFormationAnswerer(logger, runtime.fetch);
    const answer: AnswerCloudFormation = async (url, response, options) => {
      await put(url, response, options);
      this.answered.set(response.RequestId, response);
    };
    this.deps = {
      requests: new RequestRecords(),
      answer,
      logger,
      answerReserveMs: ANSWER_RESERVE_MS,
      staleClaimMs: WORKER_MS,
      responseUrlPattern: cloudFormationResponseUrlPattern(runtime.region),
      now: () => new Date(runtime.now()),
    };
  }

  /** Answers every request for this run's onboarding stack waiting in the queue. */
  async pump(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.interrupted && this.unanswered) {
      const request = this.unanswered;
      this.unanswered = undefined;
      // A Delete always succeeds (nothing was registered); anything else is refused.
      const outcome = request.RequestType === 'Delete' ? success(request, 'Nothing was registered by this stack.') : failure(request, 'npm run aws:smoke is deleting this stack.', this.identity.accountId);
      await answerAndNote(request, outcome, this.remaining(30_000), this.deps, false);
    }
    if (!this.queueUrl) return;
    const { sqs } = this.runtime.clients;
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: this.runtime.timing.receiveWaitSeconds }));
    for (const message of received.Messages ?? []) {
      await this.handle(message.Body ?? '');
      if (message.ReceiptHandle) await sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }

  /** The account's binding, as the first stage reads it (and, here, the worker: the run keeps no table). */
  async bindingOf(accountId: string): Promise<RegistrationBinding | undefined> {
    return accountId === this.identity.accountId ? { ...this.binding } : undefined;
  }

  private async handle(body: string): Promise<void> {
    const message = snsMessage(body);
    const request = customResourceRequestSchema.safeParse(parseJson(message));
    // The topic is open to anyone, as Groundwork's is: only this run's stack counts.
    if (!request.success || !this.stackId || request.data.StackId !== this.stackId) return;
    const url = new URL(request.data.ResponseURL);
    this.responseUrlHost = url.host; // the host only: the whole URL is a credential
    if (!this.deps.responseUrlPattern.test(request.data.ResponseURL)) {
      this.refusal = `its ResponseURL host ${url.host} is not the CloudFormation response bucket of ${this.runtime.region} that Groundwork's callback accepts (src/accounts/registration/cloudformation-response-url.ts), so the callback would ignore the request`;
      // Still this run's own stack: answered FAILED at teardown, so it does not wait an hour for an answer.
      if (url.protocol === 'https:' && /\.amazonaws\.com(\.cn)?$/.test(url.hostname)) this.unanswered = request.data;
      return;
    }

    // The first stage: answered at once if the screen fails, otherwise handed over.
    const handOver: WorkQueue<DecideWork> = {
      send: async (work, options) => {
        options?.signal?.throwIfAborted();
        this.handedOver.push(JSON.stringify(work));
      },
    };
    await receiveRegistration(message, this.remaining(FIRST_STAGE_MS), { ...this.deps, staleClaimMs: FIRST_STAGE_MS, bindings: { read: (id) => this.bindingOf(id) }, handOver });

    // The worker, for what was handed over: the work as it reads it from the queue.
    let decision: SmokeRegistration | undefined;
    for (const text of this.handedOver.splice(0)) {
      const work = decideWorkSchema.safeParse(parseJson(text));
      if (!work.success) {
        this.refusal = `the first stage handed over work the worker cannot read (${work.error.issues.map((i) => i.path.join('.')).join(', ')})`;
        this.unanswered = request.data;
        return;
      }
      const current = new SmokeRegistration(work.data.request, this);
      decision = current;
      await decideOnce(work.data.request, this.remaining(WORKER_MS), this.deps, () => current);
    }

    const answer = this.answered.get(request.data.RequestId);
    if (request.data.RequestType === 'Delete' || !answer) return;
    if (answer.Status === 'SUCCESS' && decision?.properties) {
      this.connected = { properties: decision.properties, proofSeconds: decision.proofSeconds };
      // As the account records it once connected: only this stack's Update or Delete counts from now on.
      this.binding = { ...this.binding, status: 'CONNECTED', registrationStackId: request.data.StackId };
    } else if (answer.Status === 'FAILED' && !this.interrupted) {
      this.refusal = answer.Reason;
    }
  }

  /** The worker's decision for a registration that passed the screen, minus the table. */
  async decide(request: CustomResourceRequest, decision: SmokeRegistration, signal: AbortSignal): Promise<Outcome> {
    // The first stage screened it; the worker screens again (decision 0012).
    const screened = await screenRequest(request, (id) => this.bindingOf(id));
    if ('outcome' in screened) return screened.outcome;
    if (request.RequestType === 'Delete') return success(request, 'Groundwork access revoked.');
    const { properties } = screened;
    const { accountId } = this.identity;
    if (this.interrupted) return failure(request, 'npm run aws:smoke was interrupted before this account was connected; the stack is being deleted.', accountId);
    const requester = accountOfArn(request.StackId);
    if (accountOfArn(properties.AccessRoleArn) !== requester || accountOfArn(properties.ExecutionRoleArn) !== requester) {
      return failure(request, `The roles must be in AWS account ${requester ?? 'unknown'}, the account being connected.`, accountId);
    }
    const started = this.runtime.now();
    const proof = await this.prover.prove({ roleArn: properties.AccessRoleArn, externalId: this.identity.externalId, sessionName: `groundwork-registration-${accountId}`.slice(0, 64), signal });
    decision.proofSeconds = (this.runtime.now() - started) / 1000;
    if (!proof.ok) return failure(request, proof.reason, accountId);
    decision.properties = properties;
    return success(request, `Connected to Groundwork as ${accountId}.`, { accountId, data: registrationData(accountId) });
  }

  /** The time a Lambda function of this timeout would have left, started now (on the run's clock). */
  private remaining(timeoutMs: number): () => number {
    const ends = this.runtime.now() + timeoutMs;
    return () => ends - this.runtime.now();
  }
}

class SmokeRegistration implements Decision {
  properties: RegistrationProperties | undefined;
  proofSeconds = 0;

  constructor(
    private readonly request: CustomResourceRequest,
    private readonly registrar: Registrar,
  ) {}

  get accountId(): string | undefined {
    return this.properties?.GroundworkAccountId;
  }

  decide(signal: AbortSignal): Promise<Outcome> {
    return this.registrar.decide(this.request, this, signal);
  }

  async recordInterruption(): Promise<void> {
    // Nothing is stored: the run keeps what it learnt in memory.
  }
}

/**
 * The request records of registration-request-store.ts, in memory: RECEIVED (first stage) → QUEUED
 * (handed over) → PROVING (worker) → ANSWERED. However often SQS delivers a request, it is
 * answered once.
 */
class RequestRecords implements RegistrationRequestStore {
  private readonly records = new Map<string, { state: 'RECEIVED' | 'QUEUED' | 'PROVING' | 'ANSWERED'; claimedAt: number }>();

  async claim(requestId: string, { now, staleAfterMs }: { now: Date; staleAfterMs: number }): Promise<ClaimResult> {
    const record = this.records.get(requestId);
    if (record && !(record.state === 'RECEIVED' && record.claimedAt < now.getTime() - staleAfterMs)) return 'duplicate';
    this.records.set(requestId, { state: 'RECEIVED', claimedAt: now.getTime() });
    return 'claimed';
  }

  async handOver(requestId: string, now: Date): Promise<void> {
    if (this.records.get(requestId)?.state !== 'RECEIVED') throw new RegistrationRequestMovedError(requestId, 'RECEIVED');
    this.records.set(requestId, { state: 'QUEUED', claimedAt: now.getTime() });
  }

  async take(requestId: string, { now, staleAfterMs }: { now: Date; staleAfterMs: number }): Promise<ClaimResult> {
    const record = this.records.get(requestId);
    const stale = record?.state === 'PROVING' && record.claimedAt < now.getTime() - staleAfterMs;
    if (record?.state !== 'QUEUED' && !stale) return 'duplicate';
    this.records.set(requestId, { state: 'PROVING', claimedAt: now.getTime() });
    return 'claimed';
  }

  async markAnswered(requestId: string, _status: 'SUCCESS' | 'FAILED', now: Date): Promise<void> {
    this.records.set(requestId, { state: 'ANSWERED', claimedAt: now.getTime() });
  }
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
