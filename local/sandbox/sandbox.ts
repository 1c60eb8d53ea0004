import { RESOURCE_TIMING, resourceSeconds, TIMING_AS_OF, type ResourceOperation, type ResourceTiming } from '../../src/cfn/resource-timing';
import type { AwsResponse, AwsService, SandboxHooks } from '../contracts';
import { CallLog, type SandboxCall } from './call-log';
import { createCloudFormationService } from './cloudformation-service';
import { AwsApiError } from './errors';
import { createEc2Service } from './ec2-service';
import { createRdsService } from './rds-service';
import { createWorkloadServices } from './workload-service';
import { DEFAULT_SPEED, scaledMilliseconds } from './sandbox-clock';
import { FaultRegistry, type SandboxFaults } from './sandbox-faults';
import { loadState, StateWriter } from './sandbox-state';
import { StackEngine } from './stack-engine';
import { seedCertificate } from './seeded-certificates';
import { createStsService } from './sts-service';

/**
 * The sandbox customer accounts of the embedded default (DESIGN.md §4, issue 5): a local
 * CloudFormation and STS, and the EC2 and RDS reads Groundwork makes of a region (its AZs, instance
 * type offerings, PostgreSQL versions and classes, from dated data in data/), that a standard AWS
 * client can use. The edge routes requests signed for `cloudformation`, `sts`, `ec2` and `rds` to
 * `services`, and paths under `/_sandbox/` to `handleRoute`:
 *
 *   PUT  /_sandbox/cfn-responses/<id>  custom-resource answers (the ResponseURL of each request)
 *   PUT  /_sandbox/wait-conditions/<id>  wait condition signals (the Ref of each WaitConditionHandle)
 *   GET  /_sandbox/faults              the injected faults, as JSON; PUT replaces them, DELETE clears
 *   GET  /_sandbox/stacks[?account=…]  the live stacks of every (or one) account, as JSON
 *   GET  /_sandbox/calls[?account=…]   the CloudFormation, STS, EC2 and RDS calls answered (call-log.ts); DELETE clears
 *   POST /_sandbox/certificates        seeds an ACM certificate ({account, region, domainName}); GET lists them (?account=…)
 */

export interface SandboxOptions {
  hooks: SandboxHooks;
  /** Where this process's edge is reached (custom resources' ResponseURLs point there). */
  edgeUrl: string;
  /** Where the accounts are kept between runs; absent: in memory only. */
  stateFile?: string;
  /** Scale of resource durations: 1 is real time, the default DEFAULT_SPEED (0.01). */
  speed?: number;
  now?: () => number;
  /** Where the sandbox reports what it could not do (an event it could not deliver); default stderr. */
  log?: (message: string) => void;
  /** How long (unscaled seconds, then scaled by speed) CloudFormation waits for an ECS service to stabilise; default 180 minutes. */
  ecsWaitSeconds?: number;
}

export interface LiveStack {
  account: string;
  region: string;
  stackName: string;
  stackId: string;
  status: string;
  statusReason?: string;
  createdAt: string;
}

export interface SandboxTiming {
  /** When the figures were drawn up. */
  asOf: string;
  speed: number;
  /** Typical seconds per resource type, unscaled (resource-timing.ts). */
  table: Readonly<Record<string, ResourceTiming>>;
  /** Unscaled seconds for one resource (the table, its property variants, or the default). */
  seconds(type: string, operation: ResourceOperation, properties?: Record<string, unknown>): number;
  /** What the sandbox waits, in milliseconds, for that resource. */
  milliseconds(type: string, operation: ResourceOperation, properties?: Record<string, unknown>): number;
}

export interface Sandbox {
  services: AwsService[];
  handleRoute(request: { method: string; path: string; body: string }): Promise<AwsResponse | undefined>;
  faults: SandboxFaults;
  liveStacks(account?: string): LiveStack[];
  /** The CloudFormation, STS, EC2 and RDS calls answered so far, oldest first (the newest 100,000). */
  calls(account?: string): SandboxCall[];
  timing: SandboxTiming;
  /** The accounts' CloudFormation in-process: the stacks (findStack) and the ECS services they run (engine.ecs), for the update workflow and tests. */
  engine: StackEngine;
  /** Stops every timer, waits for event deliveries under way and writes the state file. */
  stop(): Promise<void>;
}

export function createSandbox(options: SandboxOptions): Sandbox {
  const speed = options.speed ?? DEFAULT_SPEED;
  if (!(speed > 0)) throw new RangeError(`speed must be greater than 0, not ${speed}`);
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message: string) => process.stderr.write(`sandbox: ${message}\n`));
  const state = loadState(options.stateFile);
  const writer = new StateWriter(options.stateFile, state);
  const faults = new FaultRegistry();
  const callLog = new CallLog(now);
  const ecsWait = options.ecsWaitSeconds === undefined ? {} : { ecsWaitSeconds: options.ecsWaitSeconds };
  const engine = new StackEngine({ state, writer, hooks: options.hooks, faults, edgeUrl: options.edgeUrl.replace(/\/+$/, ''), speed, now, log, ...ecsWait });
  engine.resume();
  let stopped = false;

  // Answered as S3 answers a presigned URL it refuses.
  const s3Error = (status: number, message: string): AwsResponse => ({
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${message}</Message></Error>`,
  });
  const json = (status: number, body: unknown): AwsResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  function liveStacks(account?: string): LiveStack[] {
    return Object.values(state.accounts)
      .filter((candidate) => account === undefined || candidate.id === account)
      .flatMap((candidate) => candidate.stacks)
      .filter((stack) => stack.status !== 'DELETE_COMPLETE')
      .map((stack) => ({
        account: stack.account,
        region: stack.region,
        stackName: stack.stackName,
        stackId: stack.stackId,
        status: stack.status,
        ...(stack.statusReason === undefined ? {} : { statusReason: stack.statusReason }),
        createdAt: new Date(stack.createdAt).toISOString(),
      }));
  }

  async function handleRoute(request: { method: string; path: string; body: string }): Promise<AwsResponse | undefined> {
    const url = new URL(request.path, 'http://sandbox.invalid');
    if (!url.pathname.startsWith('/_sandbox/')) return undefined;
    const method = request.method.toUpperCase();
    const response = /^\/_sandbox\/cfn-responses\/([^/]+)$/.exec(url.pathname);
    if (response) {
      if (method !== 'PUT') return json(405, { message: 'Answer a custom resource with PUT' });
      const outcome = engine.customResourceResponse(decodeURIComponent(response[1] ?? ''), request.body);
      return outcome.status === 200 ? { status: 200, headers: {}, body: '' } : s3Error(outcome.status, outcome.message);
    }
    const handle = /^\/_sandbox\/wait-conditions\/([^/]+)$/.exec(url.pathname);
    if (handle) {
      if (method !== 'PUT') return json(405, { message: 'Signal a wait condition with PUT' });
      const outcome = engine.waitConditionSignal(decodeURIComponent(handle[1] ?? ''), request.body);
      return outcome.status === 200 ? { status: 200, headers: {}, body: '' } : s3Error(outcome.status, outcome.message);
    }
    if (url.pathname === '/_sandbox/faults') {
      if (method === 'GET') return json(200, faults.describe());
      if (method === 'DELETE') {
        faults.clear();
        return json(200, faults.describe());
      }
      if (method !== 'PUT') return json(405, { message: 'GET, PUT or DELETE the faults' });
      try {
        faults.replace(JSON.parse(request.body) as unknown);
      } catch (error) {
        const message = error instanceof AwsApiError ? error.message : `Invalid faults document: ${error instanceof Error ? error.message : String(error)}`;
        return json(400, { message });
      }
      return json(200, faults.describe());
    }
    if (url.pathname === '/_sandbox/calls') {
      if (method === 'DELETE') {
        callLog.clear();
        return json(200, { calls: [] });
      }
      if (method !== 'GET') return json(405, { message: 'GET or DELETE the calls' });
      return json(200, { calls: callLog.list(url.searchParams.get('account') ?? undefined) });
    }
    if (url.pathname === '/_sandbox/certificates') {
      if (method === 'GET') {
        const account = url.searchParams.get('account');
        const holders = account === null ? Object.keys(state.accounts) : [account];
        return json(200, { certificates: holders.flatMap((holder) => engine.accounts.held(holder, 'certificates')) });
      }
      if (method !== 'POST') return json(405, { message: 'POST a certificate, or GET them' });
      try {
        return json(200, seedCertificate(engine.accounts, request.body, () => engine.uuid('certificate'), now()));
      } catch (error) {
        if (error instanceof AwsApiError) return json(400, { message: error.message });
        throw error;
      }
    }
    if (url.pathname === '/_sandbox/stacks') {
      if (method !== 'GET') return json(405, { message: 'GET the stacks' });
      return json(200, { stacks: liveStacks(url.searchParams.get('account') ?? undefined) });
    }
    return json(404, { message: `No sandbox route ${method} ${url.pathname}` });
  }

  return {
    services: [
      createCloudFormationService({ engine, faults, now, log, speed }),
      createStsService({ engine, now, log }),
      createEc2Service({ engine, now, log }),
      createRdsService({ engine, now, log }),
      ...createWorkloadServices({ engine, now, log }),
    ].map((service) => callLog.wrap(service)),
    handleRoute,
    faults,
    liveStacks,
    calls: (account) => callLog.list(account),
    engine,
    timing: {
      asOf: TIMING_AS_OF,
      speed,
      table: RESOURCE_TIMING,
      seconds: resourceSeconds,
      milliseconds: (type, operation, properties) => scaledMilliseconds(resourceSeconds(type, operation, properties), speed),
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      engine.stop();
      await engine.settled();
      writer.flush();
    },
  };
}
