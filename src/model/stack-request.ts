// zod's v3 API (shipped in zod 4): a seventh of the v4 classic API's bundle size, which cannot be
// tree-shaken; every Lambda bundle carries these schemas. Its .default() parses the default.
import { z } from 'zod/v3';
import { IPV4_CIDR_PATTERN, isVpcPrefix, VPC_SIZE_RULE, writtenPrefixLength } from './cidr';

/**
 * The one schema of a stack request, shared by `POST /v1/stacks` and `POST /v1/plans`.
 * Defaults are the product promise: three AZs, a NAT instance, an ALB, PostgreSQL, no bastion.
 * Objects are strict: an unknown field is an error, never silently dropped.
 */

export const cidrSchema = z.string().regex(IPV4_CIDR_PATTERN, 'must be an IPv4 CIDR block such as 10.0.0.0/16');

export const NAT_MODES = ['instance', 'gateway', 'gateway-per-az', 'none'] as const;
export const FRONTEND_TYPES = ['alb', 'apigateway', 'none'] as const;

export const networkSchema = z
  .object({
    cidr: cidrSchema.refine((cidr) => isVpcPrefix(writtenPrefixLength(cidr)), `the VPC block ${VPC_SIZE_RULE}`).optional(),
    azCount: z.union([z.literal(2), z.literal(3)]).default(3),
    nat: z.enum(NAT_MODES).default('instance'),
    /** Interface endpoints (Secrets Manager, ECR, CloudWatch Logs). Always on when nat is none. */
    endpoints: z.boolean().optional(),
  })
  .strict();

export const computeSchema = z
  .object({
    instanceType: z.string().regex(/^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as t4g.small').default('t4g.small'),
    min: z.number().int().min(0).max(100).default(1),
    desired: z.number().int().min(0).max(100).default(2),
    max: z.number().int().min(1).max(100).default(4),
    containerPort: z.number().int().min(1).max(65535).default(8080),
  })
  .strict();

export const frontendSchema = z
  .object({
    type: z.enum(FRONTEND_TYPES).default('alb'),
    certificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, 'must be an ACM certificate ARN')
      .optional(),
  })
  .strict();

export const databaseSchema = z
  .object({
    engine: z.literal('postgres').default('postgres'),
    version: z.string().regex(/^\d{2}(\.\d+)?$/, 'must be a PostgreSQL version such as 16.4').default('16.4'),
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an RDS instance class such as db.t4g.micro').default('db.t4g.micro'),
    storageGb: z.number().int().min(20).max(16384).default(20),
    multiAz: z.boolean().default(false),
    backupRetentionDays: z.number().int().min(0).max(35).default(7),
  })
  .strict();

export const bastionSchema = z
  .object({
    enabled: z.boolean().default(false),
    allowedCidr: cidrSchema.optional(),
    // An EC2 key pair name: a plain name, never a CloudFormation dynamic reference ({{resolve:…}}).
    keyName: z.string().regex(/^[A-Za-z0-9 ._-]{1,255}$/, 'must be an EC2 key pair name (letters, digits, spaces, . _ -)').optional(),
  })
  .strict();

export const stackRequestSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, 'must be 3–32 lowercase letters, digits or hyphens, starting with a letter'),
    accountId: z.string().regex(/^acc_[a-z0-9]{20}$/, 'must be a Groundwork account id (acc_…)'),
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as us-east-1').default('us-east-1'),
    network: networkSchema.default({}),
    /** null: no cluster (a network and database only). */
    compute: computeSchema.nullable().default({}),
    frontend: frontendSchema.default({}),
    /** null: no database. */
    database: databaseSchema.nullable().default({}),
    bastion: bastionSchema.default({}),
  })
  .strict()
  .superRefine((request, ctx) => {
    const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
    const { compute, frontend, network, bastion, database } = request;

    if (compute) {
      if (compute.min > compute.desired) issue(['compute', 'min'], 'must not exceed desired');
      if (compute.desired > compute.max) issue(['compute', 'desired'], 'must not exceed max');
    }
    if (frontend.type !== 'none' && compute === null) {
      issue(['frontend', 'type'], `a ${frontend.type} frontend needs a cluster to send traffic to; set frontend.type to none or add compute`);
    }
    if (frontend.certificateArn !== undefined && frontend.type !== 'alb') {
      issue(['frontend', 'certificateArn'], 'a certificate is only used by an alb frontend');
    }
    if (network.nat === 'none' && network.endpoints === false) {
      issue(['network', 'endpoints'], 'with nat none, containers reach ECR, Secrets Manager and CloudWatch Logs only through endpoints; they cannot be turned off');
    }
    if (database?.multiAz && network.azCount < 2) {
      issue(['database', 'multiAz'], 'needs at least two AZs');
    }
    if (bastion.enabled) {
      if (bastion.allowedCidr === undefined) {
        issue(['bastion', 'allowedCidr'], 'is required when the bastion is enabled: the CIDR your operators connect from');
      } else if (writtenPrefixLength(bastion.allowedCidr) < 16) {
        issue(['bastion', 'allowedCidr'], 'must be /16 or narrower: a bastion open to the internet (such as 0.0.0.0/0) is refused');
      }
    } else if (bastion.allowedCidr !== undefined || bastion.keyName !== undefined) {
      issue(['bastion', 'enabled'], 'bastion settings were given but the bastion is not enabled');
    }
  });

export type StackRequestInput = z.input<typeof stackRequestSchema>;
export type StackRequest = z.output<typeof stackRequestSchema>;
export type NatMode = (typeof NAT_MODES)[number];
export type FrontendType = (typeof FRONTEND_TYPES)[number];

/** Whether interface endpoints are deployed: asked for, or needed because there is no NAT. */
export function wantsEndpoints(request: StackRequest): boolean {
  return request.network.nat === 'none' || request.network.endpoints === true;
}
