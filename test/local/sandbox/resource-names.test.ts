import { CreateStackCommand, DeleteStackCommand, DescribeStackResourcesCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import { nameClaim, type NameClaim } from '../../../local/sandbox/resource-names';
import type { CfnTemplate } from '../../../src/cfn/template-types';
import { buildStackTemplates } from '../../../src/templates/build-stack-templates';
import { templateInput } from '../../templates/fixtures';
import { deployComponents } from './deploy-components';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, stackEvents, waitForStack } from './stack-waits';

/**
 * A name the customer gives a resource must be unique only where AWS requires it: an API Gateway
 * stage name within its API, a Cloud Map service name within its namespace, most names within the
 * account and region, IAM names within the account, S3 bucket names everywhere. What AWS refuses
 * the sandbox refuses (the resource fails, the stack rolls back); what AWS allows it allows.
 */

const ACCOUNT = '333333333333';
const OTHER_ACCOUNT = '444444444444';
const OTHER_REGION = 'eu-west-1';

let edge: SandboxEdge;

beforeAll(async () => {
  edge = await startSandboxEdge();
});

afterAll(async () => {
  await edge.close();
});

async function createAndWait(cfn: CloudFormationClient, stackName: string, template: CfnTemplate, parameters: Record<string, string> = {}): Promise<Stack> {
  await cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify(template),
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    }),
  );
  return waitForStack(cfn, stackName);
}

/** `<LogicalId>: <reason>` of every resource that failed to create in the stack. */
async function createFailures(cfn: CloudFormationClient, stackName: string): Promise<string[]> {
  const events = await stackEvents(cfn, stackName);
  return events.filter((event) => event.ResourceStatus === 'CREATE_FAILED').map((event) => `${event.LogicalResourceId}: ${event.ResourceStatusReason ?? ''}`);
}

/** An HTTP API and its `$default` stage, or, given an ApiId, stages on that API. */
const apiTemplate: CfnTemplate = {
  Resources: {
    Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'shared-name', ProtocolType: 'HTTP' } },
    DefaultStage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'Api' }, StageName: '$default', AutoDeploy: true } },
  },
  Outputs: { ApiId: { Value: { Ref: 'Api' } } },
};
const stageOnTemplate = (stageName: string): CfnTemplate => ({
  Parameters: { ApiId: { Type: 'String' } },
  Resources: { Stage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'ApiId' }, StageName: stageName } } },
});

/** A private DNS namespace and its `app` service, or, given a NamespaceId, a service in that namespace. */
const namespaceTemplate: CfnTemplate = {
  Resources: {
    Namespace: { Type: 'AWS::ServiceDiscovery::PrivateDnsNamespace', Properties: { Name: 'shop.internal', Vpc: 'vpc-0123456789abcdef0' } },
    AppService: { Type: 'AWS::ServiceDiscovery::Service', Properties: { Name: 'app', NamespaceId: { 'Fn::GetAtt': ['Namespace', 'Id'] } } },
  },
  Outputs: { NamespaceId: { Value: { 'Fn::GetAtt': ['Namespace', 'Id'] } } },
};
const serviceInTemplate = (name: string): CfnTemplate => ({
  Parameters: { NamespaceId: { Type: 'String' } },
  Resources: { AppService: { Type: 'AWS::ServiceDiscovery::Service', Properties: { Name: name, NamespaceId: { Ref: 'NamespaceId' } } } },
});

/** Regional resources with the names our templates give (or could give) them. */
/** A VPC for the target group: it must name one of the account and region. */
const vpc: CfnTemplate['Resources'] = { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } } };
const regionalTemplate: CfnTemplate = {
  Resources: {
    ...vpc,
    LogGroup: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/ecs/containerinsights/shared/performance' } },
    Cluster: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: 'shared' } },
    Database: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceIdentifier: 'shared-db', Engine: 'postgres', DBInstanceClass: 'db.t4g.micro', AllocatedStorage: '20' } },
    Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'shared/database' } },
    TargetGroup: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Name: 'shared-tg', Port: 8080, Protocol: 'HTTP', TargetType: 'ip', VpcId: { Ref: 'Vpc' } } },
  },
};

const roleTemplate = (roleName: string): CfnTemplate => ({
  Resources: {
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: roleName,
        AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
      },
    },
  },
});
const bucketTemplate: CfnTemplate = { Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'groundwork-shared-artifacts' } } } };

describe('names of the resources stacks create', () => {
  it('deploys two Groundwork stacks with an HTTP API frontend into one account, each with its own $default stage', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);
    const shop = buildStackTemplates({ ...templateInput({ frontend: { type: 'apigateway' } }), stackId: 'stk0000000000000001' });
    const blog = buildStackTemplates({ ...templateInput({ frontend: { type: 'apigateway' } }), stackId: 'stk0000000000000002' });

    // Act
    const [shopStacks, blogStacks] = await Promise.all([deployComponents(cfn, ACCOUNT, shop), deployComponents(cfn, ACCOUNT, blog)]);
    const stages = await Promise.all(
      [shopStacks, blogStacks].map(async (stacks) => {
        const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: stacks.get('frontend')?.StackName, LogicalResourceId: 'DefaultStage' }));
        return StackResources?.[0]?.PhysicalResourceId;
      }),
    );

    // Assess
    for (const stacks of [shopStacks, blogStacks]) {
      expect([...stacks.values()].map((stack) => [stack.StackName, stack.StackStatus])).toEqual([...stacks.values()].map((stack) => [stack.StackName, 'CREATE_COMPLETE']));
    }
    expect(shopStacks.has('frontend')).toBe(true);
    expect(stages).toEqual(['$default', '$default']);
    const apiIds = [shopStacks, blogStacks].map((stacks) => outputsOf(stacks.get('frontend'))['ApiId']);
    expect(new Set(apiIds).size).toBe(2);
  });

  it('refuses a second stage of a name only on the same API, even within one stack', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);
    const first = await createAndWait(cfn, 'api-first', apiTemplate);
    const apiId = outputsOf(first)['ApiId'] ?? '';
    const twice: CfnTemplate = {
      Resources: {
        ...apiTemplate.Resources,
        AgainStage: { Type: 'AWS::ApiGatewayV2::Stage', DependsOn: 'DefaultStage', Properties: { ApiId: { Ref: 'Api' }, StageName: '$default' } },
      },
    };

    // Act
    const second = await createAndWait(cfn, 'api-second', apiTemplate);
    const sameApi = await createAndWait(cfn, 'api-same-stage', stageOnTemplate('$default'), { ApiId: apiId });
    const otherStage = await createAndWait(cfn, 'api-other-stage', stageOnTemplate('beta'), { ApiId: apiId });
    const inOneStack = await createAndWait(cfn, 'api-twice', twice);

    // Assess
    expect(first.StackStatus).toBe('CREATE_COMPLETE');
    expect(second.StackStatus).toBe('CREATE_COMPLETE');
    expect(otherStage.StackStatus).toBe('CREATE_COMPLETE');
    expect(sameApi.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await createFailures(cfn, 'api-same-stage')).toEqual(["Stage: Resource of type 'AWS::ApiGatewayV2::Stage' with identifier '$default' already exists."]);
    expect(inOneStack.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await createFailures(cfn, 'api-twice')).toEqual(["AgainStage: Resource of type 'AWS::ApiGatewayV2::Stage' with identifier '$default' already exists."]);
  });

  it('refuses a second Cloud Map service of a name only in the same namespace, and frees the name when it is deleted', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);
    const first = await createAndWait(cfn, 'namespace-first', namespaceTemplate);
    const namespaceId = outputsOf(first)['NamespaceId'] ?? '';

    // Act
    const second = await createAndWait(cfn, 'namespace-second', namespaceTemplate);
    const sameNamespace = await createAndWait(cfn, 'namespace-same-service', serviceInTemplate('app'), { NamespaceId: namespaceId });
    const holder = await createAndWait(cfn, 'namespace-holder', serviceInTemplate('worker'), { NamespaceId: namespaceId });
    await cfn.send(new DeleteStackCommand({ StackName: 'namespace-holder' }));
    const held = await waitForStack(cfn, holder.StackId ?? '');
    const afterDelete = await createAndWait(cfn, 'namespace-after-delete', serviceInTemplate('worker'), { NamespaceId: namespaceId });

    // Assess
    expect([first, second, holder, held, afterDelete].map((stack) => stack.StackStatus)).toEqual(['CREATE_COMPLETE', 'CREATE_COMPLETE', 'CREATE_COMPLETE', 'DELETE_COMPLETE', 'CREATE_COMPLETE']);
    expect(outputsOf(second)['NamespaceId']).not.toBe(namespaceId);
    expect(sameNamespace.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await createFailures(cfn, 'namespace-same-service')).toEqual(["AppService: Resource of type 'AWS::ServiceDiscovery::Service' with identifier 'app' already exists."]);
  });

  it('takes regional names per account and region: the same names in another region or account, refused in the same', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);
    const elsewhere = edge.cloudFormation(ACCOUNT, undefined, OTHER_REGION);
    const otherAccount = edge.cloudFormation(OTHER_ACCOUNT);

    // Act
    const first = await createAndWait(cfn, 'regional-first', regionalTemplate);
    const otherRegion = await createAndWait(elsewhere, 'regional-elsewhere', regionalTemplate);
    const inOtherAccount = await createAndWait(otherAccount, 'regional-first', regionalTemplate);
    // One stack per resource: the first refusal would cancel the others.
    const again = await Promise.all(
      Object.entries(regionalTemplate.Resources).filter(([logicalId]) => logicalId !== 'Vpc').map(async ([logicalId, resource]) => {
        const stack = await createAndWait(cfn, `regional-again-${logicalId.toLowerCase()}`, { Resources: { ...(logicalId === 'TargetGroup' ? vpc : {}), [logicalId]: resource } });
        return [stack.StackStatus, ...(await createFailures(cfn, stack.StackName ?? ''))];
      }),
    );
    const { StackResources } = await elsewhere.send(new DescribeStackResourcesCommand({ PhysicalResourceId: 'shared' }));

    // Assess
    expect([first, otherRegion, inOtherAccount].map((stack) => stack.StackStatus)).toEqual(['CREATE_COMPLETE', 'CREATE_COMPLETE', 'CREATE_COMPLETE']);
    expect(again).toEqual([
      ['ROLLBACK_COMPLETE', "LogGroup: Resource of type 'AWS::Logs::LogGroup' with identifier '/aws/ecs/containerinsights/shared/performance' already exists."],
      ['ROLLBACK_COMPLETE', "Cluster: Resource of type 'AWS::ECS::Cluster' with identifier 'shared' already exists."],
      ['ROLLBACK_COMPLETE', "Database: Resource of type 'AWS::RDS::DBInstance' with identifier 'shared-db' already exists."],
      ['ROLLBACK_COMPLETE', "Secret: Resource of type 'AWS::SecretsManager::Secret' with identifier 'shared/database' already exists."],
      ['ROLLBACK_COMPLETE', "TargetGroup: Resource of type 'AWS::ElasticLoadBalancingV2::TargetGroup' with identifier 'shared-tg' already exists."],
    ]);
    // A physical id names a resource of the region asked.
    expect(StackResources?.map((resource) => [resource.StackName, resource.LogicalResourceId])).toEqual([['regional-elsewhere', 'Cluster']]);
  });

  it('takes IAM names per account in every region, whatever their case, and S3 bucket names across accounts', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);
    const elsewhere = edge.cloudFormation(ACCOUNT, undefined, OTHER_REGION);
    const otherAccount = edge.cloudFormation(OTHER_ACCOUNT);

    // Act
    const role = await createAndWait(cfn, 'role-first', roleTemplate('shared-task-role'));
    const roleElsewhere = await createAndWait(elsewhere, 'role-elsewhere', roleTemplate('Shared-Task-Role'));
    const roleInOtherAccount = await createAndWait(otherAccount, 'role-first', roleTemplate('shared-task-role'));
    const bucket = await createAndWait(cfn, 'bucket-first', bucketTemplate);
    const bucketInOtherAccount = await createAndWait(otherAccount, 'bucket-other-account', bucketTemplate);

    // Assess
    expect(role.StackStatus).toBe('CREATE_COMPLETE');
    expect(roleElsewhere.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await createFailures(elsewhere, 'role-elsewhere')).toEqual(["Role: Resource of type 'AWS::IAM::Role' with identifier 'Shared-Task-Role' already exists."]);
    expect(roleInOtherAccount.StackStatus).toBe('CREATE_COMPLETE');
    expect(bucket.StackStatus).toBe('CREATE_COMPLETE');
    expect(bucketInOtherAccount.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await createFailures(otherAccount, 'bucket-other-account')).toEqual(["Bucket: Resource of type 'AWS::S3::Bucket' with identifier 'groundwork-shared-artifacts' already exists."]);
  });
});

describe('nameClaim', () => {
  const here = { account: ACCOUNT, region: 'us-east-1' };
  const claim = (type: string, properties: Record<string, unknown>, physicalId = 'generated-id', where = here) => nameClaim({ type, physicalId, properties }, where);
  const same = (a: NameClaim | undefined, b: NameClaim | undefined) => a !== undefined && b !== undefined && a.scope === b.scope && a.key === b.key;

  it('scopes names within their parent: ECS services per cluster (by name or ARN), rules per event bus, security groups per VPC', () => {
    const clusterArn = `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/shared`;
    expect(same(claim('AWS::ECS::Service', { Cluster: 'shared', ServiceName: 'web' }), claim('AWS::ECS::Service', { Cluster: clusterArn, ServiceName: 'web' }))).toBe(true);
    expect(same(claim('AWS::ECS::Service', { Cluster: 'shared', ServiceName: 'web' }), claim('AWS::ECS::Service', { Cluster: 'other', ServiceName: 'web' }))).toBe(false);
    expect(same(claim('AWS::Events::Rule', {}, 'nightly'), claim('AWS::Events::Rule', { EventBusName: 'default' }, 'nightly'))).toBe(true);
    expect(same(claim('AWS::Events::Rule', { Name: 'nightly' }), claim('AWS::Events::Rule', { Name: 'nightly', EventBusName: 'orders' }))).toBe(false);
    expect(same(claim('AWS::EC2::SecurityGroup', { GroupName: 'app', VpcId: 'vpc-1' }, 'sg-1'), claim('AWS::EC2::SecurityGroup', { GroupName: 'app', VpcId: 'vpc-1' }, 'sg-2'))).toBe(true);
    expect(same(claim('AWS::EC2::SecurityGroup', { GroupName: 'app', VpcId: 'vpc-1' }, 'sg-1'), claim('AWS::EC2::SecurityGroup', { GroupName: 'app', VpcId: 'vpc-2' }, 'sg-2'))).toBe(false);
  });

  it('claims the physical id where the template gives no name, and nothing for names AWS lets repeat', () => {
    expect(claim('AWS::SecretsManager::Secret', {}, 'arn:aws:secretsmanager:us-east-1:333333333333:secret:s-Secret-ABC-xyz12')).toMatchObject({
      name: 'arn:aws:secretsmanager:us-east-1:333333333333:secret:s-Secret-ABC-xyz12',
    });
    expect(claim('AWS::ECS::TaskDefinition', { Family: 'web' })).toBeUndefined();
    expect(claim('AWS::IAM::Policy', { PolicyName: 'inline' })).toBeUndefined();
    expect(same(claim('AWS::ApiGatewayV2::Stage', { ApiId: 'a1' }, '$default'), claim('AWS::ApiGatewayV2::Stage', { ApiId: 'a1' }, '$default'))).toBe(true);
    expect(same(claim('AWS::Logs::LogGroup', {}, '/app'), claim('AWS::Logs::LogGroup', {}, '/app', { account: ACCOUNT, region: OTHER_REGION }))).toBe(false);
    expect(same(claim('AWS::Logs::LogGroup', {}, '/app'), claim('AWS::Logs::LogGroup', {}, '/App'))).toBe(false);
  });
});
