import type { CfnResource, CfnValue } from './template-types';

/**
 * A resource's CreationPolicy, as CloudFormation reads it (CloudFormation User Guide, "CreationPolicy
 * attribute", read 2026-12-06): with a ResourceSignal, the resource stays CREATE_IN_PROGRESS until
 * it has received Count SUCCESS signals (default 1); a FAILURE signal, or too few signals within
 * Timeout (ISO 8601, default PT5M, at most 12 hours; counted from the start of the resource's
 * creation), fails it and the stack rolls back. For an auto-scaling group,
 * AutoScalingCreationPolicy.MinSuccessfulInstancesPercent (default 100) is the share of its
 * instances that must signal success. The attribute applies to AWS::AutoScaling::AutoScalingGroup,
 * AWS::EC2::Instance, AWS::CloudFormation::WaitCondition and AWS::AppStream::Fleet; the sandbox
 * account and the timing table use it for the first three (Groundwork's templates use the first two).
 */

export const SIGNALLED_TYPES: readonly string[] = ['AWS::AutoScaling::AutoScalingGroup', 'AWS::EC2::Instance', 'AWS::CloudFormation::WaitCondition'];

const DEFAULT_TIMEOUT_SECONDS = 300;
const MAX_TIMEOUT_SECONDS = 12 * 3600;

export interface SignalPolicy {
  count: number;
  timeoutSeconds: number;
  minSuccessfulInstancesPercent: number;
}

export class CreationPolicyError extends Error {
  override name = 'CreationPolicyError';
}

/** The signals a resource waits for, or undefined when it waits for none. */
export function signalPolicy(resource: Pick<CfnResource, 'Type' | 'CreationPolicy'>): SignalPolicy | undefined {
  const signal = objectAt(resource.CreationPolicy, 'ResourceSignal');
  if (signal === undefined || !SIGNALLED_TYPES.includes(resource.Type)) return undefined;
  const count = signal['Count'] === undefined ? 1 : Number(signal['Count']);
  if (!Number.isInteger(count) || count < 0) throw new CreationPolicyError(`CreationPolicy.ResourceSignal.Count must be a whole number, not ${JSON.stringify(signal['Count'])}`);
  const timeoutSeconds = signal['Timeout'] === undefined ? DEFAULT_TIMEOUT_SECONDS : isoDurationSeconds(signal['Timeout']);
  const percent = objectAt(resource.CreationPolicy, 'AutoScalingCreationPolicy')?.['MinSuccessfulInstancesPercent'];
  return { count, timeoutSeconds, minSuccessfulInstancesPercent: percent === undefined ? 100 : Number(percent) };
}

/** PT#H#M#S (hours, minutes, seconds, each optional) as seconds, at most 12 hours. */
export function isoDurationSeconds(value: CfnValue | undefined): number {
  const match = typeof value === 'string' ? /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(value) : null;
  if (!match || value === 'PT') throw new CreationPolicyError(`CreationPolicy.ResourceSignal.Timeout must be an ISO 8601 duration such as PT15M, not ${JSON.stringify(value)}`);
  const seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  if (seconds > MAX_TIMEOUT_SECONDS) throw new CreationPolicyError(`CreationPolicy.ResourceSignal.Timeout may be at most 12 hours, not ${String(value)}`);
  return seconds;
}

function objectAt(value: CfnValue | undefined, key: string): { [key: string]: CfnValue } | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const inner = value[key];
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? inner : undefined;
}
