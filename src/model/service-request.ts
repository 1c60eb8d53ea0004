// zod/mini, as stack-request.ts (docs/decisions/0008).
import * as z from 'zod/mini';
import { awsvpcTasksPerInstance, CPU_UNITS_PER_VCPU, instanceCapacity, registeredResources } from './instance-capacity';
import type { StackRequest } from './stack-request';

/**
 * A service: one container image run on a stack's ECS cluster behind its frontend (DESIGN.md
 * "Services"; issue 13). `serviceRequestSchema` checks what needs no stack (formats, ranges) and
 * fills the defaults; `serviceRequestSchemaFor(stack)` adds what the stack decides (its instances'
 * size, its security groups' port, its frontend, its database), field by field.
 * Objects are strict, as in the stack request.
 */

const pattern = (regex: RegExp, message: string) => z.string().check(z.regex(regex, message));
const wholeNumber = (min: number, max: number) => z.int().check(z.gte(min), z.lte(max));

/**
 * Docker's image reference grammar (distribution/reference, reference.go, the grammar in its header
 * comment: github.com/distribution/reference/blob/main/reference.go):
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain '/'] remote-name
 *   domain           := host [':' port-number]   (host: domain-component ['.' domain-component]*)
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   remote-name      := path-component ['/' path-component]*
 *   path-component   := alpha-numeric [separator alpha-numeric]*
 *   alpha-numeric    := /[a-z0-9]+/
 *   separator        := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 * The digest is narrowed to what the issue asks for and ECS pins: `sha256:` and 64 lowercase hex
 * digits (the OCI image spec's registered sha256 encoding). The grammar's IPv6 hosts are left out.
 * A name is at most 255 characters (NameTotalLengthMax in the same file).
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[_.]|__|[-]+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`);
const NAME_TOTAL_LENGTH_MAX = 255;

/**
 * Reference.go reads a first component as a domain only if it has a `.` or a `:`, or is
 * `localhost`; else it is the first path component (and so must be lowercase).
 */
export function isImageReference(image: string): boolean {
  if (!IMAGE_REFERENCE.test(image)) return false;
  const name = image.split('@')[0]?.replace(/:[\w][\w.-]{0,127}$/, '') ?? '';
  const [first = '', ...rest] = name.split('/');
  const hasDomain = rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (rest.length > 0 && !hasDomain && !new RegExp(`^${PATH_COMPONENT}$`).test(first)) return false;
  return name.length <= NAME_TOTAL_LENGTH_MAX;
}

/** A name environment variables and ECS secrets share (POSIX: letters, digits, underscores, no leading digit). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A Secrets Manager secret ARN (`…:secret:<name>-<6 random characters>`, Secrets Manager User Guide,
 * "Secrets Manager ARNs") and optionally `:<json key>`: ECS reads that key of a JSON secret (ECS
 * Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables": the
 * form `arn:…:secret:name:json-key:version-stage:version-id`).
 */
const SECRET_REFERENCE = /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6})(?::([A-Za-z0-9_.-]+))?$/;

export function parseSecretReference(reference: string): { secretArn: string; jsonKey?: string } | undefined {
  const match = SECRET_REFERENCE.exec(reference);
  if (!match?.[1]) return undefined;
  return match[2] === undefined ? { secretArn: match[1] } : { secretArn: match[1], jsonKey: match[2] };
}

/**
 * An ALB path pattern: up to 128 characters of A–Z, a–z, 0–9, `_ - . $ / ~ " ' @ : + & * ?`
 * (Elastic Load Balancing, Application Load Balancers, "Listener rules", path conditions).
 */
const PATH_PATTERN = /^\/[A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$/;
/** The route that catches every path: the service that owns it serves what no other rule matches. */
export const DEFAULT_ROUTE = '/*';
/** A listener rule's priority: 1–50,000, lowest evaluated first (ELB API Reference, CreateRule). */
export const LAST_RULE_PRIORITY = 50_000;

/** The environment names `database: true` sets, TinyStacks-style (DESIGN.md "Services"). */
export const DATABASE_VARIABLE_PREFIX = 'PG_';

/** Two tasks by default: one per AZ keeps the app up through an instance or AZ loss. */
export const DEFAULT_DESIRED_COUNT = 2;

/**
 * ELB's health-check ranges (ELB API Reference, CreateTargetGroup: interval 5–300 s, timeout 2–120 s,
 * thresholds 2–10, path up to 1,024 characters, matcher `200`, `200,202` or `200-299` within 200–499).
 */
export const healthCheckSchema = z.strictObject({
  path: z._default(pattern(/^\/[\x21-\x7e]{0,1023}$/, 'must be a path starting with / (up to 1024 printable characters)'), '/'),
  intervalSeconds: z._default(wholeNumber(5, 300), 15),
  timeoutSeconds: z._default(wholeNumber(2, 120), 5),
  healthyThreshold: z._default(wholeNumber(2, 10), 2),
  unhealthyThreshold: z._default(wholeNumber(2, 10), 3),
  successCodes: z._default(pattern(/^[2-4]\d\d(-[2-4]\d\d|(,[2-4]\d\d)*)$/, 'must be HTTP codes such as 200, 200,202 or 200-399'), '200-399'),
  /** Time a new task gets before failed health checks count (the ECS service's HealthCheckGracePeriodSeconds). */
  gracePeriodSeconds: z._default(wholeNumber(0, 7200), 60),
});

export const autoscalingSchema = z.strictObject({
  min: z._default(wholeNumber(1, 100), 1),
  max: z._default(wholeNumber(1, 100), 4),
  /** Average CPU utilisation of the service's tasks, in percent, that target tracking keeps. */
  cpuTarget: z._default(wholeNumber(10, 90), 60),
});

export const routeSchema = z.strictObject({
  pathPattern: z._default(pattern(PATH_PATTERN, 'must be an ALB path pattern such as /api/* (up to 128 characters: letters, digits, _ - . $ / ~ " \' @ : + & * ?)'), DEFAULT_ROUTE),
  /** Required on an alb frontend for any path but the default route (which takes the last priority). */
  priority: z.optional(wholeNumber(1, LAST_RULE_PRIORITY - 1)),
});

export const serviceRequestSchema = z
  .strictObject({
    name: pattern(/^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/, 'must be 1–32 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (a DNS label)'),
    image: z.string().check(z.refine(isImageReference, 'must be an image reference [registry/]repository[:tag][@sha256:<64 hex digits>], such as public.ecr.aws/nginx/nginx:1.27')),
    /** The container's port; the stack's container port unless told (the only one its security groups admit). */
    port: z.optional(wholeNumber(1, 65535)),
    /** CPU units (1 vCPU = 1024). */
    cpu: z._default(wholeNumber(128, 196_608), 256),
    /** MiB; Docker 20.10 reserves at least 6 MiB for a container (ECS API Reference, ContainerDefinition `memory`). */
    memory: z._default(wholeNumber(6, 1_048_576), 512),
    /** Tasks to run; DEFAULT_DESIRED_COUNT unless autoscaling is given (then autoscaling.min to start). */
    desiredCount: z.optional(wholeNumber(0, 100)),
    autoscaling: z.optional(autoscalingSchema),
    /** NAME → value. Names are checked below, so that a bad one is named in the error. */
    environment: z._default(z.record(z.string(), z.string()), {}),
    /**
     * NAME → `<secret ARN>[:<json key>]`, read by ECS with the task execution role when a task starts.
     * That role reads only secrets tagged `groundwork:stack` (cfn/onboarding-role.yaml), so a secret
     * of the customer's must carry that tag for its tasks to start.
     */
    secrets: z._default(z.record(z.string(), pattern(SECRET_REFERENCE, 'must be a Secrets Manager secret ARN, optionally followed by :<json key>')), {}),
    /** Wire in the stack's database (PG_* variables); by default when the stack has one. */
    database: z.optional(z.boolean()),
    healthCheck: z.prefault(healthCheckSchema, {}),
    route: z.prefault(routeSchema, {}),
  })
  .check(
    z.superRefine((request, ctx) => {
      const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message, input: request });
      const { healthCheck, autoscaling, environment, secrets } = request;
      if (healthCheck.timeoutSeconds >= healthCheck.intervalSeconds) issue(['healthCheck', 'timeoutSeconds'], 'must be less than intervalSeconds');
      if (autoscaling !== undefined && request.desiredCount !== undefined) issue(['desiredCount'], 'give either desiredCount or autoscaling, not both');
      if (autoscaling !== undefined && autoscaling.min > autoscaling.max) issue(['autoscaling', 'min'], 'must not exceed max');
      for (const name of Object.keys(secrets)) if (name in environment) issue(['secrets', name], 'is also set in environment');
      for (const field of ['environment', 'secrets'] as const) {
        for (const name of Object.keys(request[field])) {
          if (!VARIABLE_NAME.test(name)) issue([field, name], 'must be a variable name (letters, digits, underscores, not starting with a digit)');
        }
      }
    }),
  );

export type ServiceRequestInput = z.input<typeof serviceRequestSchema>;
export type ServiceRequest = z.output<typeof serviceRequestSchema>;

/** The number of tasks the service starts with. */
export function initialTaskCount(request: ServiceRequest): number {
  return request.autoscaling?.min ?? request.desiredCount ?? DEFAULT_DESIRED_COUNT;
}

/** The most tasks the service may run (autoscaling's max, or its fixed count). */
export function maxTaskCount(request: ServiceRequest): number {
  return request.autoscaling?.max ?? request.desiredCount ?? DEFAULT_DESIRED_COUNT;
}

/** The port the container listens on: as given, else the stack's container port. */
export function servicePort(request: ServiceRequest, stack: StackRequest): number {
  return request.port ?? stack.compute?.containerPort ?? 8080;
}

/** Whether the service gets the stack's database: as given, else whenever the stack has one. */
export function usesDatabase(request: ServiceRequest, stack: StackRequest): boolean {
  return request.database ?? stack.database !== null;
}

/** The listener rule's priority on an alb frontend: the default route goes last. */
export function rulePriority(request: ServiceRequest): number {
  return request.route.pathPattern === DEFAULT_ROUTE ? LAST_RULE_PRIORITY : (request.route.priority ?? LAST_RULE_PRIORITY);
}

/**
 * Rolling deployments run up to MaximumPercent (200 %) of the tasks at once, the new beside the old
 * (ECS API Reference, DeploymentConfiguration): the cluster must have room for twice the tasks.
 */
export const DEPLOYMENT_MAXIMUM_PERCENT = 200;

/**
 * The service request checked against the stack it runs on. What "allowed" means for the port: the
 * security component admits into the app security group exactly the stack's container port, from
 * the frontend's group (ALB or VPC Link) and nothing else (src/templates/security.ts), and tasks run
 * in `awsvpc` mode with that group on their own interface (decision 0019). So a service reached
 * through the frontend must listen on that port; with no frontend nothing reaches it, and any port is
 * accepted.
 */
export function serviceRequestSchemaFor(stack: StackRequest) {
  return serviceRequestSchema.check(
    z.superRefine((request, ctx) => {
      const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message, input: request });
      const compute = stack.compute;
      if (compute === null) {
        issue([], 'the stack has no cluster (compute is null), so it cannot run services');
        return;
      }
      const frontend = stack.frontend.type;
      const port = servicePort(request, stack);
      if (frontend !== 'none' && port !== compute.containerPort) {
        issue(['port'], `must be ${compute.containerPort}: the stack's security groups admit only its container port from the ${frontend} frontend to the app`);
      }

      const capacity = instanceCapacity(compute.instanceType);
      if (capacity === undefined) {
        issue([], `the stack's instance type ${compute.instanceType} is not one whose size Groundwork knows`);
      } else {
        const { cpuUnits, memoryMib } = registeredResources(capacity);
        if (request.cpu > cpuUnits) {
          issue(['cpu'], `must be at most ${cpuUnits}: no ${compute.instanceType} instance can hold more (${capacity.vcpus} vCPUs × ${CPU_UNITS_PER_VCPU} units)`);
        }
        if (request.memory > memoryMib) {
          issue(['memory'], `must be at most ${memoryMib} MiB: no ${compute.instanceType} instance can hold more (${capacity.memoryMib} MiB installed, less what ECS and the system keep)`);
        }
        if (request.cpu <= cpuUnits && request.memory <= memoryMib) {
          const perInstance = awsvpcTasksPerInstance(capacity, request);
          const needed = Math.ceil((maxTaskCount(request) * DEPLOYMENT_MAXIMUM_PERCENT) / 100);
          const room = perInstance * compute.max;
          if (needed > room) {
            issue(
              request.autoscaling === undefined ? ['desiredCount'] : ['autoscaling', 'max'],
              `is too many for the cluster: a rollout runs up to ${needed} tasks, and ${compute.max} ${compute.instanceType} instances (compute.max) hold ${room} (${perInstance} each: CPU, memory and one network interface per task)`,
            );
          }
        }
      }

      const database = usesDatabase(request, stack);
      if (request.database === true && stack.database === null) issue(['database'], 'the stack has no database');
      if (database) {
        for (const field of ['environment', 'secrets'] as const) {
          for (const name of Object.keys(request[field])) {
            if (name.startsWith(DATABASE_VARIABLE_PREFIX)) issue([field, name], `is reserved: ${DATABASE_VARIABLE_PREFIX}* variables carry the stack's database when database is true`);
          }
        }
      }

      const { pathPattern, priority } = request.route;
      if (frontend === 'none' && (pathPattern !== DEFAULT_ROUTE || priority !== undefined)) issue(['route'], 'the stack has no frontend to route from');
      if (frontend === 'apigateway' && pathPattern !== DEFAULT_ROUTE) {
        issue(['route', 'pathPattern'], `must be ${DEFAULT_ROUTE}: an apigateway frontend sends every path to the one service registered in its Cloud Map service`);
      }
      if (frontend === 'alb' && pathPattern !== DEFAULT_ROUTE && PATH_PATTERN.test(pathPattern) && priority === undefined) {
        issue(['route', 'priority'], 'is required for a path other than /*: the load balancer evaluates its rules lowest priority first');
      }
      if (pathPattern === DEFAULT_ROUTE && priority !== undefined) issue(['route', 'priority'], `the default route ${DEFAULT_ROUTE} always takes the last priority`);
    }),
  );
}
