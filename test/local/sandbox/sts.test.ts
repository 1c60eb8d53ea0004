import { CreateStackCommand, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { arns, SERVICE_ACCOUNT } from '../../../local/config';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, rejectionOf, waitForStack } from './stack-waits';

/**
 * The sandbox's STS through the plain SDK client: AssumeRole honours the trust policy of roles
 * that stacks create, the ExternalId condition above all, and the credentials it issues act as
 * the role session in the role's account.
 */

const CUSTOMER = '222222222222';
const EXTERNAL_ID = 'ext-0123456789abcdef0123456789abcdef';

/** The access role of cfn/onboarding-role.yaml, reduced to its trust policy. */
const accessRoleTemplate = JSON.stringify({
  Parameters: { ServiceRoleArn: { Type: 'String' }, ExternalId: { Type: 'String' } },
  Resources: {
    AccessRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: 'GroundworkAccess-test',
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: { Ref: 'ServiceRoleArn' } }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } } }],
        },
      },
    },
    // Trusted by EC2 only: CloudFormation may not use it as a stack role.
    InstanceRole: {
      Type: 'AWS::IAM::Role',
      Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
    },
  },
  Outputs: { AccessRoleArn: { Value: { 'Fn::GetAtt': ['AccessRole', 'Arn'] } }, InstanceRoleArn: { Value: { 'Fn::GetAtt': ['InstanceRole', 'Arn'] } } },
});

let edge: SandboxEdge;
let accessRoleArn: string;
let instanceRoleArn: string;

/** Credentials of the Groundwork service role, as Groundwork's functions get them locally. */
async function serviceRoleCredentials() {
  const { Credentials } = await edge.sts(SERVICE_ACCOUNT).send(new AssumeRoleCommand({ RoleArn: arns.serviceRole, RoleSessionName: 'groundwork-service' }));
  return { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' };
}

/** Launches a stack of the access-role template in the customer account, and waits for it. */
async function launchAccessRole(stackName: string, template = accessRoleTemplate) {
  const cfn = edge.cloudFormation(CUSTOMER);
  const parameters = [
    { ParameterKey: 'ServiceRoleArn', ParameterValue: arns.serviceRole },
    { ParameterKey: 'ExternalId', ParameterValue: EXTERNAL_ID },
  ];
  const { StackId } = await cfn.send(new CreateStackCommand({ StackName: stackName, TemplateBody: template, Capabilities: ['CAPABILITY_NAMED_IAM'], Parameters: parameters }));
  return { stackId: StackId ?? '', outputs: outputsOf(await waitForStack(cfn, stackName)) };
}

beforeAll(async () => {
  edge = await startSandboxEdge();
  const { outputs } = await launchAccessRole('onboarding');
  accessRoleArn = outputs['AccessRoleArn'] ?? '';
  instanceRoleArn = outputs['InstanceRoleArn'] ?? '';
});

afterAll(async () => {
  await edge.close();
});

describe('the sandbox STS endpoint', () => {
  it('lets the Groundwork service role assume the access role with the right ExternalId, and acts in the customer account as that session', async () => {
    // Prepare
    const sts = edge.sts(SERVICE_ACCOUNT, await serviceRoleCredentials());

    // Act
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: accessRoleArn, RoleSessionName: 'groundwork-stk-1', ExternalId: EXTERNAL_ID, DurationSeconds: 900 }));
    const credentials = {
      accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
      secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
      sessionToken: assumed.Credentials?.SessionToken ?? '',
    };
    const identity = await edge.sts(CUSTOMER, credentials).send(new GetCallerIdentityCommand({}));
    const { Stacks } = await edge.cloudFormation(CUSTOMER, credentials).send(new DescribeStacksCommand({ StackName: 'onboarding' }));

    // Assess
    expect(accessRoleArn).toBe(`arn:aws:iam::${CUSTOMER}:role/GroundworkAccess-test`);
    expect(assumed.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${CUSTOMER}:assumed-role/GroundworkAccess-test/groundwork-stk-1`);
    expect(credentials.accessKeyId).toBe(CUSTOMER);
    expect(assumed.Credentials?.Expiration?.getTime()).toBeGreaterThan(Date.now() + 800_000);
    expect(identity).toMatchObject({ Account: CUSTOMER, Arn: `arn:aws:sts::${CUSTOMER}:assumed-role/GroundworkAccess-test/groundwork-stk-1` });
    expect(identity.UserId).toMatch(/^AROA[A-Z0-9]+:groundwork-stk-1$/);
    expect(Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
  });

  it('refuses the access role without the ExternalId, with a wrong one, and to anyone but the service role', async () => {
    // Prepare
    const service = edge.sts(SERVICE_ACCOUNT, await serviceRoleCredentials());
    const serviceRoot = edge.sts(SERVICE_ACCOUNT);
    const stranger = edge.sts('333333333333');

    // Act
    const withoutId = await rejectionOf(service.send(new AssumeRoleCommand({ RoleArn: accessRoleArn, RoleSessionName: 'no-id' })));
    const wrongId = await rejectionOf(service.send(new AssumeRoleCommand({ RoleArn: accessRoleArn, RoleSessionName: 'wrong-id', ExternalId: `${EXTERNAL_ID}x` })));
    const notTheRole = await rejectionOf(serviceRoot.send(new AssumeRoleCommand({ RoleArn: accessRoleArn, RoleSessionName: 'root', ExternalId: EXTERNAL_ID })));
    const otherAccount = await rejectionOf(stranger.send(new AssumeRoleCommand({ RoleArn: accessRoleArn, RoleSessionName: 'other', ExternalId: EXTERNAL_ID })));
    const noSuchRole = await rejectionOf(service.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${CUSTOMER}:role/Nope`, RoleSessionName: 'nope', ExternalId: EXTERNAL_ID })));
    const tooLong = await rejectionOf(service.send(new AssumeRoleCommand({ RoleArn: accessRoleArn, RoleSessionName: 'long', ExternalId: EXTERNAL_ID, DurationSeconds: 7200 })));

    // Assess
    expect(withoutId).toMatchObject({
      name: 'AccessDenied',
      message: `User: arn:aws:sts::${SERVICE_ACCOUNT}:assumed-role/groundwork-local-service/groundwork-service is not authorized to perform: sts:AssumeRole on resource: ${accessRoleArn}`,
      $metadata: { httpStatusCode: 403 },
    });
    expect(wrongId.name).toBe('AccessDenied');
    expect(notTheRole.message).toBe(`User: arn:aws:iam::${SERVICE_ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: ${accessRoleArn}`);
    expect(otherAccount.name).toBe('AccessDenied');
    expect(noSuchRole.name).toBe('AccessDenied');
    expect(tooLong).toMatchObject({ name: 'ValidationError', message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.' });
  });

  it('refuses credentials it did not issue', async () => {
    // Prepare
    const forged = Buffer.from(JSON.stringify({ v: 1, account: CUSTOMER, roleArn: accessRoleArn, roleName: 'GroundworkAccess-test', session: 'x', expires: Date.now() + 60_000 })).toString('base64url');

    // Act
    const error = await rejectionOf(edge.sts(CUSTOMER, { accessKeyId: CUSTOMER, secretAccessKey: 's', sessionToken: `${forged}.bogus` }).send(new GetCallerIdentityCommand({})));
    const root = await edge.sts(CUSTOMER).send(new GetCallerIdentityCommand({}));

    // Assess
    expect(error).toMatchObject({ name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
    expect(root).toMatchObject({ Account: CUSTOMER, Arn: `arn:aws:iam::${CUSTOMER}:root`, UserId: CUSTOMER });
  });

  it('creates a stack with a role only if CloudFormation may assume it', async () => {
    // Prepare
    const cfn = edge.cloudFormation(CUSTOMER);
    const template = JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } });

    // Act
    const refused = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'with-ec2-role', TemplateBody: template, RoleARN: instanceRoleArn })));
    const elsewhere = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'with-foreign-role', TemplateBody: template, RoleARN: 'arn:aws:iam::444444444444:role/x' })));
    // A role the account does not hold cannot be assumed either (stack-semantics.test.ts).
    const unknown = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'with-unknown-role', TemplateBody: template, RoleARN: `arn:aws:iam::${CUSTOMER}:role/MadeByHand` })));

    // Assess
    expect(refused).toMatchObject({ name: 'ValidationError', message: `Role ${instanceRoleArn} is invalid or cannot be assumed` });
    expect(elsewhere.name).toBe('ValidationError');
    expect(unknown).toMatchObject({ name: 'ValidationError', message: `Role arn:aws:iam::${CUSTOMER}:role/MadeByHand is invalid or cannot be assumed` });
  });

  it('refuses a stack role whose trust asks CloudFormation for aws:SourceAccount, which AWS does not document it sends (review U1)', async () => {
    // Prepare: a role CloudFormation may assume only with the source account in the request.
    const cfn = edge.cloudFormation(CUSTOMER);
    const role = JSON.stringify({
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            RoleName: 'cfn-with-source-account',
            AssumeRolePolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': CUSTOMER } } }],
            },
          },
        },
      },
      Outputs: { Arn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
    });
    await cfn.send(new CreateStackCommand({ StackName: 'source-account-role', TemplateBody: role, Capabilities: ['CAPABILITY_NAMED_IAM'] }));
    const roleArn = outputsOf(await waitForStack(cfn, 'source-account-role'))['Arn'] ?? '';

    // Act
    const refused = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'with-source-account-role', TemplateBody: JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }), RoleARN: roleArn })));

    // Assess
    expect(refused).toMatchObject({ name: 'ValidationError', message: `Role ${roleArn} is invalid or cannot be assumed` });
  });

  it('forgets a role when the stack that created it is deleted', async () => {
    // Prepare
    const cfn = edge.cloudFormation(CUSTOMER);
    const service = edge.sts(SERVICE_ACCOUNT, await serviceRoleCredentials());
    const { stackId, outputs } = await launchAccessRole('short-lived', accessRoleTemplate.replace('GroundworkAccess-test', 'GroundworkAccess-short-lived'));
    const roleArn = outputs['AccessRoleArn'] ?? '';
    const before = await service.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'before', ExternalId: EXTERNAL_ID }));

    // Act
    await cfn.send(new DeleteStackCommand({ StackName: 'short-lived' }));
    const deleted = await waitForStack(cfn, stackId);
    const after = await rejectionOf(service.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'after', ExternalId: EXTERNAL_ID })));

    // Assess
    expect(before.AssumedRoleUser?.Arn).toContain('GroundworkAccess-short-lived');
    expect(deleted.StackStatus).toBe('DELETE_COMPLETE');
    expect(after.name).toBe('AccessDenied');
  });
});
