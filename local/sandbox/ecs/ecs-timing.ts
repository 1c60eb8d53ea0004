/**
 * How long each step of an ECS task takes in the sandbox, in seconds before `speed` scales them, and
 * the defaults ECS and Elastic Load Balancing apply when a definition leaves a value out. Dated
 * 2026-12; sources beside each figure. "Typical" figures are the sandbox's estimates (no AWS
 * document gives them; they vary with image size, registry and instance type).
 */
export const ECS_TIMING_AS_OF = '2026-12';

export const ECS_TIMING = {
  /** awsvpc on EC2: ECS creates and attaches the task's network interface (PROVISIONING). Typical. */
  attachInterfaceSeconds: 10,
  /** Pulling the image (PENDING). Typical for an image of a few hundred MB from ECR in-region. */
  pullSeconds: 20,
  /** A pull that fails gives up after its retries (PENDING, then STOPPED). Typical. */
  failedPullSeconds: 30,
  /** Creating and starting the containers once pulled. Typical. */
  startSeconds: 3,
  /** The `crash` fault: the essential container exits this long after it started. The sandbox's choice. */
  crashAfterSeconds: 5,
  /**
   * Stopping a task: SIGTERM, then SIGKILL after the stop timeout (`ECS_CONTAINER_STOP_TIMEOUT`,
   * 30 s by default on Linux; ECS container agent configuration,
   * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-agent-config.html). The sandbox's
   * containers stop at SIGTERM, in a typical 2 s.
   */
  stopSeconds: 2,
} as const;

/**
 * A container's HealthCheck when it leaves values out: interval 30 s, timeout 5 s, retries 3,
 * startPeriod 0 (ECS API Reference, HealthCheck,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html).
 */
export const CONTAINER_HEALTH_CHECK_DEFAULTS = { interval: 30, timeout: 5, retries: 3, startPeriod: 0 } as const;

/**
 * An Application Load Balancer target group's health check when it leaves values out: interval
 * 30 s, healthy threshold 5, unhealthy threshold 2; deregistration delay 300 s (ELB User Guide for
 * Application Load Balancers, "Health checks for your target groups" and "Target group attributes",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 */
export const TARGET_GROUP_DEFAULTS = { interval: 30, healthyThreshold: 5, unhealthyThreshold: 2, deregistrationDelay: 300 } as const;

/**
 * How long CloudFormation waits for an AWS::ECS::Service to stabilise: the resource schema's
 * create and update handlers' `timeoutInMinutes: 180` (the "3-hour hang"; aws-ecs-service.json in
 * cfn-lint's provider schemas). Configurable in the sandbox (`ecsWaitSeconds`), scaled by `speed`.
 */
export const SERVICE_STABILIZE_SECONDS = 180 * 60;
