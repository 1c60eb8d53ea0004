import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { executionArn } from '../aws/workflow-client';
import { createHash } from 'node:crypto';
import { assertRegionAllowed } from '../accounts/account';
import type { AccountLookup } from '../accounts/account-lookup';
import { randomId } from '../ids';
import { TenantLimitError, ValidationError } from '../errors';
import { DEFAULT_TENANT_LIMITS } from '../model/tenant-limits';
import type { Logger } from '../log/logger';
import { allocateVpcCidr } from '../network/allocate-cidr';
import { planSubnets } from '../network/plan-subnets';
import { componentsFor } from '../model/components';
import type { StackWorkloadSites, StackWorkloadsOf } from '../aws/customer-workload-clients';
import { ClusterOutputs } from '../templates/cluster';
import { FrontendOutputs } from '../templates/frontend';
import { AccountNotConnectedError, IdempotencyKeyReusedError, StackBusyError, StackHasWorkloadsError, StackNameTakenError, StackNotFoundError } from './errors';
import { initialSteps, runsTeardown, stackView, teardownExecutionName, type Stack } from './stack';
import { BUSY_STATUSES } from '../model/statuses';
import { stackExecutionInput, startStackExecution } from './stack-execution';
import { StackReconciler, type ExecutionEnded } from './stack-reconciler';
import type { StackRecorder } from './stack-recorder';
import type { AvailabilityZone } from '../model/network-plan';
import type { StackRequest } from '../model/stack-request';
import { fitRequestToRegion } from '../region/fit-region';
import type { RegionOfferFor } from '../region/region-offer';
import type { StackStore } from './stack-store';

/**
 * Creating, reading and deleting stacks. Creation is one transaction (the stack, its name, its
 * VPC block, its live marker, its first event and the idempotency key), then the provisioning
 * execution is started under a name derived from the stack id, so starting it twice is harmless.
 */
export interface StackServiceDeps {
  store: StackStore;
  recorder: StackRecorder;
  accounts: AccountLookup;
  sfn: SFNClient;
  provisionStateMachineArn: string;
  deleteStateMachineArn: string;
  logger: Logger;
  /**
   * What the account's region offers, read through its access role: where creation chooses the
   * stack's AZs and checks its instance types, PostgreSQL version and class. Only the function that
   * creates stacks builds it (EC2 and RDS clients); the others never create.
   */
  regions?: RegionOfferFor;
  /**
   * The ECS services running in a cluster, read through the access role before a teardown (only
   * the function that deletes stacks builds it): a stack is not deleted under services Groundwork
   * did not create (real-AWS review D9).
   */
  workloads?: StackWorkloadsOf;
  /** Default: DEFAULT_TENANT_LIMITS.liveStacks. */
  maxLiveStacksPerTenant?: number;
  now?: () => Date;
}

export type StackView = ReturnType<typeof stackView>;
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_CIDR_ATTEMPTS = 5;

export function newStackId(): string {
  // A hyphen, not an underscore: the id goes into CloudFormation stack names ([a-zA-Z][-a-zA-Z0-9]*).
  return `stk-${randomId(20)}`;
}

/** Key order does not change what a request means: hash its canonical form. */
export function requestHash(request: StackRequest): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]))
        : value;
  return createHash('sha256').update(JSON.stringify(canonical(request))).digest('hex');
}

/** How long a stack may wait for its first execution to start before DELETE takes it as lost. */
const START_GRACE_MS = 60_000;

export class StackService {
  private readonly now: () => Date;
  private readonly reconciler: StackReconciler;

  constructor(private readonly deps: StackServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.reconciler = new StackReconciler(deps);
  }

  async create(tenantId: string, request: StackRequest, idempotencyKey?: string): Promise<StackView> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ValidationError([{ field: 'Idempotency-Key', message: 'must be 1–128 letters, digits or ._:-' }]);
    }
    const hash = requestHash(request);
    if (idempotencyKey) {
      const replay = await this.replay(tenantId, idempotencyKey, hash);
      if (replay) return replay;
    }
    const account = await this.deps.accounts.get(tenantId, request.accountId);
    assertRegionAllowed(account, request.region);
    if (account.status !== 'CONNECTED' || account.accessRoleArn === undefined) throw new AccountNotConnectedError(account.id, account.status);
    if (this.deps.regions === undefined) throw new Error('StackService.create needs deps.regions: the function that creates stacks builds it (create-stack-api-from-env.ts)');
    // Before anything is written: a request the region cannot hold is a 400 that says what it can.
    const offer = await this.deps.regions({ accessRoleArn: account.accessRoleArn, externalId: account.externalId, sessionName: 'groundwork-create-stack' }, request.region);
    const { availabilityZones } = await fitRequestToRegion(request, offer);

    for (let attempt = 1; attempt <= MAX_CIDR_ATTEMPTS; attempt += 1) {
      const scope = await this.deps.store.cidrScope({ tenantId, accountId: account.id, region: request.region });
      const vpcCidr = allocateVpcCidr({ taken: scope.taken, ...(request.network.cidr ? { requested: request.network.cidr } : {}) });
      const stack = this.newStack(tenantId, request, vpcCidr, availabilityZones);
      const view = stackView(stack);
      const outcome = await this.deps.store.create(stack, {
        scopeVersion: scope.version,
        maxLiveStacksPerTenant: this.deps.maxLiveStacksPerTenant ?? DEFAULT_TENANT_LIMITS.liveStacks,
        ...(idempotencyKey ? { idempotency: { key: idempotencyKey, requestHash: hash, response: JSON.stringify(view) } } : {}),
        events: [{ type: 'Stack Status Change', detail: { tenantId, accountId: account.id, stackId: stack.id, status: 'CREATE_IN_PROGRESS', occurredAt: stack.createdAt } }],
      });
      switch (outcome.kind) {
        case 'created':
          this.deps.logger.info('stack created', { tenantId, stackId: stack.id, accountId: account.id, vpcCidr });
          try {
            await startStackExecution(this.deps.sfn, this.deps.provisionStateMachineArn, stack);
          } catch (error) {
            // No workflow, so nothing was built: end the stack now, freeing its name and block for a retry.
            const reason = 'The provisioning workflow could not be started; nothing was created. Retry the request.';
            await this.deps.recorder.recordStackStatus(stack.id, { status: 'ROLLBACK_IN_PROGRESS', reason });
            await this.deps.recorder.recordStackStatus(stack.id, { status: 'ROLLBACK_COMPLETE', reason });
            throw error;
          }
          await this.deps.recorder.publishPending(stack.id).catch((error: unknown) => this.deps.logger.warn('stack events not published yet; they stay pending', { stackId: stack.id, error }));
          return view;
        case 'tenant-limit':
          throw new TenantLimitError('liveStacks', this.deps.maxLiveStacksPerTenant ?? DEFAULT_TENANT_LIMITS.liveStacks, outcome.count);
        case 'name-taken':
          throw new StackNameTakenError(request.name, outcome.existingStackId);
        case 'account-changed': {
          // Deleted or disconnected since it was read: answer as a fresh read would (404 or 409).
          const now = await this.deps.accounts.get(tenantId, account.id);
          if (now.status !== 'CONNECTED') throw new AccountNotConnectedError(now.id, now.status);
          break; // connected again meanwhile: try again
        }
        case 'idempotency-race': {
          const replay = await this.replay(tenantId, idempotencyKey ?? '', hash);
          if (replay) return replay;
          break;
        }
        case 'cidr-race':
          break; // another stack took a block in this scope meanwhile: allocate again
      }
    }
    throw new StackBusyError('(new)', 'contended: too many stacks were created in this account and region at once; retry');
  }

  /** Same key, same request: the first answer, and the execution (re)started. Other request: 422. */
  private async replay(tenantId: string, key: string, hash: string): Promise<StackView | undefined> {
    const record = await this.deps.store.idempotencyRecord(tenantId, key);
    if (!record) return undefined;
    if (record.requestHash !== hash) throw new IdempotencyKeyReusedError();
    const stack = await this.deps.store.get(record.stackId);
    if (stack?.status === 'CREATE_IN_PROGRESS') await startStackExecution(this.deps.sfn, this.deps.provisionStateMachineArn, stack);
    return JSON.parse(record.response) as StackView;
  }

  private newStack(tenantId: string, request: StackRequest, vpcCidr: string, availabilityZones: AvailabilityZone[]): Stack {
    const id = newStackId();
    const at = this.now().toISOString();
    const steps = initialSteps(id, new Set(componentsFor(request)));
    return {
      id,
      tenantId,
      accountId: request.accountId,
      name: request.name,
      region: request.region,
      request,
      network: { ...planSubnets(vpcCidr, request.network.azCount), availabilityZones },
      status: 'CREATE_IN_PROGRESS',
      steps,
      executionName: id,
      deleteCount: 0,
      countsAsLive: true,
      countsInTenant: true,
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
  }

  /** The stack's current execution, if it has ended (or, well after the stack changed, never started). */
  private async endedExecution(stack: Stack): Promise<ExecutionEnded | undefined> {
    const machine = runsTeardown(stack) ? this.deps.deleteStateMachineArn : this.deps.provisionStateMachineArn;
    const input = stackExecutionInput(stack.id);
    try {
      const { status, error } = await this.deps.sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(machine, stack.executionName) }));
      if (status !== 'FAILED' && status !== 'TIMED_OUT' && status !== 'ABORTED') return undefined;
      return { executionName: stack.executionName, status, input, ...(error ? { error } : {}) };
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ExecutionDoesNotExist')) throw error;
      if (this.now().getTime() - Date.parse(stack.updatedAt) < START_GRACE_MS) return undefined;
      return { executionName: stack.executionName, status: 'ABORTED', input, error: 'ExecutionDoesNotExist' };
    }
  }

  async get(tenantId: string, stackId: string): Promise<Stack> {
    const stack = await this.deps.store.get(stackId);
    if (!stack || stack.tenantId !== tenantId) throw new StackNotFoundError(stackId);
    return stack;
  }

  async list(tenantId: string, query: { limit: number; nextToken?: string }) {
    const page = await this.deps.store.listByTenant(tenantId, query);
    return { items: page.items.map(stackView), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async events(tenantId: string, stackId: string, query: { limit: number; nextToken?: string }) {
    await this.get(tenantId, stackId);
    const page = await this.deps.store.events(stackId, query);
    return {
      items: page.items.map((event) => ({ type: event.type, ...event.detail })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  /**
   * Refuses (409) to tear down a stack that still carries workloads Groundwork did not create: ECS
   * services in its cluster (ECS would refuse to delete the cluster and its capacity provider), or
   * instances in its frontend's Cloud Map service (Cloud Map would refuse to delete the service).
   * Either would end the teardown DELETE_FAILED with the network kept. Skipped, with a warning, when
   * the account cannot be read (not connected, or an onboarding stack older than the permission):
   * the teardown then meets the service's answer.
   */
  private async refuseUnderWorkloads(tenantId: string, stack: Stack): Promise<void> {
    const sites = workloadSites(stack);
    if (this.deps.workloads === undefined || (sites.clusterName === undefined && sites.cloudMapServiceId === undefined)) return;
    const account = await this.deps.accounts.get(tenantId, stack.accountId);
    if (account.status !== 'CONNECTED' || account.accessRoleArn === undefined) return;
    let found;
    try {
      found = await this.deps.workloads({ accessRoleArn: account.accessRoleArn, externalId: account.externalId, sessionName: 'groundwork-delete-stack' }, stack.region, sites);
    } catch (error) {
      // The access role itself could not be assumed: the teardown meets the services' own answers.
      this.deps.logger.warn('stack workloads unreadable before teardown; deleting without the check', { tenantId, stackId: stack.id, error: error instanceof Error ? error.name : String(error) });
      return;
    }
    for (const { site, error } of found.unreadable) {
      this.deps.logger.warn('stack workloads partly unreadable before teardown; checking what could be read', { tenantId, stackId: stack.id, site, error: error instanceof Error ? error.name : String(error) });
    }
    if (found.ecsServices.length > 0 || found.cloudMapInstances.length > 0) throw new StackHasWorkloadsError(stack.id, found.ecsServices, found.cloudMapInstances);
  }

  async delete(tenantId: string, stackId: string): Promise<StackView> {
    const stack = await this.get(tenantId, stackId);
    if (stack.status === 'DELETE_COMPLETE') return stackView(stack);
    if (BUSY_STATUSES.includes(stack.status)) {
      // Its workflow may have stopped without anyone acting on it (the ending's event lost):
      // then this request hands the stack to a teardown, as StackReconciler would have.
      const ended = await this.endedExecution(stack);
      if (ended) {
        this.deps.logger.warn('stack workflow found stopped on DELETE', { tenantId, stackId, executionName: ended.executionName, status: ended.status });
        await this.reconciler.executionEnded(ended);
        return stackView(await this.get(tenantId, stackId));
      }
      // A teardown already under way (a DELETE, or the rollback a stopped creation was handed to)
      // is (re)started, not repeated: its execution name is its own, so should its start have failed, this starts it.
      if (!runsTeardown(stack)) throw new StackBusyError(stack.id, stack.status);
      await startStackExecution(this.deps.sfn, this.deps.deleteStateMachineArn, stack);
      return stackView(stack);
    }
    await this.refuseUnderWorkloads(tenantId, stack);
    const deleting = await this.deps.recorder.recordStackStatus(stack.id, {
      status: 'DELETE_IN_PROGRESS',
      // A new operation of the customer's: it gets its own budget of automatic restarts.
      set: { executionName: teardownExecutionName(stack.id, stack.deleteCount + 1), deleteCount: stack.deleteCount + 1, restarts: 0 },
    });
    await startStackExecution(this.deps.sfn, this.deps.deleteStateMachineArn, deleting);
    return stackView(deleting);
  }
}

/** Where a stack's built components could hold workloads: its cluster, its frontend's Cloud Map service. */
function workloadSites(stack: Stack): StackWorkloadSites {
  const clusterName = stack.steps.cluster.status === 'COMPLETE' ? stack.steps.cluster.outputs?.[ClusterOutputs.ClusterName] : undefined;
  const cloudMapServiceArn = stack.steps.frontend.status === 'COMPLETE' ? stack.steps.frontend.outputs?.[FrontendOutputs.CloudMapServiceArn] : undefined;
  // arn:aws:servicediscovery:<region>:<account>:service/<id>
  const cloudMapServiceId = cloudMapServiceArn?.split(':service/')[1];
  return { ...(clusterName ? { clusterName } : {}), ...(cloudMapServiceId ? { cloudMapServiceId } : {}) };
}
