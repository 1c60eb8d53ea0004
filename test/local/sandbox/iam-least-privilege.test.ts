import { DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { readFileSync } from 'node:fs';
import { buildStackTemplates } from '../../../src/templates/build-stack-templates';
import type { ComponentName } from '../../../src/model/components';
import { allCombinations } from '../../templates/fixtures';
import { deployComponents } from './deploy-components';
import { answeringOnboardingHooks, onboardAccount } from './onboard-account';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { stackEvents, waitForStack } from './stack-waits';

/**
 * The generated execution role holds nothing a stack can do without: take one action out of it
 * and the component that needs it fails in AWS's words and rolls back, leaving nothing.
 * One creating action per component of a full stack (each in its own onboarded sandbox account).
 */

const GROUNDWORK_ACCOUNT_ID = 'acc_abcdefghij0123456789';
const onboardingTemplate = readFileSync(new URL('../../../cfn/onboarding-role.yaml', import.meta.url), 'utf8');
const { input } = allCombinations().find(({ label }) => label === 'az2 nat-instance alb db bastion compute endpoints') ?? { input: undefined };

const CASES: Array<[ComponentName, string]> = [
  ['network', 'ec2:CreateVpc'],
  ['nat', 'ec2:CreateLaunchTemplate'],
  ['security', 'ec2:CreateSecurityGroup'],
  ['network', 'ec2:CreateVpcEndpoint'],
  ['secrets', 'secretsmanager:CreateSecret'],
  ['database', 'rds:CreateDBInstance'],
  ['cluster', 'ecs:CreateCluster'],
  ['frontend', 'elasticloadbalancing:CreateLoadBalancer'],
  ['bastion', 'ec2:RunInstances'],
];

/**
 * The onboarding template with one action taken out of the execution role's generated policies:
 * out of every statement that grants it (a creating action has one for what it makes and one for
 * the parents it names), so that the role has nothing else left to lose.
 */
function withoutAction(action: string): string {
  const token = new RegExp(`(?<=[\\s\\[,])${action.replace(/[.*]/g, '\\$&')}(?=[\\s,\\]])`, 'g');
  const matches = onboardingTemplate.match(token) ?? [];
  if (matches.length === 0) throw new Error(`${action} is not granted in the onboarding template`);
  return withoutEmptyStatements(onboardingTemplate.replace(token, '').replace(/\[\s*,\s*/g, '[ ').replace(/,\s*,/g, ',').replace(/,(\s*)\]/g, '$1]'));
}

/**
 * Drops the statements left with no action: IAM refuses a policy holding one ("Policy statement must
 * contain actions.", MalformedPolicyDocument), so the role short of the action is the role without them.
 */
function withoutEmptyStatements(template: string): string {
  const lines = template.replace(/Action: \[\s*\]/g, 'Action: []').split('\n');
  const indent = (line: string) => line.length - line.trimStart().length;
  for (let at = lines.findIndex((line) => line.trim() === 'Action: []'); at !== -1; at = lines.findIndex((line) => line.trim() === 'Action: []')) {
    const depth = indent(lines[at] ?? '') - 2;
    let start = at;
    while (start > 0 && !(indent(lines[start] ?? '') === depth && (lines[start] ?? '').trimStart().startsWith('- '))) start -= 1;
    let end = at + 1;
    while (end < lines.length && ((lines[end] ?? '').trim() === '' || indent(lines[end] ?? '') > depth)) end += 1;
    lines.splice(start, end - start);
  }
  return lines.join('\n');
}

let edge: SandboxEdge;
beforeAll(async () => {
  edge = await startSandboxEdge({ hooks: answeringOnboardingHooks(GROUNDWORK_ACCOUNT_ID) });
});
afterAll(async () => {
  await edge.close();
});

describe('the generated execution role, one action short', () => {
  it.each(CASES.map(([component, action], index) => [component, action, `44440000000${index}`] as const))(
    'fails %s without %s, in AWS words, and rolls it back leaving nothing',
    async (component, action, account) => {
      // Prepare: an account onboarded with the role short of that one action.
      if (!input) throw new Error('the option set is missing from the fixtures');
      const { access, executionRoleArn } = await onboardAccount(edge, { account, groundworkAccountId: GROUNDWORK_ACCOUNT_ID, externalId: `ext-${account}-0123456789abcdef`, template: withoutAction(action) });
      const templates = buildStackTemplates(input);
      const stackName = templates.find((template) => template.component === component)?.stackName ?? '';

      // Act: deploy the whole stack; the component that needs the action cannot be built.
      await deployComponents(access, account, templates, executionRoleArn).catch(() => undefined);

      // Assess
      const stack = await waitForStack(access, stackName);
      expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
      const reasons = (await stackEvents(access, stack.StackId ?? '')).filter((event) => event.ResourceStatus === 'CREATE_FAILED').map((event) => event.ResourceStatusReason ?? '');
      expect(reasons.join('\n')).toContain(`is not authorized to perform: ${action} on resource:`);
      const { StackResources } = await access.send(new DescribeStackResourcesCommand({ StackName: stack.StackId }));
      expect((StackResources ?? []).filter((resource) => !['DELETE_COMPLETE', 'CREATE_FAILED'].includes(resource.ResourceStatus ?? ''))).toEqual([]);
    },
  );
});
