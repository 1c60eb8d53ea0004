/**
 * The regions the sandbox accounts know: their Availability Zones (name and AZ id) and which instance
 * types each AZ offers, as DescribeAvailabilityZones and DescribeInstanceTypeOfferings answer them.
 * Dated data with its sources (local/sandbox/data/README.md says how each figure was found and what
 * is only inferred); the sandbox's EC2 API, Fn::GetAZs and its instance-type checks read it, and so
 * do the tests.
 *
 * Names and ids. An AZ id (`use1-az1`) is the same physical zone in every account; in the oldest
 * regions each account older than November 2025 maps its own names (`us-east-1a`) onto the ids
 * ("AWS Availability Zones", https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html,
 * read 2026-12-06). The sandbox gives every account the one mapping below; offerings belong to the id.
 */
export const EC2_REGIONS_AS_OF = '2026-12-06';

export interface ZoneRecord {
  /** As the account names it: us-east-1a. */
  name: string;
  /** The same physical zone in every account: use1-az1. */
  zoneId: string;
}

export interface RegionRecord {
  zones: readonly ZoneRecord[];
  /** The instance types each AZ offers, by AZ id. */
  offerings: Readonly<Record<string, readonly string[]>>;
  /** Where the zones and offerings come from, and what is inferred. */
  evidence: readonly string[];
}

/** The instance types the data speaks for: every EC2 type Groundwork's price table prices (src/cost/price-table.ts), by family. */
const FAMILIES = {
  t4g: ['t4g.nano', 't4g.micro', 't4g.small', 't4g.medium', 't4g.large', 't4g.xlarge', 't4g.2xlarge'],
  t3: ['t3.nano', 't3.micro', 't3.small', 't3.medium', 't3.large', 't3.xlarge', 't3.2xlarge'],
  m6g: ['m6g.medium', 'm6g.large', 'm6g.xlarge', 'm6g.2xlarge'],
  m7g: ['m7g.medium', 'm7g.large', 'm7g.xlarge', 'm7g.2xlarge'],
  c7g: ['c7g.medium', 'c7g.large', 'c7g.xlarge', 'c7g.2xlarge'],
} as const;
type Family = keyof typeof FAMILIES;

/** Every instance type the data covers; a type outside it is offered nowhere in the sandbox. */
export const KNOWN_INSTANCE_TYPES: readonly string[] = Object.values(FAMILIES).flat();

const offering = (...families: Family[]): readonly string[] => families.flatMap((family) => FAMILIES[family]);
const ALL: readonly string[] = offering('t4g', 't3', 'm6g', 'm7g', 'c7g');

const SOURCES = {
  azPage:
    '"AWS Availability Zones" (docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html, read 2026-12-06): the AZ ids per region, e.g. use1-az1 … use1-az6 for us-east-1, euw1-az1 … euw1-az3 for eu-west-1',
  efsOneZone:
    '"Supported Availability Zones for One Zone file systems" (docs.aws.amazon.com/efs/latest/ug/OneZoneAZs.html, read 2026-12-06): us-east-1 use1-az1, use1-az2, use1-az4, use1-az5, use1-az6; us-east-2 use2-az1 … use2-az3; us-west-1 usw1-az1, usw1-az3 (the two AZs most accounts see in us-west-1)',
  t3NotInE:
    'EC2 "Unsupported: Your requested instance type (t3.micro|t3.small|t3.large) is not supported in your requested Availability Zone (us-east-1e). Please retry your request by not specifying an Availability Zone or choosing us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f." — ned1313/Getting-Started-Terraform#44 (2025-05-21), RedHatGov/redhatgov.workshops#113 (2020), hashicorp/terraform-provider-aws#26377 (2022)',
  az3IsE:
    'us-east-1e is use1-az3 in those accounts, a zone without newer instance types: magenx/Magento-2-aws-cluster-terraform#16 (2022, "use1-az3 (which includes us-east-1e)", m5 missing), mitodl/salt-ops#978 (2019, "a datacenter which doesn\'t support newer instance types")',
  instanceSelector:
    'aws/amazon-ec2-instance-selector test/static/DescribeAvailabilityZones/us-east-2.json (commit 8fea12d4): us-east-2a use2-az1, us-east-2b use2-az2, us-east-2c use2-az3; test/static/DescribeInstanceTypeOfferings/us-east-2a.json: t3.nano, t3.medium … offered in us-east-2a',
  usWest1Names: 'gist beeradmoore/fab5dc3775d0695d78761c420e5a334d (2017): an account\'s us-west-1 AZs are us-west-1a and us-west-1c',
  inferredNewFamilies:
    'INFERRED: t4g, m6g, m7g and c7g (Graviton) offered in every AZ that offers t3 — no source was found that lists their per-AZ offerings; none says they are missing from these AZs',
} as const;

export const EC2_REGIONS: Readonly<Record<string, RegionRecord>> = {
  'us-east-1': {
    // The sandbox's one mapping; `e` is the constrained use1-az3, as in the accounts the sources quote.
    zones: [
      { name: 'us-east-1a', zoneId: 'use1-az1' },
      { name: 'us-east-1b', zoneId: 'use1-az2' },
      { name: 'us-east-1c', zoneId: 'use1-az4' },
      { name: 'us-east-1d', zoneId: 'use1-az6' },
      { name: 'us-east-1e', zoneId: 'use1-az3' },
      { name: 'us-east-1f', zoneId: 'use1-az5' },
    ],
    offerings: { 'use1-az1': ALL, 'use1-az2': ALL, 'use1-az4': ALL, 'use1-az6': ALL, 'use1-az5': ALL, 'use1-az3': [] },
    evidence: [SOURCES.azPage, SOURCES.efsOneZone, SOURCES.t3NotInE, SOURCES.az3IsE, `${SOURCES.inferredNewFamilies}; use1-az3 is taken to offer none of them (it lacks t3 and m5, older than both)`],
  },
  'us-east-2': {
    zones: [
      { name: 'us-east-2a', zoneId: 'use2-az1' },
      { name: 'us-east-2b', zoneId: 'use2-az2' },
      { name: 'us-east-2c', zoneId: 'use2-az3' },
    ],
    offerings: { 'use2-az1': ALL, 'use2-az2': ALL, 'use2-az3': ALL },
    evidence: [SOURCES.instanceSelector, SOURCES.efsOneZone, `${SOURCES.inferredNewFamilies}; t3 in us-east-2b and us-east-2c likewise inferred`],
  },
  'us-west-1': {
    // Two AZs, as most accounts have (usw1-az2 is not offered to them).
    zones: [
      { name: 'us-west-1a', zoneId: 'usw1-az1' },
      { name: 'us-west-1c', zoneId: 'usw1-az3' },
    ],
    offerings: { 'usw1-az1': ALL, 'usw1-az3': ALL },
    evidence: [SOURCES.efsOneZone, SOURCES.usWest1Names, `${SOURCES.inferredNewFamilies}; t3 likewise inferred`],
  },
  'eu-west-1': {
    zones: [
      { name: 'eu-west-1a', zoneId: 'euw1-az1' },
      { name: 'eu-west-1b', zoneId: 'euw1-az2' },
      { name: 'eu-west-1c', zoneId: 'euw1-az3' },
    ],
    offerings: { 'euw1-az1': ALL, 'euw1-az2': ALL, 'euw1-az3': ALL },
    evidence: [SOURCES.azPage, `${SOURCES.inferredNewFamilies}; t3 likewise inferred. Which name is which id is the sandbox's choice (eu-west-1 maps names per account)`],
  },
};

/** The region's AZs, or undefined for a region the data does not hold. */
export function regionZones(region: string): readonly ZoneRecord[] | undefined {
  return EC2_REGIONS[region]?.zones;
}

/** The AZs of the region that offer the instance type ([] for a type or region the data does not hold). */
export function zonesOffering(region: string, instanceType: string): ZoneRecord[] {
  const record = EC2_REGIONS[region];
  if (record === undefined) return [];
  return record.zones.filter((zone) => record.offerings[zone.zoneId]?.includes(instanceType));
}

/** The AZ of that name in the region, if the data holds it. */
export function zoneNamed(region: string, name: string): ZoneRecord | undefined {
  return EC2_REGIONS[region]?.zones.find((zone) => zone.name === name);
}
