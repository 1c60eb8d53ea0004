import { dependencyGraph } from '../../src/cfn/resource-graph';
import { REGION } from '../config';
import type { AwsRequest, AwsResponse, AwsService } from '../contracts';
import { identifyCaller, type Caller } from './caller-identity';
import { AwsApiError, ValidationError } from './errors';
import { answerQuery, QueryParameters, type XmlValue } from './query-protocol';
import type { FaultRegistry } from './sandbox-faults';
import type { ChangeSetRecord, EventRecord, ResourceRecord, StackRecord } from './sandbox-state';
import { ChangeSets } from './change-sets';
import type { UpdateStackRequest } from './stack-update';
import type { StackEngine } from './stack-engine';
import { assertAcyclic, parseTemplateBody, requiredCapabilities } from './stack-input';
import { checkStackPolicy } from './stack-policy';
import { checkLanguageExtensions } from './language-extensions';
import { checkRulesSyntax } from './template-rules';
import { readTemplateUrl } from './template-url';

/**
 * The sandbox's CloudFormation endpoint (query protocol, API version 2010-05-15): CreateStack,
 * UpdateStack, CancelUpdateStack, ContinueUpdateRollback (stack-update.ts), CreateChangeSet, DescribeChangeSet,
 * ListChangeSets, ExecuteChangeSet, DeleteChangeSet (change-sets.ts), DescribeStacks, DeleteStack, DescribeStackEvents, DescribeStackResources, DescribeStackResource,
 * ListStackResources, ListStacks, GetTemplate, ValidateTemplate, SignalResource, GetStackPolicy,
 * SetStackPolicy and UpdateTerminationProtection, answered as
 * CloudFormation answers them. The access key id names the account; the SigV4 scope's region, the region.
 */

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const PAGE_SIZE = 100;
/**
 * The StackStatus enum (API Reference, StackSummary, https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSummary.html,
 * as the AWS SDK's model lists it). A ListStacks filter outside it is refused in the API's
 * constraint words for a list of enum members; AWS lists the enum in no fixed order.
 */
const STACK_STATUSES = [
  'CREATE_IN_PROGRESS', 'CREATE_FAILED', 'CREATE_COMPLETE', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED', 'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS', 'DELETE_FAILED', 'DELETE_COMPLETE', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE', 'UPDATE_FAILED', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS', 'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_FAILED', 'IMPORT_ROLLBACK_COMPLETE',
];
const INTERNAL_FAILURE = 'The request processing has failed because of an unknown error, exception or failure.';

export interface CloudFormationServiceOptions {
  engine: StackEngine;
  faults: FaultRegistry;
  now: () => number;
  log: (message: string) => void;
  /** The sandbox's speed: how fast a change set is worked out (change-sets.ts). */
  speed: number;
}

export function createCloudFormationService(options: CloudFormationServiceOptions): AwsService {
  const { engine, faults, now, log } = options;
  const changeSets = new ChangeSets({
    updates: engine.updates,
    permissions: engine.permissions,
    templates: engine.templates,
    uuid: (purpose) => engine.uuid(purpose),
    now,
    speed: options.speed,
    changed: () => engine.changed(),
  });

  const actions: Record<string, (params: QueryParameters, account: string, region: string, caller: Caller) => Promise<{ [name: string]: XmlValue } | undefined>> = {
    async CreateStack(params, account, region, caller) {
      const { body: templateBody, fromUrl } = await templateBodyOf(params);
      const stackPolicy = await stackPolicyOf(params);
      const stack = engine.createStack(account, region, {
        stackName: params.required('StackName'),
        templateBody,
        templateFromUrl: fromUrl,
        parameters: params.structures('Parameters'),
        capabilities: params.list('Capabilities'),
        tags: params.structures('Tags'),
        notificationArns: params.list('NotificationARNs'),
        ...optional('roleArn', params.string('RoleARN')),
        ...optional('onFailure', params.string('OnFailure')),
        ...optional('disableRollback', params.boolean('DisableRollback')),
        ...optional('timeoutInMinutes', params.number('TimeoutInMinutes')),
        ...optional('clientRequestToken', params.string('ClientRequestToken')),
        ...optional('enableTerminationProtection', params.boolean('EnableTerminationProtection')),
        ...optional('stackPolicyBody', stackPolicy),
      }, caller);
      return { StackId: stack.stackId };
    },

    async UpdateStack(params, account, region, caller) {
      const stack = requireStack(params, account, region, 'describe');
      const stackPolicy = await stackPolicyOf(params);
      const duringUpdate = await stackPolicyOf(params, 'StackPolicyDuringUpdate');
      engine.updates.updateStack(stack, {
        ...(await updateRequestOf(params)),
        ...optional('clientRequestToken', params.string('ClientRequestToken')),
        ...optional('stackPolicyBody', stackPolicy),
        ...optional('stackPolicyDuringUpdateBody', duringUpdate),
      }, caller);
      return { StackId: stack.stackId };
    },

    async CreateChangeSet(params, account, region, caller) {
      const stackName = params.required('StackName');
      const changeSet = changeSets.create(engine.findStack(account, region, stackName), stackName, {
        changeSetName: params.required('ChangeSetName'),
        changeSetType: params.string('ChangeSetType') ?? 'UPDATE',
        ...optional('description', params.string('Description')),
        ...(await updateRequestOf(params)),
      }, caller);
      return { Id: changeSet.changeSetId, StackId: engine.findStack(account, region, stackName)?.stackId };
    },

    async DescribeChangeSet(params, account, region, caller) {
      const { stack, changeSet } = findChangeSet(params, account, region);
      engine.permissions.checkStackAction(caller, stack, 'cloudformation:DescribeChangeSet', { 'cloudformation:ChangeSetName': changeSet.changeSetName });
      return changeSets.describe(stack, changeSet, params.boolean('IncludePropertyValues') ?? false);
    },

    async ListChangeSets(params, account, region, caller) {
      const stack = requireStack(params, account, region, 'describe');
      engine.permissions.checkStackAction(caller, stack, 'cloudformation:ListChangeSets');
      return page(params, stack.changeSets ?? [], 'Summaries', (changeSet) => changeSets.summary(stack, changeSet));
    },

    async ExecuteChangeSet(params, account, region, caller) {
      const { stack, changeSet } = findChangeSet(params, account, region);
      changeSets.execute(stack, changeSet, caller);
      return undefined;
    },

    async DeleteChangeSet(params, account, region, caller) {
      const { stack, changeSet } = findChangeSet(params, account, region);
      changeSets.delete(stack, changeSet, caller);
      return undefined;
    },

    async CancelUpdateStack(params, account, region, caller) {
      const stack = requireStack(params, account, region, 'describe');
      engine.permissions.checkStackAction(caller, stack, 'cloudformation:CancelUpdateStack');
      engine.updates.cancelUpdate(stack);
      return undefined;
    },

    async ContinueUpdateRollback(params, account, region, caller) {
      const stack = requireStack(params, account, region, 'describe');
      engine.permissions.checkStackAction(caller, stack, 'cloudformation:ContinueUpdateRollback');
      engine.updates.continueRollback(stack, params.list('ResourcesToSkip'));
      return undefined;
    },

    async DescribeStacks(params, account, region) {
      const name = params.string('StackName');
      let stacks: StackRecord[];
      if (name === undefined || name === '') {
        stacks = (engine.state.accounts[account]?.stacks ?? []).filter((stack) => stack.region === region && stack.status !== 'DELETE_COMPLETE');
      } else {
        const stack = engine.findStack(account, region, name);
        if (!stack) throw new ValidationError(`Stack with id ${name} does not exist`);
        stacks = [stack];
      }
      return page(params, [...stacks].reverse(), 'Stacks', (stack) => renderStack(engine, stack));
    },

    async DeleteStack(params, account, region, caller) {
      const stack = engine.findStack(account, region, params.required('StackName'));
      if (stack && stack.status !== 'DELETE_COMPLETE') engine.permissions.checkDeleteStack(caller, region, stack, params.string('RoleARN'));
      // Deleting what does not exist (or no longer does) succeeds and does nothing, as in CloudFormation.
      if (stack && stack.status !== 'DELETE_COMPLETE') {
        engine.deleteStack(stack, { ...optional('clientRequestToken', params.string('ClientRequestToken')), retainResources: params.list('RetainResources') });
      }
      return undefined;
    },

    async SignalResource(params, account, region, caller) {
      const status = params.required('Status');
      if (status !== 'SUCCESS' && status !== 'FAILURE') {
        throw new ValidationError(`1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [SUCCESS, FAILURE]`);
      }
      engine.signalResource(account, region, { stackName: params.required('StackName'), logicalId: params.required('LogicalResourceId'), uniqueId: params.required('UniqueId'), status }, caller);
      return undefined;
    },

    async GetStackPolicy(params, account, region, caller) {
      const stack = requireStack(params, account, region, 'describe');
      engine.permissions.checkStackAction(caller, stack, 'cloudformation:GetStackPolicy');
      return { StackPolicyBody: stack.stackPolicy };
    },

    async SetStackPolicy(params, account, region, caller) {
      const stack = requireStack(params, account, region, 'describe');
      engine.permissions.checkStackAction(caller, stack, 'cloudformation:SetStackPolicy');
      const policy = await stackPolicyOf(params);
      if (policy === undefined) throw new ValidationError('Either StackPolicyBody or StackPolicyURL must be specified.');
      engine.setStackPolicy(stack, policy);
      return undefined;
    },

    async UpdateTerminationProtection(params, account, region, caller) {
      const stack = requireStack(params, account, region, 'describe');
      engine.permissions.checkStackAction(caller, stack, 'cloudformation:UpdateTerminationProtection');
      const enable = params.boolean('EnableTerminationProtection');
      if (enable === undefined) throw new ValidationError("1 validation error detected: Value null at 'enableTerminationProtection' failed to satisfy constraint: Member must not be null");
      engine.setTerminationProtection(stack, enable);
      return { StackId: stack.stackId };
    },

    async DescribeStackEvents(params, account, region) {
      const stack = requireStack(params, account, region, 'events');
      return page(params, [...stack.events].reverse(), 'StackEvents', (event) => renderEvent(stack, event));
    },

    async DescribeStackResources(params, account, region) {
      const physicalId = params.string('PhysicalResourceId');
      const logicalId = params.string('LogicalResourceId');
      let stack: StackRecord | undefined;
      if (params.string('StackName')) stack = requireStack(params, account, region, 'describe');
      else if (physicalId) {
        // Names are unique only per region (and stage names per API): look in the region asked.
        stack = (engine.state.accounts[account]?.stacks ?? []).find(
          (candidate) => candidate.region === region && candidate.resources.some((resource) => resource.physicalId === physicalId),
        );
        if (!stack) throw new ValidationError(`Stack for ${physicalId} does not exist`);
      } else throw new ValidationError('Either StackName or PhysicalResourceId must be specified.');
      const resources = stack.resources.filter(
        (resource) => resource.status !== undefined && (logicalId === undefined || resource.logicalId === logicalId) && (physicalId === undefined || resource.physicalId === physicalId),
      );
      const found = stack;
      return { StackResources: resources.map((resource) => renderResource(resource, found, 'Timestamp')) };
    },

    async DescribeStackResource(params, account, region) {
      const stack = requireStack(params, account, region, 'describe');
      const logicalId = params.required('LogicalResourceId');
      const resource = stack.resources.find((candidate) => candidate.logicalId === logicalId && candidate.status !== undefined);
      if (!resource) throw new ValidationError(`Resource ${logicalId} does not exist for stack ${stack.stackName}`);
      return { StackResourceDetail: renderResource(resource, stack, 'LastUpdatedTimestamp') };
    },

    async ListStackResources(params, account, region) {
      const stack = requireStack(params, account, region, 'describe');
      return page(
        params,
        stack.resources.filter((resource) => resource.status !== undefined),
        'StackResourceSummaries',
        (resource) => renderResource(resource, undefined, 'LastUpdatedTimestamp'),
      );
    },

    async ListStacks(params, account, region) {
      const filter = params.list('StackStatusFilter');
      const unknown = filter.filter((status) => !STACK_STATUSES.includes(status));
      if (unknown.length > 0) {
        throw new ValidationError(
          `1 validation error detected: Value '[${filter.join(', ')}]' at 'stackStatusFilter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${STACK_STATUSES.join(', ')}]]`,
        );
      }
      const stacks = (engine.state.accounts[account]?.stacks ?? []).filter((stack) => stack.region === region && (filter.length === 0 || filter.includes(stack.status)));
      return page(params, [...stacks].reverse(), 'StackSummaries', (stack) => ({
        StackId: stack.stackId,
        StackName: stack.stackName,
        TemplateDescription: stack.description,
        CreationTime: new Date(stack.createdAt),
        DeletionTime: stack.deletedAt === undefined ? undefined : new Date(stack.deletedAt),
        StackStatus: stack.status,
        StackStatusReason: stack.statusReason,
        ParentId: stack.parentId,
        RootId: stack.rootId,
        DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
      }));
    },

    async GetTemplate(params, account, region) {
      const stack = requireStack(params, account, region, 'describe');
      return { TemplateBody: stack.templateBody, StagesAvailable: ['Original', 'Processed'] };
    },

    async ValidateTemplate(params) {
      const { body, fromUrl } = await templateBodyOf(params);
      const template = parseTemplateBody(body, fromUrl ? 'url' : 'body');
      assertAcyclic(dependencyGraph(template, Object.keys(template.Resources)));
      // Without parameter values, ValidateTemplate checks only the shape of the Rules.
      checkRulesSyntax(template);
      checkLanguageExtensions(template);
      const capabilities = requiredCapabilities(template);
      const iamTypes = [...new Set(Object.values(template.Resources).map((resource) => resource.Type).filter((type) => type.startsWith('AWS::IAM::')))];
      return {
        Parameters: Object.entries(template.Parameters ?? {}).map(([key, parameter]) => ({
          ParameterKey: key,
          DefaultValue: parameter.Default === undefined ? undefined : String(parameter.Default),
          NoEcho: parameter.NoEcho ?? false,
          Description: parameter.Description,
        })),
        Description: template.Description,
        Capabilities: capabilities,
        CapabilitiesReason: iamTypes.length === 0 ? undefined : `The following resource(s) require capabilities: [${iamTypes.join(', ')}]`,
        DeclaredTransforms: [template.Transform ?? []].flat(),
      };
    },
  };

  function findChangeSet(params: QueryParameters, account: string, region: string): { stack: StackRecord; changeSet: ChangeSetRecord } {
    const stacks = (engine.state.accounts[account]?.stacks ?? []).filter((stack) => stack.region === region);
    return changeSets.find(stacks, params.string('StackName'), params.required('ChangeSetName'));
  }

  function requireStack(params: QueryParameters, account: string, region: string, purpose: 'events' | 'describe'): StackRecord {
    const name = params.required('StackName');
    const stack = engine.findStack(account, region, name);
    if (!stack) throw new ValidationError(purpose === 'events' ? `Stack [${name}] does not exist` : `Stack with id ${name} does not exist`);
    return stack;
  }

  return {
    signingNames: ['cloudformation'],
    async handle(request: AwsRequest): Promise<AwsResponse> {
      const params = new QueryParameters(request);
      const call = { namespace: NAMESPACE, requestId: engine.uuid('request'), action: params.action, internalMessage: INTERNAL_FAILURE, log };
      return answerQuery(call, async () => {
        const caller = identifyCaller(request, engine.state.secret, now());
        const action = actions[params.action];
        if (!action) {
          throw new AwsApiError('InvalidAction', `Could not find operation ${params.action} for version 2010-05-15 (the sandbox account implements ${Object.keys(actions).join(', ')})`);
        }
        if (faults.takeThrottle()) throw new AwsApiError('Throttling', 'Rate exceeded', 400);
        return action(params, caller.account, request.region || REGION, caller);
      });
    },
  };
}

/** Pages of 100, the NextToken being where the next page starts. */
function page<T>(params: QueryParameters, items: T[], name: string, render: (item: T) => XmlValue): { [name: string]: XmlValue } {
  const start = Number(params.string('NextToken') ?? '0');
  if (!Number.isInteger(start) || start < 0) throw new ValidationError('Invalid NextToken');
  const next = start + PAGE_SIZE;
  return { [name]: items.slice(start, next).map(render), NextToken: next < items.length ? String(next) : undefined };
}

function renderStack(engine: StackEngine, stack: StackRecord): XmlValue {
  const template = engine.templates.template(stack);
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    Description: stack.description,
    Parameters: Object.entries(stack.parameters).map(([key, value]) => ({
      ParameterKey: key,
      ParameterValue: template.Parameters?.[key]?.NoEcho ? '****' : value,
      ResolvedValue: stack.resolvedParameters[key],
    })),
    CreationTime: new Date(stack.createdAt),
    DeletionTime: stack.deletedAt === undefined ? undefined : new Date(stack.deletedAt),
    // "This field will only be returned if the stack has been updated at least once." (API Reference, Stack)
    LastUpdatedTime: stack.lastUpdatedTime === undefined ? undefined : new Date(stack.lastUpdatedTime),
    StackStatus: stack.status,
    StackStatusReason: stack.statusReason,
    DisableRollback: stack.onFailure === 'DO_NOTHING',
    NotificationARNs: stack.notificationArns,
    TimeoutInMinutes: stack.timeoutInMinutes,
    Capabilities: stack.capabilities,
    Outputs: stack.outputs.length === 0 ? undefined : stack.outputs.map((output) => ({ OutputKey: output.key, OutputValue: output.value, Description: output.description, ExportName: output.exportName })),
    RoleARN: stack.roleArn,
    Tags: stack.tags,
    EnableTerminationProtection: stack.terminationProtection,
    ParentId: stack.parentId,
    RootId: stack.rootId,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

/** A stack resource as the Describe/List calls show it (the list summary names no stack). */
function renderResource(resource: ResourceRecord, stack: StackRecord | undefined, timestampName: 'Timestamp' | 'LastUpdatedTimestamp'): XmlValue {
  return {
    ...(stack === undefined ? {} : { StackName: stack.stackName, StackId: stack.stackId }),
    LogicalResourceId: resource.logicalId,
    PhysicalResourceId: resource.physicalId,
    ResourceType: resource.type,
    [timestampName]: new Date(resource.updatedAt),
    ResourceStatus: resource.status,
    ResourceStatusReason: resource.statusReason,
    DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
  };
}

function renderEvent(stack: StackRecord, event: EventRecord): XmlValue {
  return {
    StackId: stack.stackId,
    EventId: event.eventId,
    StackName: stack.stackName,
    LogicalResourceId: event.logicalId,
    PhysicalResourceId: event.physicalId,
    ResourceType: event.type,
    Timestamp: new Date(event.timestamp),
    ResourceStatus: event.status,
    ResourceStatusReason: event.reason,
    ClientRequestToken: event.clientRequestToken,
  };
}

/** The template of a request: its body, or what its TemplateURL serves (only from this machine). */
async function templateBodyOf(params: QueryParameters): Promise<{ body: string; fromUrl: boolean }> {
  const body = params.string('TemplateBody');
  const url = params.string('TemplateURL');
  if (body !== undefined && url !== undefined) throw new ValidationError('Specify exactly one of TemplateBody or TemplateUrl.');
  if (url === undefined) return { body: body ?? '', fromUrl: false };
  return { body: await readLocalObject(url, 'TemplateURL', 'templates'), fromUrl: true };
}

/** What UpdateStack and CreateChangeSet both ask: the template (UsePreviousTemplate alone, or a body or URL), parameters, capabilities, tags, role. */
async function updateRequestOf(params: QueryParameters): Promise<UpdateStackRequest> {
  const usePreviousTemplate = params.boolean('UsePreviousTemplate') ?? false;
  const template = usePreviousTemplate && params.string('TemplateBody') === undefined && params.string('TemplateURL') === undefined ? undefined : await templateBodyOf(params);
  return {
    ...optional('templateBody', template?.body),
    ...optional('templateFromUrl', template?.fromUrl),
    usePreviousTemplate,
    parameters: params.structures('Parameters'),
    capabilities: params.list('Capabilities'),
    tags: params.structures('Tags'),
    ...optional('roleArn', params.string('RoleARN')),
  };
}

/** A request's stack policy: its StackPolicyBody, or what its StackPolicyURL serves (only from this machine), checked. */
async function stackPolicyOf(params: QueryParameters, name = 'StackPolicy'): Promise<string | undefined> {
  const body = params.string(`${name}Body`);
  const url = params.string(`${name}URL`);
  // AWS documents "either … but not both" (API Reference, SetStackPolicy); its words for the refusal are not documented.
  if (body !== undefined && url !== undefined) throw new ValidationError(`You cannot specify both ${name}Body and ${name}URL.`);
  const policy = url === undefined ? body : await readLocalObject(url, `${name}URL`, 'stack policies');
  if (policy !== undefined) checkStackPolicy(policy);
  return policy;
}

/** What a URL standing for an S3 object serves (template-url.ts), or CloudFormation's refusal of the parameter. */
async function readLocalObject(url: string, parameter: string, what: string): Promise<string> {
  const read = await readTemplateUrl(url);
  switch (read.kind) {
    case 'read':
      return read.body;
    case 'unsupported':
      throw new ValidationError(`${parameter} must be a supported URL.`);
    case 'remote':
      throw new ValidationError(`${parameter} must reference a valid S3 object to which you have access. (The sandbox account reads ${what} served on 127.0.0.1 only, not ${read.host}.)`);
    case 'unreadable':
      throw new ValidationError(`${parameter} must reference a valid S3 object to which you have access. (${read.detail})`);
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
