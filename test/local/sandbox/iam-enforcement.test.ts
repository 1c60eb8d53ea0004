import { CreateStackCommand, DeleteStackCommand, DescribeStackResourcesCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CreateKeyPairCommand } from '@aws-sdk/client-ec2';
import { ListServicesCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { ListInstancesCommand } from '@aws-sdk/client-servicediscovery';
import { readFileSync } from 'node:fs';
import { componentsFor } from '../../../src/model/components';
import { buildStackTemplates } from '../../../src/templates/build-stack-templates';
import { allCombinations } from '../../templates/fixtures';
import { deployComponents } from './deploy-components';
import { answeringOnboardingHooks, onboardAccount } from './onboard-account';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { allButOneRoleTemplate } from './stack-role-template';
import { outputsOf, rejectionOf, stackEvents, waitForStack } from './stack-waits';

/**
 * IAM enforced by the sandbox: an account onboarded with the real cfn/onboarding-role.yaml, driven
 * through its access role as Groundwork drives it. CloudFormation builds with the stack role's
 * policies only, and the access role may only do what its policy says.
 */

const ACCOUNT = '333333333333';
const GROUNDWORK_ACCOUNT_ID = 'acc_abcdefghij0123456789';
const EXTERNAL_ID = 'ext-0123456789abcdef0123456789abcdef';
const onboardingTemplate = readFileSync(new URL('../../../cfn/onboarding-role.yaml', import.meta.url), 'utf8');

let edge: SandboxEdge;
let root: CloudFormationClient;
let access: CloudFormationClient;
let accessIn: (region: string) => CloudFormationClient;
let executionRoleArn: string;
let accessCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };

beforeAll(async () => {
  edge = await startSandboxEdge({ hooks: answeringOnboardingHooks(GROUNDWORK_ACCOUNT_ID) });
  ({ root, access, accessIn, executionRoleArn, accessCredentials } = await onboardAccount(edge, { account: ACCOUNT, groundworkAccountId: GROUNDWORK_ACCOUNT_ID, externalId: EXTERNAL_ID, template: onboardingTemplate, regions: ['us-east-1', 'eu-central-1'] }));
  // The customer's own key pair, which the bastions of the 3-AZ combinations name (keyName 'ops').
  await edge.ec2(ACCOUNT).send(new CreateKeyPairCommand({ KeyName: 'ops' }));
});

afterAll(async () => {
  await edge.close();
});

/** A role CloudFormation may use that allows everything but one EC2 action. */
const limitedRoleTemplate = allButOneRoleTemplate('groundwork-limited', 'ec2:CreateNatGateway');

const natTemplate = JSON.stringify({
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.9.0.0/16' } },
    Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.9.0.0/24' } },
    Eip: { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } },
    Nat: { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: { Ref: 'Subnet' }, AllocationId: { 'Fn::GetAtt': ['Eip', 'AllocationId'] } } },
  },
});

describe('IAM in the sandbox accounts', () => {
  it('fails a resource whose handler action the stack role lacks, in CloudFormation words, and rolls back with nothing left', async () => {
    // Prepare
    await root.send(new CreateStackCommand({ StackName: 'limited-role', TemplateBody: limitedRoleTemplate, Capabilities: ['CAPABILITY_NAMED_IAM'] }));
    const roleArn = outputsOf(await waitForStack(root, 'limited-role'))['RoleArn'] ?? '';

    // Act
    await root.send(new CreateStackCommand({ StackName: 'groundwork-nat-test', TemplateBody: natTemplate, RoleARN: roleArn }));
    const stack = await waitForStack(root, 'groundwork-nat-test');
    const events = await stackEvents(root, 'groundwork-nat-test');
    const { StackResources } = await root.send(new DescribeStackResourcesCommand({ StackName: stack.StackId ?? '' }));

    // Assess
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    const failed = events.find((event) => event.LogicalResourceId === 'Nat' && event.ResourceStatus === 'CREATE_FAILED');
    expect(failed?.ResourceStatusReason).toMatch(
      new RegExp(
        `^Resource handler returned message: "User: arn:aws:sts::${ACCOUNT}:assumed-role/groundwork-limited/AWSCloudFormation is not authorized to perform: ec2:CreateNatGateway ` +
          `on resource: arn:aws:ec2:us-east-1:${ACCOUNT}:natgateway/\\* because no identity-based policy allows the ec2:CreateNatGateway action \\(Service: Ec2, Status Code: 403, Request ID: [0-9a-f-]+\\)" \\(HandlerErrorCode: AccessDenied\\)$`,
      ),
    );
    expect((StackResources ?? []).filter((resource) => !['DELETE_COMPLETE', 'CREATE_FAILED'].includes(resource.ResourceStatus ?? ''))).toEqual([]);
    expect(StackResources?.find((resource) => resource.LogicalResourceId === 'Vpc')?.ResourceStatus).toBe('DELETE_COMPLETE');
  });

  it('refuses the access role a stack named outside groundwork-*, with another role, or with none', async () => {
    // Prepare
    const body = JSON.stringify({ Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.8.0.0/16' } } } });

    // Act
    const outside = await rejectionOf(access.send(new CreateStackCommand({ StackName: 'prod-app', TemplateBody: body, RoleARN: executionRoleArn })));
    const otherRole = await rejectionOf(access.send(new CreateStackCommand({ StackName: 'groundwork-x-network', TemplateBody: body, RoleARN: `arn:aws:iam::${ACCOUNT}:role/groundwork-limited` })));
    const noRole = await rejectionOf(access.send(new CreateStackCommand({ StackName: 'groundwork-y-network', TemplateBody: body })));

    // Assess
    const user = `User: arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkAccess-${GROUNDWORK_ACCOUNT_ID}/groundwork is not authorized to perform: cloudformation:CreateStack`;
    expect(outside.name).toBe('AccessDenied');
    expect(outside.$metadata?.httpStatusCode).toBe(403);
    expect(outside.message).toMatch(new RegExp(`^${user} on resource: arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/prod-app/[0-9a-f-]+ because no identity-based policy allows the cloudformation:CreateStack action$`));
    expect(otherRole.name).toBe('AccessDenied');
    expect(otherRole.message).toContain(`${user} on resource: arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/groundwork-x-network/`);
    expect(noRole.name).toBe('AccessDenied');
  });

  it('refuses the access role the deletion of a stack named groundwork-* that Groundwork did not create (untagged)', async () => {
    // Prepare: the customer's own stack, made with the account's own keys, named like ours but untagged.
    const body = JSON.stringify({ Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } });
    await root.send(new CreateStackCommand({ StackName: 'groundwork-customer-own', TemplateBody: body }));
    await waitForStack(root, 'groundwork-customer-own');

    // Act
    const refused = await rejectionOf(access.send(new DeleteStackCommand({ StackName: 'groundwork-customer-own', RoleARN: executionRoleArn })));

    // Assess: refused in AWS's words, and the stack is still there.
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain('is not authorized to perform: cloudformation:DeleteStack on resource: arn:aws:cloudformation:us-east-1:333333333333:stack/groundwork-customer-own/');
    expect((await waitForStack(root, 'groundwork-customer-own')).StackStatus).toBe('CREATE_COMPLETE');
  });

  let attempts = 0;
  it.each([
    ['an instance in the customer\'s subnet', 'ec2:RunInstances', 'subnet', (ids: Record<string, string>) => ({ Type: 'AWS::EC2::Instance', Properties: { ImageId: '{{ami}}', InstanceType: 't4g.nano', SubnetId: ids['SubnetId'] } })],
    ['an instance behind the customer\'s security group', 'ec2:RunInstances', 'security-group', (ids: Record<string, string>) => ({ Type: 'AWS::EC2::Instance', Properties: { ImageId: '{{ami}}', InstanceType: 't4g.nano', SecurityGroupIds: [ids['GroupId']] } })],
    ['an instance from an AMI Amazon does not own', 'ec2:RunInstances', 'image', () => ({ Type: 'AWS::EC2::Instance', Properties: { ImageId: 'ami-0123456789abcdef0', InstanceType: 't4g.nano' } })],
    ['a gateway endpoint on the customer\'s route table', 'ec2:CreateVpcEndpoint', 'route-table', (ids: Record<string, string>) => ({ Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcId: ids['VpcId'], ServiceName: 'com.amazonaws.us-east-1.s3', VpcEndpointType: 'Gateway', RouteTableIds: [ids['RouteTableId']] } })],
    ['a subnet in the customer\'s VPC', 'ec2:CreateSubnet', 'vpc', (ids: Record<string, string>) => ({ Type: 'AWS::EC2::Subnet', Properties: { VpcId: ids['VpcId'], CidrBlock: '10.42.9.0/24' } })],
    ['an ingress rule on the customer\'s security group', 'ec2:AuthorizeSecurityGroupIngress', 'security-group', (ids: Record<string, string>) => ({ Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: ids['GroupId'], IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' } })],
    ['a listener on the customer\'s load balancer', 'elasticloadbalancing:CreateListener', 'loadbalancer', (ids: Record<string, string>) => ({ Type: 'AWS::ElasticLoadBalancingV2::Listener', Properties: { LoadBalancerArn: ids['LoadBalancerArn'], Port: 8080, Protocol: 'HTTP', DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] } })],
  ])('refuses a Groundwork stack %s: a tagged request does not make the customer\'s resource Groundwork\'s', async (_what, action, parent, resource) => {
    // Prepare: the customer's own network, made with the account's own keys (no groundwork:stack tag).
    const customer = JSON.stringify({
      Resources: {
        Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.42.0.0/16' } },
        Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.42.0.0/24', AvailabilityZone: 'us-east-1a' } },
        Subnet2: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.42.1.0/24', AvailabilityZone: 'us-east-1b' } },
        Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'prod', VpcId: { Ref: 'Vpc' } } },
        Routes: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'Vpc' } } },
        Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: [{ Ref: 'Subnet' }, { Ref: 'Subnet2' }], SecurityGroups: [{ Ref: 'Group' }] } },
      },
      Outputs: {
        VpcId: { Value: { Ref: 'Vpc' } },
        SubnetId: { Value: { Ref: 'Subnet' } },
        GroupId: { Value: { Ref: 'Group' } },
        RouteTableId: { Value: { Ref: 'Routes' } },
        LoadBalancerArn: { Value: { Ref: 'Alb' } },
      },
    });
    const run = (attempts += 1);
    const own = `prod-network-${run}`;
    await root.send(new CreateStackCommand({ StackName: own, TemplateBody: customer }));
    const ids = outputsOf(await waitForStack(root, own));
    const ami = { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64' };
    const attack = JSON.stringify({ Resources: { Attack: resource(ids) } });
    const body = attack.includes('{{ami}}') ? JSON.stringify({ Parameters: { Ami: ami }, ...JSON.parse(attack.replace('"{{ami}}"', JSON.stringify({ Ref: 'Ami' }))) }) : attack;
    const name = `groundwork-stk${run}-attack`;

    // Act: through the access role, tagged as Groundwork tags its stacks, built by the execution role.
    await access.send(new CreateStackCommand({ StackName: name, TemplateBody: body, RoleARN: executionRoleArn, Tags: [{ Key: 'groundwork:stack', Value: 'stk' }] }));
    const stack = await waitForStack(access, name);

    // Assess: refused on the customer's resource, in AWS's words, and rolled back.
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    const reasons = (await stackEvents(access, stack.StackId ?? '')).filter((event) => event.ResourceStatus === 'CREATE_FAILED').map((event) => event.ResourceStatusReason ?? '');
    expect(reasons.join('\n')).toMatch(new RegExp(`is not authorized to perform: ${action} on resource: arn:aws:(ec2|elasticloadbalancing):us-east-1:(${ACCOUNT})?:${parent}/`));
  });

  it('lets the access role build only in the regions the onboarding stack allows (AllowedRegions)', async () => {
    // Prepare: a template Groundwork could send, tagged as Groundwork tags its stacks.
    const body = JSON.stringify({ Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } });
    const create = (region: string, name: string) =>
      accessIn(region).send(new CreateStackCommand({ StackName: name, TemplateBody: body, RoleARN: executionRoleArn, Tags: [{ Key: 'groundwork:stack', Value: 'stk-regions' }] }));

    // Act
    const outside = await rejectionOf(create('eu-west-1', 'groundwork-stk-regions-network'));
    await create('eu-central-1', 'groundwork-stk-regions-network');
    const inside = await waitForStack(accessIn('eu-central-1'), 'groundwork-stk-regions-network');

    // Assess: refused in AWS's words outside; built, and deleted again, in an allowed region.
    expect(outside.name).toBe('AccessDenied');
    expect(outside.$metadata?.httpStatusCode).toBe(403);
    expect(outside.message).toMatch(
      new RegExp(
        `^User: arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkAccess-${GROUNDWORK_ACCOUNT_ID}/groundwork is not authorized to perform: cloudformation:CreateStack ` +
          `on resource: arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/groundwork-stk-regions-network/[0-9a-f-]+ with an explicit deny in an identity-based policy`,
      ),
    );
    expect(inside.StackStatus).toBe('CREATE_COMPLETE');
    await accessIn('eu-central-1').send(new DeleteStackCommand({ StackName: 'groundwork-stk-regions-network', RoleARN: executionRoleArn }));
    expect((await waitForStack(accessIn('eu-central-1'), inside.StackId ?? '')).StackStatus).toBe('DELETE_COMPLETE');
  });

  it('lets the access role list the services of a groundwork-* cluster before a teardown, and of no other cluster (D9)', async () => {
    // Prepare: the customer's own service in a Groundwork cluster, and a cluster of their own.
    const body = JSON.stringify({
      Resources: {
        Ours: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: 'groundwork-stkd9-cluster' } },
        Theirs: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: 'prod' } },
        Api: { Type: 'AWS::ECS::Service', Properties: { Cluster: { Ref: 'Ours' }, ServiceName: 'api', DesiredCount: 0 } },
      },
    });
    await root.send(new CreateStackCommand({ StackName: 'customer-services', TemplateBody: body }));
    expect((await waitForStack(root, 'customer-services')).StackStatus).toBe('CREATE_COMPLETE');
    const ecs = edge.ecs(ACCOUNT, accessCredentials);

    // Act
    const listed = await ecs.send(new ListServicesCommand({ cluster: 'groundwork-stkd9-cluster' }));
    const refused = await rejectionOf(ecs.send(new ListServicesCommand({ cluster: 'prod' })));

    // Assess
    expect(listed.serviceArns).toEqual([expect.stringMatching(/service\/.*api/)]);
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toContain('is not authorized to perform: ecs:ListServices');
  });

  it('lets the access role list the instances of a Cloud Map service a Groundwork stack made before a teardown, and of no other service (D9)', async () => {
    // Prepare: a Cloud Map service tagged as a Groundwork stack's, with an instance registered by hand
    // and an ECS service of two tasks registering into it; and a service of the customer's own.
    const tagged = [{ Key: 'groundwork:stack', Value: 'stkd9' }];
    const body = JSON.stringify({
      Resources: {
        Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.77.0.0/16' } },
        Namespace: { Type: 'AWS::ServiceDiscovery::PrivateDnsNamespace', Properties: { Name: 'd9.internal', Vpc: { Ref: 'Vpc' } } },
        Ours: { Type: 'AWS::ServiceDiscovery::Service', Properties: { Name: 'app', NamespaceId: { 'Fn::GetAtt': ['Namespace', 'Id'] }, Tags: tagged } },
        Theirs: { Type: 'AWS::ServiceDiscovery::Service', Properties: { Name: 'billing', NamespaceId: { 'Fn::GetAtt': ['Namespace', 'Id'] } } },
        ByHand: { Type: 'AWS::ServiceDiscovery::Instance', Properties: { ServiceId: { 'Fn::GetAtt': ['Ours', 'Id'] }, InstanceId: 'by-hand-1', InstanceAttributes: { AWS_INSTANCE_IPV4: '10.77.0.9' } } },
        Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.77.1.0/24' } },
        Cluster: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: 'customer-d9' } },
        Task: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: { Family: 'web', NetworkMode: 'awsvpc', RequiresCompatibilities: ['FARGATE'], Cpu: '256', Memory: '512', ContainerDefinitions: [{ Name: 'web', Image: 'public.ecr.aws/shop/web:1.0', PortMappings: [{ ContainerPort: 8080 }] }] },
        },
        Registering: {
          Type: 'AWS::ECS::Service',
          Properties: {
            Cluster: { Ref: 'Cluster' },
            ServiceName: 'web',
            TaskDefinition: { Ref: 'Task' },
            LaunchType: 'FARGATE',
            DesiredCount: 2,
            NetworkConfiguration: { AwsvpcConfiguration: { Subnets: [{ Ref: 'Subnet' }] } },
            ServiceRegistries: [{ RegistryArn: { 'Fn::GetAtt': ['Ours', 'Arn'] } }],
          },
        },
      },
      Outputs: { OursId: { Value: { 'Fn::GetAtt': ['Ours', 'Id'] } }, TheirsId: { Value: { 'Fn::GetAtt': ['Theirs', 'Id'] } } },
    });
    await root.send(new CreateStackCommand({ StackName: 'customer-registrations', TemplateBody: body }));
    const created = await waitForStack(root, 'customer-registrations');
    expect(created.StackStatus).toBe('CREATE_COMPLETE');
    const { OursId, TheirsId } = outputsOf(created);
    const cloudMap = edge.cloudMap(ACCOUNT, accessCredentials);

    // Act
    const listed = await cloudMap.send(new ListInstancesCommand({ ServiceId: OursId }));
    const refused = await rejectionOf(cloudMap.send(new ListInstancesCommand({ ServiceId: TheirsId })));
    const missing = await rejectionOf(cloudMap.send(new ListInstancesCommand({ ServiceId: 'srv-0000000000000000' })));

    // Assess
    // ECS registers each running task with its task id (cloud-map-registration.test.ts).
    const { taskArns = [] } = await edge.ecs(ACCOUNT).send(new ListTasksCommand({ cluster: 'customer-d9', serviceName: 'web' }));
    expect(taskArns).toHaveLength(2);
    expect(listed.Instances?.map((instance) => instance.Id)).toEqual(['by-hand-1', ...taskArns.map((arn) => arn.split('/').at(-1))]);
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toContain('is not authorized to perform: servicediscovery:ListInstances');
    expect(missing.name).toBe('ServiceNotFound');
  });

  it('deploys and tears down every component of every NAT mode and frontend, over 2 AZs and 3, through the access role and the execution role', async () => {
    // Prepare: each NAT mode × frontend, with a database, a bastion, compute and endpoints (2 AZs, to
    // keep the suite quick), and the two widest sets over 3 AZs (a NAT per AZ; the NAT instances).
    const widest = ['az3 nat-gateway-per-az alb+tls db bastion compute endpoints', 'az3 nat-instance apigateway db bastion compute endpoints'];
    const combinations = allCombinations().filter(({ label }) => (label.startsWith('az2 ') && label.endsWith(' db bastion compute endpoints')) || widest.includes(label));
    expect(combinations).toHaveLength(18);
    const failures: string[] = [];
    // The customer's certificate for the HTTPS listeners, in the account and region (ACM certificates are regional).
    const seeded = await fetch(`${edge.url}/_sandbox/certificates`, { method: 'POST', body: JSON.stringify({ account: ACCOUNT, region: 'us-east-1', domainName: 'shop.example.com' }) });
    const certificateArn = ((await seeded.json()) as { arn: string }).arn;

    for (const { label, input: fixture } of combinations) {
      // Act
      const frontend = fixture.request.frontend;
      const input = frontend.type === 'alb' && frontend.certificateArn !== undefined ? { ...fixture, request: { ...fixture.request, frontend: { ...frontend, certificateArn } } } : fixture;
      const templates = buildStackTemplates(input);
      const stacks = await deployComponents(access, ACCOUNT, templates, executionRoleArn).catch(async (error: Error) => {
        // A component that failed leaves its dependents without parameters: report why it failed.
        const reasons = await Promise.all(templates.map(async ({ stackName }) => (await stackEvents(access, stackName).catch(() => [])).filter((event) => event.ResourceStatus === 'CREATE_FAILED').map((event) => `${event.LogicalResourceId}: ${event.ResourceStatusReason ?? ''}`)));
        failures.push(`${label}: ${error.message} ${reasons.flat().join(' / ')}`);
        return undefined;
      });
      if (!stacks) break;
      for (const [component, stack] of stacks) {
        if (stack.StackStatus !== 'CREATE_COMPLETE') {
          const failed = (await stackEvents(access, stack.StackId ?? '').catch(() => [])).filter((event) => event.ResourceStatus === 'CREATE_FAILED');
          failures.push(`${label} | ${component}: ${stack.StackStatus} ${failed.map((event) => `${event.LogicalResourceId}: ${event.ResourceStatusReason ?? ''}`).join(' / ')}`);
        }
      }
      for (const component of [...componentsFor(input.request)].reverse()) {
        const template = templates.find((candidate) => candidate.component === component);
        if (!template) continue;
        await access.send(new DeleteStackCommand({ StackName: template.stackName, RoleARN: executionRoleArn }));
        const deleted = await waitForStack(access, stacks.get(component)?.StackId ?? template.stackName);
        if (deleted.StackStatus !== 'DELETE_COMPLETE') {
          const failed = (await stackEvents(access, deleted.StackId ?? '').catch(() => [])).filter((event) => event.ResourceStatus === 'DELETE_FAILED');
          failures.push(`${label} | ${component}: ${deleted.StackStatus} on delete ${failed.map((event) => `${event.LogicalResourceId}: ${event.ResourceStatusReason ?? ''}`).join(' / ')}`);
        }
      }
    }

    // Assess
    expect(failures).toEqual([]);
    // 18 full stacks up and down: about a minute alone, longer on a loaded 2-core machine.
  }, 300_000);
});
