import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { AccountService } from '../../src/accounts/account-service';
import { DynamoDbAccountStore } from '../../src/accounts/account-store';
import { createAccountRoute } from '../../src/accounts/account-routes';
import { createEventPublisher } from '../../src/events/event-publisher';
import { createLogger } from '../../src/log/logger';
import { DynamoDbCidrRegistry } from '../../src/network/cidr-registry';
import { cidrItemKey } from '../../src/store/table-keys';
import { accountLookup } from '../../src/accounts/account-lookup';
import { createPlanRoute } from '../../src/plans/plan-routes';
import { InMemoryAccountStore } from '../support/in-memory-account-store';
import type { StackPlan } from '../../src/plans/plan-stack';
import { createTestTable } from '../support/dynamodb';
import { apiEvent, lambdaContext } from '../support/lambda';
import { testOnboardingSettings } from '../support/onboarding-settings';
import { sandboxRegionOffers } from '../support/sandbox-region-offers';

let table: Awaited<ReturnType<typeof createTestTable>>;
const eventBridge = new EventBridgeClient({ region: 'us-east-1' });
mockClient(eventBridge).on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
const regions = sandboxRegionOffers();
let routes: { createAccount: ReturnType<typeof createAccountRoute>; plan: ReturnType<typeof createPlanRoute> };

beforeAll(async () => {
  table = await createTestTable();
  const logger = createLogger({ level: 'warn', write: () => undefined });
  const accounts = new AccountService({
    store: new DynamoDbAccountStore(table.dynamo, table.tableName),
    events: createEventPublisher(eventBridge, 'groundwork-test'),
    onboarding: testOnboardingSettings,
    logger,
  });
  const options = { logger, tenantClaim: 'tenant' };
  routes = {
    createAccount: createAccountRoute(accounts, options),
    plan: createPlanRoute({ accounts, cidrs: new DynamoDbCidrRegistry(table.dynamo, table.tableName), regions }, options),
  };
});
afterAll(async () => table.drop());

async function newAccount(tenant: string, awsAccountId: string, regions?: string[]): Promise<string> {
  const body = { awsAccountId, ...(regions === undefined ? {} : { regions }) };
  const response = await routes.createAccount(apiEvent({ method: 'POST', path: '/v1/accounts', tenant, body }), lambdaContext());
  return String((JSON.parse(response.body ?? '{}') as { id: string }).id);
}

async function plan(tenant: string, body: unknown) {
  const response = await routes.plan(apiEvent({ method: 'POST', path: '/v1/plans', tenant, body }), lambdaContext());
  return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') as StackPlan & { errors?: Array<{ field: string; message: string }>; detail?: string; type?: string } };
}

async function holdCidrs(tenant: string, accountId: string, cidrs: string[]) {
  for (let i = 0; i < cidrs.length; i += 25) {
    await table.dynamo.send(
      new BatchWriteCommand({
        RequestItems: {
          [table.tableName]: cidrs.slice(i, i + 25).map((cidr, j) => ({
            PutRequest: { Item: { ...cidrItemKey({ tenantId: tenant, accountId, region: 'us-east-1' }, cidr), stackId: `stk_${i + j}` } },
          })),
        },
      }),
    );
  }
}

describe('POST /v1/plans', () => {
  it('plans the default stack of an account not connected yet without touching AWS: CIDRs, templates, cost, reachability, diagram', async () => {
    const accountId = await newAccount('acme', '123456789012');
    const { status, body } = await plan('acme', { name: 'shop', accountId });

    expect(status).toBe(200);
    // Its region cannot be read before it is connected: no AZs chosen, and the plan says why.
    expect(body.regionCheck).toEqual({ status: 'skipped', reason: expect.stringMatching(/^Account acc_\w+ is AWAITING_CONNECTION: .*POST \/v1\/stacks does both\.$/) });
    expect(body.network.availabilityZones).toBeUndefined();
    expect(regions.asked).toEqual([]);
    expect(body.request).toMatchObject({ name: 'shop', region: 'us-east-1', network: { azCount: 3, nat: 'instance' }, frontend: { type: 'alb' }, bastion: { enabled: false } });
    expect(body.network.vpcCidr).toBe('10.0.0.0/16');
    expect(body.network.subnets).toHaveLength(9);
    expect(body.components.map((c) => c.component)).toEqual(['network', 'nat', 'security', 'secrets', 'database', 'cluster', 'frontend']);
    expect(body.components.find((c) => c.component === 'frontend')?.dependsOn).toEqual(['network', 'security', 'cluster']);
    for (const component of body.components) {
      expect(component.stackName).toBe(`groundwork-plan-${component.component}`);
      expect(Object.keys(component.template.Resources).length).toBeGreaterThan(0);
    }
    expect(body.estimate.total).toBeGreaterThan(0);
    expect(body.estimate.natComparison.savingsInstanceVsGateway).toBeGreaterThan(0);
    expect(body.reachability.violations).toEqual([]);
    expect(body.reachability.summary.length).toBeGreaterThan(0);
    expect(body.reachability.report.flows.length).toBeGreaterThan(0);
    expect(body.diagram.startsWith('flowchart')).toBe(true);
    // A plan never carries a secret value.
    expect(JSON.stringify(body)).not.toMatch(/"(MasterUserPassword|SecretString)"\s*:\s*"[^{]/);
  });

  it('allocates around the blocks the tenant\'s other stacks hold in that account and region', async () => {
    const accountId = await newAccount('acme-cidr', '123456789012');
    await holdCidrs('acme-cidr', accountId, ['10.0.0.0/16', '10.1.0.0/16']);
    const { body } = await plan('acme-cidr', { name: 'shop', accountId });
    expect(body.network.vpcCidr).toBe('10.2.0.0/16');
    // Another tenant's blocks in the same AWS account are theirs, not ours.
    const other = await newAccount('globex-cidr', '123456789012');
    expect((await plan('globex-cidr', { name: 'shop', accountId: other })).body.network.vpcCidr).toBe('10.0.0.0/16');
  });

  it('answers 409 for a requested block that overlaps, and when the range is exhausted', async () => {
    const accountId = await newAccount('acme-full', '123456789012');
    await holdCidrs('acme-full', accountId, ['10.5.0.0/16']);
    const overlap = await plan('acme-full', { name: 'shop', accountId, network: { cidr: '10.5.128.0/17' } });
    expect(overlap.status).toBe(409);
    expect(overlap.body.detail).toContain('10.5.0.0/16');

    await holdCidrs('acme-full', accountId, Array.from({ length: 256 }, (_, i) => `10.${i}.0.0/16`));
    const exhausted = await plan('acme-full', { name: 'shop', accountId });
    expect([exhausted.status, exhausted.body.network?.vpcCidr]).toEqual([409, undefined]);
    expect(exhausted.body.detail).toMatch(/10\.0\.0\.0\/8/);
    expect(exhausted.body.type).toMatch(/^urn:groundwork:problem:/);
  });

  it('shows another tenant\'s account as a 404', async () => {
    const accountId = await newAccount('tenant-a-plan', '123456789012');
    expect((await plan('tenant-b-plan', { name: 'shop', accountId })).status).toBe(404);
  });

  it('plans only in the regions the account lets Groundwork deploy to: a 400 on region naming them', async () => {
    // Prepare
    const accountId = await newAccount('acme-plan-regions', '123456789012', ['eu-west-1', 'eu-central-1']);

    // Act
    const outside = await plan('acme-plan-regions', { name: 'shop', accountId, region: 'us-east-1' });
    const inside = await plan('acme-plan-regions', { name: 'shop', accountId, region: 'eu-central-1' });

    // Assess
    expect(outside.status).toBe(400);
    expect(outside.body.type).toBe('urn:groundwork:problem:validation-failed');
    expect(outside.body.errors).toEqual([{ field: 'region', message: `must be one of the regions account ${accountId} lets Groundwork deploy to: eu-west-1, eu-central-1 (not us-east-1)` }]);
    expect(inside.status).toBe(200);
  });

  it('answers 400 problem+json naming each bad field', async () => {
    const { status, body } = await plan('acme', {
      name: 'Shop!',
      accountId: 'acc_00000000000000000000',
      region: 'moon-1',
      network: { nat: 'sometimes', azCount: 4 },
      compute: null,
      frontend: { type: 'alb' },
      bastion: { enabled: true, allowedCidr: '0.0.0.0/0' },
      colour: 'blue',
    });
    expect(status).toBe(400);
    const fields = (body.errors ?? []).map((e) => e.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['name', 'region', 'network.nat', 'network.azCount', 'colour']));
  });

  it('refuses impossible combinations with a reason per field', async () => {
    const accountId = await newAccount('acme-combo', '123456789012');
    const { status, body } = await plan('acme-combo', {
      name: 'shop',
      accountId,
      compute: null,
      frontend: { type: 'apigateway', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
      network: { nat: 'none', endpoints: false },
      bastion: { enabled: true, allowedCidr: '0.0.0.0/0' },
    });
    expect(status).toBe(400);
    const byField = Object.fromEntries((body.errors ?? []).map((e) => [e.field, e.message]));
    expect(byField['frontend.type']).toMatch(/needs a cluster/);
    expect(byField['frontend.certificateArn']).toMatch(/only used by an alb/);
    expect(byField['network.endpoints']).toMatch(/cannot be turned off/);
    expect(byField['bastion.allowedCidr']).toMatch(/0\.0\.0\.0\/0/);
  });
});

describe('POST /v1/plans against the account\'s region', () => {
  // A connected account: its region is read through its access role (here, the sandbox's data).
  const store = new InMemoryAccountStore();
  const offers = sandboxRegionOffers();
  const route = createPlanRoute({ accounts: accountLookup(store), cidrs: { taken: async () => [] }, regions: offers }, { logger: createLogger({ level: 'warn', write: () => undefined }), tenantClaim: 'tenant' });
  const at = new Date().toISOString();
  const account = {
    id: 'acc_connected00000000000',
    tenantId: 'acme-region',
    awsAccountId: '210987654321',
    name: 'prod',
    status: 'CONNECTED' as const,
    externalId: 'ext-region',
    accessRoleArn: 'arn:aws:iam::210987654321:role/GroundworkAccess-acc_connected00000000000',
    executionRoleArn: 'arn:aws:iam::210987654321:role/GroundworkExecution-acc_connected00000000000',
    registrationTokenHash: 'unused',
    registrationTokenExpiresAt: at,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  store.seed(account);
  const planIn = async (body: Record<string, unknown>) => {
    const response = await route(apiEvent({ method: 'POST', path: '/v1/plans', tenant: account.tenantId, body: { name: 'shop', accountId: account.id, ...body } }), lambdaContext());
    return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') as StackPlan & { errors?: Array<{ field: string; message: string }> } };
  };

  it('chooses the AZs through the access role and records them on the plan, its templates and its diagram', async () => {
    const { status, body } = await planIn({});
    expect(status).toBe(200);
    expect(body.regionCheck).toEqual({ status: 'checked' });
    expect(body.network.availabilityZones).toEqual([
      { name: 'us-east-1a', zoneId: 'use1-az1' },
      { name: 'us-east-1b', zoneId: 'use1-az2' },
      { name: 'us-east-1c', zoneId: 'use1-az4' },
    ]);
    expect(offers.asked.at(-1)).toEqual({ access: { accessRoleArn: account.accessRoleArn, externalId: account.externalId, sessionName: 'groundwork-plan' }, region: 'us-east-1' });
    const network = body.components.find((component) => component.component === 'network');
    expect(network?.parameters['AvailabilityZone2']).toEqual({ kind: 'zone', azIndex: 2 });
    expect(body.diagram).toContain('subgraph az3["AZ 3: us-east-1c (use1-az4)"]');
  });

  it('answers 400 for 3 AZs in us-west-1, naming the 2 AZs it has', async () => {
    const { status, body } = await planIn({ region: 'us-west-1' });
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      { field: 'network.azCount', message: 'us-west-1 has 2 availability zones that offer t4g.nano and t4g.small: us-west-1a, us-west-1c; set azCount to 2' },
    ]);
  });

  it('answers 400 for a PostgreSQL minor RDS no longer creates (the old default, 16.4), and plans the major alone', async () => {
    const retired = await planIn({ database: { version: '16.4' } });
    expect(retired.status).toBe(400);
    expect(retired.body.errors?.map((error) => error.field)).toEqual(['database.version']);
    expect(retired.body.errors?.[0]?.message).toMatch(/^PostgreSQL 16\.4 cannot be created in us-east-1; the versions it can: /);
    const major = await planIn({});
    expect(major.body.request.database?.version).toBe('16');
  });
});
