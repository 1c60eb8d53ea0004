import { CreationPolicyError, signalPolicy, type SignalPolicy } from '../../src/cfn/creation-policy';
import { INSTANCE_SIGNAL_SECONDS } from '../../src/cfn/resource-timing';
import type { CloudFormationEvents } from './cloudformation-events';
import { scaledMilliseconds } from './sandbox-clock';
import type { FaultRegistry } from './sandbox-faults';
import type { ResourceRecord, SignalWait, StackRecord, WaitSignal } from './sandbox-state';
import { resourceTimerKey, type SandboxTimers } from './sandbox-timers';
import type { StackPermissions } from './stack-permissions';
import { resourceOf, type StackTemplates } from './stack-templates';
import { handleWaitPolicy, WAIT_CONDITION, WaitConditionError } from './wait-conditions';

/**
 * CreationPolicy signals in the sandbox accounts (src/cfn/creation-policy.ts). A resource whose
 * CreationPolicy has a ResourceSignal stays CREATE_IN_PROGRESS after its own create time until it
 * has its SUCCESS signals; a FAILURE signal, or too few signals by the Timeout (scaled by the
 * sandbox's speed like every other duration), fails it in CloudFormation's words and the stack
 * rolls back. Signals come from SignalResource, or from the instances the sandbox plays:
 *
 * The sandbox runs no instance. For an AWS::EC2::Instance, or each instance an auto-scaling group
 * launches (its DesiredCapacity, from its launch template), it reads the user data: one that calls
 * `aws cloudformation signal-resource` or `cfn-signal` naming the resource is taken to signal
 * SUCCESS INSTANCE_SIGNAL_SECONDS after the resource starts (launch, boot, user data). Nothing
 * else of the user data is run or checked. With the AWS CLI the call is signed with the instance
 * profile's role: if a sandbox stack made that role and it may not call
 * cloudformation:SignalResource on the stack, the instance cannot signal (as in AWS, the resource
 * then times out). Faults (`signalFailures`) make the instances never signal, or signal FAILURE.
 *
 * Wording, as CloudFormation reports it in stack events (public stack-event logs, e.g.
 * aws-samples/amazon-ec2-gitlab-runner#4, widdix/aws-cf-templates#565, widdix/aws-ec2-ssh#103 and
 * #137, aws-quickstart/quickstart-linux-bastion#144; read 2026-12-06): "Received SUCCESS signal
 * with UniqueId i-…" (CREATE_IN_PROGRESS); for a group, CREATE_FAILED "Received 0 SUCCESS
 * signal(s) out of 1.  Unable to satisfy 100% MinSuccessfulInstancesPercent requirement" at the
 * timeout and "Received 1 FAILURE signal(s) out of 1. Unable to satisfy …" on a failure; for an
 * instance, "Failed to receive 1 resource signal(s) within the specified duration" and "Received
 * FAILURE signal with UniqueId i-…".
 *
 * An AWS::CloudFormation::WaitCondition waits the same way: with a CreationPolicy, for SignalResource;
 * without one, for the signals PUT to its Handle's URL (wait-conditions.ts), Count of them within
 * Timeout seconds, counting those sent before it started. In CloudFormation's words (stack events in
 * aws-samples/immersive-media-refarch#7, aws-quickstart/quickstart-trendmicro-deepsecurity#29,
 * aws-quickstart/quickstart-pivotal-cloudfoundry#10): "WaitCondition timed out. Received 0
 * conditions when expecting 1", "WaitCondition received failed message: '<Reason>' for uniqueId:
 * <UniqueId>", "Unparsable WaitCondition data". Its Data attribute is the JSON object of the
 * signals' Data by UniqueId (CloudFormation User Guide, "Create wait conditions in a CloudFormation
 * template", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-waitcondition.html).
 */

export interface ResourceSignalsHost {
  /** Moves the stack on after a resource changed. */
  advance(stack: StackRecord): void;
  /** The resource is created: CREATE_COMPLETE, and registered as its own create's end would. */
  complete(stack: StackRecord, resource: ResourceRecord): void;
  uuid(purpose: string): string;
}

export interface ResourceSignalsOptions {
  speed: number;
  now: () => number;
  log: (message: string) => void;
  faults: FaultRegistry;
}

export type SignalStatus = 'SUCCESS' | 'FAILURE';

/** The commands that signal CloudFormation from an instance; the AWS CLI's is signed with the instance's role. */
const CLI_SIGNAL = /\bcloudformation\s+signal-resource\b/;
const HELPER_SIGNAL = /\bcfn-signal\b/;

export class ResourceSignals {
  constructor(
    private readonly options: ResourceSignalsOptions,
    private readonly events: CloudFormationEvents,
    private readonly timers: SandboxTimers,
    private readonly templates: StackTemplates,
    private readonly permissions: StackPermissions,
    private readonly host: ResourceSignalsHost,
  ) {}

  /** A resource starts creating: if it waits for signals, its wait starts, and the instances played for it boot. */
  start(stack: StackRecord, resource: ResourceRecord): void {
    const definition = this.templates.template(stack).Resources[resource.logicalId];
    let policy: (SignalPolicy & { handle?: string }) | undefined;
    try {
      policy = definition === undefined ? undefined : (signalPolicy(definition) ?? handleWaitPolicy(definition, resource.properties ?? {}));
    } catch (error) {
      if (!(error instanceof CreationPolicyError) && !(error instanceof WaitConditionError)) throw error;
      resource.failure = error.message;
      return;
    }
    if (policy === undefined) return;
    const now = this.options.now();
    resource.signals = {
      count: policy.count,
      minSuccessfulInstancesPercent: policy.minSuccessfulInstancesPercent,
      deadline: now + scaledMilliseconds(policy.timeoutSeconds, this.options.speed),
      created: false,
      received: [],
      instances: this.playedInstances(stack, resource, now),
      ...(policy.handle === undefined ? {} : { handle: policy.handle }),
    };
    if (resource.type === WAIT_CONDITION) resource.data = { Data: '{}' };
    this.schedule(stack, resource, resource.signals);
    // A handle keeps what was PUT to it before the wait condition started.
    const handle = policy.handle === undefined ? undefined : stack.resources.find((candidate) => candidate.physicalId === policy.handle);
    for (const signal of handle?.waitSignals ?? []) this.signal(stack, resource, signal);
  }

  /** Its own create time has passed: true while it still waits for signals (the engine completes it otherwise). */
  stillWaiting(stack: StackRecord, resource: ResourceRecord): boolean {
    const wait = resource.signals;
    if (!wait) return false;
    wait.created = true;
    if (successes(wait) >= required(wait)) {
      this.cancel(stack, resource);
      return false;
    }
    // A DeleteStack that came during the create cancels the wait; the resource is then deleted.
    if (stack.operation !== 'CREATE') {
      this.end(stack, resource, 'Resource creation cancelled');
      return true;
    }
    return true;
  }

  /** A signal, from SignalResource, an instance the sandbox plays, or a wait condition's handle. */
  signal(stack: StackRecord, resource: ResourceRecord, signal: WaitSignal): void {
    const wait = resource.signals;
    if (!wait || resource.status !== 'CREATE_IN_PROGRESS') return;
    const { uniqueId, status } = signal;
    if (signal.unparsable) {
      this.end(stack, resource, 'Unparsable WaitCondition data');
      this.host.advance(stack);
      return;
    }
    // Each signal is counted once per unique id.
    if (wait.received.some((received) => received.uniqueId === uniqueId)) return;
    wait.received.push(signal);
    if (resource.type === WAIT_CONDITION) resource.data = { Data: waitConditionData(wait) };
    this.events.resourceStatus(stack, resource, 'CREATE_IN_PROGRESS', `Received ${status} signal with UniqueId ${uniqueId}`);
    const failures = wait.received.filter((received) => received.status === 'FAILURE').length;
    if (failures > wait.count - required(wait)) {
      const reason =
        wait.handle !== undefined
          ? `WaitCondition received failed message: '${signal.reason ?? ''}' for uniqueId: ${uniqueId}`
          : isGroup(resource)
            ? `Received ${failures} FAILURE signal(s) out of ${wait.count}. ${unsatisfied(wait)}`
            : `Received FAILURE signal with UniqueId ${uniqueId}`;
      this.end(stack, resource, reason);
      this.host.advance(stack);
      return;
    }
    if (wait.created && successes(wait) >= required(wait)) {
      this.cancel(stack, resource);
      this.host.complete(stack, resource);
      this.host.advance(stack);
    }
  }

  /** The create is over another way (cancelled, failed): stop waiting. */
  cancel(stack: StackRecord, resource: ResourceRecord): void {
    const wait = resource.signals;
    if (!wait) return;
    const key = resourceTimerKey(stack, resource);
    this.timers.clear(`${key}#signals`);
    for (const instance of wait.instances) this.timers.clear(`${key}#instance:${instance.id}`);
    delete resource.signals;
  }

  /** After a restart: the wait and the instances still to signal carry on. */
  resume(stack: StackRecord, resource: ResourceRecord): void {
    if (resource.signals && resource.status === 'CREATE_IN_PROGRESS') this.schedule(stack, resource, resource.signals);
  }

  private schedule(stack: StackRecord, resource: ResourceRecord, wait: SignalWait): void {
    const key = resourceTimerKey(stack, resource);
    this.timers.schedule(`${key}#signals`, wait.deadline, () => this.timedOut(stack, resource));
    for (const instance of wait.instances) {
      if (wait.received.some((received) => received.uniqueId === instance.id)) continue;
      this.timers.schedule(`${key}#instance:${instance.id}`, instance.at, () => this.signal(stack, resource, { uniqueId: instance.id, status: instance.status }));
    }
  }

  private timedOut(stack: StackRecord, resource: ResourceRecord): void {
    const wait = resource.signals;
    if (!wait || resource.status !== 'CREATE_IN_PROGRESS') return;
    const missing = wait.count - successes(wait);
    const reason =
      wait.handle !== undefined
        ? `WaitCondition timed out. Received ${successes(wait)} conditions when expecting ${wait.count}`
        : isGroup(resource)
          ? `Received ${successes(wait)} SUCCESS signal(s) out of ${wait.count}.  ${unsatisfied(wait)}`
          : `Failed to receive ${missing} resource signal(s) within the specified duration`;
    this.end(stack, resource, reason);
    this.host.advance(stack);
  }

  /** Fails the resource's create with that reason; what it made (it exists) is deleted by the rollback. */
  private end(stack: StackRecord, resource: ResourceRecord, reason: string): void {
    this.cancel(stack, resource);
    this.timers.clear(resourceTimerKey(stack, resource));
    delete resource.dueAt;
    this.events.resourceStatus(stack, resource, 'CREATE_FAILED', reason);
  }

  /** The instances the resource launches that will signal, when, and how (none if the user data does not signal it). */
  private playedInstances(stack: StackRecord, resource: ResourceRecord, now: number): SignalWait['instances'] {
    const launch = this.launchOf(stack, resource);
    if (!launch || !launch.userData.includes(resource.logicalId)) return [];
    const viaCli = CLI_SIGNAL.test(launch.userData);
    if (!viaCli && !HELPER_SIGNAL.test(launch.userData)) return [];
    const fault = this.options.faults.signalFailure(stack.stackName, resource.logicalId);
    if (fault === 'never') return [];
    const instances: SignalWait['instances'] = [];
    for (let index = 0; index < launch.count; index += 1) {
      const id = `i-0${this.host.uuid('instance').replace(/-/g, '').slice(0, 16)}`;
      const denied = viaCli && launch.profile !== undefined ? this.permissions.instanceSignalDenial(stack, launch.profile, id) : undefined;
      if (denied !== undefined) {
        this.options.log(`instance ${id} of ${stack.stackName}/${resource.logicalId} cannot signal: ${denied}`);
        continue;
      }
      instances.push({ id, at: now + scaledMilliseconds(INSTANCE_SIGNAL_SECONDS, this.options.speed), status: fault === 'FAILURE' ? 'FAILURE' : 'SUCCESS' });
    }
    return instances;
  }

  /** An instance's user data (decoded), instance profile and how many instances the resource launches. */
  private launchOf(stack: StackRecord, resource: ResourceRecord): { userData: string; profile?: string; count: number } | undefined {
    const properties = resource.properties ?? {};
    let data: Record<string, unknown> = properties;
    let count = 1;
    if (isGroup(resource)) {
      const spec = asObject(properties['LaunchTemplate']);
      const id = spec?.['LaunchTemplateId'];
      const name = spec?.['LaunchTemplateName'];
      const template = stack.resources.find(
        (candidate) => candidate.type === 'AWS::EC2::LaunchTemplate' && ((id !== undefined && candidate.physicalId === id) || (name !== undefined && candidate.properties?.['LaunchTemplateName'] === name)),
      );
      const templateData = asObject(template?.properties?.['LaunchTemplateData']);
      if (!templateData) return undefined;
      data = templateData;
      count = Number(properties['DesiredCapacity'] ?? properties['MinSize'] ?? 0);
    }
    const userData = data['UserData'];
    if (typeof userData !== 'string') return undefined;
    const profile = data['IamInstanceProfile'];
    const profileId = typeof profile === 'string' ? profile : (asObject(profile)?.['Arn'] ?? asObject(profile)?.['Name']);
    return { userData: Buffer.from(userData, 'base64').toString('utf8'), count, ...(typeof profileId === 'string' ? { profile: profileId } : {}) };
  }
}

/** The resource SignalResource names, if it waits for signals now; else why it cannot be signalled, in CloudFormation's words. */
export function signalTarget(stack: StackRecord, logicalId: string): { resource: ResourceRecord } | { refusal: string } {
  if (stack.status !== 'CREATE_IN_PROGRESS') return { refusal: `Stack ${stack.stackId} is in ${stack.status} state and cannot be signaled` };
  const resource = resourceOf(stack, logicalId);
  if (!resource || resource.status === undefined) return { refusal: `Resource ${logicalId} does not exist for stack ${stack.stackName}` };
  if (!resource.signals || resource.status !== 'CREATE_IN_PROGRESS') return { refusal: `Resource ${logicalId} is in ${resource.status} state and cannot be signaled` };
  return { resource };
}

function isGroup(resource: ResourceRecord): boolean {
  return resource.type === 'AWS::AutoScaling::AutoScalingGroup';
}

/** A wait condition's Data: each SUCCESS signal's Data by its UniqueId, as JSON. */
function waitConditionData(wait: SignalWait): string {
  return JSON.stringify(Object.fromEntries(wait.received.filter((received) => received.status === 'SUCCESS').map((received) => [received.uniqueId, received.data ?? ''])));
}

function successes(wait: SignalWait): number {
  return wait.received.filter((received) => received.status === 'SUCCESS').length;
}

/** The SUCCESS signals needed: Count, or for a group its MinSuccessfulInstancesPercent of Count. */
function required(wait: SignalWait): number {
  return Math.ceil((wait.count * wait.minSuccessfulInstancesPercent) / 100);
}

function unsatisfied(wait: SignalWait): string {
  return `Unable to satisfy ${wait.minSuccessfulInstancesPercent}% MinSuccessfulInstancesPercent requirement`;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
