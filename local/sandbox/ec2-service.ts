import type { AwsRequest, AwsResponse, AwsService } from '../contracts';
import { identifyCaller } from './caller-identity';
import { KNOWN_INSTANCE_TYPES, zonesOffering } from './data/ec2-regions';
import { AwsApiError } from './errors';
import { createKeyPair, describeKeyPairs, importKeyPair, keyPairItem, keyPairToDelete } from './key-pairs';
import { keyPairNames } from './reference-checks';
import { QueryParameters, escapeXml, renderXml, xmlHeaders, type XmlValue } from './query-protocol';
import { describeZones, type ZoneDescription } from './region-offerings';
import type { AccountApiOptions } from './sts-service';

/**
 * The sandbox's EC2 (EC2 query protocol, 2016-11-15): DescribeAvailabilityZones and
 * DescribeInstanceTypeOfferings, answered from the dated region data (data/ec2-regions.ts); and the
 * account's key pairs (CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair: key-pairs.ts),
 * which instances and parameters of type AWS::EC2::KeyPair::KeyName name. A role session's call is
 * evaluated against its role's policies, as in AWS (UnauthorizedOperation).
 *
 * The EC2 protocol differs from the query protocol of CloudFormation and STS: lists are `<item>`s,
 * elements are lowerCamelCase, there is no `<ActionResult>` wrapper, and errors are
 * `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
 */

const NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export function createEc2Service(options: AccountApiOptions): AwsService {
  const { engine, now, log } = options;

  const actions: Record<string, (params: QueryParameters, region: string, account: string) => { [name: string]: XmlValue }> = {
    DescribeAvailabilityZones(params, region) {
      const names = indexed(params, 'ZoneName');
      const ids = indexed(params, 'ZoneId');
      let zones = describeZones(region);
      const unknown = names.filter((name) => !zones.some((zone) => zone.ZoneName === name));
      if (unknown.length > 0) throw new AwsApiError('InvalidParameterValue', `Invalid availability zone: [${unknown.join(', ')}]`);
      if (names.length > 0) zones = zones.filter((zone) => names.includes(zone.ZoneName));
      if (ids.length > 0) zones = zones.filter((zone) => ids.includes(zone.ZoneId));
      zones = zones.filter((zone) => filters(params).every(([name, values]) => matchesZone(zone, name, values)));
      return {
        availabilityZoneInfo: zones.map((zone) => ({
          zoneName: zone.ZoneName,
          zoneId: zone.ZoneId,
          zoneState: zone.State,
          optInStatus: zone.OptInStatus,
          regionName: zone.RegionName,
          groupName: zone.GroupName,
          networkBorderGroup: zone.NetworkBorderGroup,
          zoneType: zone.ZoneType,
          messageSet: [],
        })),
      };
    },

    DescribeInstanceTypeOfferings(params, region) {
      const locationType = params.string('LocationType') ?? 'region';
      if (!['region', 'availability-zone', 'availability-zone-id'].includes(locationType)) {
        throw new AwsApiError('InvalidParameterValue', `Value (${locationType}) for parameter locationType is invalid. Valid values: region, availability-zone, availability-zone-id`);
      }
      describeZones(region); // a region the data lacks is refused
      const wanted = new Map(filters(params));
      for (const name of wanted.keys()) if (name !== 'instance-type' && name !== 'location') throw new AwsApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
      const offerings = KNOWN_INSTANCE_TYPES.flatMap((instanceType) => {
        const where = zonesOffering(region, instanceType);
        const locations = locationType !== 'region' ? where.map((zone) => (locationType === 'availability-zone' ? zone.name : zone.zoneId)) : where.length > 0 ? [region] : [];
        return locations.map((location) => ({ instanceType, locationType, location }));
      });
      const matching = offerings.filter(
        (offering) => globsMatch(wanted.get('instance-type'), offering.instanceType) && globsMatch(wanted.get('location'), offering.location),
      );
      const start = Number(params.string('NextToken') ?? '0');
      const size = params.number('MaxResults') ?? 1000;
      if (!Number.isInteger(start) || start < 0) throw new AwsApiError('InvalidParameterValue', 'Invalid NextToken');
      if (size < 5 || size > 1000) throw new AwsApiError('InvalidParameterValue', `Value (${size}) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
      const page = matching.slice(start, start + size);
      return {
        instanceTypeOfferingSet: page,
        ...(start + size < matching.length ? { nextToken: String(start + size) } : {}),
      };
    },

    CreateKeyPair(params, region, account) {
      const { record, keyMaterial } = createKeyPair(keyPairNames(engine.accounts, account, region), region, newKeyPair(params), keyPairId(), now());
      engine.accounts.hold(account, 'keyPairs', record);
      return { keyName: record.keyName, keyFingerprint: record.keyFingerprint, keyMaterial, keyPairId: record.keyPairId, tagSet: keyPairItem(record, false)['tagSet'] };
    },

    ImportKeyPair(params, region, account) {
      const record = importKeyPair(keyPairNames(engine.accounts, account, region), region, { ...newKeyPair(params), publicKeyMaterial: params.string('PublicKeyMaterial') }, keyPairId(), now());
      engine.accounts.hold(account, 'keyPairs', record);
      return { keyFingerprint: record.keyFingerprint, keyName: record.keyName, keyPairId: record.keyPairId, tagSet: keyPairItem(record, false)['tagSet'] };
    },

    DescribeKeyPairs(params, region, account) {
      const pairs = describeKeyPairs(engine.accounts.held(account, 'keyPairs'), region, { names: indexed(params, 'KeyName'), ids: indexed(params, 'KeyPairId'), filters: filters(params) }, globsMatch);
      return { keySet: pairs.map((pair) => keyPairItem(pair, params.boolean('IncludePublicKey') === true)) };
    },

    DeleteKeyPair(params, region, account) {
      const pair = keyPairToDelete(engine.accounts.held(account, 'keyPairs'), region, { keyName: params.string('KeyName'), keyPairId: params.string('KeyPairId') });
      if (pair !== undefined) engine.accounts.release(account, 'keyPairs', pair);
      return { return: true, ...(pair === undefined ? {} : { keyPairId: pair.keyPairId }) };
    },
  };

  /** `key-` and 17 hexadecimal digits, as EC2 names key pairs. */
  const keyPairId = () => `key-0${engine.uuid('key-pair').replaceAll('-', '').slice(0, 16)}`;

  return {
    signingNames: ['ec2'],
    async handle(request: AwsRequest): Promise<AwsResponse> {
      const params = new QueryParameters(request);
      const requestId = engine.uuid('request');
      try {
        const caller = identifyCaller(request, engine.state.secret, now());
        const action = Object.hasOwn(actions, params.action) ? actions[params.action] : undefined;
        if (!action) throw new AwsApiError('InvalidAction', `The action ${params.action} is not valid for this web service (the sandbox's EC2 implements ${Object.keys(actions).join(', ')}).`);
        const denial = engine.permissions.callDenial(caller, `ec2:${params.action}`, { 'ec2:Region': request.region, 'aws:RequestedRegion': request.region });
        // EC2's words for a refused call, evaluated on `*` (the key-pair actions' key-pair/<name> resource is not named).
        if (denial !== undefined) throw new AwsApiError('UnauthorizedOperation', `You are not authorized to perform this operation. ${denial.replace(' on resource: *', '')}`, 403);
        const result = action(params, request.region, caller.account);
        const body = `<${params.action}Response xmlns="${NAMESPACE}"><requestId>${requestId}</requestId>${renderXml(result, 'item')}</${params.action}Response>`;
        return { status: 200, headers: xmlHeaders(requestId), body };
      } catch (error) {
        if (!(error instanceof AwsApiError)) {
          log(`${params.action} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
        const failure = error instanceof AwsApiError ? error : new AwsApiError('InternalError', 'An internal error has occurred', 500);
        const body = `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${escapeXml(failure.code)}</Code><Message>${escapeXml(failure.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
        return { status: failure.status, headers: xmlHeaders(requestId), body };
      }
    },
  };
}

/** A CreateKeyPair or ImportKeyPair request's name, type and the tags of its `key-pair` TagSpecification. */
function newKeyPair(params: QueryParameters): { keyName: string; keyType: string | undefined; tags: Array<{ Key: string; Value: string }> } {
  const tags: Array<{ Key: string; Value: string }> = [];
  for (let index = 1; params.string(`TagSpecification.${index}.ResourceType`) !== undefined; index += 1) {
    if (params.string(`TagSpecification.${index}.ResourceType`) !== 'key-pair') continue;
    for (let tag = 1; params.string(`TagSpecification.${index}.Tag.${tag}.Key`) !== undefined; tag += 1) {
      tags.push({ Key: params.string(`TagSpecification.${index}.Tag.${tag}.Key`) ?? '', Value: params.string(`TagSpecification.${index}.Tag.${tag}.Value`) ?? '' });
    }
  }
  return { keyName: params.string('KeyName') ?? '', keyType: params.string('KeyType'), tags };
}

/** `Name.1=…&Name.2=…`: EC2's flattened lists. */
function indexed(params: QueryParameters, name: string): string[] {
  const values: string[] = [];
  for (let index = 1; ; index += 1) {
    const value = params.string(`${name}.${index}`);
    if (value === undefined) return values;
    values.push(value);
  }
}

/** `Filter.N.Name` with its `Filter.N.Value.M`s. */
function filters(params: QueryParameters): Array<[string, string[]]> {
  const found: Array<[string, string[]]> = [];
  for (let index = 1; ; index += 1) {
    const name = params.string(`Filter.${index}.Name`);
    if (name === undefined) return found;
    found.push([name, indexed(params, `Filter.${index}.Value`)]);
  }
}

const ZONE_FILTERS: Record<string, (zone: ZoneDescription) => string> = {
  state: (zone) => zone.State,
  'zone-type': (zone) => zone.ZoneType,
  'opt-in-status': (zone) => zone.OptInStatus,
  'zone-name': (zone) => zone.ZoneName,
  'zone-id': (zone) => zone.ZoneId,
  'region-name': (zone) => zone.RegionName,
  'group-name': (zone) => zone.GroupName,
};

function matchesZone(zone: ZoneDescription, name: string, values: string[]): boolean {
  const field = ZONE_FILTERS[name];
  if (field === undefined) throw new AwsApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
  return globsMatch(values, field(zone));
}

/** EC2 filter values take `*` and `?` wildcards; no filter matches everything. */
function globsMatch(patterns: string[] | undefined, value: string): boolean {
  if (patterns === undefined) return true;
  return patterns.some((pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(value));
}
