/**
 * The option space of a stack request, walked end to end: every combination the template builders
 * must handle (320), as template input with hand-written address plans. The tests build and deploy
 * them all, and the onboarding generator derives from them the resource types Groundwork's
 * templates can contain (emitted-resource-types.ts). Not imported by any Lambda.
 */
import type { NetworkPlan } from '../model/network-plan';
import { NAT_MODES, stackRequestSchema, type NatMode, type StackRequest, type StackRequestInput } from '../model/stack-request';
import { serviceRequestSchemaFor, type ServiceRequest, type ServiceRequestInput } from '../model/service-request';
import type { StackTemplateInput } from './component-template';

/** Hand-written address plans (independent of the CIDR planner), for 2 and 3 AZs of 10.20.0.0/16. */
export const NETWORK_PLANS: Record<2 | 3, NetworkPlan> = {
  2: {
    vpcCidr: '10.20.0.0/16',
    azCount: 2,
    subnets: [
      { tier: 'public', azIndex: 0, cidr: '10.20.192.0/21' },
      { tier: 'public', azIndex: 1, cidr: '10.20.200.0/21' },
      { tier: 'private', azIndex: 0, cidr: '10.20.0.0/18' },
      { tier: 'private', azIndex: 1, cidr: '10.20.64.0/18' },
      { tier: 'isolated', azIndex: 0, cidr: '10.20.224.0/21' },
      { tier: 'isolated', azIndex: 1, cidr: '10.20.232.0/21' },
    ],
  },
  3: {
    vpcCidr: '10.20.0.0/16',
    azCount: 3,
    subnets: [
      { tier: 'public', azIndex: 0, cidr: '10.20.192.0/21' },
      { tier: 'public', azIndex: 1, cidr: '10.20.200.0/21' },
      { tier: 'public', azIndex: 2, cidr: '10.20.208.0/21' },
      { tier: 'private', azIndex: 0, cidr: '10.20.0.0/18' },
      { tier: 'private', azIndex: 1, cidr: '10.20.64.0/18' },
      { tier: 'private', azIndex: 2, cidr: '10.20.128.0/18' },
      { tier: 'isolated', azIndex: 0, cidr: '10.20.224.0/21' },
      { tier: 'isolated', azIndex: 1, cidr: '10.20.232.0/21' },
      { tier: 'isolated', azIndex: 2, cidr: '10.20.240.0/21' },
    ],
  },
};

export const TENANT_ID = 'ten_fixture';
export const STACK_ID = 'stk0123456789abcdef';
export const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666';
export const OPERATORS_CIDR = '203.0.113.0/24';

type Overrides = Omit<StackRequestInput, 'name' | 'accountId'>;

export function request(overrides: Overrides = {}): StackRequest {
  return stackRequestSchema.parse({ name: 'shop', accountId: 'acc_abcdefghij0123456789', ...overrides });
}

export function templateInput(overrides: Overrides = {}): StackTemplateInput {
  const parsed = request(overrides);
  return { request: parsed, network: NETWORK_PLANS[parsed.network.azCount], tenantId: TENANT_ID, stackId: STACK_ID };
}

export interface Combination {
  label: string;
  input: StackTemplateInput;
}

/** One point of the option space that the "every combination" tests walk. */
export interface OptionChoice {
  label: string;
  azCount: 2 | 3;
  nat: NatMode;
  frontend: NonNullable<Overrides['frontend']>;
  database: boolean;
  bastion: boolean;
  compute: boolean;
  endpoints: true | undefined;
}

/**
 * Every option combination a stack request can have: azCount × nat × frontend (alb with and
 * without a certificate, apigateway, none) × database × bastion × compute (off only with no
 * frontend, as the request schema demands) × endpoints (true or left out): 320.
 */
export function optionChoices(): OptionChoice[] {
  const choices: OptionChoice[] = [];
  const frontends = [
    { label: 'alb', value: { type: 'alb' as const } },
    { label: 'alb+tls', value: { type: 'alb' as const, certificateArn: CERTIFICATE_ARN } },
    { label: 'apigateway', value: { type: 'apigateway' as const } },
    { label: 'no-frontend', value: { type: 'none' as const } },
  ];
  for (const azCount of [2, 3] as const)
    for (const nat of NAT_MODES)
      for (const frontend of frontends)
        for (const database of [true, false])
          for (const bastion of [true, false])
            for (const compute of [true, false])
              for (const endpoints of [true, undefined] as const) {
                if (!compute && frontend.value.type !== 'none') continue;
                const label = [
                  `az${azCount}`,
                  `nat-${nat}`,
                  frontend.label,
                  database ? 'db' : 'no-db',
                  bastion ? 'bastion' : 'no-bastion',
                  compute ? 'compute' : 'no-compute',
                  endpoints ? 'endpoints' : 'endpoints-unset',
                ].join(' ');
                choices.push({ label, azCount, nat, frontend: frontend.value, database, bastion, compute, endpoints });
              }
  return choices;
}

/** Every option combination the templates must handle (optionChoices), as template input. */
export function allCombinations(): Combination[] {
  return optionChoices().map(({ label, azCount, nat, frontend, database, bastion, compute, endpoints }) => {
    const overrides: Overrides = {
      network: { azCount, nat, ...(endpoints === undefined ? {} : { endpoints }) },
      // Both architectures of cluster instance: Graviton with 3 AZs, x86_64 with 2 (types the price
      // table prices and the sandbox's region data offers, so every combination plans and deploys).
      compute: compute ? { instanceType: azCount === 3 ? 't4g.small' : 't3.large' } : null,
      frontend,
      database: database ? { multiAz: azCount === 3 } : null,
      bastion: bastion ? { enabled: true, allowedCidr: OPERATORS_CIDR, ...(azCount === 3 ? { keyName: 'ops' } : {}) } : {},
    };
    return { label, input: templateInput(overrides) };
  });
}

/**
 * The service options the service template must handle (issue 13), on every stack combination that
 * has a cluster: with and without autoscaling, with and without the stack's database, a default
 * route and a path route (on an alb frontend), and a secret of the customer's with a JSON key.
 */
export function serviceCombinations(): Array<{ label: string; input: StackTemplateInput; service: ServiceRequest }> {
  const services: Array<{ label: string; service: ServiceRequestInput }> = [
    { label: 'fixed', service: { name: 'web', image: 'public.ecr.aws/nginx/nginx:1.27', database: false } },
    { label: 'autoscaling', service: { name: 'api', image: 'public.ecr.aws/nginx/nginx:1.27', autoscaling: { min: 1, max: 2 }, secrets: { API_KEY: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-AbCdEf:key' } } },
  ];
  return allCombinations().flatMap(({ label, input }) => {
    if (input.request.compute === null) return [];
    return services.map((service) => {
      const routed = input.request.frontend.type === 'alb' && service.label === 'autoscaling' ? { route: { pathPattern: '/api/*', priority: 10 } } : {};
      return { label: `${label} svc-${service.label}`, input, service: serviceRequestSchemaFor(input.request).parse({ ...service.service, ...routed }) };
    });
  });
}
