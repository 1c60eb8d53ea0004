import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { UnknownPriceError } from '../../src/cost/errors';
import type { CostEstimate } from '../../src/cost/estimate-cost';
import { DEPLOYMENT_ASSUMPTIONS, estimateMonthlyCost } from '../../src/cost/estimate-cost';
import type { Price } from '../../src/cost/price-table';
import { PRICE_TABLE } from '../../src/cost/price-table';
import { GroundworkError } from '../../src/errors';
import { componentsFor } from '../../src/model/components';
import { buildClusterTemplate } from '../../src/templates/cluster';
import { INTERFACE_ENDPOINT_SERVICES } from '../../src/templates/endpoints';
import { templateInput } from '../templates/fixtures';
import { props, resourcesOfType } from '../templates/template-queries';
import type { StackRequestInput } from '../../src/model/stack-request';
import { NAT_MODES, stackRequestSchema } from '../../src/model/stack-request';

const BASE = { name: 'shop', accountId: 'acc_abcdefghij0123456789' } as const;

function requestWith(overrides: Partial<StackRequestInput> = {}) {
  return stackRequestSchema.parse({ ...BASE, ...overrides });
}

const isPrice = (value: unknown): value is Price => typeof value === 'object' && value !== null && 'usd' in value && 'source' in value;
const cents = (amount: number) => Math.round(amount * 100);
const componentOf = (estimate: CostEstimate, name: string) => estimate.components.find((component) => component.component === name);
const itemOf = (estimate: CostEstimate, name: string, description: RegExp) =>
  componentOf(estimate, name)?.items.find((item) => description.test(item.description));

describe('the price table', () => {
  const allPrices = (): Array<[string, Price]> => [
    ...Object.entries(PRICE_TABLE.ec2Hourly),
    ...Object.entries(PRICE_TABLE.rdsPostgresSingleAzHourly),
    ...Object.entries<unknown>(PRICE_TABLE).filter((entry): entry is [string, Price] => isPrice(entry[1])),
  ];

  it('is dated, for us-east-1, and names an AWS pricing page for every price', () => {
    expect(PRICE_TABLE.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICE_TABLE.region).toBe('us-east-1');
    expect(allPrices().length).toBeGreaterThan(30);
    for (const [, price] of allPrices()) {
      expect(price.usd).toBeGreaterThan(0);
      expect(price.source).toMatch(/pricing \(aws\.amazon\.com\/[a-z0-9-/]+pricing\/[a-z-/]*\)/);
    }
  });

  it('says for every price what was found, and marks the ones nothing confirmed as UNVERIFIED', () => {
    for (const [name, price] of allPrices()) {
      if (price.check === 'corroborated') {
        // At least one place that states the figure.
        expect({ name, evidence: price.evidence.length > 0 }).toEqual({ name, evidence: true });
        expect(price.source).not.toMatch(/UNVERIFIED/);
      } else {
        expect(price.check).toBe('unverified');
        expect({ name, source: price.source }).toEqual({ name, source: expect.stringMatching(/UNVERIFIED: \S/) });
      }
      // Each entry starts with where it was read: an address, or a repository's owner/name.
      for (const entry of price.evidence) expect(entry).toMatch(/^[\w.-]+\.[a-z]+[/ ,]|^[\w-]+\/[\w-]+, /);
    }
    const unverified = allPrices().filter(([, price]) => price.check === 'unverified').map(([name]) => name);
    expect(unverified.sort()).toEqual(['cloudMapRegisteredResourceMonth', 'db.m7g.large', 'db.t3.medium', 'db.t3.micro', 'db.t3.small', 'rdsSurplusCpuCreditVcpuHour']);
  });

  it('prices EC2 sizes within a family in proportion to size, as AWS does for these families (catches a mistyped figure)', () => {
    const sizeFactor: Record<string, number> = { nano: 0.25, micro: 0.5, small: 1, medium: 2, large: 4, xlarge: 8 };
    const byFamily = new Map<string, Array<{ type: string; perSmall: number }>>();
    for (const [type, price] of Object.entries(PRICE_TABLE.ec2Hourly)) {
      const [family, size] = type.split('.') as [string, string];
      const factor = sizeFactor[size];
      if (factor === undefined) throw new Error(`no size factor for ${type}`);
      byFamily.set(family, [...(byFamily.get(family) ?? []), { type, perSmall: price.usd / factor }]);
    }
    for (const [family, sizes] of byFamily) {
      const first = sizes[0]?.perSmall ?? 0;
      for (const { type, perSmall } of sizes) expect({ family, type, perSmall: Number(perSmall.toFixed(6)) }).toEqual({ family, type, perSmall: Number(first.toFixed(6)) });
    }
  });

  it('prices every default of the schema and every type Groundwork picks itself', () => {
    const defaults = requestWith({ bastion: { enabled: true, allowedCidr: '203.0.113.0/24' } });

    expect(Object.keys(PRICE_TABLE.ec2Hourly)).toEqual(
      expect.arrayContaining([defaults.compute?.instanceType, DEPLOYMENT_ASSUMPTIONS.natInstanceType, DEPLOYMENT_ASSUMPTIONS.bastionInstanceType]),
    );
    expect(Object.keys(PRICE_TABLE.rdsPostgresSingleAzHourly)).toContain(defaults.database?.instanceClass);
    expect(() => estimateMonthlyCost(defaults)).not.toThrow();
  });
});

describe('estimateMonthlyCost', () => {
  it('estimates the default stack: every deployed component, in USD, at 730 hours a month', () => {
    // Prepare
    const request = requestWith();

    // Act
    const estimate = estimateMonthlyCost(request);

    // Assess
    expect(estimate).toMatchObject({ currency: 'USD', region: 'us-east-1', priceTableDate: PRICE_TABLE.date, hoursPerMonth: 730 });
    expect(estimate.components.map((component) => component.component)).toEqual(componentsFor(request));
    expect(itemOf(estimate, 'cluster', /t4g\.small/)).toMatchObject({ quantity: 2 * 730, unitPrice: 0.0168, monthly: 24.53 });
    expect(itemOf(estimate, 'database', /db\.t4g\.micro/)).toMatchObject({ quantity: 730, unitPrice: 0.016, monthly: 11.68 });
    expect(itemOf(estimate, 'nat', /NAT instance t4g\.nano/)).toMatchObject({ quantity: 730, monthly: 3.07 });
    expect(estimate.total).toBeGreaterThan(50);
    expect(estimate.assumptions.some((text) => text.includes('us-east-1') && text.includes(PRICE_TABLE.date))).toBe(true);
  });

  it('shows that the NAT instance is cheaper than a NAT gateway, and by how much', () => {
    const onInstance = estimateMonthlyCost(requestWith({ network: { nat: 'instance' } }));
    const onGateway = estimateMonthlyCost(requestWith({ network: { nat: 'gateway' } }));
    const { natComparison } = onInstance;

    expect(natComparison.instance).toBeLessThan(natComparison.gateway);
    expect(cents(natComparison.savingsInstanceVsGateway)).toBe(cents(natComparison.gateway) - cents(natComparison.instance));
    expect(natComparison.savingsInstanceVsGateway).toBeGreaterThan(30);
    // The comparison agrees with what each choice's own nat component costs …
    expect(componentOf(onInstance, 'nat')?.monthly).toBe(natComparison.instance);
    expect(componentOf(onGateway, 'nat')?.monthly).toBe(natComparison.gateway);
    // … and the same comparison is shown whichever mode was asked for.
    expect(onGateway.natComparison).toEqual(natComparison);
    // Choosing the gateway moves the total by exactly the saving.
    expect(cents(onGateway.total) - cents(onInstance.total)).toBe(cents(natComparison.savingsInstanceVsGateway));
  });

  it.each([2, 3] as const)('with a gateway per AZ, pays %i × the gateway hours and public addresses', (azCount) => {
    const single = estimateMonthlyCost(requestWith({ network: { nat: 'gateway', azCount } }));
    const perAz = estimateMonthlyCost(requestWith({ network: { nat: 'gateway-per-az', azCount } }));

    const singleHours = itemOf(single, 'nat', /^NAT gateway ×/);
    const perAzHours = itemOf(perAz, 'nat', /^NAT gateway ×/);
    expect(singleHours?.quantity).toBe(730);
    expect(perAzHours?.quantity).toBe(azCount * 730);
    expect(perAzHours?.monthly).toBeCloseTo(azCount * (singleHours?.monthly ?? 0), 1);
    // Data processed is the same traffic whichever number of gateways carries it.
    expect(itemOf(perAz, 'nat', /data processed/)).toEqual(itemOf(single, 'nat', /data processed/));
    expect(perAz.natComparison.gatewayPerAz).toBe(componentOf(perAz, 'nat')?.monthly);
    expect(perAz.natComparison.gatewayPerAz).toBeGreaterThan(perAz.natComparison.gateway);
  });

  it.each([2, 3] as const)('shows every NAT option side by side, none priced at what its %i-AZ endpoints cost', (azCount) => {
    const endpointCount = INTERFACE_ENDPOINT_SERVICES.length;
    const onInstance = estimateMonthlyCost(requestWith({ network: { nat: 'instance', azCount } }));
    const withoutNat = estimateMonthlyCost(requestWith({ network: { nat: 'none', azCount } }));

    // Every interface endpoint in every AZ all month, plus the 20 GB a month they process.
    const endpointsMonthly = (endpointCount * azCount * 730 * 0.01 * 100 + 20 * 0.01 * 100) / 100;
    expect(onInstance.natComparison.none).toBe(endpointsMonthly);
    // The same figure as the endpoints component of a stack that chooses none, and the same whichever mode asked.
    expect(componentOf(withoutNat, 'endpoints')?.monthly).toBe(onInstance.natComparison.none);
    expect(withoutNat.natComparison).toEqual(onInstance.natComparison);
    // With eight endpoints, "none" costs more than every NAT, three gateways included.
    const { instance, gateway, gatewayPerAz, none } = onInstance.natComparison;
    expect(Math.max(instance, gateway, gatewayPerAz)).toBeLessThan(none);
    expect(onInstance.assumptions.join('\n')).toMatch(/"none" is not free: it needs the 8 interface endpoints in every AZ/);
  });

  it('with no NAT, charges nothing for NAT and pays for interface endpoints instead', () => {
    const withoutNat = estimateMonthlyCost(requestWith({ network: { nat: 'none', azCount: 3 } }));

    expect(componentOf(withoutNat, 'nat')).toBeUndefined();
    const allItems = withoutNat.components.flatMap((component) => component.items);
    expect(allItems.filter((item) => /NAT/.test(item.description))).toEqual([]);
    const endpoints = componentOf(withoutNat, 'endpoints');
    expect(endpoints?.monthly).toBeGreaterThan(0);
    // Every interface endpoint the template builds, one ENI in each of three AZs, all month.
    const endpointCount = INTERFACE_ENDPOINT_SERVICES.length;
    expect(itemOf(withoutNat, 'endpoints', /Interface endpoints ×/)).toMatchObject({
      quantity: endpointCount * 3 * 730,
      unitPrice: 0.01,
      monthly: (endpointCount * 3 * 730) / 100,
    });
    // Without NAT the endpoints cost more a month than the default NAT instance would have.
    expect(endpoints?.monthly).toBeGreaterThan(withoutNat.natComparison.instance);
    expect(withoutNat.assumptions.some((text) => /GB a month processed through them/.test(text))).toBe(true);
  });

  it('doubles the database instance and storage cost for Multi-AZ', () => {
    const single = estimateMonthlyCost(requestWith({ database: { instanceClass: 'db.t4g.medium', multiAz: false, storageGb: 100 } }));
    const multi = estimateMonthlyCost(requestWith({ database: { instanceClass: 'db.t4g.medium', multiAz: true, storageGb: 100 } }));

    const instance = (estimate: CostEstimate) => itemOf(estimate, 'database', /RDS PostgreSQL/);
    const storage = (estimate: CostEstimate) => itemOf(estimate, 'database', /RDS storage/);
    expect(instance(multi)?.unitPrice).toBeCloseTo(2 * (instance(single)?.unitPrice ?? 0), 10);
    expect(cents(instance(multi)?.monthly ?? 0)).toBe(2 * cents(instance(single)?.monthly ?? 0));
    expect(cents(storage(multi)?.monthly ?? 0)).toBe(2 * cents(storage(single)?.monthly ?? 0));
    expect(instance(multi)?.description).toMatch(/Multi-AZ/);
  });

  it('prices an API Gateway frontend by requests, not an ALB', () => {
    const estimate = estimateMonthlyCost(requestWith({ frontend: { type: 'apigateway' } }), { apiMillionRequestsPerMonth: 12 });

    const frontend = componentOf(estimate, 'frontend');
    expect(frontend?.items.some((item) => /Load Balancer|ALB/.test(item.description))).toBe(false);
    expect(itemOf(estimate, 'frontend', /HTTP API requests/)).toMatchObject({ quantity: 12, unitPrice: 1, monthly: 12 });
    // The Cloud Map namespace the frontend template creates is a private DNS namespace: a hosted zone.
    expect(itemOf(estimate, 'frontend', /hosted zone/)).toMatchObject({ quantity: 1, unitPrice: 0.5, monthly: 0.5 });
    expect(itemOf(estimate, 'frontend', /Cloud Map registered/)).toMatchObject({ quantity: 2, monthly: 0.2 });
    expect(estimate.assumptions.some((text) => text.includes('12 million requests a month'))).toBe(true);
  });

  it('states every traffic assumption, and the figures follow them', () => {
    const base = estimateMonthlyCost(requestWith({ network: { nat: 'gateway' } }));
    const busier = estimateMonthlyCost(requestWith({ network: { nat: 'gateway' } }), { natGbPerMonth: 1000, albLcuPerHour: 3, logsGbPerMonth: 50 });

    expect(base.assumptions.join('\n')).toMatch(/100 GB a month processed/);
    expect(base.assumptions.join('\n')).toMatch(/1 LCU on average/);
    expect(base.assumptions.join('\n')).toMatch(/5 GB of container logs/);
    expect(busier.assumptions.join('\n')).toMatch(/1000 GB a month processed/);
    expect(itemOf(busier, 'nat', /data processed/)?.monthly).toBe(45);
    expect(itemOf(busier, 'frontend', /capacity units/)?.quantity).toBe(3 * 730);
    expect(busier.total).toBeGreaterThan(base.total);
  });

  it('says which of the prices it used no public source confirmed, and only those', () => {
    const unconfirmed = (estimate: CostEstimate) => estimate.assumptions.filter((text) => /could not be confirmed/.test(text));

    const onDefaults = estimateMonthlyCost(requestWith());
    const onUnverified = estimateMonthlyCost(requestWith({ database: { instanceClass: 'db.t3.medium' }, frontend: { type: 'apigateway' } }));

    expect(PRICE_TABLE.rdsPostgresSingleAzHourly['db.t4g.micro']?.check).toBe('corroborated');
    expect(unconfirmed(onDefaults)).toEqual([]);
    expect(unconfirmed(onUnverified)).toEqual([expect.stringContaining('db.t3.medium'), expect.stringContaining('Cloud Map')]);
    // The figure is still used: unverified prices are kept, not dropped.
    expect(itemOf(onUnverified, 'database', /db\.t3\.medium/)?.unitPrice).toBe(PRICE_TABLE.rdsPostgresSingleAzHourly['db.t3.medium']?.usd);
  });

  it('estimates other regions with us-east-1 prices and says so', () => {
    const estimate = estimateMonthlyCost(requestWith({ region: 'eu-west-1' }));
    const home = estimateMonthlyCost(requestWith());

    expect(estimate.region).toBe('eu-west-1');
    expect(estimate.total).toBe(home.total);
    expect(estimate.assumptions.some((text) => text.includes('us-east-1 prices') && text.includes('eu-west-1'))).toBe(true);
    expect(home.assumptions.some((text) => text.includes('no price table for'))).toBe(false);
  });

  it('refuses an instance type or DB class it has no price for: 422 naming the field and the known types', () => {
    const unknownInstance = () => estimateMonthlyCost(requestWith({ compute: { instanceType: 'x2iedn.32xlarge' } }));
    const unknownClass = () => estimateMonthlyCost(requestWith({ database: { instanceClass: 'db.r7g.16xlarge' } }));

    for (const [act, field, known] of [
      [unknownInstance, 'compute.instanceType', 't4g.small'],
      [unknownClass, 'database.instanceClass', 'db.t4g.micro'],
    ] as const) {
      expect(act).toThrow(UnknownPriceError);
      let thrown: unknown;
      try {
        act();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(GroundworkError);
      expect(thrown).toMatchObject({ status: 422, code: 'unknown-price', name: 'UnknownPriceError', field });
      expect((thrown as Error).message).toContain(field);
      expect((thrown as Error).message).toContain(known);
    }
  });

  it('for any option combination: items are quantity × unit price to the cent, components and total are their exact sums', () => {
    const option = fc.record({
      nat: fc.constantFrom(...NAT_MODES),
      azCount: fc.constantFrom<2 | 3>(2, 3),
      endpoints: fc.boolean(),
      compute: fc.option(
        fc.record({
          instanceType: fc.constantFrom(...Object.keys(PRICE_TABLE.ec2Hourly)),
          desired: fc.integer({ min: 0, max: 20 }),
        }),
      ),
      frontend: fc.constantFrom('alb', 'apigateway', 'none'),
      database: fc.option(
        fc.record({
          instanceClass: fc.constantFrom(...Object.keys(PRICE_TABLE.rdsPostgresSingleAzHourly)),
          storageGb: fc.integer({ min: 20, max: 2000 }),
          multiAz: fc.boolean(),
        }),
      ),
      bastion: fc.boolean(),
      natGbPerMonth: fc.integer({ min: 0, max: 50_000 }),
      albLcuPerHour: fc.double({ min: 0, max: 50, noNaN: true }),
    });

    fc.assert(
      fc.property(option, (o) => {
        const parsed = stackRequestSchema.safeParse({
          ...BASE,
          network: { nat: o.nat, azCount: o.azCount, endpoints: o.nat === 'none' ? true : o.endpoints },
          compute: o.compute === null ? null : { instanceType: o.compute.instanceType, min: 0, desired: o.compute.desired, max: 20 },
          frontend: { type: o.compute === null ? 'none' : o.frontend },
          database: o.database,
          bastion: o.bastion ? { enabled: true, allowedCidr: '198.51.100.0/24' } : { enabled: false },
        });
        if (!parsed.success) throw new Error(`generator built an invalid request: ${parsed.error.message}`);

        const estimate = estimateMonthlyCost(parsed.data, { natGbPerMonth: o.natGbPerMonth, albLcuPerHour: o.albLcuPerHour });

        expect(estimate.components.map((component) => component.component)).toEqual(componentsFor(parsed.data));
        for (const component of estimate.components) {
          for (const item of component.items) {
            expect(cents(item.monthly)).toBe(Math.round(Number((item.quantity * item.unitPrice * 100).toFixed(6))));
            expect(item.monthly).toBeGreaterThanOrEqual(0);
          }
          expect(cents(component.monthly)).toBe(component.items.reduce((sum, item) => sum + cents(item.monthly), 0));
        }
        expect(cents(estimate.total)).toBe(estimate.components.reduce((sum, component) => sum + cents(component.monthly), 0));
        expect(estimate.natComparison.instance).toBeLessThan(estimate.natComparison.gateway);
        expect(estimate.natComparison.gateway).toBeLessThan(estimate.natComparison.gatewayPerAz);
        if (o.nat === 'none') expect(componentOf(estimate, 'endpoints')?.monthly).toBe(estimate.natComparison.none);
      }),
      { numRuns: 300 },
    );
  });
});

describe('what AWS adds to a stack with compute', () => {
  const CI = DEPLOYMENT_ASSUMPTIONS.containerInsights;

  it('prices Container Insights: custom metrics per cluster, service and task family, and its performance logs', () => {
    const estimate = estimateMonthlyCost(requestWith());

    // 11 cluster metrics + (13 service + 8 task-family) for the one service assumed, at $0.30 each.
    expect(itemOf(estimate, 'cluster', /^Container Insights metrics/)).toMatchObject({ quantity: 32, unit: 'metric-month', unitPrice: 0.3, monthly: 9.6 });
    // Each minute: the cluster, the service, and a task and a container event for each of the 2 tasks, at most 1.5 KiB each.
    const ingested = itemOf(estimate, 'cluster', /performance log ingestion/);
    expect(ingested).toMatchObject({ quantity: Math.round(((6 * 60 * 730 * 1.5) / 1024 / 1024) * 1000) / 1000, unitPrice: 0.5 });
    expect(itemOf(estimate, 'cluster', /performance log storage \(30-day retention\)/)).toMatchObject({ unit: 'GB-month', unitPrice: 0.03 });
    expect(estimate.assumptions.join('\n')).toMatch(/Container Insights \(on for the cluster\): 32 custom metrics/);
  });

  it('counts the metrics and events of every service the customer says it runs', () => {
    const threeServices = estimateMonthlyCost(requestWith({ compute: { desired: 4, max: 4 } }), { ecsServices: 3 });

    expect(itemOf(threeServices, 'cluster', /^Container Insights metrics/)?.quantity).toBe(11 + 3 * (13 + 8));
    // 1 cluster + 3 services + 2 × 4 tasks events a minute.
    expect(threeServices.assumptions.join('\n')).toMatch(/Performance log events: 12 a minute/);
  });

  it('prices the two CloudWatch alarms of the capacity provider\'s managed scaling', () => {
    const estimate = estimateMonthlyCost(requestWith());
    expect(itemOf(estimate, 'cluster', /managed-scaling/i)).toMatchObject({ quantity: 2, unit: 'alarm-month', unitPrice: 0.1, monthly: 0.2 });
  });

  it('adds none of it to a stack without compute', () => {
    const estimate = estimateMonthlyCost(requestWith({ compute: null, frontend: { type: 'none' } }));
    const items = estimate.components.flatMap((component) => component.items);
    expect(items.filter((item) => /Container Insights|alarm/i.test(item.description))).toEqual([]);
  });

  it('rests on what the cluster template really deploys: Container Insights on, its log retention, one capacity provider with managed scaling', () => {
    const { template } = buildClusterTemplate(templateInput());

    const [, cluster] = resourcesOfType(template, 'AWS::ECS::Cluster')[0] ?? [];
    expect(cluster?.Properties?.['ClusterSettings']).toEqual([{ Name: 'containerInsights', Value: 'enabled' }]);
    expect(props(template, 'ContainerInsightsLogGroup')['RetentionInDays']).toBe(CI.retentionDays);
    const providers = resourcesOfType(template, 'AWS::ECS::CapacityProvider');
    expect(providers.map(([, provider]) => (provider.Properties?.['AutoScalingGroupProvider'] as { ManagedScaling?: { Status?: string } }).ManagedScaling?.Status)).toEqual(['ENABLED']);
  });
});

describe('burstable CPU credits', () => {
  const assumption = (estimate: CostEstimate, subject: RegExp) => estimate.assumptions.find((text) => subject.test(text)) ?? '';

  it('says the bastion runs in standard mode, which caps its cost', () => {
    const estimate = estimateMonthlyCost(requestWith({ bastion: { enabled: true, allowedCidr: '203.0.113.0/24' } }));
    expect(assumption(estimate, /^Bastion:/)).toMatch(/standard CPU credit mode \(the template sets it\): above its baseline it slows down instead of billing surplus credits/);
  });

  it('says which mode the NAT and container instances run in, and nothing for a type without credits', () => {
    const burstable = estimateMonthlyCost(requestWith({ compute: { instanceType: 't4g.small' } }));
    const steady = estimateMonthlyCost(requestWith({ compute: { instanceType: 'm7g.large' } }));

    expect(assumption(burstable, /^NAT instance:/)).toMatch(/in (standard|unlimited) CPU credit mode/);
    expect(assumption(burstable, /^ECS:/)).toMatch(/in (standard|unlimited) CPU credit mode/);
    expect(assumption(steady, /^ECS:/)).not.toMatch(/credit/);
  });

  it('states the RDS burstable risk it cannot cap: Unlimited mode only, and what sustained CPU above baseline costs', () => {
    const burstable = estimateMonthlyCost(requestWith({ database: { instanceClass: 'db.t4g.micro' } }));
    const steady = estimateMonthlyCost(requestWith({ database: { instanceClass: 'db.m7g.large' } }));

    // 10 percentage points above baseline, one vCPU, all month: 0.1 × 730 h × $0.075.
    expect(assumption(burstable, /^RDS CPU credits:/)).toMatch(/db\.t4g\.micro always runs in Unlimited mode .* \$0\.075 per vCPU-hour .* adds about \$5\.48\. Not included/);
    expect(assumption(steady, /^RDS CPU credits:/)).toBe('');
    // A risk stated, not a line item: the figure is in no total.
    expect(burstable.components.flatMap((component) => component.items).filter((item) => /credit/i.test(item.description))).toEqual([]);
  });
});

describe('the README', () => {
  it('quotes the NAT comparison the estimate gives for 3 and 2 AZs', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const dollars = (amount: number) => `$${Math.round(amount)}`;
    const three = estimateMonthlyCost(requestWith({ network: { azCount: 3 } })).natComparison;
    const two = estimateMonthlyCost(requestWith({ network: { azCount: 2 } })).natComparison;

    expect(readme).toContain(
      `With 3 AZs and 100 GB a month the estimate prices them at about ${dollars(three.instance)} (instance), ${dollars(three.gateway)} (one gateway), ${dollars(three.gatewayPerAz)} (a gateway per AZ) and ${dollars(three.none)} (none).`,
    );
    expect(readme).toContain(`${INTERFACE_ENDPOINT_SERVICES.length} interface endpoints in every AZ (${dollars(two.none)} with 2 AZs)`);
  });
});
