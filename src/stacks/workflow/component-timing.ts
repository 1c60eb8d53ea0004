import { criticalPathSeconds } from '../../cfn/resource-graph';
import type { CfnTemplate } from '../../cfn/template-types';
import { buildComponentTemplate } from '../../templates/build-stack-templates';
import type { ComponentName } from '../../model/components';
import type { Stack } from '../stack';

/**
 * How long the workflow waits for a component's CloudFormation stack before it first looks, then
 * how it polls, and when it gives up.
 *
 * The first wait is how long CloudFormation usually takes for that very template: the longest
 * chain of dependent resources, each taking its typical time from the dated table
 * (src/cfn/resource-timing.ts, the same table the sandbox account runs on). So the first check
 * lands just as the stack completes instead of polling from the start (state transitions cost
 * money) or long after it (the next component waits). Sized per template, the wait follows the
 * options: a NAT instance (its instance profile waits ~2 min for IAM) takes longer than a NAT
 * gateway, an API Gateway VPC link less than an ALB, a Multi-AZ database longer. Variants that
 * depend on a property (interface endpoints, Multi-AZ) are told apart because the component
 * templates write those properties as literals.
 *
 * If the stack is not done by then, the polls start short and grow: a stack that is late is
 * usually late by seconds, and each poll (a Lambda invocation and three state transitions) costs
 * far less than the next component waiting. See docs/decisions/0005-provisioning-speed.md.
 */
export type StackOperation = 'create' | 'delete';

/** Used when a component has no template in the request (it is never deployed, so never waited on). */
const FALLBACK_SECONDS = 30;

/** Typical seconds for CloudFormation to create (or delete) this template's stack, at least 1. */
export function expectedSeconds(template: CfnTemplate, operation: StackOperation): number {
  return Math.max(1, Math.ceil(criticalPathSeconds(template, operation)));
}

/** Typical seconds for one component of a Groundwork stack, from the template its request builds. */
export function componentSeconds(stack: Pick<Stack, 'id' | 'tenantId' | 'request' | 'network'>, component: ComponentName, operation: StackOperation): number {
  const built = buildComponentTemplate({ request: stack.request, network: stack.network, tenantId: stack.tenantId, stackId: stack.id }, component);
  return built ? expectedSeconds(built.template, operation) : FALLBACK_SECONDS;
}

/** Beyond this, a component still in progress is failed (and rolled back). */
export function deadlineSeconds(expectedCreateSeconds: number): number {
  return Math.max(1800, expectedCreateSeconds * 4);
}

/** After the first wait: 2 s, growing by half each poll (2, 3, 5, 7, 10, 15, 23 …), at most a minute. */
export function pollSeconds(attempt: number): number {
  return Math.min(60, Math.round(2 * 1.5 ** attempt));
}
