import { AwsApiError } from './errors';
import type { ResourceRecord, StackRecord } from './sandbox-state';
import type { SandboxTimers } from './sandbox-timers';
import type { CreateStackRequest, GivenParameter, GivenTag } from './stack-input';
import type { StackPermissions } from './stack-permissions';
import { readTemplateUrl } from './template-url';

/**
 * Nested stacks (`AWS::CloudFormation::Stack`) as CloudFormation runs them: the resource reads its
 * TemplateURL and creates the child stack, named `<parent>-<LogicalId>-<13 random>` (its id is the
 * resource's Ref), with the resource's `Parameters`, the parent's capabilities, role and tags (plus the
 * resource's own Tags). The resource completes when the child does, and `Fn::GetAtt <Stack>.Outputs.X`
 * is then the child's output X; a child that fails to create fails the resource ("Embedded stack …
 * was not successfully created: …"), and the parent rolls back, which deletes the child. Deleting the
 * resource deletes the child. DescribeStacks shows the child's ParentId and RootId.
 *
 * TimeoutInMinutes and NotificationARNs of the resource are not emulated (the child gets neither).
 * The state holds everything: the child's id is the resource's physical id, so a restarted sandbox
 * picks up where it was.
 */

export const NESTED_STACK_TYPE = 'AWS::CloudFormation::Stack';

/** Statuses in which a child's create has ended without success. */
const CREATE_FAILED_STATUSES = new Set(['CREATE_FAILED', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'DELETE_COMPLETE', 'DELETE_FAILED']);
/** Statuses in which a child's create or rollback is still under way: its delete must wait. */
const BUSY_STATUSES = new Set(['ROLLBACK_IN_PROGRESS', 'DELETE_IN_PROGRESS']);

/** The child's place in its tree, which CreateStack records. */
export interface Nesting {
  stackId: string;
  parentId: string;
  rootId: string;
}

/** What the stack engine lends the nested stacks. */
export interface NestedStackHost {
  createStack(accountId: string, region: string, request: CreateStackRequest, caller: undefined, nesting: Nesting): StackRecord;
  deleteStack(stack: StackRecord): void;
  stackById(accountId: string, stackId: string): StackRecord | undefined;
  /** The parent's physical id for the resource: the child's stack id (the evaluator's Ref). */
  childStackId(stack: StackRecord, logicalId: string): string;
  advance(stack: StackRecord): void;
  resourceStatus(stack: StackRecord, resource: ResourceRecord, status: string, reason?: string): void;
  now(): number;
}

export class NestedStacks {
  constructor(
    private readonly host: NestedStackHost,
    private readonly timers: SandboxTimers,
    private readonly permissions: StackPermissions,
  ) {}

  /** The resource starts creating: read the template (asynchronously), then create the child. */
  start(stack: StackRecord, resource: ResourceRecord): void {
    const properties = resource.properties ?? {};
    const childId = this.host.childStackId(stack, resource.logicalId);
    const denied = this.permissions.handlerDenial(stack, resource, childId, 'create');
    if (denied !== undefined) {
      this.host.resourceStatus(stack, resource, 'CREATE_FAILED', denied);
      return;
    }
    void readTemplateUrl(String(properties['TemplateURL'] ?? '')).then((read) => {
      // The parent may have failed, been cancelled or stopped while the template was read.
      if (this.timers.stopped || resource.status !== 'CREATE_IN_PROGRESS' || resource.physicalId !== undefined) return;
      const failure = read.kind === 'read' ? this.createChild(stack, resource, childId, read.body) : templateUrlFailure(read);
      if (failure !== undefined) this.host.resourceStatus(stack, resource, 'CREATE_FAILED', failure);
      this.later(stack);
    });
  }

  /** After a restart: a read that was in flight starts again; a child that ended is looked at. */
  resume(stack: StackRecord, resource: ResourceRecord): void {
    if (resource.status === 'CREATE_IN_PROGRESS' && resource.physicalId === undefined) {
      this.start(stack, resource);
      return;
    }
    this.check(stack, resource);
  }

  /** The resource is deleted: so is its child (once a rollback under way has ended). */
  startDelete(stack: StackRecord, resource: ResourceRecord): void {
    const child = resource.physicalId === undefined ? undefined : this.host.stackById(stack.account, resource.physicalId);
    if (child === undefined || child.status === 'DELETE_COMPLETE') {
      resource.exists = false;
      this.host.resourceStatus(stack, resource, 'DELETE_COMPLETE');
      this.later(stack);
      return;
    }
    const denied = this.permissions.handlerDenial(stack, resource, child.stackId, 'delete');
    if (denied !== undefined) {
      this.host.resourceStatus(stack, resource, 'DELETE_FAILED', denied);
      this.later(stack);
      return;
    }
    if (!BUSY_STATUSES.has(child.status)) this.host.deleteStack(child);
  }

  /** A child stack moved on: its parent's resource follows. */
  childProgressed(child: StackRecord): void {
    if (child.parentId === undefined) return;
    const parent = this.host.stackById(child.account, child.parentId);
    const resource = parent?.resources.find((candidate) => candidate.type === NESTED_STACK_TYPE && candidate.physicalId === child.stackId);
    if (parent === undefined || resource === undefined) return;
    this.check(parent, resource);
  }

  private check(parent: StackRecord, resource: ResourceRecord): void {
    const child = resource.physicalId === undefined ? undefined : this.host.stackById(parent.account, resource.physicalId);
    if (child === undefined) return;
    if (resource.status === 'CREATE_IN_PROGRESS') {
      if (child.status === 'CREATE_COMPLETE') {
        resource.data = Object.fromEntries(child.outputs.map((output) => [`Outputs.${output.key}`, output.value]));
        this.host.resourceStatus(parent, resource, 'CREATE_COMPLETE');
        this.later(parent);
      } else if (CREATE_FAILED_STATUSES.has(child.status)) {
        // "Embedded stack <arn> was not successfully created: The following resource(s) failed to create: [...]."
        // (CloudFormation's words, as users report them: github.com/aws-samples/aws-scalable-big-blue-button-example/issues/74)
        this.host.resourceStatus(parent, resource, 'CREATE_FAILED', `Embedded stack ${child.stackId} was not successfully created: ${creationFailure(child)}`);
        this.later(parent);
      }
      return;
    }
    if (resource.status !== 'DELETE_IN_PROGRESS') return;
    if (child.status === 'DELETE_COMPLETE') {
      resource.exists = false;
      this.host.resourceStatus(parent, resource, 'DELETE_COMPLETE');
      this.later(parent);
    } else if (child.status === 'DELETE_FAILED') {
      // The exact words for a nested delete are not documented; this follows the create's.
      this.host.resourceStatus(parent, resource, 'DELETE_FAILED', `Embedded stack ${child.stackId} was not successfully deleted: ${child.statusReason ?? ''}`.trimEnd());
      this.later(parent);
    } else if (!BUSY_STATUSES.has(child.status) && child.operation === undefined) {
      // A child that was still rolling back when the parent's delete began: now it can go.
      this.host.deleteStack(child);
    }
  }

  /** Creates the child stack; its refusal (parameters, capabilities, template) is the resource's failure. */
  private createChild(stack: StackRecord, resource: ResourceRecord, childId: string, body: string): string | undefined {
    const properties = resource.properties ?? {};
    const parameters = givenParameters(properties['Parameters']);
    if (typeof parameters === 'string') return parameters;
    const stackName = childId.split('/')[1] ?? resource.logicalId;
    let child: StackRecord;
    try {
      child = this.host.createStack(
        stack.account,
        stack.region,
        {
          stackName,
          templateBody: body,
          templateFromUrl: true,
          parameters,
          capabilities: stack.capabilities,
          tags: [...stack.tags.filter((tag) => !ownTags(properties).some((own) => own.Key === tag.Key)), ...ownTags(properties)],
          notificationArns: [],
          ...(stack.roleArn === undefined ? {} : { roleArn: stack.roleArn }),
          // A nested stack rolls back unless its root does not (DisableRollback is the root's).
          onFailure: stack.onFailure === 'DO_NOTHING' ? 'DO_NOTHING' : 'ROLLBACK',
        },
        undefined,
        { stackId: childId, parentId: stack.stackId, rootId: stack.rootId ?? stack.stackId },
      );
    } catch (error) {
      if (error instanceof AwsApiError) return error.message;
      throw error;
    }
    // CloudFormation acts on the child with the same identity as on its parent.
    if (stack.callerRoleArn !== undefined) child.callerRoleArn = stack.callerRoleArn;
    if (stack.callerSession !== undefined) child.callerSession = stack.callerSession;
    resource.physicalId = child.stackId;
    resource.exists = true;
    this.host.resourceStatus(stack, resource, 'CREATE_IN_PROGRESS', 'Resource creation Initiated');
    return undefined;
  }

  private later(stack: StackRecord): void {
    this.timers.schedule(`${stack.stackId}#advance`, this.host.now(), () => this.host.advance(stack));
  }
}

/**
 * CloudFormation's words for a TemplateURL it cannot read: a value that is no URL is "TemplateURL must
 * be a supported URL." (github.com/aws-actions/aws-cloudformation-github-deploy/issues/32 reports the S3
 * variant, github.com/mlnrt/incident-response-and-forensic/issues/1 this one); an S3 object it may not read
 * (or that does not exist, which S3 answers as Access Denied without s3:ListBucket) is "S3 error: Access
 * Denied For more information check …" (github.com/awslabs/sagemaker-explaining-credit-decisions/issues/1).
 */
function templateUrlFailure(read: Exclude<Awaited<ReturnType<typeof readTemplateUrl>>, { kind: 'read' }>): string {
  const denied = 'S3 error: Access Denied For more information check http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html';
  switch (read.kind) {
    case 'unsupported':
      return 'TemplateURL must be a supported URL.';
    case 'remote':
      return `${denied} (the sandbox account reads templates served on 127.0.0.1 only, not ${read.host})`;
    case 'unreadable':
      return `${denied} (${read.detail})`;
  }
}

/**
 * The resource's Parameters as CreateStack takes them. CloudFormation passes scalars as strings and
 * refuses other values; the exact wording of that refusal is not documented, this is the closest
 * (the resource specification: "Parameters … Type: Map of String").
 */
function givenParameters(value: unknown): GivenParameter[] | string {
  if (value === undefined) return [];
  const refusal = 'Value of property Parameters must be an object with String (or simple type) properties';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refusal;
  const given: GivenParameter[] = [];
  for (const [key, element] of Object.entries(value)) {
    if (typeof element !== 'string' && typeof element !== 'number' && typeof element !== 'boolean') return refusal;
    given.push({ ParameterKey: key, ParameterValue: String(element) });
  }
  return given;
}

function ownTags(properties: Record<string, unknown>): Array<{ Key: string; Value: string }> {
  const tags = properties['Tags'];
  if (!Array.isArray(tags)) return [];
  return (tags as GivenTag[]).filter((tag) => tag.Key !== undefined && tag.Value !== undefined).map((tag) => ({ Key: String(tag.Key), Value: String(tag.Value) }));
}

/** What the child's failed create said: the list of resources that failed, as the parent quotes it. */
function creationFailure(child: StackRecord): string {
  const create = [...child.events].reverse().find((event) => event.logicalId === child.stackName && event.physicalId === child.stackId && /^(ROLLBACK_IN_PROGRESS|CREATE_FAILED|DELETE_IN_PROGRESS)$/.test(event.status));
  const reason = create?.reason ?? child.statusReason ?? '';
  return reason.replace(/ (Rollback|Delete) requested by user\.$/, '').trim();
}
