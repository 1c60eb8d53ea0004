import { createHmac } from 'node:crypto';
import { resourceSeconds } from '../../src/cfn/resource-timing';
import type { SandboxHooks } from '../contracts';
import type { CloudFormationEvents } from './cloudformation-events';
import { scaledMilliseconds } from './sandbox-clock';
import type { ResourceRecord, SandboxState, StackRecord } from './sandbox-state';
import { resourceTimerKey, type SandboxTimers } from './sandbox-timers';

/**
 * Custom resources as CloudFormation runs them: the request is published to the SNS topic of the
 * ServiceToken, with a signed ResponseURL on this process's edge; the answer PUT there (or the
 * timeout) ends the resource's create or delete. The request in flight is kept in the state, so a
 * restarted sandbox publishes it again and keeps waiting.
 */

/** What the stack engine lends the custom resources: its progress and its ids. */
export interface CustomResourceHost {
  /** Moves the stack on after a resource changed. */
  advance(stack: StackRecord): void;
  uuid(purpose: string): string;
  /** An Update request was answered (or failed): the update moves on (stack-update.ts). */
  updated(stack: StackRecord, resource: ResourceRecord, outcome: { failure?: string; physicalId?: string }): void;
}

/** An Update request's properties: the new ones, and those the resource had (OldResourceProperties). */
export interface CustomUpdate {
  properties: Record<string, unknown>;
  oldProperties: Record<string, unknown>;
}

export interface CustomResourcesOptions {
  state: SandboxState;
  hooks: SandboxHooks;
  edgeUrl: string;
  speed: number;
  now: () => number;
}

const CUSTOM_RESPONSE_LIMIT = 4096;
/** Custom resources are answered by real code in real time: never wait less than this for them. */
const MIN_CUSTOM_RESOURCE_WAIT_MS = 30_000;

export class CustomResources {
  constructor(
    private readonly options: CustomResourcesOptions,
    private readonly events: CloudFormationEvents,
    private readonly timers: SandboxTimers,
    private readonly host: CustomResourceHost,
  ) {}

  /**
   * A request to the resource's handler. An Update (UpdateStack, or its rollback putting the old
   * properties back) carries the new properties, the old ones (OldResourceProperties) and the
   * physical id (User Guide, "Update request for CloudFormation custom resources",
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html).
   */
  start(stack: StackRecord, resource: ResourceRecord, requestType: 'Create' | 'Update' | 'Delete', update?: CustomUpdate): void {
    const properties = stringValues(update?.properties ?? resource.properties ?? {}) as Record<string, unknown>;
    const topicArn = String(properties['ServiceToken'] ?? '');
    const requestId = this.host.uuid('custom-resource-request');
    const responseId = `${requestId}.${this.sign(requestId)}`;
    const message = requestMessage(stack, resource, { requestType, topicArn, requestId, responseUrl: this.responseUrl(responseId), properties, ...(resource.physicalId === undefined ? {} : { physicalId: resource.physicalId }) }, update);
    if (!SNS_TOPIC.test(topicArn)) {
      const reason = `Invalid service token ${topicArn}: the sandbox delivers custom resource requests to SNS topics (arn:aws:sns:…) only`;
      if (requestType === 'Update') {
        this.host.updated(stack, resource, { failure: reason });
      } else if (requestType === 'Create') {
        this.events.resourceStatus(stack, resource, 'CREATE_FAILED', reason);
      } else {
        // Nothing was ever delivered to it, so there is nothing to delete.
        resource.exists = false;
        this.events.resourceStatus(stack, resource, 'DELETE_COMPLETE');
        this.timers.schedule(`${stack.stackId}#advance`, this.options.now(), () => this.host.advance(stack));
      }
      return;
    }
    const timeoutSeconds = Number(properties['ServiceTimeout'] ?? 3600);
    const deadline = this.options.now() + Math.max(MIN_CUSTOM_RESOURCE_WAIT_MS, scaledMilliseconds(Number.isFinite(timeoutSeconds) ? timeoutSeconds : 3600, this.options.speed));
    resource.pending = { responseId, requestType, message, topicArn, deadline };
    const key = resourceTimerKey(stack, resource);
    this.timers.schedule(key, deadline, () => this.timedOut(stack, resource, responseId));
    const delay = scaledMilliseconds(resourceSeconds(resource.type, requestType === 'Create' ? 'create' : requestType === 'Update' ? 'update' : 'delete'), this.options.speed);
    this.timers.schedule(`${key}#publish`, this.options.now() + delay, () => this.publish(stack, resource, responseId));
  }

  /**
   * The Delete request for the physical resource an Update replaced (a new PhysicalResourceId
   * answered), sent in the update's cleanup. The sandbox does not wait for its answer (see README).
   */
  deleteReplaced(stack: StackRecord, resource: ResourceRecord, physicalId: string, oldProperties: Record<string, unknown>): void {
    const properties = stringValues(oldProperties) as Record<string, unknown>;
    const topicArn = String(properties['ServiceToken'] ?? '');
    if (!SNS_TOPIC.test(topicArn)) return;
    const requestId = this.host.uuid('custom-resource-request');
    const responseUrl = this.responseUrl(`${requestId}.${this.sign(requestId)}`);
    const message = requestMessage(stack, resource, { requestType: 'Delete', topicArn, requestId, responseUrl, properties, physicalId });
    this.options.hooks.publishToTopic(topicArn, message).catch(() => undefined);
  }

  /** After a restart: wait on for the answer, and deliver the request again (SNS is at-least-once too). */
  resume(stack: StackRecord, resource: ResourceRecord): void {
    if (!resource.pending) return;
    const { responseId, deadline } = resource.pending;
    const key = resourceTimerKey(stack, resource);
    this.timers.schedule(key, deadline, () => this.timedOut(stack, resource, responseId));
    this.timers.schedule(`${key}#publish`, this.options.now(), () => this.publish(stack, resource, responseId));
  }

  /**
   * An answer PUT to a ResponseURL. Unknown URLs are refused (403, as S3 refuses a bad signature);
   * a late answer to a request no longer awaited is accepted and ignored, as S3 would store it.
   */
  response(responseId: string, body: string): { status: number; message: string } {
    const [requestId, signature] = responseId.split('.');
    if (requestId === undefined || signature === undefined || this.sign(requestId) !== signature) {
      return { status: 403, message: 'AccessDenied: the ResponseURL is not one the sandbox issued' };
    }
    for (const account of Object.values(this.options.state.accounts)) {
      for (const stack of account.stacks) {
        const resource = stack.resources.find((candidate) => candidate.pending?.responseId === responseId);
        if (!resource) continue;
        if (Buffer.byteLength(body) > CUSTOM_RESPONSE_LIMIT) {
          this.answer(stack, resource, { Status: 'FAILED', Reason: 'Response object is too long.' }, true);
          return { status: 200, message: 'accepted' };
        }
        let response: unknown;
        try {
          response = JSON.parse(body);
        } catch {
          response = undefined;
        }
        this.answer(stack, resource, response, false);
        return { status: 200, message: 'accepted' };
      }
    }
    return { status: 200, message: 'accepted; no request is waiting for it' };
  }

  private publish(stack: StackRecord, resource: ResourceRecord, responseId: string): void {
    const pending = resource.pending;
    if (pending?.responseId !== responseId) return;
    // The ResponseURL is this process's edge, which may have moved since the request was made.
    const message = JSON.stringify({ ...(JSON.parse(pending.message) as object), ResponseURL: this.responseUrl(responseId) });
    this.options.hooks.publishToTopic(pending.topicArn, message).catch((error: unknown) => {
      if (resource.pending?.responseId !== responseId || this.timers.stopped) return;
      const reason = `Failed to publish the custom resource request to ${pending.topicArn}: ${error instanceof Error ? error.message : String(error)}`;
      this.answer(stack, resource, { Status: 'FAILED', Reason: reason }, true);
    });
  }

  private responseUrl(responseId: string): string {
    return `${this.options.edgeUrl}/_sandbox/cfn-responses/${responseId}`;
  }

  private timedOut(stack: StackRecord, resource: ResourceRecord, responseId: string): void {
    if (resource.pending?.responseId !== responseId) return;
    const requestId = responseId.split('.')[0] ?? responseId;
    const reason = `CloudFormation did not receive a response from your Custom Resource. Please check your logs for requestId [${requestId}].`;
    this.answer(stack, resource, { Status: 'FAILED', Reason: reason }, true);
  }

  private answer(stack: StackRecord, resource: ResourceRecord, response: unknown, fromSandbox: boolean): void {
    const pending = resource.pending;
    if (!pending) return;
    const requestId = pending.responseId.split('.')[0] ?? '';
    const answer = (typeof response === 'object' && response !== null ? response : {}) as Record<string, unknown>;
    const problem = fromSandbox ? undefined : invalidResponse(answer, stack, resource, requestId, pending.requestType);
    const status = problem === undefined ? answer['Status'] : 'FAILED';
    const physicalId = typeof answer['PhysicalResourceId'] === 'string' && answer['PhysicalResourceId'] !== '' ? answer['PhysicalResourceId'] : undefined;
    const reason =
      problem ??
      (fromSandbox
        ? String(answer['Reason'])
        : `Received response status [${String(status)}] from custom resource. Message returned: ${typeof answer['Reason'] === 'string' && answer['Reason'] !== '' ? answer['Reason'] : 'See the details in the handler logs'} (RequestId: ${requestId})`);
    delete resource.pending;
    const key = resourceTimerKey(stack, resource);
    this.timers.clear(key);
    this.timers.clear(`${key}#publish`);

    if (pending.requestType === 'Update') {
      if (resource.status !== 'UPDATE_IN_PROGRESS') return;
      if (status === 'SUCCESS') {
        const data = answer['Data'];
        resource.data = typeof data === 'object' && data !== null ? (stringValues(data) as Record<string, string>) : {};
        this.host.updated(stack, resource, physicalId === undefined ? {} : { physicalId });
      } else this.host.updated(stack, resource, { failure: reason });
      return;
    }
    if (pending.requestType === 'Create') {
      if (resource.status !== 'CREATE_IN_PROGRESS') return;
      // A failed Create still gets its Delete in the rollback, with the id it answered (or one made up).
      resource.physicalId = physicalId ?? resource.physicalId ?? `${stack.stackName}-${resource.logicalId}-${requestId.slice(0, 8)}`;
      resource.exists = true;
      if (status === 'SUCCESS') {
        const data = answer['Data'];
        resource.data = typeof data === 'object' && data !== null ? (stringValues(data) as Record<string, string>) : {};
        this.events.resourceStatus(stack, resource, 'CREATE_COMPLETE');
      } else {
        this.events.resourceStatus(stack, resource, 'CREATE_FAILED', reason);
      }
    } else {
      if (resource.status !== 'DELETE_IN_PROGRESS') return;
      if (status === 'SUCCESS') {
        resource.exists = false;
        this.events.resourceStatus(stack, resource, 'DELETE_COMPLETE');
      } else {
        this.events.resourceStatus(stack, resource, 'DELETE_FAILED', reason);
      }
    }
    this.host.advance(stack);
  }

  private sign(text: string): string {
    return createHmac('sha256', this.options.state.secret).update(text).digest('hex').slice(0, 32);
  }
}

/** What is wrong with a custom resource's answer, if anything, in CloudFormation's words. */
function invalidResponse(answer: Record<string, unknown>, stack: StackRecord, resource: ResourceRecord, requestId: string, requestType: 'Create' | 'Update' | 'Delete'): string | undefined {
  if (Object.keys(answer).length === 0) return 'Invalid response object: the response is not a JSON object';
  const status = answer['Status'];
  if (status !== 'SUCCESS' && status !== 'FAILED') return `Invalid response object: Value of property Status must be one of [SUCCESS, FAILED]`;
  if (answer['StackId'] !== stack.stackId) return 'Invalid response object: StackId does not match the request';
  if (answer['RequestId'] !== requestId) return 'Invalid response object: RequestId does not match the request';
  if (answer['LogicalResourceId'] !== resource.logicalId) return 'Invalid response object: LogicalResourceId does not match the request';
  const physicalId = answer['PhysicalResourceId'];
  if (requestType === 'Create' && status === 'SUCCESS' && (typeof physicalId !== 'string' || physicalId === '')) {
    return 'Invalid PhysicalResourceId';
  }
  const data = answer['Data'];
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) return 'Invalid response object: Value of property Data must be an object';
  return undefined;
}

const SNS_TOPIC = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/;

/** The request CloudFormation publishes to a custom resource's topic. */
function requestMessage(
  stack: StackRecord,
  resource: ResourceRecord,
  request: { requestType: 'Create' | 'Update' | 'Delete'; topicArn: string; requestId: string; responseUrl: string; properties: Record<string, unknown>; physicalId?: string },
  update?: CustomUpdate,
): string {
  return JSON.stringify({
    RequestType: request.requestType,
    ServiceToken: request.topicArn,
    ResponseURL: request.responseUrl,
    StackId: stack.stackId,
    RequestId: request.requestId,
    ResourceType: resource.type,
    LogicalResourceId: resource.logicalId,
    ...(request.requestType !== 'Create' && request.physicalId !== undefined ? { PhysicalResourceId: request.physicalId } : {}),
    ResourceProperties: request.properties,
    ...(update === undefined ? {} : { OldResourceProperties: stringValues(update.oldProperties) }),
  });
}

/** CloudFormation hands custom resources every scalar as a string. */
function stringValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringValues);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, element]) => [key, stringValues(element)]));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}
