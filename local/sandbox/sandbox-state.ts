import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateFileError } from './errors';

/**
 * Everything the sandbox accounts hold, as one JSON document: the accounts, their stacks (with
 * resources, outputs, events and the operation in progress), the IAM roles and EventBridge rules
 * their stacks created. It is written to the state file shortly after every change and read at
 * start, so a restarted sandbox carries on where it stopped.
 */

export const STATE_FORMAT = 'groundwork-sandbox/1';

export type StackOperation = 'CREATE' | 'ROLLBACK' | 'DELETE' | UpdateOperation;

/** The phases of an UpdateStack (local/sandbox/stack-update.ts). */
export type UpdateOperation = 'UPDATE' | 'UPDATE_CLEANUP' | 'UPDATE_ROLLBACK' | 'UPDATE_ROLLBACK_CLEANUP';

/** What an UpdateStack changes, kept until it ends so that a rollback can put the stack back. */
export interface UpdateRecord {
  /** The stack as it was before the update. */
  previous: Pick<StackRecord, 'templateBody' | 'parameters' | 'resolvedParameters' | 'capabilities' | 'tags' | 'outputs' | 'description'> & { roleArn?: string };
  /** Each resource's properties and physical id before the update (absent: added by it). */
  before: Record<string, { physicalId?: string; properties?: Record<string, unknown>; data?: Record<string, string> }>;
  /** The logical ids the new template leaves out (deleted in the cleanup). */
  removed: string[];
  /** The stack policy this update is held to: StackPolicyDuringUpdateBody, or the stack's as the update began. */
  policy?: string;
  /** The resources whose update step is over (unchanged, updated, replaced) or whose removal the policy allowed. */
  done: string[];
  /** In a rollback: the resources put back (or skipped by ContinueUpdateRollback). */
  rolledBack: string[];
  /** In a rollback: the resources that could not be put back (UPDATE_ROLLBACK_FAILED). */
  rollbackFailed: string[];
  /** An injected rollback failure has been spent on this rollback (ContinueUpdateRollback starts another). */
  rollbackFaultSpent?: boolean;
}

/** The physical resource a replacement superseded, deleted in the cleanup (or kept, on rollback). */
export interface ReplacedResource {
  physicalId: string;
  properties: Record<string, unknown>;
  /** When its delete in the cleanup ends (sandbox clock, ms). */
  dueAt?: number;
  status?: string;
}

export interface PendingCustomRequest {
  /** The id in the ResponseURL, /_sandbox/cfn-responses/<responseId>. */
  responseId: string;
  requestType: 'Create' | 'Update' | 'Delete';
  /** The request as published, republished when the sandbox restarts while waiting. */
  message: string;
  topicArn: string;
  deadline: number;
}

/** A resource whose CreationPolicy waits for signals (src/cfn/creation-policy.ts), while it waits. */
export interface SignalWait {
  count: number;
  minSuccessfulInstancesPercent: number;
  /** When CreationPolicy's Timeout expires (sandbox clock, ms). */
  deadline: number;
  /** Its own create time has passed; only the signals are missing. */
  created: boolean;
  received: WaitSignal[];
  /** The instances the sandbox plays for it: when and how each will signal. */
  instances: Array<{ id: string; at: number; status: 'SUCCESS' | 'FAILURE' }>;
  /** A WaitCondition without CreationPolicy: the URL of its Handle, whose signals it counts. */
  handle?: string;
}

/** A signal: from SignalResource, an instance the sandbox plays, or a PUT to a wait condition handle (with its Data and Reason). */
export interface WaitSignal {
  uniqueId: string;
  status: 'SUCCESS' | 'FAILURE';
  data?: string;
  reason?: string;
  /** The PUT to the handle was no signal CloudFormation can read. */
  unparsable?: boolean;
}

export interface ResourceRecord {
  logicalId: string;
  type: string;
  /** Absent: not started. */
  status?: string;
  statusReason?: string;
  physicalId?: string;
  /** Whether something exists in the account that a delete must remove. */
  exists?: boolean;
  /** The properties as resolved when the resource was created. */
  properties?: Record<string, unknown>;
  /** A custom resource's response Data. */
  data?: Record<string, string>;
  /** When the create or delete in progress ends (sandbox clock, ms). */
  dueAt?: number;
  /** The create or delete in progress will fail, with this reason (an injected fault). */
  failure?: string;
  pending?: PendingCustomRequest;
  signals?: SignalWait;
  /** A WaitConditionHandle: the signals PUT to its URL, oldest first. */
  waitSignals?: WaitSignal[];
  /** A failed delete the current DeleteStack retries. */
  retryDelete?: boolean;
  /** During an update: the resource was replaced; the old physical resource (stack-update.ts). */
  replaced?: ReplacedResource;
  /** During an update: the properties it is being updated to (or, in a rollback, back to). */
  target?: Record<string, unknown>;
  updatedAt: number;
}

export interface EventRecord {
  eventId: string;
  logicalId: string;
  physicalId: string;
  type: string;
  status: string;
  reason?: string;
  timestamp: number;
  clientRequestToken?: string;
}

export interface OutputRecord {
  key: string;
  value: string;
  description?: string;
  exportName?: string;
}

export interface StackRecord {
  stackId: string;
  stackName: string;
  account: string;
  region: string;
  description?: string;
  status: string;
  statusReason?: string;
  templateBody: string;
  parameters: Record<string, string>;
  /** Values of SSM-typed parameters, as Parameter Store gave them. */
  resolvedParameters: Record<string, string>;
  tags: Array<{ Key: string; Value: string }>;
  capabilities: string[];
  notificationArns: string[];
  roleArn?: string;
  /** Created without RoleARN by a role session: CloudFormation acts with that session's role. */
  callerRoleArn?: string;
  callerSession?: string;
  clientRequestToken?: string;
  onFailure: 'ROLLBACK' | 'DELETE' | 'DO_NOTHING';
  timeoutInMinutes?: number;
  terminationProtection: boolean;
  /** The stack policy body, as CreateStack or SetStackPolicy set it. */
  stackPolicy?: string;
  createdAt: number;
  lastUpdatedAt?: number;
  /** When the last UpdateStack began: DescribeStacks' LastUpdatedTime, absent until one has. */
  lastUpdatedTime?: number;
  deletedAt?: number;
  outputs: OutputRecord[];
  /** The resources the template creates (those whose Condition holds), in template order. */
  resources: ResourceRecord[];
  events: EventRecord[];
  operation?: StackOperation;
  /** When the create times out (TimeoutInMinutes, sandbox clock). */
  deadline?: number;
  /** An injected delete failure has been spent on the current delete. */
  deleteFaultSpent?: boolean;
  /** The update in progress (or whose rollback failed): local/sandbox/stack-update.ts. */
  update?: UpdateRecord;
  /** A nested stack's parent and root stack ids (local/sandbox/nested-stacks.ts). */
  parentId?: string;
  rootId?: string;
  /** The stack's change sets (local/sandbox/change-sets.ts). */
  changeSets?: ChangeSetRecord[];
}

/** A change set of a stack (local/sandbox/change-sets.ts): what it asks, and the changes worked out when it was made. */
export interface ChangeSetRecord {
  changeSetId: string;
  changeSetName: string;
  description?: string;
  createdAt: number;
  /** Until then it shows CREATE_PENDING, then CREATE_IN_PROGRESS (sandbox clock). */
  readyAt: number;
  status: 'CREATE_COMPLETE' | 'FAILED';
  statusReason?: string;
  executionStatus: 'AVAILABLE' | 'UNAVAILABLE' | 'EXECUTE_IN_PROGRESS' | 'EXECUTE_COMPLETE' | 'EXECUTE_FAILED' | 'OBSOLETE';
  /** The UpdateStack request it stands for (template body, parameters as given, capabilities, tags, role). */
  request: {
    templateBody: string;
    /** Read from a TemplateURL (its size limit is the URL's). */
    templateFromUrl?: boolean;
    parameters: Array<{ ParameterKey?: string | undefined; ParameterValue?: string | undefined }>;
    capabilities: string[];
    tags: Array<{ Key: string; Value: string }>;
    roleArn?: string;
  };
  /** The parameters as they resolve (DescribeChangeSet's Parameters). */
  parameters: Record<string, string>;
  /** The ResourceChange structures, as DescribeChangeSet answers them with IncludePropertyValues. */
  changes: ResourceChange[];
}

export interface ResourceChange {
  Action: 'Add' | 'Modify' | 'Remove';
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceType: string;
  Replacement?: 'True' | 'False' | 'Conditional';
  PolicyAction?: string;
  Scope: string[];
  Details: ResourceChangeDetail[];
  BeforeContext?: string;
  AfterContext?: string;
}

export interface ResourceChangeDetail {
  Target: {
    Attribute: 'Properties' | 'Tags';
    Name?: string;
    Path?: string;
    RequiresRecreation: 'Never' | 'Always' | 'Conditionally';
    BeforeValue?: string;
    AfterValue?: string;
    AttributeChangeType?: 'Add' | 'Remove' | 'Modify';
  };
  Evaluation: 'Static' | 'Dynamic';
  ChangeSource: 'ResourceReference' | 'ParameterReference' | 'ResourceAttribute' | 'DirectModification';
  CausingEntity?: string;
}

export interface RoleRecord {
  arn: string;
  name: string;
  roleId: string;
  trustPolicy: unknown;
  maxSessionDuration: number;
  /** Inline policies: the role's own `Policies`, and AWS::IAM::Policy resources naming it (their stack and logical id). */
  policies?: Array<{ name: string; document: unknown; stackId?: string; logicalId?: string }>;
  managedPolicyArns?: string[];
  permissionsBoundary?: string;
  /** The stack resource that created it; absent for roles the sandbox itself provides. */
  stackId?: string;
  logicalId?: string;
}

export interface RuleRecord {
  arn: string;
  name: string;
  eventBusName: string;
  enabled: boolean;
  pattern: unknown;
  targets: Array<{ id: string; arn: string; roleArn?: string }>;
  stackId: string;
  logicalId: string;
}

export interface ExportRecord {
  name: string;
  value: string;
  stackId: string;
  region: string;
}

export interface AccountRecord {
  id: string;
  stacks: StackRecord[];
  roles: RoleRecord[];
  rules: RuleRecord[];
  exports: ExportRecord[];
  /** Customer managed policies (AWS::IAM::ManagedPolicy); absent in state files written before. */
  managedPolicies?: ManagedPolicyRecord[];
  /** EC2 key pairs made with CreateKeyPair or ImportKeyPair (not by stacks); absent in state files written before. */
  keyPairs?: KeyPairRecord[];
  /** ACM certificates seeded through `/_sandbox/certificates` (not by stacks); absent in state files written before. */
  certificates?: CertificateRecord[];
  /** RDS snapshots (the final snapshots of deleted databases, db-snapshots.ts); absent in state files written before. */
  dbSnapshots?: DbSnapshotRecord[];
}

/** A manual RDS snapshot of one region: of a DB instance, or of a DB cluster. */
export interface DbSnapshotRecord {
  kind: 'instance' | 'cluster';
  region: string;
  /** DBSnapshotIdentifier (DBClusterSnapshotIdentifier), lower case as RDS keeps it. */
  identifier: string;
  arn: string;
  /** The DBInstanceIdentifier (DBClusterIdentifier) it was taken of. */
  sourceId: string;
  engine: string;
  engineVersion?: string;
  allocatedStorage?: number;
  storageType?: string;
  instanceClass?: string;
  masterUsername?: string;
  encrypted: boolean;
  tags: Array<{ Key: string; Value: string }>;
  createdAt: number;
  /** When it stops being `creating` (sandbox clock, ms). */
  availableAt: number;
}

/** An ACM certificate of one region that exists outside the account's stacks (seeded). */
export interface CertificateRecord {
  arn: string;
  domainName: string;
  createdAt: number;
}

/** An EC2 key pair of one region, as DescribeKeyPairs answers it. */
export interface KeyPairRecord {
  region: string;
  keyName: string;
  keyPairId: string;
  keyType: 'rsa' | 'ed25519';
  keyFingerprint: string;
  /** The public key, OpenSSH format. */
  publicKey: string;
  createTime: number;
  tags: Array<{ Key: string; Value: string }>;
}

export interface ManagedPolicyRecord {
  arn: string;
  document: unknown;
  stackId: string;
  logicalId: string;
}

export interface SandboxState {
  format: typeof STATE_FORMAT;
  /** Signs session tokens and response URLs, so they cannot be made up by a caller. */
  secret: string;
  /** Counts every id the sandbox made, so ids are the same for the same sequence of calls. */
  sequence: number;
  accounts: Record<string, AccountRecord>;
}

export function emptyState(): SandboxState {
  return { format: STATE_FORMAT, secret: randomBytes(32).toString('hex'), sequence: 0, accounts: {} };
}

/** Reads the state file, or starts empty when there is none. A file of another format is refused. */
export function loadState(file: string | undefined): SandboxState {
  if (file === undefined || !existsSync(file)) return emptyState();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StateFileError(`The sandbox state file ${file} is not JSON; move it away to start afresh`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { format?: unknown }).format !== STATE_FORMAT) {
    throw new StateFileError(`The sandbox state file ${file} is not of format ${STATE_FORMAT}; move it away to start afresh`);
  }
  return parsed as SandboxState;
}

/**
 * Writes the state shortly after a change (many changes in a burst are one write), and at once
 * on flush(). Each write replaces the file atomically, so a crash never leaves half a file.
 * A large state (hundreds of stacks, as the scale benchmark makes) takes a while to serialise:
 * the wait after a change grows with how long the last write took, so that writing never takes
 * more than about a twentieth of the time, up to MAX_DELAY_MS. A small state is written within
 * `delayMs` (50 ms), as before.
 */
export class StateWriter {
  private static readonly MAX_DELAY_MS = 5_000;
  private static readonly WRITE_SHARE = 20;
  private timer: NodeJS.Timeout | undefined;
  private lastWriteMs = 0;

  constructor(
    private readonly file: string | undefined,
    private readonly state: SandboxState,
    private readonly delayMs = 50,
  ) {}

  changed(): void {
    if (this.file === undefined || this.timer !== undefined) return;
    const delay = Math.max(this.delayMs, Math.min(StateWriter.MAX_DELAY_MS, this.lastWriteMs * StateWriter.WRITE_SHARE));
    this.timer = setTimeout(() => this.flush(), delay);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.file === undefined) return;
    const started = performance.now();
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.state));
    renameSync(temporary, this.file);
    this.lastWriteMs = performance.now() - started;
  }
}
