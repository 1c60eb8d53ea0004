import type { AwsRequest, AwsResponse, AwsService } from '../contracts';
import { identifyCaller, type Caller } from './caller-identity';
import { AwsApiError } from './errors';
import { answerQuery, QueryParameters, XmlList, type XmlValue } from './query-protocol';
import { describeEngineVersions, orderableOptions } from './region-offerings';
import type { DbSnapshotRecord } from './sandbox-state';
import type { AccountApiOptions } from './sts-service';

/**
 * The sandbox's RDS (query protocol, 2014-10-31): DescribeDBEngineVersions and
 * DescribeOrderableDBInstanceOptions, answered from the dated data (data/rds-postgres.ts): the
 * PostgreSQL versions a DB instance can still be created with, and the classes that run them; and the
 * snapshots the account's stacks left (db-snapshots.ts): DescribeDBSnapshots, DeleteDBSnapshot and
 * their cluster twins. A role session's call is evaluated against its role's policies (AccessDenied,
 * 403). Lists name their members (`<DBEngineVersions><DBEngineVersion>`), as RDS's do.
 */

/** Instance snapshots and cluster snapshots: the same calls under RDS's two sets of names. */
const SNAPSHOT_NAMES = {
  instance: { noun: 'DBSnapshot', id: 'DBSnapshotIdentifier', source: 'DBInstanceIdentifier', arn: 'DBSnapshotArn', notFound: 'DBSnapshotNotFound', invalidState: 'InvalidDBSnapshotState' },
  cluster: { noun: 'DBClusterSnapshot', id: 'DBClusterSnapshotIdentifier', source: 'DBClusterIdentifier', arn: 'DBClusterSnapshotArn', notFound: 'DBClusterSnapshotNotFoundFault', invalidState: 'InvalidDBClusterSnapshotStateFault' },
} as const;

const NAMESPACE = 'http://rds.amazonaws.com/doc/2014-10-31/';

export function createRdsService(options: AccountApiOptions): AwsService {
  const { engine, now, log } = options;

  const snapshotsOf = (account: string, region: string, kind: DbSnapshotRecord['kind']) => engine.accounts.held(account, 'dbSnapshots').filter((snapshot) => snapshot.region === region && snapshot.kind === kind);

  /**
   * DescribeDBSnapshots (DescribeDBClusterSnapshots): the account's snapshots of the region, by
   * identifier (or ARN), source and SnapshotType; one named that does not exist is "DBSnapshot not
   * found: <id>" (DBSnapshotNotFound, 404: RDS API Reference, DescribeDBSnapshots, Errors; the wording
   * as RDS answered it in aws/aws-cli#8296, 2023).
   */
  function describeSnapshots(kind: DbSnapshotRecord['kind'], params: QueryParameters, caller: Caller, region: string): { [name: string]: XmlValue } {
    const names = SNAPSHOT_NAMES[kind];
    const wanted = params.string(names.id);
    const source = params.string(names.source);
    const type = params.string('SnapshotType');
    const found = snapshotsOf(caller.account, region, kind).filter(
      (snapshot) =>
        (wanted === undefined || snapshot.identifier === wanted.toLowerCase() || snapshot.arn === wanted) &&
        (source === undefined || snapshot.sourceId === source.toLowerCase()) &&
        // Every snapshot the sandbox keeps is a manual one (final snapshots are manual: RDS User Guide, "Deleting a DB instance").
        (type === undefined || type === 'manual'),
    );
    if (wanted !== undefined && found.length === 0) throw new AwsApiError(names.notFound, `${names.noun} not found: ${wanted}`, 404);
    const { page, marker } = paged(params, found, { min: 20, max: 100 });
    return { [`${names.noun}s`]: new XmlList(names.noun, page.map((snapshot) => renderSnapshot(snapshot, now()))), ...(marker === undefined ? {} : { Marker: marker }) };
  }

  /**
   * DeleteDBSnapshot (DeleteDBClusterSnapshot): a manual snapshot in the `available` state goes, and
   * the answer is it with Status `deleted` (RDS API Reference, DeleteDBSnapshot: "The DB snapshot must
   * be in the available state to be deleted"). RDS's wording of InvalidDBSnapshotState is not
   * documented; the sandbox's names the state. IAM is asked on the snapshot's ARN first.
   */
  function deleteSnapshot(kind: DbSnapshotRecord['kind'], params: QueryParameters, caller: Caller, region: string): { [name: string]: XmlValue } {
    const names = SNAPSHOT_NAMES[kind];
    const wanted = params.required(names.id);
    const arn = `arn:aws:rds:${region}:${caller.account}:${kind === 'instance' ? 'snapshot' : 'cluster-snapshot'}:${wanted.toLowerCase()}`;
    const denial = engine.permissions.callDenial(caller, `rds:Delete${names.noun}`, { 'aws:RequestedRegion': region }, arn);
    if (denial !== undefined) throw new AwsApiError('AccessDenied', denial, 403);
    const snapshot = snapshotsOf(caller.account, region, kind).find((candidate) => candidate.identifier === wanted.toLowerCase());
    if (snapshot === undefined) throw new AwsApiError(names.notFound, `${names.noun} not found: ${wanted}`, 404);
    const rendered = renderSnapshot(snapshot, now());
    if (rendered['Status'] !== 'available') throw new AwsApiError(names.invalidState, `${names.noun} ${snapshot.identifier} is in the ${String(rendered['Status'])} state; it must be available to be deleted.`);
    engine.accounts.release(caller.account, 'dbSnapshots', snapshot);
    return { [names.noun]: { ...rendered, Status: 'deleted' } };
  }

  // The snapshot calls are evaluated by their own handlers (DeleteDBSnapshot on the snapshot's ARN).
  const snapshotActions: Record<string, (params: QueryParameters, caller: Caller, region: string) => { [name: string]: XmlValue }> = {
    DescribeDBSnapshots: (params, caller, region) => describeSnapshots('instance', params, caller, region),
    DescribeDBClusterSnapshots: (params, caller, region) => describeSnapshots('cluster', params, caller, region),
    DeleteDBSnapshot: (params, caller, region) => deleteSnapshot('instance', params, caller, region),
    DeleteDBClusterSnapshot: (params, caller, region) => deleteSnapshot('cluster', params, caller, region),
  };

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
        const snapshotAction = Object.hasOwn(snapshotActions, params.action) ? snapshotActions[params.action] : undefined;
        if (!action && !snapshotAction) throw new AwsApiError('InvalidAction', `Could not find operation ${params.action} for version 2014-10-31 (the sandbox's RDS implements ${[...Object.keys(actions), ...Object.keys(snapshotActions)].join(', ')})`);
        if (!params.action.startsWith('Delete')) {
          const denial = engine.permissions.callDenial(caller, `rds:${params.action}`, { 'aws:RequestedRegion': request.region });
          if (denial !== undefined) throw new AwsApiError('AccessDenied', denial, 403);
        }
        return snapshotAction ? snapshotAction(params, caller, request.region) : (action as NonNullable<typeof action>)(params, request.region);
      });
    },
  };
}

/** A snapshot as DescribeDBSnapshots answers it (the fields of RDS's DBSnapshot / DBClusterSnapshot). */
function renderSnapshot(snapshot: DbSnapshotRecord, now: number): { [name: string]: XmlValue } {
  const names = SNAPSHOT_NAMES[snapshot.kind];
  const available = now >= snapshot.availableAt;
  return {
    [names.id]: snapshot.identifier,
    [names.source]: snapshot.sourceId,
    SnapshotCreateTime: new Date(snapshot.createdAt),
    Engine: snapshot.engine,
    EngineVersion: snapshot.engineVersion,
    AllocatedStorage: snapshot.allocatedStorage,
    StorageType: snapshot.storageType,
    Status: available ? 'available' : 'creating',
    PercentProgress: available ? 100 : 0,
    MasterUsername: snapshot.masterUsername,
    SnapshotType: 'manual',
    ...(snapshot.kind === 'instance' ? { Encrypted: snapshot.encrypted } : { StorageEncrypted: snapshot.encrypted }),
    [names.arn]: snapshot.arn,
    TagList: new XmlList('Tag', snapshot.tags),
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
