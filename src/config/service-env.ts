import * as z from 'zod/mini';
import { DEFAULT_TENANT_LIMITS } from '../model/tenant-limits';

/** The environment contracts of Groundwork's functions (checked at cold start by loadEnv). */
const arn = (service: string) => z.string().check(z.regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `must be an ${service} ARN`));
const nonEmpty = () => z.string().check(z.minLength(1));
/** A whole number of seconds from the environment (a string there), within bounds. */
const seconds = (min: number, max: number, fallback: number) => z._default(z.coerce.number().check(z.int(), z.gte(min), z.lte(max)), fallback);
/** A per-tenant cap (decision 0011, L4): a whole number of at least 1. */
const cap = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.gte(1)), fallback);

export const baseEnvSchema = z.object({
  TABLE_NAME: nonEmpty(),
  EVENT_BUS_NAME: nonEmpty(),
  SERVICE_ROLE_ARN: arn('iam'),
  AWS_REGION: nonEmpty(),
  LOG_LEVEL: z._default(z.enum(['debug', 'info', 'warn', 'error']), 'info'),
});

export const apiEnvSchema = z.extend(baseEnvSchema, {
  TENANT_CLAIM: z._default(nonEmpty(), 'tenant'),
});

/** The plan function reads accounts and VPC blocks: nothing of onboarding. */
export const plansApiEnvSchema = apiEnvSchema;

export const accountsApiEnvSchema = z.extend(apiEnvSchema, {
  ONBOARDING_TEMPLATE_URL: z.url(),
  REGISTRATION_TOPIC_ARN: arn('sns'),
  MAX_ACCOUNTS_PER_TENANT: cap(DEFAULT_TENANT_LIMITS.accounts),
});

/**
 * For the local sandbox only, whose CloudFormation answers on loopback: a regular expression every
 * ResponseURL must match. Unset (as serverless.yml leaves it, a test holds that), only the
 * stage region's CloudFormation response bucket is called (cloudformation-response-url.ts).
 */
const responseUrlPattern = () =>
  z.optional(
    z.string().check(
      z.refine((value) => {
        try {
          new RegExp(value);
          return true;
        } catch {
          return false;
        }
      }, 'must be a regular expression'),
    ),
  );

/**
 * The first stage of the onboarding callback, fed by the open registration topic (decision 0012):
 * the table (only the registration binding and its request records), the queue to the worker.
 * No service role, no event bus: it can neither reach a customer account nor announce anything.
 */
export const onboardingCallbackEnvSchema = z.object({
  TABLE_NAME: nonEmpty(),
  AWS_REGION: nonEmpty(),
  LOG_LEVEL: baseEnvSchema.shape.LOG_LEVEL,
  REGISTRATION_QUEUE_URL: z.url(),
  /** The function's own timeout: an unanswered claim older than this may be taken over. */
  FUNCTION_TIMEOUT_SECONDS: seconds(10, 900, 15),
  CFN_RESPONSE_URL_PATTERN: responseUrlPattern(),
});

/** The onboarding worker: fed only by the registration queue (and its own revocation checks). */
export const onboardingWorkerEnvSchema = z.extend(baseEnvSchema, {
  /** The function's own timeout: work taken but unanswered for longer may be taken over. */
  FUNCTION_TIMEOUT_SECONDS: seconds(10, 900, 60),
  ROLE_PROPAGATION_RETRY_SECONDS: seconds(0, 120, 30),
  REVOCATION_QUEUE_URL: z.url(),
  CFN_RESPONSE_URL_PATTERN: responseUrlPattern(),
});

export const stacksApiEnvSchema = z.extend(apiEnvSchema, {
  PROVISION_STATE_MACHINE_ARN: arn('states'),
  DELETE_STATE_MACHINE_ARN: arn('states'),
  MAX_LIVE_STACKS_PER_TENANT: cap(DEFAULT_TENANT_LIMITS.liveStacks),
});

export const stackWorkflowEnvSchema = baseEnvSchema;

export const stackReconcilerEnvSchema = z.extend(baseEnvSchema, {
  DELETE_STATE_MACHINE_ARN: arn('states'),
});
