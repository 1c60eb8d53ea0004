import type { ContainerInstance, TargetGroupHealth, TaskDefinition } from './ecs-model';

/** What the sandbox's ECS holds of a service while it runs (in memory): deployments, tasks, events. */

export type ServiceDone = (failure?: string) => void;

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
