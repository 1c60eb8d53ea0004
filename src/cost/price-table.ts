/**
 * On-Demand list prices for US East (N. Virginia), us-east-1, in USD, as of PRICE_TABLE.date.
 *
 * Every figure names the AWS pricing page (and the row of it) it comes from. They are the published
 * figures as the author knows them; they were NOT fetched from AWS on that date (the build has no
 * network), so they must be re-checked against those pages for PRICE_TABLE.date before anyone
 * relies on an estimate, and this table re-dated when it is updated. Prices exclude tax, free tiers,
 * Savings Plans and Reserved Instances.
 *
 * Other regions are estimated with these prices too (the estimate says so in its assumptions):
 * most US regions match us-east-1, most others cost 5–30 % more.
 */
export interface Price {
  usd: number;
  /** What one unit is: `hour`, `GB-month`, `GB`, `million requests`, `secret-month` … */
  unit: string;
  /** The AWS pricing page and the row of it this figure is read from. */
  source: string;
}

const EC2_ON_DEMAND = 'Amazon EC2 On-Demand pricing (aws.amazon.com/ec2/pricing/on-demand/), Linux, US East (N. Virginia)';
const RDS_POSTGRES = 'Amazon RDS for PostgreSQL pricing (aws.amazon.com/rds/postgresql/pricing/), On-Demand, Single-AZ deployment, US East (N. Virginia)';
const VPC_PRICING = 'Amazon VPC pricing (aws.amazon.com/vpc/pricing/), US East (N. Virginia)';

const ec2 = (usd: number): Price => ({ usd, unit: 'hour', source: EC2_ON_DEMAND });
const rds = (usd: number): Price => ({ usd, unit: 'hour', source: RDS_POSTGRES });

/** EC2 instance hours (ECS container instances, the NAT instance, the bastion). */
const EC2_HOURLY: Readonly<Record<string, Price>> = {
  't4g.nano': ec2(0.0042),
  't4g.micro': ec2(0.0084),
  't4g.small': ec2(0.0168),
  't4g.medium': ec2(0.0336),
  't4g.large': ec2(0.0672),
  't4g.xlarge': ec2(0.1344),
  't3.micro': ec2(0.0104),
  't3.small': ec2(0.0208),
  't3.medium': ec2(0.0416),
  't3.large': ec2(0.0832),
  't3.xlarge': ec2(0.1664),
  'm6g.large': ec2(0.077),
  'm6g.xlarge': ec2(0.154),
  'm7g.large': ec2(0.0816),
  'm7g.xlarge': ec2(0.1632),
  'c7g.large': ec2(0.0725),
};

/** RDS for PostgreSQL instance hours, Single-AZ. A Multi-AZ (one standby) deployment is billed 2×. */
const RDS_POSTGRES_SINGLE_AZ_HOURLY: Readonly<Record<string, Price>> = {
  'db.t4g.micro': rds(0.016),
  'db.t4g.small': rds(0.032),
  'db.t4g.medium': rds(0.065),
  'db.t3.micro': rds(0.018),
  'db.t3.small': rds(0.036),
  'db.t3.medium': rds(0.072),
  'db.m7g.large': rds(0.168),
};

const PRICES = {
  ebsGp3GbMonth: {
    usd: 0.08,
    unit: 'GB-month',
    source: 'Amazon EBS pricing (aws.amazon.com/ebs/pricing/), General Purpose SSD (gp3) storage, US East (N. Virginia)',
  },
  natGatewayHour: { usd: 0.045, unit: 'hour', source: `${VPC_PRICING}, NAT Gateway tab, price per NAT gateway (per hour)` },
  natGatewayGb: { usd: 0.045, unit: 'GB', source: `${VPC_PRICING}, NAT Gateway tab, price per GB data processed` },
  publicIpv4Hour: {
    usd: 0.005,
    unit: 'hour',
    source: `${VPC_PRICING}, Public IPv4 Address tab: in-use or idle public IPv4 address per hour (charged since 2024-02-01)`,
  },
  interfaceEndpointAzHour: {
    usd: 0.01,
    unit: 'hour',
    source: 'AWS PrivateLink pricing (aws.amazon.com/privatelink/pricing/), Interface endpoint, price per VPC endpoint per AZ (per hour), US East (N. Virginia)',
  },
  interfaceEndpointGb: {
    usd: 0.01,
    unit: 'GB',
    source: 'AWS PrivateLink pricing (aws.amazon.com/privatelink/pricing/), Interface endpoint, data processed, first 1 PB per month, US East (N. Virginia)',
  },
  albHour: {
    usd: 0.0225,
    unit: 'hour',
    source: 'Elastic Load Balancing pricing (aws.amazon.com/elasticloadbalancing/pricing/), Application Load Balancer, per ALB-hour, US East (N. Virginia)',
  },
  albLcuHour: {
    usd: 0.008,
    unit: 'LCU-hour',
    source: 'Elastic Load Balancing pricing (aws.amazon.com/elasticloadbalancing/pricing/), Application Load Balancer, per LCU-hour, US East (N. Virginia)',
  },
  httpApiMillionRequests: {
    usd: 1.0,
    unit: 'million requests',
    source: 'Amazon API Gateway pricing (aws.amazon.com/api-gateway/pricing/), HTTP APIs, first 300 million requests per month, US East (N. Virginia)',
  },
  cloudMapRegisteredResourceMonth: {
    usd: 0.1,
    unit: 'resource-month',
    source: 'AWS Cloud Map pricing (aws.amazon.com/cloud-map/pricing/), registered resource (service instance) per month',
  },
  route53HostedZoneMonth: {
    usd: 0.5,
    unit: 'hosted zone-month',
    source: 'Amazon Route 53 pricing (aws.amazon.com/route53/pricing/), hosted zones, first 25 hosted zones, per hosted zone per month',
  },
  rdsGp3GbMonth: {
    usd: 0.115,
    unit: 'GB-month',
    source: 'Amazon RDS for PostgreSQL pricing (aws.amazon.com/rds/postgresql/pricing/), Storage, General Purpose SSD (gp3), Single-AZ, US East (N. Virginia)',
  },
  rdsGp2GbMonth: {
    usd: 0.115,
    unit: 'GB-month',
    source: 'Amazon RDS for PostgreSQL pricing (aws.amazon.com/rds/postgresql/pricing/), Storage, General Purpose SSD (gp2), Single-AZ, US East (N. Virginia)',
  },
  secretsManagerSecretMonth: {
    usd: 0.4,
    unit: 'secret-month',
    source: 'AWS Secrets Manager pricing (aws.amazon.com/secrets-manager/pricing/), per secret per month',
  },
  cloudWatchLogsIngestGb: {
    usd: 0.5,
    unit: 'GB',
    source: 'Amazon CloudWatch pricing (aws.amazon.com/cloudwatch/pricing/), Logs, Standard log class, collect (data ingestion) per GB, US East (N. Virginia)',
  },
} as const satisfies Record<string, Price>;

export const PRICE_TABLE = {
  /** The date the figures are stated for; re-check them against the pages above for this date. */
  date: '2026-11-01',
  region: 'us-east-1',
  ec2Hourly: EC2_HOURLY,
  rdsPostgresSingleAzHourly: RDS_POSTGRES_SINGLE_AZ_HOURLY,
  /** RDS bills Multi-AZ (one standby) instance hours and storage at twice the Single-AZ rate. */
  rdsMultiAzFactor: 2,
  ...PRICES,
} as const;

export type PriceTable = typeof PRICE_TABLE;
