import { z } from 'zod/v3';

/** The environment contracts of Groundwork's functions (checked at cold start by loadEnv). */
const arn = (service: string) => z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `must be an ${service} ARN`);

export const baseEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  SERVICE_ROLE_ARN: arn('iam'),
  AWS_REGION: z.string().min(1),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export const apiEnvSchema = baseEnvSchema.extend({
  TENANT_CLAIM: z.string().min(1).default('tenant'),
});

/** The plan function reads accounts and VPC blocks: nothing of onboarding. */
export const plansApiEnvSchema = apiEnvSchema;

export const accountsApiEnvSchema = apiEnvSchema.extend({
  ONBOARDING_TEMPLATE_URL: z.string().url(),
  REGISTRATION_TOPIC_ARN: arn('sns'),
  EVENT_BUS_ARN: arn('events'),
});

export const onboardingCallbackEnvSchema = baseEnvSchema.extend({
  /** The function's own timeout: an unanswered claim older than this may be taken over. */
  FUNCTION_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(900).default(60),
  ROLE_PROPAGATION_RETRY_SECONDS: z.coerce.number().int().min(0).max(120).default(30),
  /** A regular expression every ResponseURL must match (default: CloudFormation's response buckets). */
  CFN_RESPONSE_URL_PATTERN: z
    .string()
    .refine((value) => {
      try {
        new RegExp(value);
        return true;
      } catch {
        return false;
      }
    }, 'must be a regular expression')
    .optional(),
});

export const stacksApiEnvSchema = apiEnvSchema.extend({
  PROVISION_STATE_MACHINE_ARN: arn('states'),
  DELETE_STATE_MACHINE_ARN: arn('states'),
});

export const stackWorkflowEnvSchema = baseEnvSchema;

export const stackReconcilerEnvSchema = baseEnvSchema.extend({
  DELETE_STATE_MACHINE_ARN: arn('states'),
});
