import { DEFAULT_SPEED } from '../sandbox/sandbox-clock';

/**
 * GROUNDWORK_SPEED: the share of AWS's real durations the embedded default takes, for the
 * sandbox's resource times and the workflows' Wait states and retry intervals alike (so the
 * workflow's first wait still lands near a component's end). 1 is real time; the default, the
 * sandbox's DEFAULT_SPEED (0.01), brings a default stack up in about ten seconds.
 */
export class InvalidSpeedError extends Error {
  constructor(value: string) {
    super(`GROUNDWORK_SPEED must be a number above 0 and at most 10 (1 = AWS's real durations, ${DEFAULT_SPEED} = the default), not "${value}"`);
    this.name = 'InvalidSpeedError';
  }
}

export function speedFromEnvironment(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_SPEED;
  const speed = Number(value);
  if (!Number.isFinite(speed) || speed <= 0 || speed > 10) throw new InvalidSpeedError(value);
  return speed;
}
