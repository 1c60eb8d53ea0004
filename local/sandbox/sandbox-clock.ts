/**
 * The sandbox's clock: the dated table of typical CloudFormation durations (src/cfn/resource-timing.ts)
 * runs at `speed` times real time here.
 */

/** Scale of the sandbox's clock: 0.01 turns RDS's ~8 minutes into ~5 s; 1 is real time. */
export const DEFAULT_SPEED = 0.01;

/** Seconds of the table as milliseconds of the sandbox's clock. */
export function scaledMilliseconds(seconds: number, speed: number): number {
  return Math.round(seconds * 1000 * speed);
}
