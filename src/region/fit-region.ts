import { ValidationError, type FieldError } from '../errors';
import type { AvailabilityZone } from '../model/network-plan';
import type { StackRequest } from '../model/stack-request';
import { BASTION_INSTANCE_TYPE } from '../templates/bastion';
import { NAT_INSTANCE_TYPE } from '../templates/nat';
import type { PostgresVersion, RegionOffer } from './region-offer';

/**
 * Whether the customer's region can hold the stack, and where: the AZs it will use, each offering
 * every instance type the stack launches (an AZ that lacks one fails that component in AWS: "Your
 * requested instance type (…) is not supported in your requested Availability Zone (…)"), and the
 * PostgreSQL version and DB instance class RDS can create there. What the region cannot meet is a
 * 400 on the request's field, saying what the region can.
 */
export interface RegionFit {
  /** The AZs the stack uses, by azIndex: the first (by name) that offer every instance type it launches. */
  availabilityZones: AvailabilityZone[];
}

/** One EC2 instance type the stack launches, and the request field that brings it in. */
export interface LaunchedInstanceType {
  instanceType: string;
  field: string;
  what: string;
}

/** Every instance type the stack's templates launch: the NAT instance, the cluster's instances, the bastion. */
export function instanceTypesOf(request: StackRequest): LaunchedInstanceType[] {
  const launched: LaunchedInstanceType[] = [];
  if (request.network.nat === 'instance') launched.push({ instanceType: NAT_INSTANCE_TYPE, field: 'network.nat', what: 'the NAT instance' });
  if (request.compute !== null) launched.push({ instanceType: request.compute.instanceType, field: 'compute.instanceType', what: 'the cluster instance type' });
  if (request.bastion.enabled) launched.push({ instanceType: BASTION_INSTANCE_TYPE, field: 'bastion.enabled', what: 'the bastion' });
  return launched;
}

/** @throws ValidationError (400) naming each field the region cannot meet, and what it can. */
export async function fitRequestToRegion(request: StackRequest, offer: RegionOffer): Promise<RegionFit> {
  const [zones, database] = await Promise.all([chooseZones(request, offer), databaseErrors(request, offer)]);
  const errors = [...zones.errors, ...database];
  if (errors.length > 0) throw new ValidationError(errors, `${request.region} cannot hold this stack as requested.`);
  return { availabilityZones: zones.chosen };
}

async function chooseZones(request: StackRequest, offer: RegionOffer): Promise<{ chosen: AvailabilityZone[]; errors: FieldError[] }> {
  const { region } = request;
  const launched = instanceTypesOf(request);
  const types = [...new Set(launched.map((use) => use.instanceType))];
  const [all, offered] = await Promise.all([offer.availabilityZones(), types.length > 0 ? offer.instanceTypeZones(types) : Promise.resolve(new Map<string, Set<string>>())]);
  const offers = (type: string, zone: AvailabilityZone) => offered.get(type)?.has(zone.name) ?? false;
  const eligible = all.filter((zone) => types.every((type) => offers(type, zone)));
  const wanted = request.network.azCount;
  if (eligible.length >= wanted) return { chosen: eligible.slice(0, wanted), errors: [] };

  const what = types.length === 0 ? '' : ` that offer${eligible.length === 1 ? 's' : ''} ${andList(types)}`;
  const advice = eligible.length >= 2 ? `; set azCount to ${eligible.length}` : '; a stack needs at least 2';
  const errors: FieldError[] = [{ field: 'network.azCount', message: `${region} has ${count(eligible.length, 'availability zone')}${what}: ${names(eligible)}${advice}` }];
  // A type is named on its own field only when it, not the region's size, is what falls short.
  for (const use of launched) {
    const zones = all.filter((zone) => offers(use.instanceType, zone));
    if (zones.length < Math.min(wanted, all.length)) {
      errors.push({ field: use.field, message: `${use.what} (${use.instanceType}) is offered in ${zones.length} of ${region}'s ${count(all.length, 'availability zone')}: ${names(zones)}` });
    }
  }
  return { chosen: [], errors };
}

async function databaseErrors(request: StackRequest, offer: RegionOffer): Promise<FieldError[]> {
  if (request.database === null) return [];
  const { region } = request;
  const { version, instanceClass } = request.database;
  const versions = await offer.postgresVersions();
  // A major alone ("16") lets RDS pick its default minor; a minor must be one RDS still creates.
  const matching = versions.filter((candidate) => (version.includes('.') ? candidate.version === version : candidate.major === version));
  if (matching.length === 0) return [{ field: 'database.version', message: `PostgreSQL ${version} cannot be created in ${region}; ${creatable(versions, region)}` }];

  const onClass = await offer.postgresVersionsOnClass(instanceClass);
  if (matching.some((candidate) => onClass.has(candidate.version))) return [];
  const newest = [...matching].sort(byVersion).at(-1) as PostgresVersion;
  const classes = await offer.postgresClasses(newest.version);
  return [
    {
      field: 'database.instanceClass',
      message: `${instanceClass} cannot run PostgreSQL ${version} in ${region}; the classes that can run ${newest.version} there: ${classes.join(', ') || 'none'}`,
    },
  ];
}

/** What RDS can create in the region, by major version. */
function creatable(versions: readonly PostgresVersion[], region: string): string {
  if (versions.length === 0) return `RDS can create no PostgreSQL version in ${region}`;
  const majors = [...new Set([...versions].sort(byVersion).map((candidate) => candidate.major))];
  const byMajor = majors.map((major) => `${versions.filter((candidate) => candidate.major === major).sort(byVersion).map((candidate) => candidate.version).join(', ')}`);
  return `the versions it can: ${byMajor.join('; ')}; or give a major version alone (${majors.join(', ')}) and RDS picks its default minor`;
}

function byVersion(a: PostgresVersion, b: PostgresVersion): number {
  const [left, right] = [a.version.split('.').map(Number), b.version.split('.').map(Number)];
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? -1) - (right[index] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

const names = (zones: readonly AvailabilityZone[]) => (zones.length === 0 ? 'none' : zones.map((zone) => zone.name).join(', '));
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const andList = (items: readonly string[]) => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`);
