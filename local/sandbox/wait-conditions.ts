import { createHmac } from 'node:crypto';
import type { CfnResource } from '../../src/cfn/template-types';
import { GONE } from './account-registry';
import type { ResourceSignals } from './resource-signals';
import type { SandboxState, WaitSignal } from './sandbox-state';

/**
 * Wait condition handles as CloudFormation serves them (CloudFormation User Guide, "Create wait
 * conditions in a CloudFormation template",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-waitcondition.html, and
 * Template Reference, AWS::CloudFormation::WaitCondition,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-waitcondition.html;
 * read 2026-12-06). A handle's Ref is a presigned URL; a PUT of the signal JSON
 * `{"Status": "SUCCESS"|"FAILURE", "UniqueId": …, "Data": …, "Reason": …}` to it (what cfn-signal
 * and `curl -T` send) is a signal. In the sandbox the URL is the edge's
 * `/_sandbox/wait-conditions/<id>.<signature>`; a URL it did not issue is refused (403), as S3
 * refuses a bad signature. A signal to a handle no longer there is accepted and ignored, as S3
 * would store it. A second signal with the same UniqueId is a retransmission: not counted again.
 *
 * A WaitCondition without CreationPolicy waits for Count (default 1) SUCCESS signals on its Handle
 * within Timeout seconds (at most 43200), scaled by the sandbox's speed (resource-signals.ts).
 * A body that is not such a signal fails the wait condition ("Unparsable WaitCondition data").
 */

export const WAIT_CONDITION = 'AWS::CloudFormation::WaitCondition';
export const WAIT_CONDITION_HANDLE = 'AWS::CloudFormation::WaitConditionHandle';
const MAX_TIMEOUT_SECONDS = 43_200;

export class WaitConditionError extends Error {
  override name = 'WaitConditionError';
}

/**
 * What a WaitCondition without CreationPolicy waits for: Count signals on its Handle within Timeout.
 * Undefined for other resources. AWS does not document its words for a missing or bad Handle or
 * Timeout; these name the property and its rule (Template Reference, AWS::CloudFormation::WaitCondition).
 */
export function handleWaitPolicy(definition: Pick<CfnResource, 'Type'>, properties: Record<string, unknown>): { count: number; timeoutSeconds: number; minSuccessfulInstancesPercent: number; handle: string } | undefined {
  if (definition.Type !== WAIT_CONDITION) return undefined;
  const handle = properties['Handle'];
  if (typeof handle !== 'string' || handle === '') throw new WaitConditionError('Handle is required for a WaitCondition without CreationPolicy: the Ref of an AWS::CloudFormation::WaitConditionHandle');
  const timeout = Number(properties['Timeout']);
  if (properties['Timeout'] === undefined || !Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
    throw new WaitConditionError(`Timeout must be a number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}, not ${JSON.stringify(properties['Timeout'])}`);
  }
  const count = properties['Count'] === undefined ? 1 : Number(properties['Count']);
  if (!Number.isInteger(count) || count < 1) throw new WaitConditionError(`Count must be a whole number of at least 1, not ${JSON.stringify(properties['Count'])}`);
  return { count, timeoutSeconds: timeout, minSuccessfulInstancesPercent: 100, handle };
}

export class WaitConditionHandles {
  constructor(
    private readonly options: { state: SandboxState; edgeUrl: string },
    private readonly signals: ResourceSignals,
    private readonly uuid: (purpose: string) => string,
  ) {}

  /** The presigned URL of a new handle: its physical id and Ref. */
  url(): string {
    const id = this.uuid('wait-condition-handle');
    return `${this.options.edgeUrl}/_sandbox/wait-conditions/${id}.${this.sign(id)}`;
  }

  /** A PUT to a handle's URL. */
  put(token: string, body: string): { status: number; message: string } {
    const [id, signature] = token.split('.');
    if (id === undefined || signature === undefined || this.sign(id) !== signature) {
      return { status: 403, message: 'AccessDenied: the URL is not a wait condition handle the sandbox issued' };
    }
    for (const account of Object.values(this.options.state.accounts)) {
      for (const stack of account.stacks) {
        const handle = stack.resources.find((resource) => resource.type === WAIT_CONDITION_HANDLE && resource.physicalId?.endsWith(`/${token}`));
        if (!handle) continue;
        if (stack.status === 'DELETE_COMPLETE' || !handle.exists || GONE.has(handle.status ?? '')) return { status: 200, message: 'accepted; the handle is gone' };
        const signal = parseSignal(body);
        const stored = (handle.waitSignals ??= []);
        if (!stored.some((earlier) => !signal.unparsable && earlier.uniqueId === signal.uniqueId)) stored.push(signal);
        for (const waiting of stack.resources.filter((resource) => resource.signals?.handle === handle.physicalId)) this.signals.signal(stack, waiting, signal);
        return { status: 200, message: 'accepted' };
      }
    }
    return { status: 200, message: 'accepted; no handle is waiting for it' };
  }

  private sign(text: string): string {
    return createHmac('sha256', this.options.state.secret).update(`wait-condition:${text}`).digest('hex').slice(0, 32);
  }
}

function parseSignal(body: string): WaitSignal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { uniqueId: '', status: 'FAILURE', unparsable: true };
  }
  const signal = (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {}) as Record<string, unknown>;
  const status = signal['Status'];
  const uniqueId = signal['UniqueId'];
  if ((status !== 'SUCCESS' && status !== 'FAILURE') || typeof uniqueId !== 'string' || uniqueId === '') return { uniqueId: '', status: 'FAILURE', unparsable: true };
  return {
    uniqueId,
    status,
    ...(signal['Data'] === undefined ? {} : { data: typeof signal['Data'] === 'string' ? signal['Data'] : JSON.stringify(signal['Data']) }),
    ...(typeof signal['Reason'] === 'string' ? { reason: signal['Reason'] } : {}),
  };
}
