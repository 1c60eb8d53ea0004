import { DescribeAvailabilityZonesCommand, paginateDescribeInstanceTypeOfferings } from '@aws-sdk/client-ec2';
import { paginateDescribeDBEngineVersions, paginateDescribeOrderableDBInstanceOptions } from '@aws-sdk/client-rds';
import type { CustomerRegionClients } from '../aws/customer-region-clients';
import type { CustomerAccess, CustomerClients } from '../aws/customer-session';
import type { AvailabilityZone } from '../model/network-plan';
import { RegionUnreadableError } from './errors';

/**
 * What a customer's region offers the customer's account, read through its access role: the one
 * adapter of the region checks (fit-region.ts decides with what it reads). Every call is a List
 * action that AWS cannot scope to a resource (IAM authorization reference), granted by the access
 * role's ReadWhatTheRegionOffers statement (cfn/onboarding-role.yaml).
 */
export interface RegionOffer {
  /** The AZs a stack can use: available, of type availability-zone, and needing no opt-in (or opted in); by name. */
  availabilityZones(): Promise<AvailabilityZone[]>;
  /** For each instance type, the names of the AZs that offer it. */
  instanceTypeZones(instanceTypes: readonly string[]): Promise<Map<string, Set<string>>>;
  /** The PostgreSQL versions RDS can create a DB instance with in this region. */
  postgresVersions(): Promise<PostgresVersion[]>;
  /** The PostgreSQL versions that can run on this DB instance class here (in a VPC). */
  postgresVersionsOnClass(instanceClass: string): Promise<Set<string>>;
  /** The DB instance classes that can run this PostgreSQL version here (in a VPC). */
  postgresClasses(engineVersion: string): Promise<string[]>;
}

export interface PostgresVersion {
  version: string;
  major: string;
}

export type RegionOfferFor = (access: CustomerAccess, region: string) => Promise<RegionOffer>;

/** The RegionOffer of the account and region, read with EC2 and RDS clients acting through its access role. */
export function awsRegionOfferFor(clientsFor: CustomerClients<CustomerRegionClients>): RegionOfferFor {
  return async (access, region) => {
    const { ec2, rds } = await read('sts:AssumeRole', () => clientsFor(access, region));
    return {
      availabilityZones: () =>
        read('ec2:DescribeAvailabilityZones', async () => {
          const { AvailabilityZones = [] } = await ec2.send(
            new DescribeAvailabilityZonesCommand({
              Filters: [
                { Name: 'state', Values: ['available'] },
                { Name: 'zone-type', Values: ['availability-zone'] },
                { Name: 'opt-in-status', Values: ['opt-in-not-required', 'opted-in'] },
              ],
            }),
          );
          return AvailabilityZones.flatMap((zone) => (zone.ZoneName && zone.ZoneId ? [{ name: zone.ZoneName, zoneId: zone.ZoneId }] : [])).sort((a, b) =>
            a.name.localeCompare(b.name),
          );
        }),

      instanceTypeZones: (instanceTypes) =>
        read('ec2:DescribeInstanceTypeOfferings', async () => {
          const zones = new Map(instanceTypes.map((type): [string, Set<string>] => [type, new Set()]));
          const pages = paginateDescribeInstanceTypeOfferings(
            { client: ec2 },
            { LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: [...instanceTypes] }] },
          );
          for await (const page of pages) {
            for (const offering of page.InstanceTypeOfferings ?? []) {
              if (offering.InstanceType && offering.Location) zones.get(offering.InstanceType)?.add(offering.Location);
            }
          }
          return zones;
        }),

      postgresVersions: () =>
        read('rds:DescribeDBEngineVersions', async () => {
          const versions: PostgresVersion[] = [];
          // IncludeAll unset: "The default is to list only available engine versions" (DescribeDBEngineVersions, RDS API Reference).
          for await (const page of paginateDescribeDBEngineVersions({ client: rds }, { Engine: 'postgres' })) {
            for (const found of page.DBEngineVersions ?? []) {
              if (!found.EngineVersion || (found.Status !== undefined && found.Status !== 'available')) continue;
              versions.push({ version: found.EngineVersion, major: found.MajorEngineVersion ?? found.EngineVersion.split('.')[0] ?? found.EngineVersion });
            }
          }
          return versions;
        }),

      postgresVersionsOnClass: (instanceClass) => orderable({ DBInstanceClass: instanceClass }, 'EngineVersion'),

      postgresClasses: async (engineVersion) => [...(await orderable({ EngineVersion: engineVersion }, 'DBInstanceClass'))].sort(),
    };

    /** One field of the orderable postgres options (in a VPC) that match the filter. */
    function orderable(filter: { DBInstanceClass?: string; EngineVersion?: string }, field: 'EngineVersion' | 'DBInstanceClass'): Promise<Set<string>> {
      return read('rds:DescribeOrderableDBInstanceOptions', async () => {
        const values = new Set<string>();
        for await (const page of paginateDescribeOrderableDBInstanceOptions({ client: rds }, { Engine: 'postgres', Vpc: true, ...filter })) {
          for (const option of page.OrderableDBInstanceOptions ?? []) {
            const value = option[field];
            if (value) values.add(value);
          }
        }
        return values;
      });
    }
  };
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'InvalidClientTokenId', 'ExpiredToken']);

/** A refused call (an access role from an older onboarding template, or a removed one) is the account's state, not a server fault. */
async function read<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (error instanceof Error && (DENIED.has(error.name) || status === 403)) throw new RegionUnreadableError(action, { cause: error });
    throw error;
  }
}
