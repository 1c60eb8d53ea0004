/**
 * The sandbox's clock over the dated table of typical CloudFormation durations. The table itself
 * is in src/cfn/resource-timing.ts, where the stack workflow sizes its waits from it too.
 */
export { CUSTOM_RESOURCE_TIMING, DEFAULT_TIMING, RESOURCE_TIMING, resourceSeconds, TIMING_AS_OF, type ResourceTiming } from '../../src/cfn/resource-timing';

/** Scale of the sandbox's clock: 0.01 turns RDS's ~8 minutes into ~5 s; 1 is real time. */
export const DEFAULT_SPEED = 0.01;

/** Seconds of the table as milliseconds of the sandbox's clock. */
export function scaledMilliseconds(seconds: number, speed: number): number {
  return Math.round(seconds * 1000 * speed);
}
