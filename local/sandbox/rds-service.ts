import type { AwsRequest, AwsResponse, AwsService } from '../contracts';
import { identifyCaller } from './caller-identity';
import { AwsApiError } from './errors';
import { answerQuery, QueryParameters, XmlList, type XmlValue } from './query-protocol';
import { describeEngineVersions, orderableOptions } from './region-offerings';
import type { AccountApiOptions } from './sts-service';

/**
 * The sandbox's RDS (query protocol, 2014-10-31): DescribeDBEngineVersions and
 * DescribeOrderableDBInstanceOptions, answered from the dated data (data/rds-postgres.ts): the
 * PostgreSQL versions a DB instance can still be created with, and the classes that run them. A role
 * session's call is evaluated against its role's policies (AccessDenied, 403). Lists name their
 * members (`<DBEngineVersions><DBEngineVersion>`), as RDS's do.
 */

const NAMESPACE = 'http://rds.amazonaws.com/doc/2014-10-31/';

export function createRdsService(options: AccountApiOptions): AwsService {
  const { engine, now, log } = options;

  const actions: Record<string, (params: QueryParameters, region: string) => { [name: string]: XmlValue }> = {
    DescribeDBEngineVersions(params, region) {
      if (params.boolean('DefaultOnly')) {
        throw new AwsApiError('InvalidParameterValue', 'The sandbox data does not record which minor RDS makes the default of each major version, so it cannot answer DefaultOnly (local/sandbox/data/README.md).');
      }
      const version = params.string('EngineVersion');
      const found = describeEngineVersions(region, params.string('Engine')).filter((candidate) => version === undefined || candidate.EngineVersion === version);
      const { page, marker } = paged(params, found, { min: 20, max: 100 });
      return { DBEngineVersions: new XmlList('DBEngineVersion', page), ...(marker === undefined ? {} : { Marker: marker }) };
    },

    DescribeOrderableDBInstanceOptions(params, region) {
      const engineVersion = params.string('EngineVersion');
      const instanceClass = params.string('DBInstanceClass');
      const vpc = params.boolean('Vpc');
      const found = orderableOptions(region, {
        engine: params.required('Engine'),
        ...(engineVersion === undefined ? {} : { engineVersion }),
        ...(instanceClass === undefined ? {} : { instanceClass }),
      }).filter((option) => vpc === undefined || option.Vpc === vpc);
      const { page, marker } = paged(params, found, { min: 20, max: 1000 });
      return {
        OrderableDBInstanceOptions: new XmlList(
          'OrderableDBInstanceOption',
          page.map((option) => ({ ...option, AvailabilityZones: new XmlList('AvailabilityZone', option.AvailabilityZones.map((name) => ({ Name: name }))) })),
        ),
        ...(marker === undefined ? {} : { Marker: marker }),
      };
    },
  };

  return {
    signingNames: ['rds'],
    async handle(request: AwsRequest): Promise<AwsResponse> {
      const params = new QueryParameters(request);
      const call = { namespace: NAMESPACE, requestId: engine.uuid('request'), action: params.action, internalMessage: 'An internal failure occurred.', log };
      return answerQuery(call, async () => {
        const caller = identifyCaller(request, engine.state.secret, now());
        const action = Object.hasOwn(actions, params.action) ? actions[params.action] : undefined;
        if (!action) throw new AwsApiError('InvalidAction', `Could not find operation ${params.action} for version 2014-10-31 (the sandbox's RDS implements ${Object.keys(actions).join(' and ')})`);
        const denial = engine.permissions.callDenial(caller, `rds:${params.action}`, { 'aws:RequestedRegion': request.region });
        if (denial !== undefined) throw new AwsApiError('AccessDenied', denial, 403);
        return action(params, request.region);
      });
    },
  };
}

/** MaxRecords and Marker, as RDS pages its lists (Marker: where the next page starts). */
function paged<T>(params: QueryParameters, items: readonly T[], bounds: { min: number; max: number }): { page: T[]; marker?: string } {
  const size = params.number('MaxRecords') ?? 100;
  if (!Number.isInteger(size) || size < bounds.min || size > bounds.max) {
    throw new AwsApiError('InvalidParameterValue', `Invalid value ${size} for MaxRecords. Must be between ${bounds.min} and ${bounds.max}`);
  }
  const start = Number(params.string('Marker') ?? '0');
  if (!Number.isInteger(start) || start < 0) throw new AwsApiError('InvalidParameterValue', 'The marker is not valid.');
  return { page: items.slice(start, start + size), ...(start + size < items.length ? { marker: String(start + size) } : {}) };
}
