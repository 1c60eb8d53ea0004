import { setTimeout as delay } from 'node:timers/promises';
import type { CustomerCloudFormation } from '../../src/aws/customer-clients';
import type { RegionOfferFor } from '../../src/region/region-offer';
import type { SmokeClients } from './smoke-clients';

/**
 * What every part of the smoke test runs with: the caller's clients, Groundwork's own factories for
 * the customer account (its CloudFormation, and the reads of its region), the clock, and the run's
 * interruption signal. Tests inject fakes for all of it; nothing here talks to AWS by itself.
 */
export interface SmokeTiming {
  /** Between two looks at a stack, a cluster or a task. */
  pollMs: number;
  /** SQS long polling while waiting for a registration request (0 to 20). */
  receiveWaitSeconds: number;
  onboardingCreateMs: number;
  onboardingDeleteMs: number;
  /** For the cluster's first container instance to register. */
  containerInstanceMs: number;
  /** For the check task to stop. */
  taskMs: number;
}

export const DEFAULT_TIMING: SmokeTiming = {
  pollMs: 15_000,
  receiveWaitSeconds: 20,
  onboardingCreateMs: 20 * 60_000,
  onboardingDeleteMs: 20 * 60_000,
  containerInstanceMs: 15 * 60_000,
  taskMs: 15 * 60_000,
};

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal ? { signal } : {});
};

export interface SmokeRuntime {
  region: string;
  /** The caller's clients (the caller plays Groundwork's service role). */
  clients: SmokeClients;
  /** Groundwork's way into a customer account: AssumeRole of the access role with the ExternalId. */
  customerCloudFormation: CustomerCloudFormation;
  /** Groundwork's reads of what the customer's region offers, through the same access role (EC2 and RDS). */
  regionOffers: RegionOfferFor;
  /** Answers CloudFormation's ResponseURLs (Groundwork's answerer uses it). */
  fetch: typeof fetch;
  sleep: Sleep;
  now: () => number;
  /** Aborted on Ctrl-C: whatever is being created stops, and the teardown (which ignores it) runs. */
  signal: AbortSignal;
  timing: SmokeTiming;
  /** Progress and the summary. */
  out: (line: string) => void;
}

/** A check about AWS did not hold: the run fails, and says what it found. */
export class SmokeCheckFailed extends Error {
  override name = 'SmokeCheckFailed';
}
