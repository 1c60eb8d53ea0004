import type { Stack as CfnStack } from '@aws-sdk/client-cloudformation';
import { assertRegionAllowed, type Account } from '../../src/accounts/account';
import { hashRegistrationToken } from '../../src/accounts/onboarding-credentials';
import { ValidationError } from '../../src/errors';
import type { Logger } from '../../src/log/logger';
import type { ComponentName } from '../../src/model/components';
import { stackRequestSchema } from '../../src/model/stack-request';
import { planStack, type StackPlan } from '../../src/plans/plan-stack';
import { fitRequestToRegion, instanceTypesOf } from '../../src/region/fit-region';
import { initialSteps, type Stack } from '../../src/stacks/stack';
import { deadlineSeconds, expectedSeconds } from '../../src/stacks/workflow/component-timing';
import { CustomerAccountStacks } from '../../src/stacks/workflow/customer-stacks';
import { parameterValues } from '../../src/stacks/workflow/provision-steps';
import type { Onboarded, OnboardingIdentity } from './onboarding';
import { messageOf, NotDeletedError, type Cleanup, type SmokeReport } from './smoke-report';
import { SmokeCheckFailed, type SmokeRuntime } from './smoke-runtime';

/**
 * The default stack, deployed component by component through the account's access role exactly
 * as the workflow deploys it: Groundwork's plan (planStack: the request's defaults, the address
 * plan, the AZs fitRequestToRegion chose from what the region offers, the templates in dependency
 * order), its parameter values (provision-steps.ts, the AZs from the stack's record) and its
 * CloudFormation adapter (CustomerAccountStacks: CreateStack with the execution role as RoleARN,
 * the groundwork:* tags and client tokens; DeleteStack through the same role). Independent
 * components run in parallel, as in the state machine; teardown runs in reverse dependency order.
 */
export const SMOKE_TENANT = 'aws-smoke';
export type PlannedComponent = StackPlan['components'][number];

/**
 * The default request (only a name, an account and a region: every option is the product's
 * default) planned as POST /v1/plans plans it for an account not connected yet: before anything
 * exists there is no access role to read the region with, so no AZs are chosen yet.
 */
export function planDefaultStack(region: string, accountId: string, stackId: string): StackPlan {
  const request = stackRequestSchema.parse({ name: 'aws-smoke', accountId, region });
  const reason = 'The account is not connected yet: its region is read through the access role once the onboarding stack has registered.';
  return planStack({ request, tenantId: SMOKE_TENANT, stackId, takenCidrs: [], regionCheck: { status: 'skipped', reason } });
}

/**
 * The plan again once the account is connected, as POST /v1/stacks makes it: the region allowed
 * (assertRegionAllowed), what it offers read through the access role with the ExternalId
 * (RegionOfferFor, Groundwork's own adapter), and the request fitted to it (fitRequestToRegion:
 * the AZs, each offering every instance type the stack launches; the PostgreSQL version and class).
 */
export async function fitDefaultStack(runtime: SmokeRuntime, plan: StackPlan, account: Account, stackId: string, note: (fact: string) => void): Promise<StackPlan> {
  const { request } = plan;
  assertRegionAllowed(account, request.region);
  const offer = await runtime.regionOffers({ accessRoleArn: account.accessRoleArn ?? '', externalId: account.externalId, sessionName: 'groundwork-create-stack' }, request.region);
  const { availabilityZones } = await fitRequestToRegion(request, offer).catch((error: unknown) => {
    // Groundwork's 400, field by field: what the region cannot meet, and what it can.
    throw error instanceof ValidationError ? new SmokeCheckFailed(`${error.message} ${error.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`) : error;
  });
  const types = [...new Set(instanceTypesOf(request).map((use) => use.instanceType))];
  note(`AZs ${availabilityZones.map((zone) => `${zone.name} (${zone.zoneId})`).join(', ')}: the first by name that offer ${types.join(' and ')}`);
  if (request.database) note(`RDS can create PostgreSQL ${request.database.version} on ${request.database.instanceClass} in ${request.region}`);
  return planStack({ request, tenantId: SMOKE_TENANT, stackId, takenCidrs: [], availabilityZones, regionCheck: { status: 'checked' } });
}

/** The account record the workflow would read, for what this run onboarded. */
export function smokeAccount(identity: OnboardingIdentity, onboarded: Onboarded, awsAccountId: string, region: string, at: string): Account {
  return {
    id: identity.accountId,
    tenantId: SMOKE_TENANT,
    awsAccountId,
    name: 'aws-smoke',
    // The onboarding stack's AllowedRegions.
    regions: [region],
    status: 'CONNECTED',
    externalId: identity.externalId,
    registrationTokenHash: hashRegistrationToken(identity.registrationToken),
    registrationTokenExpiresAt: at,
    registrationStackId: onboarded.stackId,
    accessRoleArn: onboarded.accessRoleArn,
    executionRoleArn: onboarded.executionRoleArn,
    deployContext: onboarded.deployContext,
    ...(onboarded.templateVersion !== undefined ? { onboardingTemplateVersion: onboarded.templateVersion } : {}),
    connectedAt: at,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}

/** The stack record the workflow would read, with the AZs the plan chose (as StackService.create records them). */
export function smokeStack(plan: StackPlan, stackId: string, identity: OnboardingIdentity, at: string): Stack {
  const steps = initialSteps(stackId, new Set(plan.components.map((c) => c.component)));
  return {
    id: stackId,
    tenantId: SMOKE_TENANT,
    accountId: identity.accountId,
    name: plan.request.name,
    region: plan.request.region,
    request: plan.request,
    network: plan.network,
    status: 'CREATE_IN_PROGRESS',
    steps,
    executionName: stackId,
    deleteCount: 1,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}

const TERMINAL = /(_COMPLETE|_FAILED)$/;

export class ComponentStacks {
  /** Components whose CreateStack was sent (an answer lost on the way still made the stack). */
  private readonly created = new Set<ComponentName>();
  private readonly kept: string[] = [];

  constructor(
    private readonly runtime: SmokeRuntime,
    private readonly plan: StackPlan,
    private readonly stack: Stack,
    private readonly account: Account,
    private readonly logger: Logger,
  ) {}

  /** The component stacks the teardown could not delete (they need the onboarding stack's execution role). */
  left(): string[] {
    return [...this.kept];
  }

  outputs(component: ComponentName): Record<string, string> {
    return this.stack.steps[component].outputs ?? {};
  }

  /** Deploys every component once what it depends on is complete; the first failure is thrown once all have settled. */
  async deploy(report: SmokeReport, cleanup: Cleanup): Promise<void> {
    cleanup.register(`component stacks groundwork-${this.stack.id}-* (${this.stack.region})`, () => this.teardown(report));
    const done = new Map<ComponentName, Promise<void>>();
    for (const component of this.plan.components) {
      const before = component.dependsOn.map((d) => done.get(d) ?? Promise.reject(new Error(`${d} is not planned before ${component.component}`)));
      done.set(component.component, Promise.all(before).then(() => this.deployOne(component, report)));
    }
    const failed = (await Promise.allSettled(done.values())).find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Deletes what was created, each component only after everything that depends on it; names each stack it could not delete. */
  async teardown(report: SmokeReport): Promise<void> {
    const done = new Map<ComponentName, Promise<void>>();
    const remove = (component: PlannedComponent): Promise<void> => {
      const known = done.get(component.component);
      if (known) return known;
      const dependents = this.plan.components.filter((other) => other.dependsOn.includes(component.component));
      const removed = Promise.allSettled(dependents.map(remove)).then((results) => {
        const kept = dependents.filter((_, i) => results[i]?.status === 'rejected').map((d) => d.component);
        if (kept.length > 0) throw new Error(`not deleted: ${kept.join(', ')}, which depend on it, could not be deleted first`);
        return this.deleteOne(component, report);
      });
      done.set(component.component, removed);
      return removed;
    };
    const results = await Promise.allSettled(this.plan.components.map(remove));
    const kept = this.plan.components.flatMap((component, i) => {
      const result = results[i];
      return result?.status === 'rejected' ? [`CloudFormation stack ${component.stackName} (${this.stack.region}): ${messageOf(result.reason)}`] : [];
    });
    this.kept.splice(0, this.kept.length, ...this.plan.components.filter((_, i) => results[i]?.status === 'rejected').map((c) => c.stackName));
    if (kept.length > 0) throw new NotDeletedError(kept);
  }

  private async deployOne(component: PlannedComponent, report: SmokeReport): Promise<void> {
    const { runtime } = this;
    runtime.signal.throwIfAborted();
    await report.step(`${component.component}: ${component.stackName} CREATE_COMPLETE, created through the access role with the execution role`, async (note) => {
      const step = this.stack.steps[component.component];
      const parameters = parameterValues(this.stack, this.account, component);
      step.status = 'IN_PROGRESS';
      this.created.add(component.component);
      const stackId = await (await this.customer()).create(component.component, step, component.template, parameters);
      if (stackId) step.cloudFormationStackId = stackId;
      const expected = expectedSeconds(component.template, 'create');
      const started = runtime.now();
      const deadline = started + deadlineSeconds(expected) * 1000;
      for (;;) {
        await runtime.sleep(runtime.timing.pollMs, runtime.signal);
        const customer = await this.customer();
        const found = await customer.describe(step);
        if (!found) throw new SmokeCheckFailed(`${step.cloudFormationStackName} no longer exists`);
        if (found.StackStatus === 'CREATE_COMPLETE') {
          step.outputs = Object.fromEntries((found.Outputs ?? []).flatMap((o) => (o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [])));
          step.status = 'COMPLETE';
          note(`${Object.keys(step.outputs).length} outputs; Groundwork's timing table expects about ${expected} s`);
          return;
        }
        if (found.StackStatus !== 'CREATE_IN_PROGRESS') {
          step.status = 'FAILED';
          throw new SmokeCheckFailed(`${component.component} ended ${found.StackStatus ?? '?'}: ${await customer.failureReason(found)}`);
        }
        if (runtime.now() > deadline) throw new SmokeCheckFailed(`${component.component} is still CREATE_IN_PROGRESS after ${Math.round((runtime.now() - started) / 60_000)} minutes (Groundwork's deadline)`);
      }
    });
  }

  /** Deletes one component's stack; never while an operation on it is in progress (review U2): it waits for that to end. */
  private async deleteOne(component: PlannedComponent, report: SmokeReport): Promise<void> {
    if (!this.created.has(component.component)) return;
    const { runtime } = this;
    const step = this.stack.steps[component.component];
    const first = await (await this.customer()).describe(step);
    if (!first) return;
    await report.step(`delete ${component.stackName} through the access role`, async (note) => {
      const limitSeconds = deadlineSeconds(expectedSeconds(component.template, 'create')) + deadlineSeconds(expectedSeconds(component.template, 'delete'));
      const deadline = runtime.now() + limitSeconds * 1000;
      let attempts = 0;
      let waitedFor: string | undefined;
      let found: CfnStack | undefined = first;
      while (found) {
        const status = found.StackStatus ?? '';
        if (status === 'DELETE_FAILED' || (TERMINAL.test(status) && attempts === 0)) {
          if (attempts >= 2) throw new Error(`DELETE_FAILED twice: ${await (await this.customer()).failureReason(found)}`);
          attempts += 1;
          await (await this.customer()).delete(component.component, step, found, attempts);
        } else if (status !== 'DELETE_IN_PROGRESS' && waitedFor !== status) {
          waitedFor = status;
          note(`waited for ${status} to end before DeleteStack (review U2)`);
        }
        if (runtime.now() > deadline) throw new Error(`still ${status} after ${Math.round(limitSeconds / 60)} minutes`);
        await runtime.sleep(runtime.timing.pollMs);
        found = await (await this.customer()).describe(step);
      }
      note(`DELETE_COMPLETE${attempts > 1 ? ` after ${attempts} DeleteStack calls` : ''}`);
    });
  }

  /** The account through its access role, as CustomerStacks.connect reaches it (Groundwork's factory caches the session). */
  private async customer(): Promise<CustomerAccountStacks> {
    const { accessRoleArn = '', externalId } = this.account;
    const cfn = await this.runtime.customerCloudFormation({ accessRoleArn, externalId, sessionName: `groundwork-${this.stack.id}` }, this.stack.region);
    return new CustomerAccountStacks(this.stack, this.account, cfn, this.logger);
  }
}
