import type { SandboxHooks } from '../contracts';
// The same EventBridge pattern matching as the local event bus's, so a rule matches alike in both.
import { matchesPattern } from '../services/event-pattern';
import type { EventRecord, ResourceRecord, SandboxState, StackRecord } from './sandbox-state';

/**
 * Every status change of a stack or resource: recorded as a stack event (DescribeStackEvents) and
 * sent as an `aws.cloudformation` event to the account's matching EventBridge rules, whose targets
 * are the local event buses and SNS topics.
 */

export interface CloudFormationEventsOptions {
  state: SandboxState;
  hooks: SandboxHooks;
  now: () => number;
  log: (message: string) => void;
  /** The engine's deterministic ids, so event ids follow the same sequence as everything else. */
  uuid: (purpose: string) => string;
  changed: () => void;
}

export class CloudFormationEvents {
  private deliveries: Promise<void> = Promise.resolve();

  constructor(private readonly options: CloudFormationEventsOptions) {}

  stackEvent(stack: StackRecord, status: string, reason?: string): void {
    stack.status = status;
    if (reason === undefined) delete stack.statusReason;
    else stack.statusReason = reason;
    stack.lastUpdatedAt = this.options.now();
    this.event(stack, { logicalId: stack.stackName, physicalId: stack.stackId, type: 'AWS::CloudFormation::Stack', status, ...(reason === undefined ? {} : { reason }) });
  }

  resourceStatus(stack: StackRecord, resource: ResourceRecord, status: string, reason?: string): void {
    resource.status = status;
    if (reason === undefined) delete resource.statusReason;
    else resource.statusReason = reason;
    resource.updatedAt = this.options.now();
    const physicalId = status === 'CREATE_IN_PROGRESS' && reason === undefined ? '' : (resource.physicalId ?? '');
    this.event(stack, { logicalId: resource.logicalId, physicalId, type: resource.type, status, ...(reason === undefined ? {} : { reason }) });
  }

  /** Resolves when every event delivery started so far has been attempted. */
  async settled(): Promise<void> {
    await this.deliveries;
  }

  private event(stack: StackRecord, fields: Omit<EventRecord, 'eventId' | 'timestamp' | 'clientRequestToken'>): void {
    const event: EventRecord = {
      eventId: this.options.uuid('event'),
      timestamp: this.options.now(),
      ...fields,
      ...(stack.clientRequestToken === undefined ? {} : { clientRequestToken: stack.clientRequestToken }),
    };
    stack.events.push(event);
    this.options.changed();
    this.publishEvent(stack, event);
  }

  /** The `aws.cloudformation` event of a status change, to the account's matching rules. */
  private publishEvent(stack: StackRecord, event: EventRecord): void {
    const rules = (this.options.state.accounts[stack.account]?.rules ?? []).filter(
      (rule) => rule.enabled && rule.eventBusName === 'default' && rule.arn.split(':')[3] === stack.region,
    );
    if (rules.length === 0) return;
    // The stack's own event; a nested stack's resource in its parent has the same type, another id.
    const isStack = event.type === 'AWS::CloudFormation::Stack' && event.physicalId === stack.stackId;
    const statusDetails = { status: event.status, 'status-reason': event.reason ?? '' };
    const detailType = isStack ? 'CloudFormation Stack Status Change' : 'CloudFormation Resource Status Change';
    const detail = isStack
      ? { 'stack-id': stack.stackId, 'status-details': statusDetails, 'client-request-token': event.clientRequestToken ?? '' }
      : {
          'stack-id': stack.stackId,
          'logical-resource-id': event.logicalId,
          'physical-resource-id': event.physicalId,
          'status-details': statusDetails,
          'resource-type': event.type,
          'client-request-token': event.clientRequestToken ?? '',
        };
    const envelope = {
      version: '0',
      id: event.eventId,
      'detail-type': detailType,
      source: 'aws.cloudformation',
      account: stack.account,
      time: new Date(event.timestamp).toISOString(),
      region: stack.region,
      resources: [stack.stackId],
      detail,
    };
    for (const rule of rules) {
      if (!ruleMatches(rule.pattern, envelope)) continue;
      for (const target of rule.targets) this.deliver(target.arn, envelope, { source: 'aws.cloudformation', detailType, detail, account: stack.account, region: stack.region });
    }
  }

  /** Deliveries go out one after another, in the order of the changes. */
  private deliver(targetArn: string, envelope: object, entry: Parameters<SandboxHooks['putEvent']>[1]): void {
    const { hooks, log } = this.options;
    this.deliveries = this.deliveries
      .then(async () => {
        if (/^arn:aws[a-z-]*:events:[^:]*:\d{12}:event-bus\//.test(targetArn)) await hooks.putEvent(targetArn, entry);
        else if (/^arn:aws[a-z-]*:sns:/.test(targetArn)) await hooks.publishToTopic(targetArn, JSON.stringify(envelope));
        else log(`rule target ${targetArn} is neither an event bus nor an SNS topic; event not delivered`);
      })
      .catch((error: unknown) => log(`could not deliver a CloudFormation event to ${targetArn}: ${error instanceof Error ? error.message : String(error)}`));
  }
}

function ruleMatches(pattern: unknown, event: object): boolean {
  if (typeof pattern !== 'object' || pattern === null) return false;
  try {
    return matchesPattern(pattern, event);
  } catch {
    return false;
  }
}
