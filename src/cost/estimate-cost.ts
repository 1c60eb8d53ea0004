import type { ComponentName } from '../model/components';
import { componentsFor } from '../model/components';
import type { NatMode, StackRequest } from '../model/stack-request';
import { BASTION_INSTANCE_TYPE } from '../templates/bastion';
import { cpuCreditsOf, type InstanceComponent } from '../templates/credit-specification';
import { INTERFACE_ENDPOINT_SERVICES } from '../templates/endpoints';
import { NAT_INSTANCE_TYPE, natAzIndexes } from '../templates/nat';
import { UnknownPriceError } from './errors';
import type { Price } from './price-table';
import { PRICE_TABLE } from './price-table';

/** AWS's own convention for monthly estimates (8,760 hours / 12). */
export const HOURS_PER_MONTH = 730;

export interface CostLineItem {
  description: string;
  /** How many `unit`s a month. */
  quantity: number;
  unit: string;
  /** USD per unit, unrounded. */
  unitPrice: number;
  /** quantity × unitPrice, rounded to the cent. */
  monthly: number;
}

export interface ComponentCost {
  component: ComponentName;
  items: CostLineItem[];
  /** The sum of the items' (already rounded) monthly amounts. */
  monthly: number;
}

/** What each NAT mode would cost this stack a month, whichever it asked for, side by side. */
export interface NatComparison {
  instance: number;
  gateway: number;
  gatewayPerAz: number;
  /**
   * `nat: none`: no NAT, but the interface endpoints it requires, one network interface per
   * endpoint in every AZ, plus their data processed. A stack that has the endpoints anyway
   * (`endpoints: true`) pays this whichever mode it picks.
   */
  none: number;
  /** gateway − instance: what the default NAT instance saves over one NAT gateway. */
  savingsInstanceVsGateway: number;
}

export interface CostEstimate {
  currency: 'USD';
  /** The region the stack is for (the prices may be us-east-1's; see assumptions). */
  region: string;
  priceTableDate: string;
  hoursPerMonth: typeof HOURS_PER_MONTH;
  components: ComponentCost[];
  /** The sum of the components' monthly amounts. */
  total: number;
  natComparison: NatComparison;
  /** Every assumption the figures rest on, traffic above all, in words a customer can check. */
  assumptions: string[];
}

/** The traffic an estimate assumes; none of it is known before the stack runs. */
export interface TrafficAssumptions {
  /** GB a month through the NAT (a NAT gateway bills both directions). */
  natGbPerMonth: number;
  /** GB a month through the interface endpoints (ECR API and manifests, Secrets Manager, logs). */
  endpointGbPerMonth: number;
  /** Average LCUs the ALB consumes each hour. */
  albLcuPerHour: number;
  /** Millions of requests a month to the HTTP API. */
  apiMillionRequestsPerMonth: number;
  /** GB of container logs ingested into CloudWatch Logs a month. */
  logsGbPerMonth: number;
  /** ECS services the customer runs on the cluster, each with its own task definition family (Container Insights metrics and events are per service). */
  ecsServices: number;
}

/** A small production web app: a few requests a second, images pulled on deploys, modest logs. */
export const DEFAULT_TRAFFIC: Readonly<TrafficAssumptions> = {
  natGbPerMonth: 100,
  endpointGbPerMonth: 20,
  albLcuPerHour: 1,
  apiMillionRequestsPerMonth: 5,
  logsGbPerMonth: 5,
  ecsServices: 1,
};

/**
 * What Groundwork deploys that a request does not size, read from the component templates so the
 * estimate follows them; only the root volume sizes are not stated there (they are the AMIs').
 */
export const DEPLOYMENT_ASSUMPTIONS = {
  natInstanceType: NAT_INSTANCE_TYPE,
  /** Amazon Linux 2023's root volume, which the NAT and bastion templates keep. */
  natInstanceRootGb: 8,
  bastionInstanceType: BASTION_INSTANCE_TYPE,
  bastionRootGb: 8,
  /** The container instances' launch template sets 30 GB (the ECS-optimised AMI's size). */
  containerInstanceRootGb: 30,
  /** Interface endpoints, each with a network interface in every AZ's private subnet. */
  interfaceEndpoints: INTERFACE_ENDPOINT_SERVICES.map(({ service }) => service),
  /**
   * The cluster turns Container Insights on (`containerInsights: enabled`, not enhanced
   * observability) and deploys no CloudWatch agent, so it gets the cluster-, service- and
   * task-family-level metrics of the CloudWatch User Guide's "Amazon ECS Container Insights
   * metrics" table (awsdocs/amazon-cloudwatch-user-guide, doc_source/Container-Insights-metrics-ECS.md,
   * commit 20a560c1, read 2026-12-06), "charged as custom metrics":
   * - ClusterName: ContainerInstanceCount, TaskCount, ServiceCount and the 8 resource metrics (11);
   * - ServiceName, ClusterName: DesiredTaskCount, RunningTaskCount, PendingTaskCount,
   *   DeploymentCount, TaskSetCount and the 8 resource metrics (13);
   * - TaskDefinitionFamily, ClusterName: the 8 resource metrics (CpuUtilized, CpuReserved,
   *   MemoryUtilized, MemoryReserved, NetworkRxBytes, NetworkTxBytes, StorageReadBytes, StorageWriteBytes).
   * The instance_* metrics need the CloudWatch agent, which Groundwork does not run.
   */
  containerInsights: {
    clusterMetrics: 11,
    metricsPerService: 13,
    metricsPerTaskFamily: 8,
    /**
     * Performance log events ("Container Insights performance log events for Amazon ECS", same
     * repository): one Cluster event, one per Service, one per Task and one per Container, each
     * minute; the guide's examples are 0.4–1.3 KiB as compact JSON, so 1.5 KiB is an upper bound.
     */
    eventKib: 1.5,
    /** The cluster template's retention for /aws/ecs/containerinsights/<cluster>/performance (checked by test/cost). */
    retentionDays: 30,
  },
  /**
   * ECS managed scaling puts a target-tracking policy on the auto-scaling group, and Application
   * Auto Scaling makes two CloudWatch alarms for it (AlarmHigh and AlarmLow): "Enabling of managed
   * scaling adds two CloudWatch alarms behind the scenes" (aws/aws-cdk#25969); aws/containers-roadmap#638
   * names them. The cluster template has one capacity provider with managed scaling.
   */
  managedScalingAlarmsPerCapacityProvider: 2,
} as const;

/**
 * The monthly On-Demand cost of a stack request, per component, from the dated price table; plus
 * what each NAT mode would cost, since that is the choice that moves the bill most for small stacks.
 *
 * @throws UnknownPriceError (422) when the instance type or DB class is not in the price table
 */
export function estimateMonthlyCost(request: StackRequest, traffic: Partial<TrafficAssumptions> = {}): CostEstimate {
  const assumed: TrafficAssumptions = { ...DEFAULT_TRAFFIC, ...traffic };
  const context: EstimateContext = { request, traffic: assumed, assumptions: [], publicIpv4: [] };

  const components = componentsFor(request).map((component) => {
    const items = itemsFor(component, context);
    return { component, items, monthly: sumCents(items.map((item) => item.monthly)) };
  });
  const ipv4 = publicIpv4Assumption(context.publicIpv4);

  return {
    currency: 'USD',
    region: request.region,
    priceTableDate: PRICE_TABLE.date,
    hoursPerMonth: HOURS_PER_MONTH,
    components,
    total: sumCents(components.map((component) => component.monthly)),
    natComparison: compareNat(request, assumed),
    assumptions: [...generalAssumptions(request, assumed), ...context.assumptions, ...ipv4],
  };
}

interface EstimateContext {
  request: StackRequest;
  traffic: TrafficAssumptions;
  /** Filled by the component estimators with what each of them assumed. */
  assumptions: string[];
  /** Filled by the component estimators with every public IPv4 address they bill. */
  publicIpv4: PublicIpv4Holder[];
}

/** Something in the stack that holds public IPv4 addresses, each billed by the hour, in use or idle. */
interface PublicIpv4Holder {
  what: string;
  addresses: number;
}

function itemsFor(component: ComponentName, context: EstimateContext): CostLineItem[] {
  switch (component) {
    case 'network':
      return [item('VPC, internet gateway, subnets, route tables, S3 gateway endpoint (no charge)', 1, 'VPC', 0)];
    case 'security':
      return [item('Security groups (no charge)', 1, 'stack', 0)];
    case 'nat':
      return natItems(context.request.network.nat, context.request.network.azCount, context.traffic, context);
    case 'endpoints':
      return endpointItems(context.request.network.azCount, context.traffic, context.assumptions);
    case 'secrets':
      context.assumptions.push(
        `Secrets Manager: one secret (the database credentials); API calls (${usd(PRICE_TABLE.secretsManagerTenThousandApiCalls.usd)} per 10,000) are not included.`,
      );
      return [item('Secrets Manager secret (database credentials)', 1, 'secret-month', PRICE_TABLE.secretsManagerSecretMonth.usd)];
    case 'database':
      return databaseItems(context);
    case 'cluster':
      return clusterItems(context);
    case 'frontend':
      return frontendItems(context);
    case 'bastion':
      return bastionItems(context);
  }
}

/** `record` is the estimate's context; the NAT comparison prices the other modes without one. */
function natItems(
  mode: NatMode,
  azCount: number,
  traffic: TrafficAssumptions,
  record: Pick<EstimateContext, 'assumptions' | 'publicIpv4'> | undefined,
): CostLineItem[] {
  // As many NATs as the nat template builds: one for instance and gateway, one per AZ otherwise.
  const nats = natAzIndexes(mode, azCount).length;
  const assumptions = record?.assumptions;
  switch (mode) {
    case 'none':
      return [];
    case 'instance': {
      const { natInstanceType, natInstanceRootGb } = DEPLOYMENT_ASSUMPTIONS;
      const hourly = ec2Price(natInstanceType, 'network.nat');
      assumptions?.push(
        sentences(
          `NAT instance: ${nats} ${natInstanceType} (auto-scaling group of one) serving every AZ, with a gp3 root volume of ${natInstanceRootGb} GB and one public IPv4 address; it forwards traffic with no per-GB charge.`,
          creditMode('nat', natInstanceType, 'It runs'),
        ),
      );
      return [
        item(`NAT instance ${natInstanceType} × ${nats}`, nats * HOURS_PER_MONTH, 'hour', hourly.usd),
        item(`NAT instance root volume (gp3, ${natInstanceRootGb} GB)`, nats * natInstanceRootGb, 'GB-month', PRICE_TABLE.ebsGp3GbMonth.usd),
        publicIpv4Item(`NAT instance public IPv4 address × ${nats}`, nats, record?.publicIpv4, 'NAT instance'),
      ];
    }
    case 'gateway':
    case 'gateway-per-az': {
      const what = nats === 1 ? 'one NAT gateway serving every AZ' : `one NAT gateway in each of the ${nats} AZs`;
      assumptions?.push(`NAT: ${what}, each with an Elastic IP (public IPv4) address; ${traffic.natGbPerMonth} GB a month processed in all.`);
      return [
        item(`NAT gateway × ${nats}`, nats * HOURS_PER_MONTH, 'hour', PRICE_TABLE.natGatewayHour.usd),
        item('NAT gateway data processed', traffic.natGbPerMonth, 'GB', PRICE_TABLE.natGatewayGb.usd),
        publicIpv4Item(`NAT gateway Elastic IP address × ${nats}`, nats, record?.publicIpv4, nats === 1 ? 'NAT gateway' : 'NAT gateways'),
      ];
    }
  }
}

/** `assumptions` is the estimate's; the NAT comparison prices the endpoints without one. */
function endpointItems(azCount: number, traffic: TrafficAssumptions, assumptions: string[] | undefined): CostLineItem[] {
  const endpoints = DEPLOYMENT_ASSUMPTIONS.interfaceEndpoints;
  assumptions?.push(
    `Interface endpoints: ${endpoints.length} (${endpoints.join(', ')}) with a network interface in each of the ${azCount} AZs; ` +
      `${traffic.endpointGbPerMonth} GB a month processed through them. Image layers come from S3 through the free gateway endpoint.`,
  );
  return [
    item(`Interface endpoints × ${endpoints.length}, in ${azCount} AZs`, endpoints.length * azCount * HOURS_PER_MONTH, 'endpoint-AZ-hour', PRICE_TABLE.interfaceEndpointAzHour.usd),
    item('Interface endpoint data processed', traffic.endpointGbPerMonth, 'GB', PRICE_TABLE.interfaceEndpointGb.usd),
  ];
}

function databaseItems({ request, assumptions }: EstimateContext): CostLineItem[] {
  const database = request.database;
  if (database === null) return [];
  const instance = priceOf(PRICE_TABLE.rdsPostgresSingleAzHourly, database.instanceClass, 'database.instanceClass');
  const factor = database.multiAz ? PRICE_TABLE.rdsMultiAzFactor : 1;
  const deployment = database.multiAz ? 'Multi-AZ (primary + standby)' : 'Single-AZ';
  assumptions.push(
    `RDS: gp3 storage; automated backups (${database.backupRetentionDays} days) stay within the free backup storage, which equals the provisioned storage.`,
    ...rdsCreditAssumption(database.instanceClass),
  );
  return [
    item(`RDS PostgreSQL ${database.version} ${database.instanceClass}, ${deployment}`, HOURS_PER_MONTH, 'hour', checked(instance, database.instanceClass, assumptions) * factor),
    item(`RDS storage (gp3, ${database.storageGb} GB), ${deployment}`, database.storageGb, 'GB-month', PRICE_TABLE.rdsGp3GbMonth.usd * factor),
  ];
}

function clusterItems({ request, traffic, assumptions }: EstimateContext): CostLineItem[] {
  const compute = request.compute;
  if (compute === null) return [];
  const hourly = ec2Price(compute.instanceType, 'compute.instanceType');
  const rootGb = DEPLOYMENT_ASSUMPTIONS.containerInstanceRootGb;
  assumptions.push(
    sentences(
      `ECS: ${compute.desired} ${compute.instanceType} container instance(s) (the desired count; the group may run ${compute.min}–${compute.max}) all month, ` +
        `each with a gp3 root volume of ${rootGb} GB; ECS itself has no charge on EC2.`,
      creditMode('cluster', compute.instanceType, 'They run'),
    ),
    `CloudWatch Logs: ${traffic.logsGbPerMonth} GB of container logs ingested a month; their storage after ingestion is not included.`,
  );
  return [
    item(`ECS container instances ${compute.instanceType} × ${compute.desired}`, compute.desired * HOURS_PER_MONTH, 'hour', checked(hourly, compute.instanceType, assumptions)),
    item(`Container instance root volumes (gp3, ${rootGb} GB each)`, compute.desired * rootGb, 'GB-month', PRICE_TABLE.ebsGp3GbMonth.usd),
    item('CloudWatch Logs ingestion', traffic.logsGbPerMonth, 'GB', PRICE_TABLE.cloudWatchLogsIngestGb.usd),
    ...containerInsightsItems(compute.desired, traffic, assumptions),
    ...managedScalingItems(assumptions),
  ];
}

/**
 * Container Insights is on for the cluster: its metrics are CloudWatch custom metrics, and its
 * performance log events are ingested into and stored in CloudWatch Logs.
 */
function containerInsightsItems(tasks: number, { ecsServices }: TrafficAssumptions, assumptions: string[]): CostLineItem[] {
  const { clusterMetrics, metricsPerService, metricsPerTaskFamily, eventKib, retentionDays } = DEPLOYMENT_ASSUMPTIONS.containerInsights;
  const metrics = clusterMetrics + ecsServices * (metricsPerService + metricsPerTaskFamily);
  // Each minute: one Cluster event, one per service, and a Task and a Container event per task.
  const eventsPerMinute = 1 + ecsServices + 2 * tasks;
  const ingestedGb = round3((eventsPerMinute * 60 * HOURS_PER_MONTH * eventKib) / 1024 / 1024);
  const storedGb = round3((ingestedGb * retentionDays * 24) / HOURS_PER_MONTH);
  assumptions.push(
    `Container Insights (on for the cluster): ${metrics} custom metrics (${clusterMetrics} for the cluster, and ${metricsPerService} + ${metricsPerTaskFamily} for each of ${ecsServices} service(s) with its own task definition family), ` +
      `billed at the first-10,000-metrics rate all month; the CloudWatch agent's per-instance metrics are not collected. ` +
      `Performance log events: ${eventsPerMinute} a minute (the cluster, each service, and a task and a container event for each of ${tasks} task(s), one task per container instance) ` +
      `of at most ${eventKib} KiB each, kept ${retentionDays} days (the stored size taken as the ingested size).`,
  );
  return [
    item(`Container Insights metrics × ${metrics}`, metrics, 'metric-month', PRICE_TABLE.cloudWatchCustomMetricMonth.usd),
    item('Container Insights performance log ingestion', ingestedGb, 'GB', PRICE_TABLE.cloudWatchLogsIngestGb.usd),
    item(`Container Insights performance log storage (${retentionDays}-day retention)`, storedGb, 'GB-month', PRICE_TABLE.cloudWatchLogsStorageGbMonth.usd),
  ];
}

/** The capacity provider's managed scaling: a target-tracking policy whose two alarms CloudWatch bills. */
function managedScalingItems(assumptions: string[]): CostLineItem[] {
  const alarms = DEPLOYMENT_ASSUMPTIONS.managedScalingAlarmsPerCapacityProvider;
  assumptions.push(
    `ECS managed scaling: the capacity provider's target-tracking policy has ${alarms} standard-resolution CloudWatch alarms (created by AWS, not in the templates), billed per alarm a month.`,
  );
  return [item(`Managed-scaling target-tracking alarms × ${alarms}`, alarms, 'alarm-month', PRICE_TABLE.cloudWatchAlarmMonth.usd)];
}

function frontendItems({ request, traffic, assumptions, publicIpv4 }: EstimateContext): CostLineItem[] {
  const { azCount } = request.network;
  if (request.frontend.type === 'alb') {
    assumptions.push(
      `ALB: ${traffic.albLcuPerHour} LCU on average every hour (one LCU is up to 25 new connections a second, 3,000 active connections or 1 GB processed an hour); ` +
        `one public IPv4 address in each of the ${azCount} AZs (an ALB that scales out may hold more).`,
    );
    return [
      item('Application Load Balancer', HOURS_PER_MONTH, 'hour', PRICE_TABLE.albHour.usd),
      item('ALB capacity units', traffic.albLcuPerHour * HOURS_PER_MONTH, 'LCU-hour', PRICE_TABLE.albLcuHour.usd),
      publicIpv4Item(`ALB public IPv4 addresses × ${azCount}`, azCount, publicIpv4, 'internet-facing ALB (one per AZ)'),
    ];
  }
  if (request.frontend.type === 'apigateway') {
    const instances = request.compute?.desired ?? 0;
    assumptions.push(
      `HTTP API: ${traffic.apiMillionRequestsPerMonth} million requests a month; VPC links for HTTP APIs have no charge. ` +
        `Cloud Map: a private DNS namespace (one Route 53 private hosted zone) with ${instances} registered instance(s), one per desired task; ` +
        'its DNS queries and the discovery calls API Gateway makes are not included.',
    );
    return [
      item('API Gateway HTTP API requests', traffic.apiMillionRequestsPerMonth, 'million requests', PRICE_TABLE.httpApiMillionRequests.usd),
      item('VPC link (no charge for HTTP APIs)', 1, 'VPC link', 0),
      item('Cloud Map registered instances', instances, 'resource-month', checked(PRICE_TABLE.cloudMapRegisteredResourceMonth, 'Cloud Map registered instances', assumptions)),
      item('Route 53 private hosted zone (Cloud Map namespace)', 1, 'hosted zone-month', PRICE_TABLE.route53HostedZoneMonth.usd),
    ];
  }
  return [];
}

function bastionItems({ assumptions, publicIpv4 }: EstimateContext): CostLineItem[] {
  const { bastionInstanceType, bastionRootGb } = DEPLOYMENT_ASSUMPTIONS;
  const hourly = ec2Price(bastionInstanceType, 'bastion.enabled');
  assumptions.push(
    sentences(
      `Bastion: one ${bastionInstanceType} running all month, with a gp3 root volume of ${bastionRootGb} GB and a public IPv4 address.`,
      creditMode('bastion', bastionInstanceType, 'It runs'),
    ),
  );
  return [
    item(`Bastion ${bastionInstanceType}`, HOURS_PER_MONTH, 'hour', hourly.usd),
    item(`Bastion root volume (gp3, ${bastionRootGb} GB)`, bastionRootGb, 'GB-month', PRICE_TABLE.ebsGp3GbMonth.usd),
    publicIpv4Item('Bastion public IPv4 address', 1, publicIpv4, 'bastion'),
  ];
}

/**
 * Each mode priced with the same items its own estimate would carry, so the figures agree: the
 * nat component's for the NAT modes, the endpoints component's for `none`.
 */
function compareNat(request: StackRequest, traffic: TrafficAssumptions): NatComparison {
  const { azCount } = request.network;
  const monthly = (items: readonly CostLineItem[]) => sumCents(items.map((line) => line.monthly));
  const cost = (mode: NatMode) => monthly(natItems(mode, azCount, traffic, undefined));
  const instance = cost('instance');
  const gateway = cost('gateway');
  return {
    instance,
    gateway,
    gatewayPerAz: cost('gateway-per-az'),
    none: monthly(endpointItems(azCount, traffic, undefined)),
    savingsInstanceVsGateway: sumCents([gateway, -instance]),
  };
}

function generalAssumptions(request: StackRequest, traffic: TrafficAssumptions): string[] {
  const assumptions = [
    `On-Demand list prices in USD from Groundwork's us-east-1 price table dated ${PRICE_TABLE.date}, before tax, free tier, Savings Plans or Reserved Instances; checked against public copies of AWS price lists on that date (not a live fetch of AWS's pages); check them against the AWS pricing pages before relying on them.`,
    `${HOURS_PER_MONTH} hours a month; everything runs all month.`,
    'Data transferred out to the internet is not included (it is the same whichever NAT mode is chosen), nor is data transferred between AZs.',
    `NAT comparison: ${traffic.natGbPerMonth} GB a month through the NAT, in ${request.network.azCount} AZs; a single NAT instance or gateway also makes the other AZs' traffic cross AZs (${usd(PRICE_TABLE.interAzTransferGbEachWay.usd)}/GB each way, not included). ` +
      `"none" is not free: it needs the ${DEPLOYMENT_ASSUMPTIONS.interfaceEndpoints.length} interface endpoints in every AZ (${traffic.endpointGbPerMonth} GB a month through them), and reaches only the AWS services they serve (no Docker Hub or public.ecr.aws).`,
  ];
  if (request.region !== PRICE_TABLE.region) {
    assumptions.push(
      `Estimated with ${PRICE_TABLE.region} prices: there is no price table for ${request.region} yet, and prices there may differ (often higher).`,
    );
  }
  return assumptions;
}

/**
 * A public IPv4 address line: AWS bills every public IPv4 address by the hour, in use or idle
 * (Elastic IPs, auto-assigned instance addresses and those of NAT gateways and load balancers).
 * Every address the stack holds goes through here, so the summary assumption counts them all.
 */
function publicIpv4Item(description: string, addresses: number, holders: PublicIpv4Holder[] | undefined, what: string): CostLineItem {
  holders?.push({ what, addresses });
  return item(description, addresses * HOURS_PER_MONTH, 'hour', PRICE_TABLE.publicIpv4Hour.usd);
}

function publicIpv4Assumption(holders: readonly PublicIpv4Holder[]): string[] {
  const addresses = holders.reduce((sum, holder) => sum + holder.addresses, 0);
  if (addresses === 0) return [];
  const hourly = PRICE_TABLE.publicIpv4Hour.usd;
  const each = holders.map((holder) => `${holder.addresses} for the ${holder.what}`).join(', ');
  return [
    `Public IPv4: the stack holds ${addresses} public IPv4 address${addresses === 1 ? '' : 'es'} (${each}), ` +
      `each billed ${usd(hourly)} an hour (${usd(toCents(hourly * HOURS_PER_MONTH) / 100)} a month) whether in use or idle, as AWS has charged since 2024-02-01; ` +
      'they are itemised under their components.',
  ];
}

/**
 * The CPU credit mode a component's burstable instances run in, as its template sets it (or as
 * EC2 defaults), and what that means for the bill; empty for a type that is not burstable.
 */
function creditMode(component: InstanceComponent, instanceType: string, subject: string): string {
  const mode = cpuCreditsOf(component, instanceType);
  if (mode === undefined) return '';
  if (mode === 'standard') {
    return `${subject} in standard CPU credit mode (the template sets it): above its baseline it slows down instead of billing surplus credits.`;
  }
  return (
    `${subject} in unlimited CPU credit mode (EC2's default for ${instanceType.split('.')[0]}, unless the account's default was changed): ` +
    'CPU above the baseline, averaged over 24 hours, is billed as surplus credits per vCPU-hour (EC2 On-Demand pricing, "Unlimited Mode"), which is not included.'
  );
}

/** RDS runs its burstable classes in Unlimited mode only, so the risk can be stated but not capped. */
function rdsCreditAssumption(instanceClass: string): string[] {
  if (!/^db\.t(3|4g)\./.test(instanceClass)) return [];
  const credit = PRICE_TABLE.rdsSurplusCpuCreditVcpuHour.usd;
  const tenPointsAllMonth = toCents(0.1 * HOURS_PER_MONTH * credit) / 100;
  return [
    `RDS CPU credits: ${instanceClass} always runs in Unlimited mode (RDS has no standard mode; AWS::RDS::DBInstance has no credit setting), ` +
      `so CPU above the baseline, averaged over 24 hours, is billed at about ${usd(credit)} per vCPU-hour (AWS's figure for RDS T3; not confirmed for db.t4g in us-east-1): ` +
      `each vCPU held 10 percentage points above its baseline all month adds about ${usd(tenPointsAllMonth)}. Not included; a db.m7g class has no credits to exceed.`,
  ];
}

/** Sentences of one assumption, leaving out the empty ones. */
function sentences(...parts: string[]): string {
  return parts.filter((part) => part !== '').join(' ');
}

/** A quantity in GB to a thousandth, as a customer reads it. */
function round3(amount: number): number {
  return Math.round(amount * 1000) / 1000;
}

/** The price's figure; a price no source confirmed is said so in the assumptions. */
function checked(price: Price, what: string, assumptions: string[]): number {
  if (price.check === 'unverified') {
    assumptions.push(`The price used for ${what} (${usd(price.usd)} per ${price.unit}) could not be confirmed from public sources; check it on the AWS pricing page.`);
  }
  return price.usd;
}

/** Dollars as a customer reads them: at least two decimals, no float noise ($0.005, $0.01, $3.65). */
function usd(amount: number): string {
  return `$${Number(amount.toFixed(6)).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;
}

function ec2Price(instanceType: string, field: string): Price {
  return priceOf(PRICE_TABLE.ec2Hourly, instanceType, field);
}

function priceOf(table: Readonly<Record<string, Price>>, key: string, field: string): Price {
  const price = table[key];
  if (price === undefined) throw new UnknownPriceError(field, key, Object.keys(table));
  return price;
}

function item(description: string, quantity: number, unit: string, unitPrice: number): CostLineItem {
  return { description, quantity, unit, unitPrice, monthly: toCents(quantity * unitPrice) / 100 };
}

/**
 * Money is rounded once per line item, to the cent (half up), and summed in whole cents so that a
 * component is exactly the sum of its items and the total exactly the sum of its components.
 * toFixed(6) first drops binary noise such as 306.59999999999997 before rounding.
 */
function toCents(amount: number): number {
  return Math.round(Number((amount * 100).toFixed(6)));
}

function sumCents(amounts: readonly number[]): number {
  return amounts.reduce((sum, amount) => sum + toCents(amount), 0) / 100;
}
