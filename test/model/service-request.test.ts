import { ValidationError, type FieldError } from '../../src/errors';
import { parseInput } from '../../src/http/parse-input';
import { awsvpcTasksPerInstance, instanceCapacity } from '../../src/model/instance-capacity';
import { initialTaskCount, isImageReference, serviceRequestSchemaFor, servicePort, usesDatabase, type ServiceRequest } from '../../src/model/service-request';
import type { StackRequest } from '../../src/model/stack-request';
import { request as stackRequest } from '../../src/templates/option-combinations';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-AbCdEf';
const defaultStack = stackRequest();

/** The field errors the API would answer, or [] when the request is accepted. */
function errorsOf(body: unknown, stack: StackRequest = defaultStack): FieldError[] {
  try {
    parseInput(serviceRequestSchemaFor(stack), body);
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
}

const parse = (body: unknown, stack: StackRequest = defaultStack): ServiceRequest => parseInput(serviceRequestSchemaFor(stack), body);

describe('service request', () => {
  it('fills sensible defaults for everything but name and image', () => {
    // Act
    const service = parse({ name: 'web', image: 'public.ecr.aws/nginx/nginx:1.27' });

    // Assess
    expect(service).toEqual({
      name: 'web',
      image: 'public.ecr.aws/nginx/nginx:1.27',
      cpu: 256,
      memory: 512,
      environment: {},
      secrets: {},
      healthCheck: { path: '/', intervalSeconds: 15, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3, successCodes: '200-399', gracePeriodSeconds: 60 },
      route: { pathPattern: '/*' },
    });
    expect(servicePort(service, defaultStack)).toBe(8080);
    expect(usesDatabase(service, defaultStack)).toBe(true);
    expect(usesDatabase(service, stackRequest({ database: null }))).toBe(false);
    expect(initialTaskCount(service)).toBe(2);
    expect(initialTaskCount(parse({ name: 'web', image: 'nginx', autoscaling: {} }))).toBe(1);
  });

  it.each([
    ['nginx'],
    ['nginx:1.27-alpine'],
    ['library/nginx@sha256:' + 'a'.repeat(64)],
    ['public.ecr.aws/nginx/nginx:1.27@sha256:' + '0123456789abcdef'.repeat(4)],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:v2'],
    ['localhost:5000/app'],
    ['ghcr.io/org/my_app__x/web-server:Build.7'],
  ])('accepts the image reference %s', (image) => {
    expect(isImageReference(image)).toBe(true);
    expect(errorsOf({ name: 'web', image })).toEqual([]);
  });

  it.each([
    ['Nginx', 'uppercase repository'],
    ['MyRegistry/app', 'uppercase path component without a dot, so not a registry'],
    ['nginx:', 'empty tag'],
    ['nginx:-latest', 'tag starting with a dash'],
    ['nginx@sha256:abc', 'short digest'],
    ['nginx@md5:' + 'a'.repeat(32), 'digest other than sha256'],
    ['registry.example.com/app_/web', 'separator at the end of a component'],
    ['https://registry.example.com/app', 'a URL'],
    ['app:' + 'x'.repeat(129), 'tag over 128 characters'],
    ['a/' + 'b'.repeat(260), 'name over 255 characters'],
  ])('refuses the image reference %s (%s) on the image field', (image) => {
    expect(errorsOf({ name: 'web', image })).toEqual([{ field: 'image', message: expect.stringContaining('must be an image reference') }]);
  });

  it.each([['Web'], ['1web'], ['web-'], ['web_api'], ['a'.repeat(33)], ['']])('refuses the name %j: not a DNS label', (name) => {
    expect(errorsOf({ name, image: 'nginx' })).toEqual([{ field: 'name', message: expect.stringContaining('DNS label') }]);
  });

  it('refuses PG_* names in environment and secrets when the database is wired in, and allows them without it', () => {
    // Prepare
    const body = { name: 'web', image: 'nginx', environment: { PG_HOST: 'x', APP: 'y' }, secrets: { PG_PASSWORD: SECRET } };

    // Act
    const wired = errorsOf(body);
    const unwired = errorsOf({ ...body, database: false });

    // Assess
    expect(wired).toEqual([
      { field: 'environment.PG_HOST', message: expect.stringContaining('is reserved') },
      { field: 'secrets.PG_PASSWORD', message: expect.stringContaining('is reserved') },
    ]);
    expect(unwired).toEqual([]);
  });

  it('names a bad variable name in the error', () => {
    expect(errorsOf({ name: 'web', image: 'nginx', environment: { '1BAD': 'x', 'A-B': 'y', GOOD_1: 'z' }, secrets: { 'x y': SECRET } })).toEqual([
      { field: 'environment.1BAD', message: 'must be a variable name (letters, digits, underscores, not starting with a digit)' },
      { field: 'environment.A-B', message: 'must be a variable name (letters, digits, underscores, not starting with a digit)' },
      { field: 'secrets.x y', message: 'must be a variable name (letters, digits, underscores, not starting with a digit)' },
    ]);
  });

  it('refuses database: true on a stack without a database', () => {
    expect(errorsOf({ name: 'web', image: 'nginx', database: true }, stackRequest({ database: null }))).toEqual([{ field: 'database', message: 'the stack has no database' }]);
  });

  it('refuses cpu and memory no instance of the cluster can hold, naming the instance type', () => {
    // t4g.small: 2 vCPUs (2048 units), 2 GiB installed, 1945 MiB after the reserve.
    expect(errorsOf({ name: 'web', image: 'nginx', cpu: 4096, memory: 2048 })).toEqual([
      { field: 'cpu', message: expect.stringMatching(/^must be at most 2048: no t4g\.small instance can hold more/) },
      { field: 'memory', message: expect.stringMatching(/^must be at most 1945 MiB: no t4g\.small instance/) },
    ]);
    expect(errorsOf({ name: 'web', image: 'nginx', cpu: 2048, memory: 1945, desiredCount: 1 }, stackRequest({ compute: { max: 2 } }))).toEqual([]);
    // The same task on an x86 t3.xlarge (4 vCPUs, 16 GiB) fits.
    expect(errorsOf({ name: 'web', image: 'nginx', cpu: 4096, memory: 2048 }, stackRequest({ compute: { instanceType: 't3.xlarge' } }))).toEqual([]);
  });

  it('refuses more tasks than the cluster can hold during a rollout (one network interface per task)', () => {
    // Prepare: t4g.small takes 3 interfaces, so 2 awsvpc tasks each; 4 instances at most by default.
    const capacity = instanceCapacity('t4g.small');
    expect(capacity && awsvpcTasksPerInstance(capacity, { cpu: 256, memory: 512 })).toBe(2);

    // Act & Assess: 4 tasks roll out as 8, which 4 instances hold; 5 need 10.
    expect(errorsOf({ name: 'web', image: 'nginx', desiredCount: 4 })).toEqual([]);
    expect(errorsOf({ name: 'web', image: 'nginx', desiredCount: 5 })).toEqual([{ field: 'desiredCount', message: expect.stringContaining('a rollout runs up to 10 tasks, and 4 t4g.small instances (compute.max) hold 8') }]);
    expect(errorsOf({ name: 'web', image: 'nginx', autoscaling: { max: 5 } })).toEqual([{ field: 'autoscaling.max', message: expect.stringContaining('is too many for the cluster') }]);
  });

  it('refuses a port the stack\'s security groups do not admit from the frontend; any port with no frontend', () => {
    const custom = stackRequest({ compute: { containerPort: 3000 } });
    expect(errorsOf({ name: 'web', image: 'nginx', port: 8080 }, custom)).toEqual([
      { field: 'port', message: "must be 3000: the stack's security groups admit only its container port from the alb frontend to the app" },
    ]);
    expect(servicePort(parse({ name: 'web', image: 'nginx' }, custom), custom)).toBe(3000);
    expect(errorsOf({ name: 'web', image: 'nginx', port: 9000 }, stackRequest({ frontend: { type: 'apigateway' } }))).toEqual([{ field: 'port', message: expect.stringContaining('apigateway frontend') }]);
    expect(errorsOf({ name: 'worker', image: 'nginx', port: 9000 }, stackRequest({ frontend: { type: 'none' } }))).toEqual([]);
  });

  it('refuses a service on a stack without a cluster', () => {
    expect(errorsOf({ name: 'web', image: 'nginx' }, stackRequest({ compute: null, frontend: { type: 'none' } }))).toEqual([{ field: 'body', message: expect.stringContaining('has no cluster') }]);
  });

  it('checks routes against the frontend: priorities on an alb, the default route only on an apigateway', () => {
    expect(errorsOf({ name: 'api', image: 'nginx', route: { pathPattern: '/api/*' } })).toEqual([{ field: 'route.priority', message: expect.stringContaining('is required') }]);
    expect(errorsOf({ name: 'api', image: 'nginx', route: { pathPattern: '/api/*', priority: 10 } })).toEqual([]);
    expect(errorsOf({ name: 'api', image: 'nginx', route: { pathPattern: '/*', priority: 10 } })).toEqual([{ field: 'route.priority', message: expect.stringContaining('last priority') }]);
    expect(errorsOf({ name: 'api', image: 'nginx', route: { pathPattern: '/api/*', priority: 10 } }, stackRequest({ frontend: { type: 'apigateway' } }))).toEqual([{ field: 'route.pathPattern', message: expect.stringContaining('must be /*') }]);
    expect(errorsOf({ name: 'api', image: 'nginx', route: { pathPattern: 'api' } })).toEqual([{ field: 'route.pathPattern', message: expect.stringContaining('must be an ALB path pattern') }]);
  });

  it('refuses field by field: bad secrets, health checks, autoscaling beside a count, unknown fields', () => {
    // Act
    const errors = errorsOf({
      name: 'web',
      image: 'nginx',
      desiredCount: 2,
      autoscaling: { min: 3, max: 2 },
      secrets: { TOKEN: 'arn:aws:ssm:us-east-1:123456789012:parameter/token', KEY: `${SECRET}:api_key` },
      environment: { KEY: 'duplicate' },
      healthCheck: { intervalSeconds: 5, timeoutSeconds: 5, successCodes: '600' },
      surprise: true,
    });

    // Assess: every bad field at once, each named by its path.
    expect(errors.map((error) => error.field).sort()).toEqual(
      ['surprise', 'secrets.TOKEN', 'healthCheck.successCodes', 'autoscaling.min', 'desiredCount', 'healthCheck.timeoutSeconds', 'secrets.KEY'].sort(),
    );
    expect(errors.find((error) => error.field === 'desiredCount')?.message).toBe('give either desiredCount or autoscaling, not both');
    expect(errors.find((error) => error.field === 'secrets.KEY')?.message).toBe('is also set in environment');
    expect(errors.find((error) => error.field === 'healthCheck.timeoutSeconds')?.message).toBe('must be less than intervalSeconds');
  });

  it('keeps each stack\'s checks to itself (building a stack\'s schema leaves the shared one unchanged)', () => {
    // Prepare: a schema for a stack whose port is 3000.
    serviceRequestSchemaFor(stackRequest({ compute: { containerPort: 3000 } }));
    // Act & Assess: the default stack still accepts 8080.
    expect(errorsOf({ name: 'web', image: 'nginx', port: 8080 })).toEqual([]);
  });
});
