import type { CfnTemplate } from '../../src/cfn/template-types';
import type { Caller } from './caller-identity';
import type { StackRecord } from './sandbox-state';
import type { CreateStackRequest, OnFailure } from './stack-input';

/** The record of a stack CreateStack has just accepted: what DescribeStacks will show, and its resources to come. */
export function newStackRecord(input: {
  request: CreateStackRequest;
  template: CfnTemplate;
  parameters: Record<string, string>;
  resolvedParameters: Record<string, string>;
  tags: Record<string, string>;
  onFailure: OnFailure;
  stackId: string;
  accountId: string;
  region: string;
  /** The logical ids the template's conditions leave in. */
  present: readonly string[];
  caller: Caller | undefined;
  now: number;
}): StackRecord {
  const { request, template, parameters, resolvedParameters, tags, onFailure, stackId, accountId, region, present, caller, now } = input;
  return {
    stackId,
    stackName: request.stackName,
    account: accountId,
    region,
    ...(template.Description === undefined ? {} : { description: template.Description }),
    status: 'CREATE_IN_PROGRESS',
    statusReason: 'User Initiated',
    templateBody: request.templateBody,
    parameters,
    resolvedParameters,
    tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    capabilities: request.capabilities,
    notificationArns: request.notificationArns,
    ...(request.roleArn === undefined ? {} : { roleArn: request.roleArn }),
    ...(request.roleArn === undefined && caller?.kind === 'assumed-role' ? { callerRoleArn: caller.roleArn, callerSession: caller.sessionName } : {}),
    ...(request.clientRequestToken === undefined ? {} : { clientRequestToken: request.clientRequestToken }),
    onFailure,
    ...(request.timeoutInMinutes === undefined ? {} : { timeoutInMinutes: request.timeoutInMinutes }),
    terminationProtection: request.enableTerminationProtection ?? false,
    ...(request.stackPolicyBody === undefined ? {} : { stackPolicy: request.stackPolicyBody }),
    createdAt: now,
    outputs: [],
    resources: present.map((logicalId) => ({ logicalId, type: template.Resources[logicalId]?.Type ?? '', updatedAt: now })),
    events: [],
    operation: 'CREATE',
  };
}
