import { join, resolve } from 'node:path';

/**
 * The embedded default's fixed addresses and names (issue 5). Everything binds to 127.0.0.1;
 * all state lives under one directory. Production code sees only these through the same
 * environment variables it reads in AWS (AWS_ENDPOINT_URL_*, TABLE_NAME, …).
 */
export const LOCAL_HOST = '127.0.0.1';

/** A fixed port, overridable (GROUNDWORK_API_PORT, …) so a test can run beside a developer's own `npm start`. */
function port(variable: string, fixed: number): number {
  const value = Number(process.env[variable] ?? fixed);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${variable} must be a TCP port, not "${process.env[variable] ?? ''}"`);
  return value;
}

export const API_PORT = port('GROUNDWORK_API_PORT', 3000);
/** One edge endpoint for every local AWS API: Step Functions, EventBridge, SNS, CloudFormation, STS, EC2, RDS. */
export const EDGE_PORT = port('GROUNDWORK_EDGE_PORT', 4566);
export const DYNAMODB_PORT = port('GROUNDWORK_DYNAMODB_PORT', 4567);
export const REGION = 'us-east-1';

/** Groundwork's own (service) account in local mode, and the stage. */
export const SERVICE_ACCOUNT = '000000000000';
export const STAGE = 'local';

export const names = {
  table: `groundwork-${STAGE}`,
  eventBus: `groundwork-${STAGE}`,
  serviceRole: `groundwork-${STAGE}-service`,
  registrationTopic: `groundwork-${STAGE}-registration`,
  /** The onboarding callback's hand-over to its worker, and the worker's revocation checks (decision 0012). */
  registrationQueue: `groundwork-${STAGE}-registration`,
  revocationCheckQueue: `groundwork-${STAGE}-revocation-check`,
  provisionStateMachine: `groundwork-${STAGE}-provision-stack`,
  deleteStateMachine: `groundwork-${STAGE}-delete-stack`,
} as const;

export const arns = {
  serviceRole: `arn:aws:iam::${SERVICE_ACCOUNT}:role/${names.serviceRole}`,
  registrationTopic: `arn:aws:sns:${REGION}:${SERVICE_ACCOUNT}:${names.registrationTopic}`,
  eventBus: `arn:aws:events:${REGION}:${SERVICE_ACCOUNT}:event-bus/${names.eventBus}`,
  provisionStateMachine: `arn:aws:states:${REGION}:${SERVICE_ACCOUNT}:stateMachine:${names.provisionStateMachine}`,
  deleteStateMachine: `arn:aws:states:${REGION}:${SERVICE_ACCOUNT}:stateMachine:${names.deleteStateMachine}`,
  /** The function name as serverless.yml names it: groundwork-<stage>-<function>. */
  function: (name: string) => `arn:aws:lambda:${REGION}:${SERVICE_ACCOUNT}:function:groundwork-${STAGE}-${name}`,
} as const;

export const endpoints = {
  api: `http://${LOCAL_HOST}:${API_PORT}`,
  edge: `http://${LOCAL_HOST}:${EDGE_PORT}`,
  dynamodb: `http://${LOCAL_HOST}:${DYNAMODB_PORT}`,
  /** Where customers fetch the onboarding template from, locally. */
  onboardingTemplate: `http://${LOCAL_HOST}:${EDGE_PORT}/_groundwork/templates/onboarding-role.yaml`,
} as const;

/** A queue's URL as SQS gives it (`https://sqs.<region>.amazonaws.com/<account>/<name>`), on the edge. */
export const queueUrl = (name: string, edge: string = endpoints.edge) => `${edge}/${SERVICE_ACCOUNT}/${name}`;

export function stateDirectory(root = process.cwd()): string {
  return resolve(root, process.env['GROUNDWORK_STATE_DIR'] ?? '.groundwork');
}

export const statePaths = (dir: string) => ({
  dynamodb: join(dir, 'dynamodb'),
  events: join(dir, 'events.jsonl'),
  sandbox: join(dir, 'sandbox.json'),
  signingKey: join(dir, 'jwt-signing-key.json'),
  pids: join(dir, 'pids.json'),
  cache: join(dir, 'cache'),
});

/**
 * The environment every Groundwork function gets locally: what serverless.yml gives it in AWS,
 * with local names, and the SDK pointed at the local endpoints. Credentials name Groundwork's
 * own account (the access key id is the account, as with other local AWS emulators).
 */
export function functionEnvironment(): Record<string, string> {
  return {
    AWS_REGION: REGION,
    ...customerAccountsTarget(),
    AWS_ENDPOINT_URL: endpoints.edge,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    TABLE_NAME: names.table,
    EVENT_BUS_NAME: names.eventBus,
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    TENANT_CLAIM: 'tenant',
    ONBOARDING_TEMPLATE_URL: endpoints.onboardingTemplate,
    REGISTRATION_TOPIC_ARN: arns.registrationTopic,
    PROVISION_STATE_MACHINE_ARN: arns.provisionStateMachine,
    DELETE_STATE_MACHINE_ARN: arns.deleteStateMachine,
    FUNCTION_TIMEOUT_SECONDS: '60',
    REGISTRATION_QUEUE_URL: queueUrl(names.registrationQueue),
    REVOCATION_QUEUE_URL: queueUrl(names.revocationCheckQueue),
    // The sandbox's custom-resource ResponseURLs (CloudFormation's S3 buckets in AWS).
    CFN_RESPONSE_URL_PATTERN: `^http://127\\.0\\.0\\.1:${EDGE_PORT}/_sandbox/cfn-responses/`,
    ROLE_PROPAGATION_RETRY_SECONDS: '5',
  };
}

/**
 * Where customer accounts are: the sandbox (default), or real AWS with GROUNDWORK_TARGET=aws.
 * Then STS, CloudFormation, EC2 and RDS calls (the stacks, and the region reads of plans and stack
 * creation) go to AWS with the caller's own credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID…),
 * assuming GROUNDWORK_SERVICE_ROLE_ARN — a role those credentials may assume and that customer
 * access roles trust; everything else (table, workflows, events) stays local.
 */
export function customerAccountsTarget(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env['GROUNDWORK_TARGET'] !== 'aws') {
    return { AWS_ACCESS_KEY_ID: SERVICE_ACCOUNT, AWS_SECRET_ACCESS_KEY: 'local', SERVICE_ROLE_ARN: arns.serviceRole };
  }
  const serviceRole = env['GROUNDWORK_SERVICE_ROLE_ARN'];
  if (!serviceRole) throw new Error('GROUNDWORK_TARGET=aws needs GROUNDWORK_SERVICE_ROLE_ARN: the role customer access roles trust');
  return {
    AWS_ENDPOINT_URL_STS: `https://sts.${REGION}.amazonaws.com`,
    AWS_ENDPOINT_URL_CLOUDFORMATION: `https://cloudformation.${REGION}.amazonaws.com`,
    AWS_ENDPOINT_URL_EC2: `https://ec2.${REGION}.amazonaws.com`,
    AWS_ENDPOINT_URL_RDS: `https://rds.${REGION}.amazonaws.com`,
    SERVICE_ROLE_ARN: serviceRole,
  };
}
