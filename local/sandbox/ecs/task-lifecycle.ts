import { scaledMilliseconds } from '../sandbox-clock';
import type { FaultRegistry, ImageFault } from '../sandbox-faults';
import type { SandboxTimers } from '../sandbox-timers';
import { containerInstances, hexId, imageDigest, staticHostPorts, taskNeeds, type ContainerInstance, type LiveResource } from './ecs-model';
import type { Deployment, EcsService, Task, TaskContainer } from './ecs-state';
import { ECS_TIMING } from './ecs-timing';
import type { TaskLogs } from './task-logs';

/**
 * The life of one ECS task in the sandbox: placed on a container instance (or Fargate), PROVISIONING
 * (awsvpc: its network interface), PENDING (the pull), RUNNING, healthy by its checks; stopped by
 * its image's fault in ECS's words, or by the scheduler (draining from its target groups first).
 * The service scheduler (ecs-runtime.ts) decides which tasks start and stop.
 */

export interface TaskLifecycleOptions {
  timers: SandboxTimers;
  faults: FaultRegistry;
  logs: TaskLogs;
  speed: number;
  now: () => number;
  uuid: (purpose: string) => string;
}

export interface TaskLifecycleHost {
  /** Something changed: the scheduler looks at the service again. */
  reconcile(service: EcsService): void;
  /** The task stopped before it was healthy (already marked STOPPED): the circuit breaker counts it. */
  failed(service: EcsService, task: Task): void;
  event(service: EcsService, message: string): void;
  live(account: string, region: string): LiveResource[];
  /** Every service, for what their tasks hold on the instances. */
  services(): Iterable<EcsService>;
}

export class TaskLifecycle {
  constructor(
    private readonly options: TaskLifecycleOptions,
    private readonly host: TaskLifecycleHost,
  ) {}

  /** A new task of the deployment, PROVISIONING: placed at once if there is room, else waiting for it. */
  launch(service: EcsService, deployment: Deployment): Task {
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

  /** Whether the task has its place (Fargate always has). */
  placed(task: Task): boolean {
    return task.launchType === 'FARGATE' || task.containerInstance !== undefined;
  }

  /** Finds room for the task; if there is none it waits, and the service says why once. */
  place(service: EcsService, task: Task): void {
    if (task.launchType === 'EC2') {
      const choice = this.chooseInstance(service, task);
      if ('refusal' in choice) {
        if (service.placementNoted !== choice.refusal) this.host.event(service, choice.refusal);
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
    const instances = containerInstances(this.host.live(service.account, service.region), service.clusterName, service.region, service.account);
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
    return [...this.host.services()].flatMap((service) => service.tasks.filter((task) => task.containerInstance !== undefined && task.lastStatus !== 'STOPPED'));
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
        this.fail(service, task, reason, 'TaskFailedToStart');
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
    this.host.reconcile(service);

    const crashing = this.faultyContainer(task, 'crash', true);
    if (crashing !== undefined) {
      this.at(task, 'crash', now + this.seconds(ECS_TIMING.crashAfterSeconds), () => {
        crashing.exitCode = 1;
        this.writeLogs(service, task, (container) => (container === crashing ? [`[sandbox] ${container.name}: fatal error, exiting with status 1 (image ${container.image} crashes: sandbox fault)`] : []));
        // "Essential container in task exited" (stopped tasks' stoppedReason, e.g. the task state
        // change event in gist KensoDev/9831acfa…; ECS Developer Guide, "Amazon ECS stopped task error messages").
        this.fail(service, task, 'Essential container in task exited', 'EssentialContainerExited');
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
        this.fail(service, task, reason, 'ServiceSchedulerInitiated');
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
      this.host.reconcile(service);
    });
  }

  /** The scheduler stops a task: it drains from its target groups (their deregistration delay), then stops. */
  stopTask(service: EcsService, task: Task, reason: string, stopCode: string): void {
    if (task.desiredStatus !== 'RUNNING') return;
    this.clearTimers(task);
    task.desiredStatus = 'STOPPED';
    task.stoppedReason = reason;
    task.stopCode = stopCode;
    task.stoppingAt = this.now();
    if (task.lastStatus !== 'RUNNING') {
      this.markStopped(task, reason, stopCode);
      this.host.reconcile(service);
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
      this.host.reconcile(service);
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
      for (const [index, line] of lines(container).entries()) this.options.logs.write(service.account, service.region, group, stream, now + index, line);
    }
  }

  private at(task: Task, step: string, when: number, action: () => void): void {
    this.options.timers.schedule(`ecs#${task.arn}#${step}`, when, action);
  }

  private clearTimers(task: Task): void {
    for (const step of ['pending', 'pulled', 'running', 'crash', 'unhealthy', 'healthy', 'stopped']) this.options.timers.clear(`ecs#${task.arn}#${step}`);
  }

  /** The task stopped before it was healthy: STOPPED at once, and the scheduler is told. */
  private fail(service: EcsService, task: Task, reason: string, stopCode: string): void {
    if (task.desiredStatus !== 'RUNNING') return;
    this.markStopped(task, reason, stopCode);
    for (const container of task.containers) container.lastStatus = 'STOPPED';
    this.host.event(service, `(service ${service.name}) has stopped 1 running tasks: (task ${task.id}).`);
    this.host.failed(service, task);
  }

  private seconds(seconds: number): number {
    return scaledMilliseconds(seconds, this.options.speed);
  }

  private now(): number {
    return this.options.now();
  }
}
