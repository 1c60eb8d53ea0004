// zod/mini: zod 4's tree-shakable API. Every Lambda bundle carries these schemas: mini adds ~15 KB
// where zod/v3 added ~60 KB and zod 4 classic ~96 KB (docs/decisions/0008).
// Objects take z.prefault, which parses its default as v3's .default() did (nested defaults filled).
import * as z from 'zod/mini';
import { IPV4_CIDR_PATTERN, isVpcPrefix, VPC_SIZE_RULE, writtenPrefixLength } from './cidr';
import { DEFAULT_REGION, regionSchema } from './regions';

/**
 * The one schema of a stack request, shared by `POST /v1/stacks` and `POST /v1/plans`.
 * Defaults are the product promise: three AZs, a NAT instance, an ALB, PostgreSQL, no bastion.
 * Objects are strict: an unknown field is an error, never silently dropped.
 */

export const cidrSchema = z.string().check(z.regex(IPV4_CIDR_PATTERN, 'must be an IPv4 CIDR block such as 10.0.0.0/16'));

export const NAT_MODES = ['instance', 'gateway', 'gateway-per-az', 'none'] as const;
export const FRONTEND_TYPES = ['alb', 'apigateway', 'none'] as const;

const pattern = (regex: RegExp, message: string) => z.string().check(z.regex(regex, message));
const wholeNumber = (min: number, max: number) => z.int().check(z.gte(min), z.lte(max));

export const networkSchema = z.strictObject({
  cidr: z.optional(
    cidrSchema.check(
      z.refine((cidr) => isVpcPrefix(writtenPrefixLength(cidr)), `the VPC block ${VPC_SIZE_RULE}`),
      z.describe('a /16 to /20 block; allocated when absent'),
    ),
  ),
  azCount: z._default(z.union([z.literal(2), z.literal(3)]), 3),
  nat: z._default(z.enum(NAT_MODES), 'instance'),
  /** Interface endpoints (Secrets Manager, ECR, CloudWatch Logs). Always on when nat is none. */
  endpoints: z.optional(z.boolean().check(z.describe('interface endpoints; always on when nat is none'))),
});

export const computeSchema = z.strictObject({
  instanceType: z._default(pattern(/^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as t4g.small'), 't4g.small'),
  min: z._default(wholeNumber(0, 100), 1),
  desired: z._default(wholeNumber(0, 100), 2),
  max: z._default(wholeNumber(1, 100), 4),
  containerPort: z._default(wholeNumber(1, 65535), 8080),
});

export const frontendSchema = z.strictObject({
  type: z._default(z.enum(FRONTEND_TYPES), 'alb'),
  certificateArn: z.optional(pattern(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, 'must be an ACM certificate ARN')),
});

export const databaseSchema = z.strictObject({
  engine: z._default(z.literal('postgres'), 'postgres'),
  /**
   * A major version alone (the default) lets RDS pick its current default minor, so it never names a
   * minor RDS has stopped creating (fidelity review D1); a minor is checked against the region.
   */
  version: z._default(pattern(/^\d{2}(\.\d+)?$/, 'must be a PostgreSQL version: a major such as 16, or a minor such as 16.11'), '16'),
  instanceClass: z._default(pattern(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an RDS instance class such as db.t4g.micro'), 'db.t4g.micro'),
  storageGb: z._default(wholeNumber(20, 16384), 20),
  multiAz: z._default(z.boolean(), false),
  backupRetentionDays: z._default(wholeNumber(0, 35), 7),
});

export const bastionSchema = z.strictObject({
  enabled: z._default(z.boolean(), false),
  allowedCidr: z.optional(cidrSchema.check(z.describe('required when enabled; /16 or narrower'))),
  // An EC2 key pair name: a plain name, never a CloudFormation dynamic reference ({{resolve:…}}).
  keyName: z.optional(pattern(/^[A-Za-z0-9 ._-]{1,255}$/, 'must be an EC2 key pair name (letters, digits, spaces, . _ -)')),
});

export const stackRequestSchema = z
  .strictObject({
    name: pattern(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, 'must be 3–32 lowercase letters, digits or hyphens, starting with a letter'),
    accountId: pattern(/^acc_[a-z0-9]{20}$/, 'must be a Groundwork account id (acc_…)'),
    /** One of the account's regions (checked against the account, not here). */
    region: z._default(regionSchema, DEFAULT_REGION),
    network: z.prefault(networkSchema, {}),
    /** null: no cluster (a network and database only). */
    compute: z.prefault(z.nullable(computeSchema), {}),
    frontend: z.prefault(frontendSchema, {}),
    /** null: no database. */
    database: z.prefault(z.nullable(databaseSchema), {}),
    bastion: z.prefault(bastionSchema, {}),
  })
  .check(
    z.describe('Defaults are the product promise — 3 AZs, a NAT instance, an ALB, PostgreSQL, no bastion.'),
    z.superRefine((request, ctx) => {
      const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message, input: request });
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
    }),
  );

export type StackRequestInput = z.input<typeof stackRequestSchema>;
export type StackRequest = z.output<typeof stackRequestSchema>;
export type NatMode = (typeof NAT_MODES)[number];
export type FrontendType = (typeof FRONTEND_TYPES)[number];

/** Whether interface endpoints are deployed: asked for, or needed because there is no NAT. */
export function wantsEndpoints(request: StackRequest): boolean {
  return request.network.nat === 'none' || request.network.endpoints === true;
}
