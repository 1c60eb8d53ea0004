import { CreateStackCommand, type CloudFormationClient, type Parameter, type Stack } from '@aws-sdk/client-cloudformation';
import { COMPONENT_DEPENDENCIES, type ComponentName } from '../../../src/model/components';
import type { DeployContextKey } from '../../../src/model/deploy-context';
import type { ComponentTemplate, ParameterSource } from '../../../src/templates/component-template';
import { outputsOf, waitForStack } from './stack-waits';

/** The fixed roles cfn/onboarding-role.yaml makes, as its outputs name them for account acc_abcdefghij0123456789. */
export const FIXED_ROLE_ARNS = (account: string): Record<DeployContextKey, string> => ({
  natInstanceProfileArn: `arn:aws:iam::${account}:instance-profile/GroundworkNatInstance-acc_abcdefghij0123456789`,
  containerInstanceProfileArn: `arn:aws:iam::${account}:instance-profile/GroundworkContainerInstance-acc_abcdefghij0123456789`,
  bastionInstanceProfileArn: `arn:aws:iam::${account}:instance-profile/GroundworkBastion-acc_abcdefghij0123456789`,
  taskExecutionRoleArn: `arn:aws:iam::${account}:role/GroundworkTaskExecution-acc_abcdefghij0123456789`,
});

/**
 * The AZs a stack in the sandbox's us-east-1 is given: the first three by name that offer the
 * instance types of every option set (local/sandbox/data/ec2-regions.ts; the planner's own choice,
 * test/region/fit-region.test.ts).
 */
export const US_EAST_1_ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

/**
 * Deploys a Groundwork stack's component templates into a sandbox account as the workflow does:
 * each once its dependencies are up, fed their outputs as parameters, with the stack role given (as
 * the workflow passes the execution role). Resolves with every
 * component's stack as it ended (CREATE_COMPLETE or not).
 */
export async function deployComponents(
  cfn: CloudFormationClient,
  account: string,
  components: ComponentTemplate[],
  roleArn?: string,
  zones: readonly string[] = US_EAST_1_ZONES,
): Promise<Map<ComponentName, Stack>> {
  const done = new Map<ComponentName, Stack>();
  const started = new Map<ComponentName, Promise<Stack>>();
  const deploy = async (component: ComponentTemplate): Promise<Stack> => {
    await Promise.all(COMPONENT_DEPENDENCIES[component.component].filter((dependency) => started.has(dependency)).map((dependency) => started.get(dependency)));
    const parameters = stackParameters(component.parameters, { account, zones, stacks: done });
    await cfn.send(
      new CreateStackCommand({ StackName: component.stackName, TemplateBody: JSON.stringify(component.template), Parameters: parameters, Capabilities: ['CAPABILITY_IAM'], Tags: [{ Key: 'groundwork:stack', Value: component.stackName.split('-')[1] ?? 'stack' }], ...(roleArn === undefined ? {} : { RoleARN: roleArn }) }),
    );
    const stack = await waitForStack(cfn, component.stackName);
    done.set(component.component, stack);
    return stack;
  };
  for (const component of components) started.set(component.component, deploy(component));
  await Promise.all(started.values());
  return done;
}

/**
 * A Groundwork template's parameters as the workflow fills them: fixed values, the onboarding
 * stack's roles for account acc_abcdefghij0123456789, the stack's AZs, and the outputs of the
 * component stacks already deployed.
 */
export function stackParameters(
  sources: Record<string, ParameterSource>,
  { account, zones = US_EAST_1_ZONES, stacks }: { account: string; zones?: readonly string[]; stacks: ReadonlyMap<ComponentName, Stack> },
): Parameter[] {
  const value = (source: ParameterSource): string => {
    switch (source.kind) {
      case 'value':
        return source.value;
      case 'context':
        return FIXED_ROLE_ARNS(account)[source.key];
      case 'zone':
        return zones[source.azIndex] ?? '';
      case 'output':
        return outputsOf(stacks.get(source.component))[source.output] ?? '';
    }
  };
  return Object.entries(sources).map(([key, source]) => ({ ParameterKey: key, ParameterValue: value(source) }));
}
