import { sha256 } from './template-evaluator';
import type { AccountRegistry } from './account-registry';
import type { DbSnapshotRecord, StackRecord } from './sandbox-state';
import { resourceTags, type StackPermissions } from './stack-permissions';

/**
 * The final DB snapshots CloudFormation has RDS make before it deletes a database
 * (`DeletionPolicy: Snapshot`, the default for an AWS::RDS::DBCluster and for an AWS::RDS::DBInstance
 * without DBClusterIdentifier — Template Reference, "DeletionPolicy attribute",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html),
 * or before it deletes the old instance an update replaced (`UpdateReplacePolicy: Snapshot`).
 *
 * The resource's delete handler calls DeleteDBInstance (DeleteDBCluster) with a
 * FinalDBSnapshotIdentifier it makes up, and skips it for read replicas and cluster members
 * (aws-cloudformation/aws-cloudformation-resource-providers-rds, aws-rds-dbinstance DeleteHandler.java
 * and aws-rds-dbcluster DeleteHandler.java, read 2026-12-06). The snapshots are manual snapshots:
 * they stay, listed by DescribeDBSnapshots, until the customer deletes them.
 */

/** The resource types whose delete takes a final snapshot, and what RDS calls it. */
const SNAPSHOTTED: Readonly<Record<string, { kind: DbSnapshotRecord['kind']; action: string; arnType: string; ownArnType: string }>> = {
  'AWS::RDS::DBInstance': { kind: 'instance', action: 'rds:CreateDBSnapshot', arnType: 'snapshot', ownArnType: 'db' },
  'AWS::RDS::DBCluster': { kind: 'cluster', action: 'rds:CreateDBClusterSnapshot', arnType: 'cluster-snapshot', ownArnType: 'cluster' },
};

/**
 * How long RDS takes to make the final snapshot, unscaled seconds, on top of the delete's own time.
 * AWS gives no figure: it says only that "if you don't take a final snapshot, deletion is faster" and
 * that the instance stays `deleting` "until the DB snapshot is created" (RDS User Guide, "Deleting a DB
 * instance", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html; RDS API
 * Reference, DeleteDBInstance; both read 2026-12-06). The sandbox's estimate: the first snapshot of
 * an instance copies its whole volume, a few minutes for the tens of GiB Groundwork provisions; an
 * Aurora cluster's snapshot is a storage-layer copy, quicker.
 */
export const FINAL_SNAPSHOT_SECONDS: Readonly<Record<DbSnapshotRecord['kind'], number>> = { instance: 240, cluster: 120 };

/** What CloudFormation knows of the database it is about to delete. */
export interface SnapshotSource {
  logicalId: string;
  type: string;
  physicalId: string;
  properties: Record<string, unknown>;
}

/**
 * Whether CloudFormation asks for a final snapshot: the policy (absent: the type's default for a
 * stack delete or removal, Delete for a replacement), and never for a read replica or a cluster member.
 */
export function snapshotRequested(type: string, properties: Record<string, unknown>, policy: string | undefined, reason: 'delete' | 'replace'): boolean {
  if (SNAPSHOTTED[type] === undefined) return false;
  const clusterMember = type === 'AWS::RDS::DBInstance' && properties['DBClusterIdentifier'] !== undefined;
  const replica = properties['SourceDBInstanceIdentifier'] !== undefined || properties['SourceDBClusterIdentifier'] !== undefined;
  if (clusterMember || replica) return false;
  return policy === 'Snapshot' || (policy === undefined && reason === 'delete');
}

/**
 * The identifier the handler gives the snapshot: `<stack name>-snapshot-<LogicalId>-<12 characters>`,
 * lower-cased (IdentifierFactory with the stack, "Snapshot-" + the logical id and the request token, and
 * cloudformation-java-plugin's IdentifierUtils.generateResourceIdentifier: 255 characters at most, the
 * stack and resource parts split fairly; the 12 characters come from the handler request's token).
 */
export function finalSnapshotIdentifier(stackName: string, logicalId: string, token: string): string {
  const stack = stackName.replace(/^-+/, '').replace(/-{2,}/g, '-');
  const resource = `Snapshot-${logicalId}`;
  const [stackChars, resourceChars] = fairSplit(255 - 13 - 1, [stack.length, resource.length]);
  const hex = sha256(`final-snapshot:${token}`);
  const suffix = Array.from({ length: 12 }, (_unused, index) => ALPHANUMERIC[parseInt(hex.slice(index * 2, index * 2 + 2), 16) % ALPHANUMERIC.length]).join('');
  return `${stack.slice(0, stackChars)}-${resource.slice(0, resourceChars)}-${suffix}`
    .replace(/^-+/, '')
    .replace(/-{2,}/g, '-')
    .replace(/-+$/, '')
    .toLowerCase();
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** IdentifierUtils.fairSplit: each part gets an even share of the room, what one leaves goes to the other. */
function fairSplit(room: number, wanted: [number, number]): [number, number] {
  const first = Math.min(wanted[0], Math.max(Math.floor(room / 2), room - wanted[1]));
  return [first, Math.min(wanted[1], room - first)];
}

export class DbSnapshots {
  constructor(
    private readonly accounts: AccountRegistry,
    private readonly permissions: StackPermissions,
    private readonly uuid: (purpose: string) => string,
    private readonly now: () => number,
  ) {}

  /**
   * The final snapshot of a database being deleted: IAM's refusal of the calls it takes (CloudFormation's
   * words, the delete fails), or the snapshot made (creating until `seconds` have passed, then available).
   */
  take(stack: StackRecord, source: SnapshotSource, scaledSeconds: (seconds: number) => number): { denial: string } | { snapshot: DbSnapshotRecord; seconds: number } {
    const kind = SNAPSHOTTED[source.type];
    if (kind === undefined) throw new Error(`${source.type} has no final snapshot`);
    const identifier = finalSnapshotIdentifier(stack.stackName, source.logicalId, this.uuid(`snapshot-token:${stack.stackId}:${source.logicalId}`));
    const arn = `arn:aws:rds:${stack.region}:${stack.account}:${kind.arnType}:${identifier}`;
    const tags = resourceTags(stack, { logicalId: source.logicalId, type: source.type, properties: source.properties, updatedAt: 0 });
    const copyTags = source.properties['CopyTagsToSnapshot'] === true || source.properties['CopyTagsToSnapshot'] === 'true';
    const denial = this.permissions.finalSnapshotDenial(stack, {
      action: kind.action,
      database: `arn:aws:rds:${stack.region}:${stack.account}:${kind.ownArnType}:${source.physicalId}`,
      databaseTags: tags,
      snapshot: arn,
      copiedTags: copyTags ? tags : undefined,
    });
    if (denial !== undefined) return { denial };
    const seconds = FINAL_SNAPSHOT_SECONDS[kind.kind];
    const properties = source.properties;
    const text = (name: string) => (properties[name] === undefined ? undefined : String(properties[name]));
    const storage = Number(properties['AllocatedStorage'] ?? Number.NaN);
    const createdAt = this.now();
    const snapshot: DbSnapshotRecord = {
      kind: kind.kind,
      region: stack.region,
      identifier,
      arn,
      sourceId: source.physicalId,
      // A database restored from a snapshot may name no Engine: it has its snapshot's.
      engine: text('Engine') ?? this.find(stack.account, stack.region, text('DBSnapshotIdentifier') ?? text('SnapshotIdentifier') ?? '')?.engine ?? '',
      ...(text('EngineVersion') === undefined ? {} : { engineVersion: text('EngineVersion') }),
      ...(Number.isFinite(storage) ? { allocatedStorage: storage } : {}),
      ...(text('StorageType') === undefined ? {} : { storageType: text('StorageType') }),
      ...(text('DBInstanceClass') === undefined ? {} : { instanceClass: text('DBInstanceClass') }),
      ...(text('MasterUsername') === undefined ? {} : { masterUsername: text('MasterUsername') }),
      encrypted: properties['StorageEncrypted'] === true || properties['StorageEncrypted'] === 'true',
      tags: copyTags ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : [],
      createdAt,
      availableAt: createdAt + scaledSeconds(seconds),
    };
    this.accounts.hold(stack.account, 'dbSnapshots', snapshot);
    return { snapshot, seconds };
  }

  /** A snapshot of the account and region, by identifier or ARN. */
  find(account: string, region: string, nameOrArn: string): DbSnapshotRecord | undefined {
    return this.accounts.held(account, 'dbSnapshots').find((snapshot) => snapshot.region === region && (snapshot.identifier === nameOrArn.toLowerCase() || snapshot.arn === nameOrArn));
  }
}
