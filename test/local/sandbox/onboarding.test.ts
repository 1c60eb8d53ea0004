import { CreateStackCommand, DeleteStackCommand, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { ONBOARDING_TEMPLATE_VERSION } from '../../../src/accounts/onboarding-template-version';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { readFileSync } from 'node:fs';
import { arns, SERVICE_ACCOUNT } from '../../../local/config';
import type { SandboxHooks } from '../../../local/contracts';
import { onboardingParameters } from './onboarding-parameters';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, rejectionOf, stackEvents, waitForStack } from './stack-waits';

/**
 * The real onboarding template (cfn/onboarding-role.yaml), launched in a sandbox account as a
 * customer would. Its custom resource goes to the registration topic through hooks.publishToTopic;
 * the stub here answers it at the ResponseURL, as Groundwork's onboarding callback would.
 */

const onboardingTemplate = readFileSync(new URL('../../../cfn/onboarding-role.yaml', import.meta.url), 'utf8');
const EXTERNAL_ID = 'ext-0123456789abcdef0123456789abcdef';

interface CustomResourceRequest {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  ResourceType: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, string>;
}

/** How the stub answers each request type; every request and event is recorded. */
const answers: Record<string, 'SUCCESS' | 'FAILED'> = {};
const requests: Array<{ topicArn: string; request: CustomResourceRequest }> = [];
const events: Array<{ busArn: string; detailType: string; detail: { 'stack-id': string; 'status-details': { status: string } } }> = [];

const hooks: SandboxHooks = {
  async publishToTopic(topicArn, message) {
    const request = JSON.parse(message) as CustomResourceRequest;
    requests.push({ topicArn, request });
    const status = answers[request.RequestType] ?? 'SUCCESS';
    // Answer after this call returns, as the SNS-triggered callback would.
    setTimeout(() => {
      void fetch(request.ResponseURL, {
        method: 'PUT',
        body: JSON.stringify({
          Status: status,
          Reason: status === 'FAILED' ? 'The registration token has already been used' : '',
          PhysicalResourceId: request.PhysicalResourceId ?? `registration-${request.ResourceProperties['GroundworkAccountId']}`,
          StackId: request.StackId,
          RequestId: request.RequestId,
          LogicalResourceId: request.LogicalResourceId,
          Data: { GroundworkAccountId: request.ResourceProperties['GroundworkAccountId'] },
        }),
      });
    }, 5);
  },
  async putEvent(busArn, entry) {
    events.push({ busArn, detailType: entry.detailType, detail: entry.detail as (typeof events)[number]['detail'] });
  },
};

function parameters(accountId: string) {
  return onboardingParameters(accountId, EXTERNAL_ID);
}

let edge: SandboxEdge;

async function assumeAccessRole(roleArn: string) {
  const { Credentials } = await edge.sts(SERVICE_ACCOUNT).send(new AssumeRoleCommand({ RoleArn: arns.serviceRole, RoleSessionName: 'groundwork-service' }));
  const service = edge.sts(SERVICE_ACCOUNT, { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' });
  return service.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'groundwork-proof', ExternalId: EXTERNAL_ID }));
}

beforeAll(async () => {
  edge = await startSandboxEdge({ hooks });
});

afterAll(async () => {
  await edge.close();
});

beforeEach(() => {
  requests.length = 0;
  events.length = 0;
  for (const key of Object.keys(answers)) delete answers[key];
});

describe('the onboarding template in a sandbox account', () => {
  it('completes when the registration answers SUCCESS, sends no stack event to Groundwork, and tells the registration of its deletion', async () => {
    // Prepare
    const account = '555555555555';
    const cfn = edge.cloudFormation(account);

    // Act
    await cfn.send(new CreateStackCommand({ StackName: 'GroundworkOnboarding', TemplateURL: edge.templateUrl(onboardingTemplate), Capabilities: ['CAPABILITY_NAMED_IAM'], Parameters: parameters('acc_abcdefghij0123456789') }));
    const onboarded = await waitForStack(cfn, 'GroundworkOnboarding');
    const outputs = outputsOf(onboarded);
    const proof = await assumeAccessRole(outputs['AccessRoleArn'] ?? '');
    await cfn.send(new CreateStackCommand({ StackName: 'groundwork-stk-1-network', TemplateBody: JSON.stringify({ Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.1.0.0/16' } } } }) }));
    const component = await waitForStack(cfn, 'groundwork-stk-1-network');
    await cfn.send(new CreateStackCommand({ StackName: 'not-ours', TemplateBody: JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }) }));
    await waitForStack(cfn, 'not-ours');
    await cfn.send(new DeleteStackCommand({ StackName: 'GroundworkOnboarding' }));
    const offboarded = await waitForStack(cfn, onboarded.StackId ?? '');
    const afterwards = await rejectionOf(assumeAccessRole(outputs['AccessRoleArn'] ?? ''));

    // Assess
    expect(onboarded.StackStatus).toBe('CREATE_COMPLETE');
    expect(outputs).toEqual({
      AccessRoleArn: `arn:aws:iam::${account}:role/GroundworkAccess-acc_abcdefghij0123456789`,
      ExecutionRoleArn: `arn:aws:iam::${account}:role/GroundworkExecution-acc_abcdefghij0123456789`,
      NatInstanceProfileArn: `arn:aws:iam::${account}:instance-profile/GroundworkNatInstance-acc_abcdefghij0123456789`,
      ContainerInstanceProfileArn: `arn:aws:iam::${account}:instance-profile/GroundworkContainerInstance-acc_abcdefghij0123456789`,
      BastionInstanceProfileArn: `arn:aws:iam::${account}:instance-profile/GroundworkBastion-acc_abcdefghij0123456789`,
      TaskExecutionRoleArn: `arn:aws:iam::${account}:role/GroundworkTaskExecution-acc_abcdefghij0123456789`,
      GroundworkAccountId: 'acc_abcdefghij0123456789',
    });
    const [create, remove] = requests;
    expect(create?.topicArn).toBe(arns.registrationTopic);
    expect(create?.request).toMatchObject({
      RequestType: 'Create',
      ResponseURL: expect.stringMatching(new RegExp(`^${edge.url}/_sandbox/cfn-responses/`)),
      StackId: onboarded.StackId,
      ResourceType: 'Custom::GroundworkRegistration',
      LogicalResourceId: 'GroundworkRegistration',
      ResourceProperties: {
        ServiceToken: arns.registrationTopic,
        GroundworkAccountId: 'acc_abcdefghij0123456789',
        RegistrationToken: 'reg-token-0123456789abcdef',
        AccessRoleArn: outputs['AccessRoleArn'],
        ExecutionRoleArn: outputs['ExecutionRoleArn'],
        NatInstanceProfileArn: outputs['NatInstanceProfileArn'],
        ContainerInstanceProfileArn: outputs['ContainerInstanceProfileArn'],
        BastionInstanceProfileArn: outputs['BastionInstanceProfileArn'],
        TaskExecutionRoleArn: outputs['TaskExecutionRoleArn'],
        TemplateVersion: String(ONBOARDING_TEMPLATE_VERSION),
      },
    });
    expect(proof.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${account}:assumed-role/GroundworkAccess-acc_abcdefghij0123456789/groundwork-proof`);
    // Nothing in Groundwork consumes CloudFormation's events, so the template forwards none (decision 0012, L3).
    expect(component.StackStatus).toBe('CREATE_COMPLETE');
    expect(events).toEqual([]);
    expect(create?.request.ResourceProperties).not.toHaveProperty('EventForwarding');
    expect(remove?.request).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: 'registration-acc_abcdefghij0123456789', LogicalResourceId: 'GroundworkRegistration' });
    expect(offboarded.StackStatus).toBe('DELETE_COMPLETE');
    expect(afterwards.name).toBe('AccessDenied');
  });

  it('rolls back when the registration answers FAILED: the roles are gone and the registration is told to delete', async () => {
    // Prepare
    const account = '666666666666';
    const cfn = edge.cloudFormation(account);
    answers['Create'] = 'FAILED';

    // Act
    await cfn.send(new CreateStackCommand({ StackName: 'GroundworkOnboarding', TemplateURL: edge.templateUrl(onboardingTemplate), Capabilities: ['CAPABILITY_NAMED_IAM'], Parameters: parameters('acc_zyxwvutsrq9876543210') }));
    const rolledBack = await waitForStack(cfn, 'GroundworkOnboarding');
    const history = await stackEvents(cfn, 'GroundworkOnboarding');
    const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: 'GroundworkOnboarding' }));
    const denied = await rejectionOf(assumeAccessRole(`arn:aws:iam::${account}:role/GroundworkAccess-acc_zyxwvutsrq9876543210`));

    // Assess
    expect(rolledBack.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(history.find((event) => event.LogicalResourceId === 'GroundworkRegistration' && event.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason).toMatch(
      /^Received response status \[FAILED\] from custom resource\. Message returned: The registration token has already been used \(RequestId: [0-9a-f-]+\)$/,
    );
    expect(requests.map(({ request }) => request.RequestType)).toEqual(['Create', 'Delete']);
    // Access, execution and the four fixed roles.
    expect(StackResources?.filter((resource) => resource.ResourceType === 'AWS::IAM::Role').map((resource) => resource.ResourceStatus)).toEqual(Array(6).fill('DELETE_COMPLETE'));
    expect(denied.name).toBe('AccessDenied');
    expect(edge.sandbox.liveStacks(account).map((stack) => stack.status)).toEqual(['ROLLBACK_COMPLETE']);
  });
});
