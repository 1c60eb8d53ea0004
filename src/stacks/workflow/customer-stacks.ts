import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type CloudFormationClient,
  type Parameter,
  type Stack as CfnStack,
} from '@aws-sdk/client-cloudformation';
import type { Account } from '../../accounts/account';
import type { AccountStore } from '../../accounts/account-store';
import type { CustomerCloudFormation } from '../../aws/customer-clients';
import type { CfnTemplate } from '../../cfn/template-types';
import type { Logger } from '../../log/logger';
import type { ComponentName } from '../../model/components';
import type { Stack, StackStep } from '../stack';
import { ComponentFailedError, CustomerAccessDeniedError, CustomerApiThrottledError } from './errors';

/**
 * The one place the workflow sends CloudFormation commands to a customer's account: through the
 * account's access role, in the stack's region, with client tokens that make a retried call a
 * no-op, and with every AWS error mapped to what the workflow does about it (ADR 0006's scan of
 * the commands we send reads this file).
 */
export interface CustomerStacksDeps {
  accounts: AccountStore;
  cloudFormation: CustomerCloudFormation;
  logger: Logger;
}

export class CustomerStacks {
  constructor(private readonly deps: CustomerStacksDeps) {}

  /** The stack's customer account, reached through its access role (the factory caches the session). */
  async connect(stack: Stack): Promise<CustomerAccountStacks> {
    const account = await this.deps.accounts.get(stack.accountId);
    if (!account?.accessRoleArn || !account.executionRoleArn) {
      throw new CustomerAccessDeniedError(`Account ${stack.accountId} has no connected access role (status ${account?.status ?? 'missing'}).`);
    }
    try {
      const cfn = await this.deps.cloudFormation({ accessRoleArn: account.accessRoleArn, externalId: account.externalId, sessionName: `groundwork-${stack.id}` }, stack.region);
      return new CustomerAccountStacks(stack, account, cfn, this.deps.logger);
    } catch (error) {
      throw classifyCustomerError(error, `AssumeRole of ${account.accessRoleArn}`);
    }
  }
}

/** One Groundwork stack's component stacks in its customer's account. */
export class CustomerAccountStacks {
  constructor(
    private readonly stack: Stack,
    readonly account: Account,
    private readonly cfn: CloudFormationClient,
    private readonly logger: Logger,
  ) {}

  /** The component's stack as CloudFormation sees it, or undefined when it does not exist. */
  async describe(step: StackStep): Promise<CfnStack | undefined> {
    try {
      const result = await this.cfn.send(new DescribeStacksCommand({ StackName: step.cloudFormationStackId ?? step.cloudFormationStackName }));
      const found = result.Stacks?.[0];
      return found && found.StackStatus !== 'DELETE_COMPLETE' ? found : undefined;
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) return undefined;
      throw classifyCustomerError(error, `DescribeStacks of ${step.cloudFormationStackName}`);
    }
  }

  /** The first resource failure CloudFormation reported: what a customer needs to act on. */
  async failureReason(found: CfnStack): Promise<string> {
    try {
      const events = await this.cfn.send(new DescribeStackEventsCommand({ StackName: found.StackId ?? found.StackName }));
      const first = (events.StackEvents ?? [])
        .filter((e) => e.ResourceStatus?.endsWith('_FAILED') && e.ResourceStatusReason && e.LogicalResourceId !== found.StackName)
        .at(-1);
      if (first) return `${first.LogicalResourceId ?? 'a resource'} (${first.ResourceType ?? 'unknown type'}): ${first.ResourceStatusReason ?? ''}`;
    } catch (error) {
      this.logger.warn('could not read stack events', { stackName: found.StackName, error });
    }
    return found.StackStatusReason ?? `stack ended ${found.StackStatus ?? 'in an unknown state'}`;
  }

  /**
   * Creates the component's stack under the account's execution role, tagged with its owner, and
   * returns its id. A stack of that name that an earlier attempt of this step created (its answer
   * lost) is adopted; one this Groundwork stack did not create is a failure.
   */
  async create(component: ComponentName, step: StackStep, template: CfnTemplate, parameters: Parameter[]): Promise<string | undefined> {
    try {
      const created = await this.cfn.send(
        new CreateStackCommand({
          StackName: step.cloudFormationStackName,
          TemplateBody: JSON.stringify(template),
          Parameters: parameters,
          RoleARN: this.account.executionRoleArn,
          Capabilities: ['CAPABILITY_IAM'],
          ClientRequestToken: this.clientToken(component, 'create'),
          Tags: [
            { Key: 'groundwork:tenant', Value: this.stack.tenantId },
            { Key: 'groundwork:stack', Value: this.stack.id },
            { Key: 'groundwork:component', Value: component },
          ],
        }),
      );
      return created.StackId;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'AlreadyExistsException')) throw classifyCustomerError(error, `CreateStack of ${step.cloudFormationStackName}`);
      const existing = await this.describe(step);
      const owner = existing?.Tags?.find((tag) => tag.Key === 'groundwork:stack')?.Value;
      if (!existing || owner !== this.stack.id) throw new ComponentFailedError(`A stack named ${step.cloudFormationStackName} exists that this Groundwork stack did not create.`);
      return existing.StackId;
    }
  }

  /** Asks CloudFormation to delete the component's stack; `attempt` (from 1) keeps each retry's token apart. */
  async delete(component: ComponentName, step: StackStep, found: CfnStack, attempt: number): Promise<void> {
    try {
      await this.cfn.send(
        new DeleteStackCommand({
          StackName: found.StackId ?? step.cloudFormationStackName,
          RoleARN: this.account.executionRoleArn,
          ClientRequestToken: this.clientToken(component, `delete-${this.stack.deleteCount}-${attempt}`),
        }),
      );
    } catch (error) {
      throw classifyCustomerError(error, `DeleteStack of ${step.cloudFormationStackName}`);
    }
  }

  /** The same call of the same execution gets the same token, so CloudFormation answers a retry without acting twice. */
  private clientToken(component: ComponentName, suffix: string): string {
    return `gw-${this.stack.executionName}-${component}-${suffix}`.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 128);
  }
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'ServiceUnavailable', 'InternalFailure', 'RequestTimeout', 'TimeoutError']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'InvalidClientTokenId', 'ExpiredToken']);

/** Maps an AWS SDK error from a customer's account to what the workflow does about it. */
export function classifyCustomerError(error: unknown, action: string): Error {
  if (!(error instanceof Error)) return new ComponentFailedError(`${action} failed: ${String(error)}`);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  if (THROTTLING.has(error.name) || status >= 500) return new CustomerApiThrottledError(`${action} was throttled or failed transiently (${error.name})`, { cause: error });
  if (DENIED.has(error.name) || status === 403) {
    return new CustomerAccessDeniedError(`${action} was refused in the customer account (${error.name}: ${error.message}). Check that the onboarding stack is still in place.`, { cause: error });
  }
  if (error.name === 'ValidationError') return new ComponentFailedError(`${action} was rejected: ${error.message}`, { cause: error });
  return error;
}
