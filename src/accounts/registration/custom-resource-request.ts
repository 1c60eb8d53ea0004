// zod/mini, as a namespace: the tree-shakable zod 4 (docs/decisions/0008).
import * as z from 'zod/mini';

/**
 * The CloudFormation custom-resource request, as CloudFormation publishes it to our SNS topic.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
 */
export const customResourceRequestSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url(),
  StackId: z.string().check(z.regex(/^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[^/]+\/.+$/)),
  RequestId: z.string().check(z.minLength(1), z.maxLength(256)),
  ResourceType: z.string().check(z.minLength(1)),
  LogicalResourceId: z.string().check(z.minLength(1)),
  PhysicalResourceId: z.optional(z.string().check(z.minLength(1))),
  ResourceProperties: z._default(z.record(z.string(), z.unknown()), {}),
  OldResourceProperties: z.optional(z.record(z.string(), z.unknown())),
});
export type CustomResourceRequest = z.output<typeof customResourceRequestSchema>;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const INSTANCE_PROFILE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:instance-profile\/[\w+=,.@-]+$/;

/** What cfn/onboarding-role.yaml passes to Custom::GroundworkRegistration. */
export const registrationPropertiesSchema = z.object({
  ServiceToken: z.optional(z.string()),
  GroundworkAccountId: z.string().check(z.regex(/^acc_[a-z0-9]{20}$/)),
  RegistrationToken: z.string().check(z.minLength(1), z.maxLength(200)),
  AccessRoleArn: z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/)),
  ExecutionRoleArn: z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/)),
  /**
   * Sent by onboarding templates before decision 0009 (the boundary is gone); ignored. Templates
   * before decision 0012 also send `EventForwarding` (the forwarding rule, removed): unknown
   * properties are dropped by the parse, so those stacks still register.
   */
  PermissionsBoundaryArn: z.optional(z.string()),
  /**
   * The fixed roles (decision 0009). Optional so that a stack launched from an older template still
   * connects; its account is then reported outdated, and a component needing a role fails saying so.
   */
  NatInstanceProfileArn: z.optional(z.string().check(z.regex(INSTANCE_PROFILE_ARN))),
  ContainerInstanceProfileArn: z.optional(z.string().check(z.regex(INSTANCE_PROFILE_ARN))),
  BastionInstanceProfileArn: z.optional(z.string().check(z.regex(INSTANCE_PROFILE_ARN))),
  TaskExecutionRoleArn: z.optional(z.string().check(z.regex(ROLE_ARN))),
  /** The onboarding template's version (src/accounts/onboarding-template-version.ts); absent before versions existed. */
  TemplateVersion: z.optional(z.string().check(z.regex(/^\d{1,6}$/))),
});
export type RegistrationProperties = z.output<typeof registrationPropertiesSchema>;

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/** The 12-digit account in an ARN (`arn:partition:service:region:account:…`). */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** Reasons are shown in the customer's console; CloudFormation caps the whole response at 4 KB. */
export function boundedReason(reason: string): string {
  return reason.length <= 1000 ? reason : `${reason.slice(0, 997)}...`;
}
