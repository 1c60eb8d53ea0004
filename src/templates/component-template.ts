import type { CfnTemplate } from '../cfn/template-types';
import type { NetworkPlan } from '../model/network-plan';
import type { ComponentName } from '../model/components';
import type { StackRequest } from '../model/stack-request';
import type { DeployContextKey } from '../model/deploy-context';

/**
 * Where a component stack's parameter value comes from at deploy time. Components never use
 * cross-stack exports (so each can be deleted alone): the workflow reads a dependency's outputs
 * and passes them as parameters.
 */
export type ParameterSource =
  | { kind: 'output'; component: ComponentName; output: string }
  | { kind: 'value'; value: string }
  | { kind: 'context'; key: DeployContextKey }
  /** The name of the stack's AZ of that index, chosen from what the account's region offers and recorded on the stack. */
  | { kind: 'zone'; azIndex: number };

/** Values known only in the customer account at deploy time (recorded at onboarding). */
export type { DeployContextKey } from '../model/deploy-context';

/**
 * Conventions of the templates built under src/templates/ (see build-stack-templates.ts):
 * - a parameter fed by an output has the output's name (network's `VpcId` → parameter `VpcId`);
 * - a `value` source is also the parameter's Default (SSM AMI paths, resolved by CloudFormation);
 * - every security group's inline SecurityGroupEgress is the one no-match rule NO_EGRESS_RULE
 *   (security-groups.ts), there only to remove EC2's default allow-all egress; real rules are
 *   separate AWS::EC2::SecurityGroupIngress / SecurityGroupEgress resources.
 */
export interface ComponentTemplate {
  component: ComponentName;
  /** groundwork-<stackId>-<component> */
  stackName: string;
  template: CfnTemplate;
  /** One entry for every parameter the template declares. */
  parameters: Record<string, ParameterSource>;
}

export interface StackTemplateInput {
  request: StackRequest;
  network: NetworkPlan;
  tenantId: string;
  stackId: string;
}
