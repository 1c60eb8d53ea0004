import type { AccountRegistry } from '../account-registry';
import { scaledMilliseconds } from '../sandbox-clock';
import type { FaultRegistry, ImageFault } from '../sandbox-faults';
import type { ResourceRecord, StackRecord } from '../sandbox-state';
import type { SandboxTimers } from '../sandbox-timers';
import {
  asObject,
  clusterNameOf,
  containerInstances,
  findCluster,
  findTaskDefinition,
  hexId,
  imageDigest,
  staticHostPorts,
  targetGroups,
  taskNeeds,
  type ContainerInstance,
  type LiveResource,
  type TargetGroupHealth,
  type TaskDefinition,
} from './ecs-model';
import { ECS_TIMING, SERVICE_STABILIZE_SECONDS } from './ecs-timing';
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

export type ServiceDone = (failure?: string) => void;

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

export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: TaskDefinition;
  desiredCount: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
}

export interface TaskContainer {
  name: string;
  image: string;
  imageDigest: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  healthStatus: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  essential: boolean;
}

export interface Task {
  arn: string;
  id: string;
  deploymentId: string;
  definition: TaskDefinition;
  launchType: 'EC2' | 'FARGATE';
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  healthStatus: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  /** Healthy by every check it has (or has none): counts towards the deployment. */
  healthy: boolean;
  containerInstance?: ContainerInstance;
  createdAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  stoppedReason?: string;
  stopCode?: string;
  containers: TaskContainer[];
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

export interface EcsService {
  key: string;
  account: string;
  region: string;
  stackId: string;
  logicalId: string;
  name: string;
  arn: string;
  /** The resource's physical id (its Ref), which ListServices answers; DescribeServices takes it as well as the ARN. */
  physicalId: string;
  clusterName: string;
  clusterArn: string;
  launchType: 'EC2' | 'FARGATE';
  capacityProviderStrategy: Array<{ capacityProvider: string; weight: number; base: number }>;
  desiredCount: number;
  minimumHealthyPercent: number;
  maximumPercent: number;
  circuitBreaker: { enable: boolean; rollback: boolean };
  healthCheckGracePeriodSeconds: number;
  targetGroups: TargetGroupHealth[];
  deployments: Deployment[];
  /** The task definition of the last deployment that completed (what a rollback returns to). */
  lastCompleted?: TaskDefinition;
  tasks: Task[];
  events: ServiceEvent[];
  createdAt: number;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  /** CloudFormation waits on this service: its create, update or delete. */
  waiter?: { done: ServiceDone; failure?: string; operation: 'create' | 'update' | 'delete' };
  /** The last placement failure reported, so each is an event once until placement succeeds. */
  placementNoted?: string;
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

  constructor(private readonly options: EcsRuntimeOptions) {}

  // ---- what CloudFormation calls --------------------------------------------------------------

  /**
   * An AWS::ECS::Service is created: its first deployment starts, and `done` is called at steady
   * state (or with the failure). False when the sandbox cannot run it (a task definition no stack of
   * the account made): the caller then creates it as any other resource.
   */
  startService(stack: StackRecord, resource: ResourceRecord, done: ServiceDone): boolean {
    const service = this.newService(stack, resource);
    if (service === undefined) return false;
    service.waiter = { done, operation: 'create' };
    this.scheduleWaitCap(service);
    this.reconcile(service);
    return true;
  }

  /** UpdateStack changed the TaskDefinition, DesiredCount or deployment settings of a service: a new deployment (or a new desired count) rolls out. */
  updateService(stack: StackRecord, resource: ResourceRecord, before: Record<string, unknown>, after: Record<string, unknown>, done: ServiceDone): boolean {
    const service = this.serviceOf(stack, resource);
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

  /** Every task of the services of a cluster. */
  tasksOf(account: string, region: string, cluster: string): Task[] {
    return this.servicesOf(account, region, cluster).flatMap((service) => service.tasks);
  }

  taskDefinition(account: string, region: string, reference: string): TaskDefinition | undefined {
    return findTaskDefinition(this.live(account, region), reference);
  }

  // ---- the scheduler --------------------------------------------------------------------------

  private serviceOf(stack: StackRecord, resource: ResourceRecord): EcsService | undefined {
    const existing = this.services.get(serviceKey(stack, resource));
    if (existing !== undefined) return existing;
    if (!resource.exists || resource.status === 'DELETE_COMPLETE' || resource.status === 'DELETE_IN_PROGRESS') return undefined;
    const service = this.newService(stack, resource);
    if (service !== undefined) this.reconcile(service);
    return service;
  }

  private newService(stack: StackRecord, resource: ResourceRecord): EcsService | undefined {
    const properties = resource.properties ?? {};
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
      for (const task of service.tasks.filter(active)) this.stopTask(service, task, `Scaling activity initiated by (deployment ${primary.id})`, 'ServiceSchedulerInitiated');
      if (service.tasks.every((task) => task.lastStatus === 'STOPPED')) this.finishDelete(service);
      return;
    }

    // Tasks waiting for capacity are placed as soon as it frees.
    for (const task of service.tasks) if (active(task) && task.lastStatus === 'PROVISIONING' && task.pullStartedAt === undefined && !this.placed(task)) this.place(service, task);

    const ceiling = Math.floor((service.desiredCount * service.maximumPercent) / 100);
    const floor = Math.ceil((service.desiredCount * service.minimumHealthyPercent) / 100);
    if (primary.rolloutState !== 'FAILED') {
      const started: Task[] = [];
      while (service.tasks.filter((task) => active(task) && task.deploymentId === primary.id).length < primary.desiredCount && service.tasks.filter(active).length < Math.max(ceiling, 1)) {
        const task = this.launch(service, primary);
        started.push(task);
      }
      const placed = started.filter((task) => this.placed(task));
      if (placed.length > 0) this.event(service, `(service ${service.name}) has started ${placed.length} tasks: ${placed.map((task) => `(task ${task.id})`).join(' ')}.`);

      // Old deployments' tasks, and the primary's beyond its count, stop while enough stay healthy.
      let healthy = service.tasks.filter((task) => active(task) && task.healthy).length;
      const surplus = service.tasks.filter((task) => active(task) && task.deploymentId === primary.id).slice(primary.desiredCount);
      const old = [...service.tasks.filter((task) => active(task) && task.deploymentId !== primary.id), ...surplus].sort((a, b) => Number(a.healthy) - Number(b.healthy));
      const stopped: Task[] = [];
      for (const task of old) {
        if (task.healthy && healthy - 1 < floor) continue;
        if (task.healthy) healthy -= 1;
        this.stopTask(service, task, `Scaling activity initiated by (deployment ${primary.id})`, 'ServiceSchedulerInitiated');
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

  private launch(service: EcsService, deployment: Deployment): Task {
    const id = hexId(`task:${this.options.uuid('ecs-task')}`);
    const definition = deployment.taskDefinition;
    const task: Task = {
      arn: `arn:aws:ecs:${service.region}:${service.account}:task/${service.clusterName}/${id}`,
      id,
      deploymentId: deployment.id,
      definition,
      launchType: service.launchType,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      healthy: false,
      createdAt: this.now(),
      containers: definition.containers.map((container) => ({
        name: container.name,
        image: container.image,
        imageDigest: imageDigest(container.image),
        lastStatus: 'PENDING',
        healthStatus: 'UNKNOWN',
        essential: container.essential,
      })),
    };
    service.tasks.push(task);
    this.place(service, task);
    return task;
  }

  private placed(task: Task): boolean {
    return task.launchType === 'FARGATE' || task.containerInstance !== undefined;
  }

  /** Finds room for the task; if there is none it waits, and the service says why once. */
  private place(service: EcsService, task: Task): void {
    if (task.launchType === 'EC2') {
      const choice = this.chooseInstance(service, task);
      if ('refusal' in choice) {
        if (service.placementNoted !== choice.refusal) this.event(service, choice.refusal);
        service.placementNoted = choice.refusal;
        return;
      }
      task.containerInstance = choice.instance;
    }
    delete service.placementNoted;
    const now = this.now();
    const awsvpc = task.definition.networkMode === 'awsvpc';
    this.at(task, 'pending', now + this.seconds(awsvpc ? ECS_TIMING.attachInterfaceSeconds : 0), () => this.pull(service, task));
  }

  /** The instance with room for the task and the fewest of the service's tasks; or why none has room, in ECS's words. */
  private chooseInstance(service: EcsService, task: Task): { instance: ContainerInstance } | { refusal: string } {
    const instances = containerInstances(this.live(service.account, service.region), service.clusterName, service.region, service.account);
    const prefix = `service ${service.name} was unable to place a task because no container instance met all of its requirements.`;
    const suffix = 'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';
    // "service … was unable to place a task because no container instance met all of its requirements.
    // Reason: No Container Instances were found in your cluster." (service events quoted in
    // m-chandler/factorio-spot-pricing#4, ptokito/ECSClusterWithTerraform#3); "The closest matching
    // container-instance … has insufficient memory available" / "… is already using a port required
    // by your task" / "… encountered error "RESOURCE:ENI"" (aws/containers-roadmap#331, ECS
    // Developer Guide, "Troubleshooting service event messages").
    if (instances.length === 0) return { refusal: `${prefix} Reason: No Container Instances were found in your cluster. ${suffix}` };
    const needs = taskNeeds(task.definition);
    const ports = staticHostPorts(task.definition);
    const awsvpc = task.definition.networkMode === 'awsvpc';
    const holding = this.tasksHolding();
    let closest: { instance: ContainerInstance; problem: string } | undefined;
    const fitting: ContainerInstance[] = [];
    for (const instance of instances) {
      const here = holding.filter((other) => other.containerInstance?.arn === instance.arn);
      const used = here.reduce(
        (sum, other) => {
          const need = taskNeeds(other.definition);
          return { cpu: sum.cpu + need.cpu, memory: sum.memory + need.memory, interfaces: sum.interfaces + (other.definition.networkMode === 'awsvpc' ? 1 : 0) };
        },
        { cpu: 0, memory: 0, interfaces: 0 },
      );
      const usedPorts = new Set(here.flatMap((other) => staticHostPorts(other.definition)));
      const problem =
        instance.memory - used.memory < needs.memory
          ? 'has insufficient memory available'
          : instance.cpu - used.cpu < needs.cpu
            ? 'has insufficient CPU units available'
            : awsvpc && instance.networkInterfaces - 1 - used.interfaces < 1
              ? 'encountered error "RESOURCE:ENI"'
              : ports.some((port) => usedPorts.has(port))
                ? 'is already using a port required by your task'
                : undefined;
      if (problem === undefined) fitting.push(instance);
      else closest ??= { instance, problem };
    }
    if (fitting.length > 0) {
      const count = (instance: ContainerInstance) => service.tasks.filter((other) => other.desiredStatus === 'RUNNING' && other.containerInstance?.arn === instance.arn).length;
      const instance = [...fitting].sort((a, b) => count(a) - count(b))[0] as ContainerInstance;
      return { instance };
    }
    const { instance, problem } = closest as { instance: ContainerInstance; problem: string };
    return { refusal: `${prefix} The closest matching container-instance ${instance.id} ${problem}. ${suffix}` };
  }

  /** Tasks of every service of the account that hold resources on an instance (placed and not yet stopped). */
  private tasksHolding(): Task[] {
    return [...this.services.values()].flatMap((service) => service.tasks.filter((task) => task.containerInstance !== undefined && task.lastStatus !== 'STOPPED'));
  }

  private pull(service: EcsService, task: Task): void {
    if (task.desiredStatus !== 'RUNNING') return;
    task.lastStatus = 'PENDING';
    task.pullStartedAt = this.now();
    const broken = this.faultyContainer(task, 'pull-error');
    if (broken !== undefined) {
      this.at(task, 'pulled', this.now() + this.seconds(ECS_TIMING.failedPullSeconds), () => {
        // The form of the containerd-era message: "CannotPullContainerError: pull image manifest has
        // been retried 1 time(s): failed to resolve ref <image>: …" (aws/containers-roadmap#2493); the
        // retry count and the registry's own cause vary, and the sandbox says "not found".
        const reason = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${broken.image}: ${broken.image}: not found`;
        broken.reason = reason;
        this.failTask(service, task, reason, 'TaskFailedToStart');
      });
      return;
    }
    this.at(task, 'running', this.now() + this.seconds(ECS_TIMING.pullSeconds + ECS_TIMING.startSeconds), () => this.run(service, task));
  }

  private run(service: EcsService, task: Task): void {
    if (task.desiredStatus !== 'RUNNING') return;
    const now = this.now();
    task.pullStoppedAt = now - this.seconds(ECS_TIMING.startSeconds);
    task.lastStatus = 'RUNNING';
    task.startedAt = now;
    for (const container of task.containers) container.lastStatus = 'RUNNING';
    this.writeLogs(service, task, (container) => [
      `[sandbox] container ${container.name} of task ${task.id} started from ${container.image} (${container.imageDigest})`,
      `[sandbox] ${container.name}: listening${task.definition.containers.find((definition) => definition.name === container.name)?.portMappings.map((mapping) => ` on port ${mapping.containerPort}`).join(',') ?? ''}`,
    ]);
    this.reconcile(service);

    const crashing = this.faultyContainer(task, 'crash', true);
    if (crashing !== undefined) {
      this.at(task, 'crash', now + this.seconds(ECS_TIMING.crashAfterSeconds), () => {
        crashing.exitCode = 1;
        this.writeLogs(service, task, (container) => (container === crashing ? [`[sandbox] ${container.name}: fatal error, exiting with status 1 (image ${container.image} crashes: sandbox fault)`] : []));
        // "Essential container in task exited" (stopped tasks' stoppedReason, e.g. the task state
        // change event in gist KensoDev/9831acfa…; ECS Developer Guide, "Amazon ECS stopped task error messages").
        this.failTask(service, task, 'Essential container in task exited', 'EssentialContainerExited');
      });
      return;
    }
    const sick = this.faultyContainer(task, 'unhealthy');
    const checked = task.definition.containers.filter((container) => container.healthCheck !== undefined);
    const groups = service.targetGroups;
    if (sick !== undefined && (groups.length > 0 || checked.length > 0)) {
      const group = groups[0];
      const health = checked[0]?.healthCheck;
      // The target group fails it after its unhealthy threshold, not before the grace period; else the container check after its retries.
      const after =
        group !== undefined
          ? Math.max(service.healthCheckGracePeriodSeconds, group.interval * group.unhealthyThreshold)
          : (health?.startPeriod ?? 0) + (health?.interval ?? 30) * (health?.retries ?? 3);
      this.at(task, 'unhealthy', now + this.seconds(after), () => {
        task.healthStatus = 'UNHEALTHY';
        for (const container of task.containers) if (checked.some((definition) => definition.name === container.name)) container.healthStatus = 'UNHEALTHY';
        this.writeLogs(service, task, (container) => (container === sick ? [`[sandbox] ${container.name}: health check failed: GET / returned 503`] : []));
        // "Task failed ELB health checks in (target-group …)" (Copilot's progress output quoting
        // stopped tasks, gist efekarakus/fe4afc1a…); "Task failed container health checks" (ECS
        // Developer Guide, "Amazon ECS stopped task error messages").
        const reason = group !== undefined ? `Task failed ELB health checks in (target-group ${group.arn})` : 'Task failed container health checks';
        this.failTask(service, task, reason, 'ServiceSchedulerInitiated');
      });
      return;
    }
    const elb = groups.reduce((longest, group) => Math.max(longest, group.interval * group.healthyThreshold), 0);
    const container = checked.reduce((longest, definition) => Math.max(longest, definition.healthCheck?.interval ?? 0), 0);
    this.at(task, 'healthy', now + this.seconds(Math.max(elb, container)), () => {
      task.healthy = true;
      if (checked.length > 0) {
        task.healthStatus = 'HEALTHY';
        for (const entry of task.containers) if (checked.some((definition) => definition.name === entry.name)) entry.healthStatus = 'HEALTHY';
      }
      const deployment = service.deployments.find((candidate) => candidate.id === task.deploymentId);
      if (deployment !== undefined) deployment.failedTasks = 0;
      this.reconcile(service);
    });
  }

  /** The task stopped before it was healthy: a failure the circuit breaker counts. */
  private failTask(service: EcsService, task: Task, reason: string, stopCode: string): void {
    if (task.desiredStatus !== 'RUNNING') return;
    this.markStopped(task, reason, stopCode);
    for (const container of task.containers) container.lastStatus = 'STOPPED';
    this.event(service, `(service ${service.name}) has stopped 1 running tasks: (task ${task.id}).`);
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

  /** The scheduler stops a task: it drains from its target groups (their deregistration delay), then stops. */
  private stopTask(service: EcsService, task: Task, reason: string, stopCode: string): void {
    if (task.desiredStatus !== 'RUNNING') return;
    this.clearTimers(task);
    task.desiredStatus = 'STOPPED';
    task.stoppedReason = reason;
    task.stopCode = stopCode;
    task.stoppingAt = this.now();
    if (task.lastStatus !== 'RUNNING') {
      this.markStopped(task, reason, stopCode);
      this.reconcile(service);
      return;
    }
    const drain = service.targetGroups.reduce((longest, group) => Math.max(longest, group.deregistrationDelay), 0);
    task.lastStatus = drain > 0 ? 'DEACTIVATING' : 'STOPPING';
    this.at(task, 'stopped', this.now() + this.seconds(drain + ECS_TIMING.stopSeconds), () => {
      for (const container of task.containers) {
        container.lastStatus = 'STOPPED';
        container.exitCode ??= 0;
      }
      this.markStopped(task, reason, stopCode);
      this.reconcile(service);
    });
  }

  private markStopped(task: Task, reason: string, stopCode: string): void {
    this.clearTimers(task);
    const now = this.now();
    task.desiredStatus = 'STOPPED';
    task.lastStatus = 'STOPPED';
    task.stoppedReason = reason;
    task.stopCode = stopCode;
    task.stoppingAt ??= now;
    task.stoppedAt = now;
    task.healthy = false;
  }

  /** The first container (essential ones only, if asked) whose image has that fault. */
  private faultyContainer(task: Task, fault: ImageFault, essentialOnly = false): TaskContainer | undefined {
    return task.containers.find((container) => (!essentialOnly || container.essential) && this.options.faults.imageFault(container.image) === fault);
  }

  /** awslogs: each container with the driver writes to `<prefix>/<container>/<task id>` (without a prefix, a stream named after the task). */
  private writeLogs(service: EcsService, task: Task, lines: (container: TaskContainer) => string[]): void {
    const now = this.now();
    for (const container of task.containers) {
      const logging = task.definition.containers.find((definition) => definition.name === container.name)?.logConfiguration;
      const group = logging?.options['awslogs-group'];
      if (logging?.logDriver !== 'awslogs' || group === undefined) continue;
      const prefix = logging.options['awslogs-stream-prefix'];
      const stream = prefix === undefined ? task.id : `${prefix}/${container.name}/${task.id}`;
      for (const [index, line] of lines(container).entries()) this.logs.write(service.account, service.region, group, stream, now + index, line);
    }
  }

  private at(task: Task, step: string, when: number, action: () => void): void {
    this.options.timers.schedule(`ecs#${task.arn}#${step}`, when, action);
  }

  private clearTimers(task: Task): void {
    for (const step of ['pending', 'pulled', 'running', 'crash', 'unhealthy', 'healthy', 'stopped']) this.options.timers.clear(`ecs#${task.arn}#${step}`);
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
