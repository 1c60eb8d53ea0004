import { EC2_REGIONS, regionZones, zonesOffering } from './data/ec2-regions';
import { CREATABLE_POSTGRES_VERSIONS, majorOf, POSTGRES_INSTANCE_CLASSES, RDS_REGIONS } from './data/rds-postgres';
import { AwsApiError } from './errors';

/**
 * What a sandbox region offers, read from the dated data (local/sandbox/data/): the one place the
 * sandbox's EC2 and RDS APIs, Fn::GetAZs, the AvailabilityZone parameter check and the resource
 * checks (region-checks.ts) ask, so they cannot disagree.
 */

export interface ZoneDescription {
  ZoneName: string;
  ZoneId: string;
  State: 'available';
  OptInStatus: 'opt-in-not-required';
  RegionName: string;
  GroupName: string;
  NetworkBorderGroup: string;
  ZoneType: 'availability-zone';
}

/** The region's AZs as DescribeAvailabilityZones describes them; a region the data lacks is refused. */
export function describeZones(region: string): ZoneDescription[] {
  const zones = regionZones(region);
  if (zones === undefined) {
    throw new AwsApiError('UnsupportedOperation', `The sandbox holds no data for region ${region}; it knows ${Object.keys(EC2_REGIONS).join(', ')} (local/sandbox/data/ec2-regions.ts).`);
  }
  return zones.map((zone) => ({
    ZoneName: zone.name,
    ZoneId: zone.zoneId,
    State: 'available',
    OptInStatus: 'opt-in-not-required',
    RegionName: region,
    GroupName: region,
    NetworkBorderGroup: region,
    ZoneType: 'availability-zone',
  }));
}

/** The names Fn::GetAZs returns: every AZ of the region (the sandbox's accounts have no default subnets). */
export function availabilityZoneNames(region: string): string[] {
  return (regionZones(region) ?? []).map((zone) => zone.name);
}

/** What EC2 answers when an instance of that type is asked for in that AZ, or undefined when it is offered there. */
export function unsupportedInstanceType(region: string, instanceType: string, zoneName: string): string | undefined {
  if (regionZones(region) === undefined) return undefined;
  const offering = zonesOffering(region, instanceType);
  if (offering.some((zone) => zone.name === zoneName)) return undefined;
  // A type the region offers nowhere (trailofbits/algo#1285, #14947: "Unsupported").
  if (offering.length === 0) return 'The requested configuration is currently not supported. Please check the documentation for supported configurations.';
  // EC2's words (RunInstances "Unsupported"): ned1313/Getting-Started-Terraform#44, 2025-05-21.
  return (
    `Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${zoneName}). ` +
    `Please retry your request by not specifying an Availability Zone or choosing ${offering.map((zone) => zone.name).join(', ')}.`
  );
}

/** What EC2 answers when a subnet is asked for in an AZ the region does not have, or undefined. */
export function invalidSubnetZone(region: string, zoneName: string): string | undefined {
  const zones = regionZones(region);
  if (zones === undefined || zones.some((zone) => zone.name === zoneName)) return undefined;
  // EC2's words (CreateSubnet): awslabs/sbt-aws#66, 2024-07-01.
  return `Value (${zoneName}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.map((zone) => zone.name).join(', ')}.`;
}

export interface EngineVersionDescription {
  Engine: 'postgres';
  EngineVersion: string;
  MajorEngineVersion: string;
  DBParameterGroupFamily: string;
  DBEngineDescription: string;
  DBEngineVersionDescription: string;
  Status: 'available';
}

/** The engine versions RDS can create in the region, as DescribeDBEngineVersions lists them (only postgres is in the data). */
export function describeEngineVersions(region: string, engine: string | undefined): EngineVersionDescription[] {
  if (!RDS_REGIONS.includes(region) || (engine !== undefined && engine !== 'postgres')) return [];
  return CREATABLE_POSTGRES_VERSIONS.map((version) => ({
    Engine: 'postgres',
    EngineVersion: version,
    MajorEngineVersion: majorOf(version),
    DBParameterGroupFamily: `postgres${majorOf(version)}`,
    DBEngineDescription: 'PostgreSQL',
    DBEngineVersionDescription: `PostgreSQL ${version}-R1`,
    Status: 'available',
  }));
}

export interface OrderableOption {
  Engine: 'postgres';
  EngineVersion: string;
  DBInstanceClass: string;
  LicenseModel: 'postgresql-license';
  AvailabilityZones: string[];
  MultiAZCapable: true;
  Vpc: true;
  StorageType: 'gp3';
  SupportsStorageEncryption: true;
}

/** The (version, class) pairs RDS can create in the region, as DescribeOrderableDBInstanceOptions lists them. */
export function orderableOptions(region: string, filter: { engine: string; engineVersion?: string; instanceClass?: string }): OrderableOption[] {
  if (!RDS_REGIONS.includes(region) || filter.engine !== 'postgres') return [];
  const zones = availabilityZoneNames(region);
  return CREATABLE_POSTGRES_VERSIONS.filter((version) => filter.engineVersion === undefined || version === filter.engineVersion).flatMap((version) =>
    POSTGRES_INSTANCE_CLASSES.filter((instanceClass) => filter.instanceClass === undefined || instanceClass === filter.instanceClass).map(
      (instanceClass): OrderableOption => ({
        Engine: 'postgres',
        EngineVersion: version,
        DBInstanceClass: instanceClass,
        LicenseModel: 'postgresql-license',
        AvailabilityZones: zones,
        MultiAZCapable: true,
        Vpc: true,
        StorageType: 'gp3',
        SupportsStorageEncryption: true,
      }),
    ),
  );
}

/**
 * What RDS answers CreateDBInstance for a postgres instance of that version and class in the region,
 * or undefined when it creates it. A major alone takes RDS's default minor (any creatable one here).
 */
export function refusedPostgresInstance(region: string, engineVersion: string | undefined, instanceClass: string | undefined): string | undefined {
  if (!RDS_REGIONS.includes(region)) return undefined;
  const versions =
    engineVersion === undefined
      ? [...CREATABLE_POSTGRES_VERSIONS]
      : CREATABLE_POSTGRES_VERSIONS.filter((version) => (engineVersion.includes('.') ? version === engineVersion : majorOf(version) === engineVersion));
  // RDS's words (InvalidParameterCombination): anomalyco/sst#6195, 2025-10-27.
  if (versions.length === 0) return `Cannot find version ${engineVersion ?? ''} for postgres`;
  if (instanceClass === undefined || orderableOptions(region, { engine: 'postgres', instanceClass }).some((option) => versions.includes(option.EngineVersion))) return undefined;
  // RDS's words (InvalidParameterCombination): dybooksIT/k8s-aws-book#9, 2024-03-31.
  return (
    `RDS does not support creating a DB instance with the following combination: DBInstanceClass=${instanceClass}, Engine=postgres, ` +
    `EngineVersion=${versions.at(-1) ?? engineVersion ?? ''}, LicenseModel=postgresql-license. For supported combinations of instance class and database engine version, see the documentation.`
  );
}
