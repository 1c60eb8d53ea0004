import { zonesOffering } from '../../local/sandbox/data/ec2-regions';
import { describeEngineVersions, describeZones, orderableOptions } from '../../local/sandbox/region-offerings';
import type { CustomerAccess } from '../../src/aws/customer-session';
import type { RegionOfferFor } from '../../src/region/region-offer';

/**
 * A RegionOfferFor that answers from the sandbox's dated region data (local/sandbox/data/) without
 * a network: what the sandbox's EC2 and RDS would answer the access role. `asked` records each
 * account and region it was asked for.
 */
export function sandboxRegionOffers(): RegionOfferFor & { asked: Array<{ access: CustomerAccess; region: string }> } {
  const asked: Array<{ access: CustomerAccess; region: string }> = [];
  const offers: RegionOfferFor = async (access, region) => {
    asked.push({ access, region });
    return {
      availabilityZones: async () => describeZones(region).map((zone) => ({ name: zone.ZoneName, zoneId: zone.ZoneId })),
      instanceTypeZones: async (types) => new Map(types.map((type): [string, Set<string>] => [type, new Set(zonesOffering(region, type).map((zone) => zone.name))])),
      postgresVersions: async () => describeEngineVersions(region, 'postgres').map((found) => ({ version: found.EngineVersion, major: found.MajorEngineVersion })),
      postgresVersionsOnClass: async (instanceClass) => new Set(orderableOptions(region, { engine: 'postgres', instanceClass }).map((option) => option.EngineVersion)),
      postgresClasses: async (engineVersion) => [...new Set(orderableOptions(region, { engine: 'postgres', engineVersion }).map((option) => option.DBInstanceClass))].sort(),
    };
  };
  return Object.assign(offers, { asked });
}
