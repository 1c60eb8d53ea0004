import type { AccountRegistry } from '../account-registry';
import { scaledMilliseconds } from '../sandbox-clock';
import type { FaultRegistry } from '../sandbox-faults';
import type { ResourceRecord, StackRecord } from '../sandbox-state';
import type { SandboxTimers } from '../sandbox-timers';
import { asObject, clusterNameOf, findCluster, findTaskDefinition, targetGroups, type LiveResource, type TaskDefinition } from './ecs-model';
import type { Deployment, EcsService, ServiceDone, Task } from './ecs-state';
import { SERVICE_STABILIZE_SECONDS } from './ecs-timing';
import { TaskLifecycle } from './task-lifecycle';
import { TaskLogs } from './task-logs';

/**
 * The ECS of the sandbox accounts: the services their stacks create run tasks.
 *
 * A service's deployment places its tasks on the cluster's container instances (ecs-model.ts) by CPU,
 * memory, network interfaces (awsvpc: one per task; the instance's primary interface is its own) and
 * static host ports (bridge/host), spread over the instances; Fargate tasks need no instance. A task
 * goes PROVISIONING → PENDING (pull) → RUNNING, then becomes healthy by its target groups' health
 * check (interval × healthy threshold) and its containers' HealthCheck (one interval), all from
 * ecs-timing.ts scaled by `speed`. A task that cannot be placed stays PROVISIONING, counted as
 * pending, until capacity frees: no circuit breaker counts it (the case behind the 3-hour hang).
 * Image faults (sandbox-faults.ts) stop tasks with ECS's stopped reasons.
 *
 * Rolling deployments keep within minimumHealthyPercent/maximumPercent. The deployment circuit
 * breaker fails a deployment once `min(max(ceil(0.5 × desired), 3), 200)` of its tasks stopped before
 * they were healthy ("The deployment circuit breaker has a minimum threshold of 3 and a maximum
 * threshold of 200 … 0.5 * desired task count", ECS API Reference, ServiceDeploymentCircuitBreaker,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html;
 * the rounding up is the sandbox's reading, AWS does not say); a task that becomes healthy resets
 * the count (`resetOnHealthyTask`, default true, API_DeploymentCircuitBreaker). With Rollback the
 * service returns to the last completed deployment's task definition as a new deployment, and only
 * then is CloudFormation told: "Error occurred during operation 'ECS Deployment Circuit Breaker was
 * triggered'." (ECS's own account of the CloudFormation integration, aws/containers-roadmap#1205;
 * the handler's wording in aws/copilot-cli#2584 and #5296).
 *
 * Services, deployments, tasks and logs are kept in memory: after a restart a live service starts
 * its tasks anew when it is first read.
 */

export interface EcsRuntimeOptions {
  accounts: AccountRegistry;
  timers: SandboxTimers;
  faults: FaultRegistry;
  speed: number;
  now: () => number;
  uuid: (purpose: string) => string;
  /** How long (unscaled seconds) CloudFormation waits for a service to stabilise; default 180 minutes. */
  waitSeconds?: number;
}

/** Tasks kept per service once stopped (ECS shows stopped tasks for at least an hour). */
const STOPPED_TASKS_KEPT = 100;
const EVENTS_KEPT = 100;
const FARGATE_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);

export const CIRCUIT_BREAKER_FAILURE = 'Resource handler returned message: "Error occurred during operation \'ECS Deployment Circuit Breaker was triggered\'." (RequestToken: {token}, HandlerErrorCode: GeneralServiceException)';

/** The deployment circuit breaker's failure threshold for a desired count (see the class comment). */
export function circuitBreakerThreshold(desiredCount: number): number {
  return Math.min(Math.max(Math.ceil(0.5 * desiredCount), 3), 200);
}

export class EcsRuntime {
  readonly logs = new TaskLogs();
  private readonly services = new Map<string, EcsService>();
  private readonly tasks: TaskLifecycle;

  constructor(private readonly options: EcsRuntimeOptions) {
    const { timers, faults, speed, now, uuid } = options;
    this.tasks = new TaskLifecycle(
      { timers, faults, speed, now, uuid, logs: this.logs },
      {
        reconcile: (service) => this.reconcile(service),
        failed: (service, task) => this.taskFailed(service, task),
        event: (service, message) => this.event(service, message),
        live: (account, region) => this.live(account, region),
        services: () => this.services.values(),
      },
    );
  }

  // ---- what CloudFormation calls --------------------------------------------------------------

  /**
   * An AWS::ECS::Service is created: its first deployment starts, and `done` is called at steady
   * state (or with the failure). False when the sandbox cannot run it (a task definition no stack of
   * the account made): the caller then creates it as any other resource.
   */
  startService(stack: StackRecord, resource: ResourceRecord, done: ServiceDone): boolean {
    const service = this.newService(stack, resource, resource.properties ?? {});
    if (service === undefined) return false;
    service.waiter = { done, operation: 'create' };
    this.scheduleWaitCap(service);
    this.reconcile(service);
    return true;
  }

  /** UpdateStack changed the TaskDefinition, DesiredCount or deployment settings of a service: a new deployment (or a new desired count) rolls out. */
  updateService(stack: StackRecord, resource: ResourceRecord, before: Record<string, unknown>, after: Record<string, unknown>, done: ServiceDone): boolean {
    const service = this.serviceOf(stack, resource, after);
    if (service === undefined) return false;
    const live = this.live(service.account, service.region);
    const definition = findTaskDefinition(live, after['TaskDefinition']);
    if (definition === undefined) return false;
    this.applySettings(service, after, live);
    const primary = service.deployments[0];
    const changed = definition.arn !== primary?.taskDefinition.arn || JSON.stringify(before['TaskDefinition']) !== JSON.stringify(after['TaskDefinition']) || primary?.rolloutState === 'FAILED';
    if (changed || primary === undefined) this.startDeployment(service, definition);
    else {
      primary.desiredCount = service.desiredCount;
      primary.rolloutState = 'IN_PROGRESS';
      primary.rolloutStateReason = `ECS deployment ${primary.id} in progress.`;
      primary.updatedAt = this.now();
    }
    service.waiter = { done, operation: 'update' };
    this.scheduleWaitCap(service);
    this.reconcile(service);
    return true;
  }

  /** The service is deleted: its tasks drain and stop, then `done`. False when the sandbox runs nothing for it. */
  deleteService(stack: StackRecord, resource: ResourceRecord, done: ServiceDone): boolean {
    const service = this.serviceOf(stack, resource);
    if (service === undefined) return false;
    this.options.timers.clear(`${service.key}#ecs-wait`);
    service.status = 'DRAINING';
    service.desiredCount = 0;
    for (const deployment of service.deployments) deployment.desiredCount = 0;
    service.waiter = { done, operation: 'delete' };
    this.reconcile(service);
    return true;
  }

  /** CloudFormation no longer waits (the create was cancelled); the service runs on until deleted. True if it was waiting. */
  stopWaiting(stack: StackRecord, resource: ResourceRecord): boolean {
    const service = this.services.get(serviceKey(stack, resource));
    if (service?.waiter === undefined) return false;
    this.options.timers.clear(`${service.key}#ecs-wait`);
    delete service.waiter;
    return true;
  }

  // ---- what the ECS API reads -----------------------------------------------------------------

  /** The live services of a cluster (started anew if the sandbox restarted since). */
  servicesOf(account: string, region: string, cluster: string): EcsService[] {
    const services: EcsService[] = [];
    for (const { stack, resource } of this.live(account, region)) {
      if (resource.type !== 'AWS::ECS::Service' || clusterNameOf(resource.properties?.['Cluster']) !== cluster) continue;
      if (resource.status === 'DELETE_COMPLETE') continue;
      const service = this.serviceOf(stack, resource);
      if (service !== undefined) services.push(service);
    }
    return services;
  }

  /** The service the sandbox runs for a live AWS::ECS::Service resource (started anew if the sandbox restarted since), if it runs one. */
  running(stack: StackRecord, resource: ResourceRecord): EcsService | undefined {
    return this.serviceOf(stack, resource);
  }

  taskDefinition(account: string, region: string, reference: string): TaskDefinition | undefined {
    return findTaskDefinition(this.live(account, region), reference);
  }

  // ---- the scheduler --------------------------------------------------------------------------

  /**
   * The service the runtime runs for this resource, built from its properties (or, for a service
   * first met in an update after a restart, the properties the update goes to: the task definition
   * it last ran may have been replaced since).
   */
  private serviceOf(stack: StackRecord, resource: ResourceRecord, properties: Record<string, unknown> = resource.properties ?? {}): EcsService | undefined {
    const existing = this.services.get(serviceKey(stack, resource));
    if (existing !== undefined) return existing;
    if (!resource.exists || resource.status === 'DELETE_COMPLETE' || resource.status === 'DELETE_IN_PROGRESS') return undefined;
    const service = this.newService(stack, resource, properties);
    if (service !== undefined) this.reconcile(service);
    return service;
  }

  private newService(stack: StackRecord, resource: ResourceRecord, properties: Record<string, unknown>): EcsService | undefined {
    const live = this.live(stack.account, stack.region);
    const definition = findTaskDefinition(live, properties['TaskDefinition']);
    if (definition === undefined) return undefined;
    const clusterName = clusterNameOf(properties['Cluster']);
    const cluster = findCluster(live, clusterName);
    const name = typeof properties['ServiceName'] === 'string' ? properties['ServiceName'] : (resource.physicalId ?? resource.logicalId).split('/').at(-1) ?? resource.logicalId;
    const strategy = (Array.isArray(properties['CapacityProviderStrategy']) ? properties['CapacityProviderStrategy'] : []).map((value) => {
      const item = asObject(value) ?? {};
      return { capacityProvider: String(item['CapacityProvider'] ?? ''), weight: Number(item['Weight'] ?? 0), base: Number(item['Base'] ?? 0) };
    });
    const fargate = properties['LaunchType'] === 'FARGATE' || (strategy.length > 0 && strategy.every((item) => FARGATE_PROVIDERS.has(item.capacityProvider)));
    const service: EcsService = {
      key: serviceKey(stack, resource),
      account: stack.account,
      region: stack.region,
      stackId: stack.stackId,
      logicalId: resource.logicalId,
      name,
      arn: `arn:aws:ecs:${stack.region}:${stack.account}:service/${clusterName}/${name}`,
      physicalId: resource.physicalId ?? '',
      clusterName,
      clusterArn: cluster?.resource.physicalId?.startsWith('arn:') ? cluster.resource.physicalId : `arn:aws:ecs:${stack.region}:${stack.account}:cluster/${clusterName}`,
      launchType: fargate ? 'FARGATE' : 'EC2',
      capacityProviderStrategy: strategy,
      desiredCount: 1,
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      circuitBreaker: { enable: false, rollback: false },
      healthCheckGracePeriodSeconds: 0,
      targetGroups: [],
      deployments: [],
      tasks: [],
      events: [],
      createdAt: this.now(),
      status: 'ACTIVE',
    };
    this.applySettings(service, properties, live);
    this.services.set(service.key, service);
    this.startDeployment(service, definition);
    return service;
  }

  private applySettings(service: EcsService, properties: Record<string, unknown>, live: readonly LiveResource[]): void {
    const configuration = asObject(properties['DeploymentConfiguration']) ?? {};
    const breaker = asObject(configuration['DeploymentCircuitBreaker']) ?? {};
    const flag = (value: unknown) => value === true || value === 'true';
    service.desiredCount = Number(properties['DesiredCount'] ?? 1);
    // Defaults for the rolling update (ECS) deployment type with a REPLICA service: 100 % and 200 %
    // (ECS API Reference, DeploymentConfiguration).
    service.minimumHealthyPercent = Number(configuration['MinimumHealthyPercent'] ?? 100);
    service.maximumPercent = Number(configuration['MaximumPercent'] ?? 200);
    service.circuitBreaker = { enable: flag(breaker['Enable']), rollback: flag(breaker['Rollback']) };
    service.healthCheckGracePeriodSeconds = Number(properties['HealthCheckGracePeriodSeconds'] ?? 0);
    service.targetGroups = targetGroups(live, properties);
  }

  private startDeployment(service: EcsService, definition: TaskDefinition, reason?: string): Deployment {
    const now = this.now();
    for (const deployment of service.deployments) {
      deployment.status = 'ACTIVE';
      deployment.updatedAt = now;
    }
    const id = deploymentId(this.options.uuid('ecs-deployment'));
    const deployment: Deployment = {
      id,
      status: 'PRIMARY',
      taskDefinition: definition,
      desiredCount: service.desiredCount,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: reason ?? `ECS deployment ${id} in progress.`,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
    };
    service.deployments.unshift(deployment);
    return deployment;
  }

  private scheduleWaitCap(service: EcsService): void {
    const seconds = this.options.waitSeconds ?? SERVICE_STABILIZE_SECONDS;
    this.options.timers.schedule(`${service.key}#ecs-wait`, this.now() + scaledMilliseconds(seconds, this.options.speed), () => {
      const waiter = service.waiter;
      if (waiter === undefined || waiter.operation === 'delete') return;
      delete service.waiter;
      // CloudFormation's words when the service's handler outlives its timeout: "Resource timed out
      // waiting for completion (RequestToken: …)" (AWS::ECS::Service events quoted in aws/aws-app-mesh-examples#419).
      waiter.done(`Resource timed out waiting for completion (RequestToken: ${this.options.uuid('ecs-request')})`);
    });
  }

  /** Moves the service on: launch, place, stop, complete. Runs after every change of a task. */
  private reconcile(service: EcsService): void {
    this.options.timers.schedule(`${service.key}#ecs-reconcile`, this.now(), () => this.reconcileNow(service));
  }

  private reconcileNow(service: EcsService): void {
    const active = (task: Task) => task.desiredStatus === 'RUNNING';
    const primary = service.deployments[0];
    if (primary === undefined) return;
    if (service.status === 'DRAINING') {
      for (const task of service.tasks.filter(active)) this.tasks.stopTask(service, task, `Scaling activity initiated by (deployment ${primary.id})`, 'ServiceSchedulerInitiated');
      if (service.tasks.every((task) => task.lastStatus === 'STOPPED')) this.finishDelete(service);
      return;
    }

    // Tasks waiting for capacity are placed as soon as it frees.
    for (const task of service.tasks) if (active(task) && task.lastStatus === 'PROVISIONING' && task.pullStartedAt === undefined && !this.tasks.placed(task)) this.tasks.place(service, task);

    const ceiling = Math.floor((service.desiredCount * service.maximumPercent) / 100);
    const floor = Math.ceil((service.desiredCount * service.minimumHealthyPercent) / 100);
    if (primary.rolloutState !== 'FAILED') {
      const started: Task[] = [];
      while (service.tasks.filter((task) => active(task) && task.deploymentId === primary.id).length < primary.desiredCount && service.tasks.filter(active).length < Math.max(ceiling, 1)) {
        const task = this.tasks.launch(service, primary);
        started.push(task);
      }
      const placed = started.filter((task) => this.tasks.placed(task));
      if (placed.length > 0) this.event(service, `(service ${service.name}) has started ${placed.length} tasks: ${placed.map((task) => `(task ${task.id})`).join(' ')}.`);

      // Old deployments' tasks, and the primary's beyond its count, stop while enough stay healthy.
      let healthy = service.tasks.filter((task) => active(task) && task.healthy).length;
      const surplus = service.tasks.filter((task) => active(task) && task.deploymentId === primary.id).slice(primary.desiredCount);
      const old = [...service.tasks.filter((task) => active(task) && task.deploymentId !== primary.id), ...surplus].sort((a, b) => Number(a.healthy) - Number(b.healthy));
      const stopped: Task[] = [];
      for (const task of old) {
        if (task.healthy && healthy - 1 < floor) continue;
        if (task.healthy) healthy -= 1;
        this.tasks.stopTask(service, task, `Scaling activity initiated by (deployment ${primary.id})`, 'ServiceSchedulerInitiated');
        stopped.push(task);
      }
      if (stopped.length > 0) this.event(service, `(service ${service.name}) has stopped ${stopped.length} running tasks: ${stopped.map((task) => `(task ${task.id})`).join(' ')}.`);
    }

    // Deployments with nothing left running are done with.
    service.deployments = service.deployments.filter((deployment) => deployment === primary || service.tasks.some((task) => active(task) && task.deploymentId === deployment.id));
    this.checkSteady(service, primary);
    service.tasks = [...service.tasks.filter((task) => task.lastStatus !== 'STOPPED'), ...service.tasks.filter((task) => task.lastStatus === 'STOPPED').slice(-STOPPED_TASKS_KEPT)];
  }

  private checkSteady(service: EcsService, primary: Deployment): void {
    if (primary.rolloutState !== 'IN_PROGRESS' || service.deployments.length !== 1) return;
    const running = service.tasks.filter((task) => task.desiredStatus === 'RUNNING' && task.deploymentId === primary.id);
    if (running.length !== primary.desiredCount || !running.every((task) => task.healthy)) return;
    primary.rolloutState = 'COMPLETED';
    primary.rolloutStateReason = `ECS deployment ${primary.id} completed.`;
    primary.updatedAt = this.now();
    service.lastCompleted = primary.taskDefinition;
    this.event(service, `(service ${service.name}) (deployment ${primary.id}) deployment completed.`);
    this.event(service, `(service ${service.name}) has reached a steady state.`);
    const waiter = service.waiter;
    if (waiter === undefined || waiter.operation === 'delete') return;
    delete service.waiter;
    this.options.timers.clear(`${service.key}#ecs-wait`);
    waiter.done(waiter.failure);
  }

  private finishDelete(service: EcsService): void {
    service.status = 'INACTIVE';
    this.services.delete(service.key);
    const waiter = service.waiter;
    delete service.waiter;
    waiter?.done();
  }

  // ---- tasks ----------------------------------------------------------------------------------








  /** A task of the service stopped before it was healthy: a failure the circuit breaker counts. */
  private taskFailed(service: EcsService, task: Task): void {
    const deployment = service.deployments.find((candidate) => candidate.id === task.deploymentId);
    if (deployment !== undefined && deployment === service.deployments[0] && deployment.rolloutState === 'IN_PROGRESS') {
      deployment.failedTasks += 1;
      if (service.circuitBreaker.enable && deployment.failedTasks >= circuitBreakerThreshold(deployment.desiredCount)) this.tripCircuitBreaker(service, deployment);
    }
    this.reconcile(service);
  }

  private tripCircuitBreaker(service: EcsService, deployment: Deployment): void {
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    deployment.updatedAt = this.now();
    this.event(service, `(service ${service.name}) (deployment ${deployment.id}) deployment failed: tasks failed to start.`);
    const failure = CIRCUIT_BREAKER_FAILURE.replace('{token}', this.options.uuid('ecs-request'));
    const waiter = service.waiter;
    const previous = service.lastCompleted;
    if (service.circuitBreaker.rollback && previous !== undefined) {
      // ECS rolls back first, then signals CloudFormation (aws/containers-roadmap#1205).
      const rollback = this.startDeployment(service, previous, `ECS deployment circuit breaker: rolling back to deploymentId ${deployment.id}.`);
      rollback.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${deployment.id}.`;
      this.event(service, `(service ${service.name}) (deployment ${deployment.id}) rolling back to (deployment ${rollback.id}).`);
      if (waiter !== undefined && waiter.operation !== 'delete') waiter.failure = failure;
      return;
    }
    if (waiter === undefined || waiter.operation === 'delete') return;
    delete service.waiter;
    this.options.timers.clear(`${service.key}#ecs-wait`);
    waiter.done(failure);
  }







  private event(service: EcsService, message: string): void {
    service.events.unshift({ id: this.options.uuid('ecs-event'), createdAt: this.now(), message });
    service.events.length = Math.min(service.events.length, EVENTS_KEPT);
  }

  private live(account: string, region: string): LiveResource[] {
    return [...this.options.accounts.liveResources(account, region)];
  }

  private seconds(seconds: number): number {
    return scaledMilliseconds(seconds, this.options.speed);
  }

  private now(): number {
    return this.options.now();
  }
}

function serviceKey(stack: StackRecord, resource: ResourceRecord): string {
  return `${stack.stackId}#${resource.logicalId}`;
}

/** `ecs-svc/` and 19 digits, as ECS names deployments. */
function deploymentId(uuid: string): string {
  const digits = (BigInt(`0x${uuid.replace(/-/g, '')}`) % 9_000_000_000_000_000_000n) + 1_000_000_000_000_000_000n;
  return `ecs-svc/${digits.toString()}`;
}
