import { ValidationError } from './errors';

/**
 * Faults injected into the sandbox accounts, to see failures the way a customer would:
 * - a resource type fails to create (optionally only in stacks whose name matches a pattern), and
 *   the stack rolls back;
 * - deletes of matching stacks fail (DELETE_FAILED), a number of times or always;
 * - a resource type fails to update in place (UpdateStack; optionally one logical id), and the stack
 *   rolls back; or fails to be put back during that rollback (UPDATE_ROLLBACK_FAILED), a number of
 *   times or always, until ContinueUpdateRollback;
 * - a share of CloudFormation calls is throttled (HTTP 400 Throttling, "Rate exceeded");
 * - the instances the sandbox plays for a resource whose CreationPolicy waits for signals never
 *   signal (the resource times out), or signal FAILURE: e.g. a NAT instance that never gets egress.
 * - an image ECS pulls for a task cannot be pulled, its container crashes, or its health check never
 *   passes (`images`: by exact image reference; local/sandbox/ecs/).
 * Patterns are globs over the stack name (`groundwork-*-database`; `*` any run, `?` one character)
 * or, programmatically, regular expressions. Faults last until cleared; they are not kept across
 * restarts.
 */

export type StackNamePattern = string | RegExp;

export interface CreateFailureFault {
  resourceType: string;
  stackName?: StackNamePattern;
  reason?: string;
}

export interface DeleteFailureFault {
  stackName: StackNamePattern;
  /** How many DeleteStack operations of each matching stack fail (default: all). */
  times?: number;
  reason?: string;
}

export interface UpdateFailureFault {
  resourceType: string;
  stackName?: StackNamePattern;
  logicalId?: string;
  reason?: string;
}

export interface RollbackFailureFault {
  resourceType?: string;
  stackName: StackNamePattern;
  logicalId?: string;
  /** How many rollbacks (UpdateStack's, then each ContinueUpdateRollback's) of each matching stack fail (default: all). */
  times?: number;
  reason?: string;
}

/** What an instance does instead of signalling SUCCESS once booted. */
export type SignalFailure = 'never' | 'FAILURE';

export interface SignalFault {
  stackName: StackNamePattern;
  /** The resource whose instances misbehave (default: every signalled resource of the stack). */
  logicalId?: string;
  signal: SignalFailure;
}

/** What an image does when ECS runs it (local/sandbox/ecs/): any image not named pulls and runs. */
export type ImageFault = 'pull-error' | 'crash' | 'unhealthy';
const IMAGE_FAULTS: readonly string[] = ['pull-error', 'crash', 'unhealthy'];

/** The faults as JSON (GET/PUT /_sandbox/faults): patterns as glob strings. */
export interface FaultsDocument {
  createFailures: Array<{ resourceType: string; stackName?: string; reason?: string }>;
  deleteFailures: Array<{ stackName: string; times?: number; reason?: string }>;
  /** Share of CloudFormation calls throttled, 0..1. */
  throttle: number;
  /** Instances that never signal, or signal FAILURE (absent in a PUT: none). */
  signalFailures: Array<{ stackName: string; logicalId?: string; signal: SignalFailure }>;
  /** Images that fail when ECS runs them, by image reference (absent in a PUT: none). */
  images: Record<string, ImageFault>;
  /** Resources that fail to update in place (absent in a PUT: none). */
  updateFailures?: Array<{ resourceType: string; stackName?: string; logicalId?: string; reason?: string }>;
  /** Resources that fail to be put back in an update's rollback (absent in a PUT: none). */
  rollbackFailures?: Array<{ resourceType?: string; stackName: string; logicalId?: string; times?: number; reason?: string }>;
}

export interface SandboxFaults {
  failCreate(resourceType: string, options?: { stackName?: StackNamePattern; reason?: string }): void;
  failDelete(stackName: StackNamePattern, options?: { times?: number; reason?: string }): void;
  /** Throttles this share (0..1) of CloudFormation calls, spread evenly: 0.5 is every second call. */
  throttle(share: number): void;
  /** The instances of matching stacks' signalled resources never signal, or signal FAILURE. */
  failSignals(stackName: StackNamePattern, options: { signal: SignalFailure; logicalId?: string }): void;
  /** Tasks running this image (the exact reference of the container definition) fail this way. */
  failImage(image: string, fault: ImageFault): void;
  /** The in-place update of this resource type fails (UpdateStack), and the stack rolls back. */
  failUpdate(resourceType: string, options?: { stackName?: StackNamePattern; logicalId?: string; reason?: string }): void;
  /** Putting a resource back in an update's rollback fails (UPDATE_ROLLBACK_FAILED), `times` rollbacks per stack or always. */
  failRollback(stackName: StackNamePattern, options?: { resourceType?: string; logicalId?: string; times?: number; reason?: string }): void;
  clear(): void;
  /** The faults in force, as JSON. */
  describe(): FaultsDocument;
  /** Replaces every fault with those of the document. */
  replace(document: unknown): void;
}

export const DEFAULT_CREATE_FAILURE = 'Resource handler returned message: "Injected failure (sandbox fault)" (HandlerErrorCode: InternalFailure)';
export const DEFAULT_DELETE_FAILURE = 'Resource handler returned message: "Injected deletion failure (sandbox fault)" (HandlerErrorCode: InternalFailure)';
export const DEFAULT_UPDATE_FAILURE = 'Resource handler returned message: "Injected update failure (sandbox fault)" (HandlerErrorCode: InternalFailure)';

export function patternMatches(pattern: StackNamePattern | undefined, name: string): boolean {
  if (pattern === undefined) return true;
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0;
    return pattern.test(name);
  }
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

function patternText(pattern: StackNamePattern): string {
  return pattern instanceof RegExp ? `/${pattern.source}/${pattern.flags}` : pattern;
}

export class FaultRegistry implements SandboxFaults {
  private createFailures: CreateFailureFault[] = [];
  private deleteFailures: Array<DeleteFailureFault & { spent: Map<string, number> }> = [];
  private signalFailures: SignalFault[] = [];
  private images = new Map<string, ImageFault>();
  private updateFailures: UpdateFailureFault[] = [];
  private rollbackFailures: Array<RollbackFailureFault & { spent: Map<string, number> }> = [];
  private throttleShare = 0;
  private throttleDebt = 0;

  failCreate(resourceType: string, options: { stackName?: StackNamePattern; reason?: string } = {}): void {
    this.createFailures.push({ resourceType, ...options });
  }

  failDelete(stackName: StackNamePattern, options: { times?: number; reason?: string } = {}): void {
    this.deleteFailures.push({ stackName, ...options, spent: new Map() });
  }

  failSignals(stackName: StackNamePattern, options: { signal: SignalFailure; logicalId?: string }): void {
    this.signalFailures.push({ stackName, ...options });
  }

  failImage(image: string, fault: ImageFault): void {
    if (!IMAGE_FAULTS.includes(fault)) throw new RangeError(`an image fault is one of ${IMAGE_FAULTS.join(', ')}, not ${fault}`);
    this.images.set(image, fault);
  }

  /** How a task running this image fails, if it is to. */
  imageFault(image: string): ImageFault | undefined {
    return this.images.get(image);
  }

  failUpdate(resourceType: string, options: { stackName?: StackNamePattern; logicalId?: string; reason?: string } = {}): void {
    this.updateFailures.push({ resourceType, ...options });
  }

  failRollback(stackName: StackNamePattern, options: { resourceType?: string; logicalId?: string; times?: number; reason?: string } = {}): void {
    this.rollbackFailures.push({ stackName, ...options, spent: new Map() });
  }

  throttle(share: number): void {
    if (!(share >= 0 && share <= 1)) throw new RangeError(`throttle takes a share between 0 and 1, not ${share}`);
    this.throttleShare = share;
    this.throttleDebt = 0;
  }

  clear(): void {
    this.createFailures = [];
    this.deleteFailures = [];
    this.signalFailures = [];
    this.images.clear();
    this.updateFailures = [];
    this.rollbackFailures = [];
    this.throttle(0);
  }

  describe(): FaultsDocument {
    return {
      createFailures: this.createFailures.map(({ resourceType, stackName, reason }) => ({
        resourceType,
        ...(stackName === undefined ? {} : { stackName: patternText(stackName) }),
        ...(reason === undefined ? {} : { reason }),
      })),
      deleteFailures: this.deleteFailures.map(({ stackName, times, reason }) => ({
        stackName: patternText(stackName),
        ...(times === undefined ? {} : { times }),
        ...(reason === undefined ? {} : { reason }),
      })),
      throttle: this.throttleShare,
      signalFailures: this.signalFailures.map(({ stackName, logicalId, signal }) => ({ stackName: patternText(stackName), ...(logicalId === undefined ? {} : { logicalId }), signal })),
      images: Object.fromEntries(this.images),
      updateFailures: this.updateFailures.map(({ resourceType, stackName, logicalId, reason }) => ({
        resourceType,
        ...(stackName === undefined ? {} : { stackName: patternText(stackName) }),
        ...(logicalId === undefined ? {} : { logicalId }),
        ...(reason === undefined ? {} : { reason }),
      })),
      rollbackFailures: this.rollbackFailures.map(({ resourceType, stackName, logicalId, times, reason }) => ({
        stackName: patternText(stackName),
        ...(resourceType === undefined ? {} : { resourceType }),
        ...(logicalId === undefined ? {} : { logicalId }),
        ...(times === undefined ? {} : { times }),
        ...(reason === undefined ? {} : { reason }),
      })),
    };
  }

  replace(document: unknown): void {
    const parsed = parseFaults(document);
    this.clear();
    for (const fault of parsed.createFailures) this.failCreate(fault.resourceType, fault);
    for (const fault of parsed.deleteFailures) this.failDelete(fault.stackName, fault);
    for (const fault of parsed.signalFailures) this.failSignals(fault.stackName, fault);
    for (const [image, fault] of Object.entries(parsed.images)) this.failImage(image, fault);
    for (const fault of parsed.updateFailures ?? []) this.failUpdate(fault.resourceType, fault);
    for (const fault of parsed.rollbackFailures ?? []) this.failRollback(fault.stackName, fault);
    this.throttle(parsed.throttle);
  }

  /** The reason a resource of this type fails to create in this stack, if it is to fail. */
  createFailure(resourceType: string, stackName: string): string | undefined {
    const fault = this.createFailures.find((candidate) => candidate.resourceType === resourceType && patternMatches(candidate.stackName, stackName));
    return fault === undefined ? undefined : (fault.reason ?? DEFAULT_CREATE_FAILURE);
  }

  /** Whether this delete of the stack fails (and counts it), with the reason. */
  takeDeleteFailure(stackName: string, stackId: string): string | undefined {
    const fault = this.deleteFailures.find(
      (candidate) => patternMatches(candidate.stackName, stackName) && (candidate.spent.get(stackId) ?? 0) < (candidate.times ?? Number.POSITIVE_INFINITY),
    );
    if (!fault) return undefined;
    fault.spent.set(stackId, (fault.spent.get(stackId) ?? 0) + 1);
    return fault.reason ?? DEFAULT_DELETE_FAILURE;
  }

  /** The reason this resource's in-place update fails, if it is to. */
  updateFailure(resourceType: string, stackName: string, logicalId: string): string | undefined {
    const fault = this.updateFailures.find(
      (candidate) => candidate.resourceType === resourceType && patternMatches(candidate.stackName, stackName) && (candidate.logicalId === undefined || candidate.logicalId === logicalId),
    );
    return fault === undefined ? undefined : (fault.reason ?? DEFAULT_UPDATE_FAILURE);
  }

  /** Whether putting this resource back in this rollback of the stack fails (and counts the rollback), with the reason. */
  takeRollbackFailure(resource: { type: string; logicalId: string }, stackName: string, stackId: string): string | undefined {
    const fault = this.rollbackFailures.find(
      (candidate) =>
        patternMatches(candidate.stackName, stackName) &&
        (candidate.resourceType === undefined || candidate.resourceType === resource.type) &&
        (candidate.logicalId === undefined || candidate.logicalId === resource.logicalId) &&
        (candidate.spent.get(stackId) ?? 0) < (candidate.times ?? Number.POSITIVE_INFINITY),
    );
    if (!fault) return undefined;
    fault.spent.set(stackId, (fault.spent.get(stackId) ?? 0) + 1);
    return fault.reason ?? DEFAULT_UPDATE_FAILURE;
  }

  /** How the instances of this resource misbehave, if they are to. */
  signalFailure(stackName: string, logicalId: string): SignalFailure | undefined {
    return this.signalFailures.find((fault) => patternMatches(fault.stackName, stackName) && (fault.logicalId === undefined || fault.logicalId === logicalId))?.signal;
  }

  /** Whether this CloudFormation call is throttled: spread evenly, the same calls every run. */
  takeThrottle(): boolean {
    if (this.throttleShare === 0) return false;
    this.throttleDebt += this.throttleShare;
    if (this.throttleDebt >= 1 - 1e-9) {
      this.throttleDebt -= 1;
      return true;
    }
    return false;
  }
}

function parseFaults(document: unknown): FaultsDocument {
  const fail = (message: string): never => {
    throw new ValidationError(`Invalid faults document: ${message}`);
  };
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return fail('expected an object');
  const { createFailures = [], deleteFailures = [], throttle = 0, signalFailures = [], updateFailures = [], rollbackFailures = [], images = {} } = document as Record<string, unknown>;
  if (typeof images !== 'object' || images === null || Array.isArray(images)) return fail('images maps image references to "pull-error", "crash" or "unhealthy"');
  for (const [image, fault] of Object.entries(images)) {
    if (image === '' || typeof fault !== 'string' || !IMAGE_FAULTS.includes(fault)) fail(`images["${image}"] is "pull-error", "crash" or "unhealthy"`);
  }
  if (!Array.isArray(createFailures) || !Array.isArray(deleteFailures) || !Array.isArray(signalFailures) || !Array.isArray(updateFailures) || !Array.isArray(rollbackFailures)) {
    return fail('createFailures, deleteFailures, signalFailures, updateFailures and rollbackFailures are lists');
  }
  if (typeof throttle !== 'number' || throttle < 0 || throttle > 1) return fail('throttle is a number between 0 and 1');
  const text = (value: unknown, name: string, optional: boolean): string | undefined => {
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string' || value === '') return fail(`${name} must be a non-empty string`);
    return value;
  };
  return {
    createFailures: createFailures.map((fault: Record<string, unknown>) => {
      const stackName = text(fault['stackName'], 'createFailures[].stackName', true);
      const reason = text(fault['reason'], 'createFailures[].reason', true);
      return { resourceType: text(fault['resourceType'], 'createFailures[].resourceType', false) ?? '', ...(stackName ? { stackName } : {}), ...(reason ? { reason } : {}) };
    }),
    deleteFailures: deleteFailures.map((fault: Record<string, unknown>) => {
      const times = fault['times'];
      if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1)) fail('deleteFailures[].times is a whole number ≥ 1');
      const reason = text(fault['reason'], 'deleteFailures[].reason', true);
      return { stackName: text(fault['stackName'], 'deleteFailures[].stackName', false) ?? '', ...(times === undefined ? {} : { times: times as number }), ...(reason ? { reason } : {}) };
    }),
    throttle,
    signalFailures: signalFailures.map((fault: Record<string, unknown>) => {
      const signal = fault['signal'];
      if (signal !== 'never' && signal !== 'FAILURE') fail('signalFailures[].signal is "never" or "FAILURE"');
      const logicalId = text(fault['logicalId'], 'signalFailures[].logicalId', true);
      return { stackName: text(fault['stackName'], 'signalFailures[].stackName', false) ?? '', ...(logicalId ? { logicalId } : {}), signal: signal as SignalFailure };
    }),
    images: images as Record<string, ImageFault>,
    updateFailures: updateFailures.map((fault: Record<string, unknown>) => {
      const stackName = text(fault['stackName'], 'updateFailures[].stackName', true);
      const logicalId = text(fault['logicalId'], 'updateFailures[].logicalId', true);
      const reason = text(fault['reason'], 'updateFailures[].reason', true);
      return { resourceType: text(fault['resourceType'], 'updateFailures[].resourceType', false) ?? '', ...(stackName ? { stackName } : {}), ...(logicalId ? { logicalId } : {}), ...(reason ? { reason } : {}) };
    }),
    rollbackFailures: rollbackFailures.map((fault: Record<string, unknown>) => {
      const times = fault['times'];
      if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1)) fail('rollbackFailures[].times is a whole number ≥ 1');
      const resourceType = text(fault['resourceType'], 'rollbackFailures[].resourceType', true);
      const logicalId = text(fault['logicalId'], 'rollbackFailures[].logicalId', true);
      const reason = text(fault['reason'], 'rollbackFailures[].reason', true);
      return {
        stackName: text(fault['stackName'], 'rollbackFailures[].stackName', false) ?? '',
        ...(resourceType ? { resourceType } : {}),
        ...(logicalId ? { logicalId } : {}),
        ...(times === undefined ? {} : { times: times as number }),
        ...(reason ? { reason } : {}),
      };
    }),
  };
}
