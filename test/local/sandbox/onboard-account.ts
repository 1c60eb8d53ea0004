import { CreateStackCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { arns, SERVICE_ACCOUNT } from '../../../local/config';
import type { SandboxHooks } from '../../../local/contracts';
import { onboardingParameters } from './onboarding-parameters';
import type { SandboxEdge } from './sandbox-http';
import { outputsOf, waitForStack } from './stack-waits';

/** Answers the onboarding's custom resource SUCCESS, as Groundwork's callback would. */
export function answeringOnboardingHooks(groundworkAccountId: string): SandboxHooks {
  return {
    async publishToTopic(_topicArn, message) {
      const request = JSON.parse(message) as { ResponseURL: string; StackId: string; RequestId: string; LogicalResourceId: string; RequestType: string };
      setTimeout(() => {
        void fetch(request.ResponseURL, {
          method: 'PUT',
          body: JSON.stringify({ Status: 'SUCCESS', PhysicalResourceId: 'registration', StackId: request.StackId, RequestId: request.RequestId, LogicalResourceId: request.LogicalResourceId, Data: { GroundworkAccountId: groundworkAccountId } }),
        });
      }, 5);
    },
    putEvent: async () => undefined,
  };
}

/**
 * A sandbox account onboarded with the given onboarding template (launched with the account's own
 * keys, allowing `regions`: the sandbox's region unless told), and CloudFormation clients acting as
 * Groundwork does: through the access role, assumed by the service role with the ExternalId (in
 * the sandbox's region, or in another with `accessIn`).
 */
export async function onboardAccount(
  edge: SandboxEdge,
  options: { account: string; groundworkAccountId: string; externalId: string; template: string; regions?: readonly string[] },
): Promise<{
  root: CloudFormationClient;
  access: CloudFormationClient;
  accessIn(region: string): CloudFormationClient;
  executionRoleArn: string;
  accessRoleArn: string;
  accessCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}> {
  const root = edge.cloudFormation(options.account);
  await root.send(
    new CreateStackCommand({
      StackName: 'GroundworkOnboarding',
      TemplateURL: edge.templateUrl(options.template),
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Parameters: onboardingParameters(options.groundworkAccountId, options.externalId, options.regions),
    }),
  );
  const outputs = outputsOf(await waitForStack(root, 'GroundworkOnboarding'));
  const service = await edge.sts(SERVICE_ACCOUNT).send(new AssumeRoleCommand({ RoleArn: arns.serviceRole, RoleSessionName: 'groundwork-service' }));
  const asService = edge.sts(SERVICE_ACCOUNT, { accessKeyId: service.Credentials?.AccessKeyId ?? '', secretAccessKey: service.Credentials?.SecretAccessKey ?? '', sessionToken: service.Credentials?.SessionToken ?? '' });
  const { Credentials } = await asService.send(new AssumeRoleCommand({ RoleArn: outputs['AccessRoleArn'] ?? '', RoleSessionName: 'groundwork', ExternalId: options.externalId }));
  const accessCredentials = { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' };
  return {
    root,
    access: edge.cloudFormation(options.account, accessCredentials),
    accessIn: (region) => edge.cloudFormation(options.account, accessCredentials, region),
    executionRoleArn: outputs['ExecutionRoleArn'] ?? '',
    accessRoleArn: outputs['AccessRoleArn'] ?? '',
    accessCredentials,
  };
}
