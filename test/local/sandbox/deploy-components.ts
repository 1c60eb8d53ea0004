import { CreateStackCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import { COMPONENT_DEPENDENCIES, type ComponentName } from '../../../src/model/components';
import type { DeployContextKey } from '../../../src/model/deploy-context';
import type { ComponentTemplate } from '../../../src/templates/component-template';
import { outputsOf, waitForStack } from './stack-waits';

/** The fixed roles cfn/onboarding-role.yaml makes, as its outputs name them for account acc_abcdefghij0123456789. */
export const FIXED_ROLE_ARNS = (account: string): Record<DeployContextKey, string> => ({
  natInstanceProfileArn: `arn:aws:iam::${account}:instance-profile/GroundworkNatInstance-acc_abcdefghij0123456789`,
  containerInstanceProfileArn: `arn:aws:iam::${account}:instance-profile/GroundworkContainerInstance-acc_abcdefghij0123456789`,
  bastionInstanceProfileArn: `arn:aws:iam::${account}:instance-profile/GroundworkBastion-acc_abcdefghij0123456789`,
  taskExecutionRoleArn: `arn:aws:iam::${account}:role/GroundworkTaskExecution-acc_abcdefghij0123456789`,
});

/**
 * Deploys a Groundwork stack's component templates into a sandbox account as the workflow does:
 * each once its dependencies are up, fed their outputs as parameters, with the stack role given (as
 * the workflow passes the execution role). Resolves with every
 * component's stack as it ended (CREATE_COMPLETE or not).
 */
export async function deployComponents(cfn: CloudFormationClient, account: string, components: ComponentTemplate[], roleArn?: string): Promise<Map<ComponentName, Stack>> {
  const done = new Map<ComponentName, Stack>();
  const started = new Map<ComponentName, Promise<Stack>>();
  const deploy = async (component: ComponentTemplate): Promise<Stack> => {
    await Promise.all(COMPONENT_DEPENDENCIES[component.component].filter((dependency) => started.has(dependency)).map((dependency) => started.get(dependency)));
    const parameters = Object.entries(component.parameters).map(([key, source]) => ({
      ParameterKey: key,
      ParameterValue:
        source.kind === 'value'
          ? source.value
          : source.kind === 'context'
            ? FIXED_ROLE_ARNS(account)[source.key]
            : (outputsOf(done.get(source.component))[source.output] ?? ''),
    }));
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
