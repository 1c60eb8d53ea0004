import { simulateRequest } from '../../local/iam/evaluate-policies';
import { ACCOUNT, onboardingPolicies, WORKLOAD_ROLES } from '../support/onboarding-policies';

/**
 * The security review's escalation table (shared/reviews/security.md, "Question 1"), each row a call
 * evaluated against the policies of the real cfn/onboarding-role.yaml: every path must be denied,
 * and every call Groundwork's workflows make must be allowed.
 */

const policies = onboardingPolicies();
type WorkloadRole = (typeof WORKLOAD_ROLES)[number];
/**
 * `workload`: code running as any of the roles the onboarding template makes for instances and
 * tasks; the others, code running as that one role.
 */
type Principal = 'access' | 'execution' | 'workload' | 'natInstance' | 'containerInstance' | 'bastion' | 'taskExecution';
interface Row {
  row: string;
  principal: Principal;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}
const WORKLOAD_PRINCIPALS: Record<Exclude<Principal, 'access' | 'execution' | 'workload'>, { role: WorkloadRole; session: string }> = {
  natInstance: { role: 'GroundworkNatInstanceRole', session: `arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkNatInstance-acc_abcdefghij0123456789/i-0nat` },
  containerInstance: { role: 'GroundworkContainerInstanceRole', session: `arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkContainerInstance-acc_abcdefghij0123456789/i-0abc` },
  bastion: { role: 'GroundworkBastionRole', session: `arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkBastion-acc_abcdefghij0123456789/i-0bastion` },
  taskExecution: { role: 'GroundworkTaskExecutionRole', session: `arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkTaskExecution-acc_abcdefghij0123456789/0123456789abcdef` },
};
const PRINCIPALS = {
  access: `arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkAccess-acc_abcdefghij0123456789/groundwork`,
  execution: `arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkExecution-acc_abcdefghij0123456789/AWSCloudFormation`,
  workload: `arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkContainerInstance-acc_abcdefghij0123456789/i-0abc`,
};
const stack = (name: string, region = 'us-east-1') => `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${name}/1a2b3c4d-0000-4000-a000-000000000000`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
/** The region Groundwork's CloudFormation calls are sent to; the onboarding stack's own region by default. */
const inRegion = (region: string) => ({ 'aws:RequestedRegion': region });
const withExecutionRole = { 'cloudformation:RoleArn': policies.executionRoleArn, ...inRegion('us-east-1') };
/** What Groundwork's own CreateStack carries besides its role: each CreateStack row changes one thing. */
const asGroundwork = { 'aws:RequestTag/groundwork:stack': 'stk', 'cloudformation:ResourceTypes': ['AWS::EC2::VPC'] };
/** A resource a Groundwork stack made: tagged with its stack (and component). */
const taggedBy = (component?: string) => ({ 'aws:ResourceTag/groundwork:stack': 'stk', ...(component === undefined ? {} : { 'aws:ResourceTag/groundwork:component': component }) });

/** The permissions boundary templates before version 2 created; nothing may create a role with it now. */
const OLD_BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/GroundworkBoundary-acc_abcdefghij0123456789`;

async function decide({ principal, action, resource, context }: Row, onboarded = policies): Promise<string> {
  const request = { action, resource, account: ACCOUNT, ...(context === undefined ? {} : { context }) };
  if (principal === 'access' || principal === 'execution') return simulateRequest(onboarded[principal], { ...request, principal: PRINCIPALS[principal] });
  if (principal !== 'workload') {
    const { role: roleId, session } = WORKLOAD_PRINCIPALS[principal];
    return simulateRequest(onboarded.workloads[roleId], { ...request, principal: session });
  }
  // Allowed if any of the workload roles may do it.
  const decisions = await Promise.all(WORKLOAD_ROLES.map((roleId) => simulateRequest(onboarded.workloads[roleId], { ...request, principal: PRINCIPALS.workload })));
  return decisions.includes('Allowed') ? 'Allowed' : 'ImplicitlyDenied';
}

/** The rows the review found denied ("No"): they must stay denied. */
export const DENIED_ROWS: Row[] = [
  { row: '#1 stack outside groundwork-*', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('prod-app'), context: { ...asGroundwork, ...withExecutionRole } },
  { row: '#2 stack without a role', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-x'), context: { ...asGroundwork, ...inRegion('us-east-1') } },
  { row: '#2 stack with another role', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-x'), context: { ...asGroundwork, ...inRegion('us-east-1'), 'cloudformation:RoleArn': role('Admin') } },
  { row: '#3 UpdateStack', principal: 'access', action: 'cloudformation:UpdateStack', resource: stack('groundwork-x'), context: withExecutionRole },
  { row: '#3 CreateChangeSet', principal: 'access', action: 'cloudformation:CreateChangeSet', resource: stack('groundwork-x'), context: withExecutionRole },
  { row: '#6 PassRole of a customer role to CloudFormation', principal: 'access', action: 'iam:PassRole', resource: role('Admin'), context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
  { row: '#7 PassRole of a customer role to EC2', principal: 'execution', action: 'iam:PassRole', resource: role('Admin'), context: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  { row: '#8 PassRole to Lambda', principal: 'execution', action: 'iam:PassRole', resource: role('groundwork-x'), context: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
  { row: '#9 role without the boundary', principal: 'execution', action: 'iam:CreateRole', resource: role('groundwork-x') },
  { row: '#9 role with another boundary', principal: 'execution', action: 'iam:CreateRole', resource: role('groundwork-x'), context: { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/Other` } },
  { row: '#12 DeletePolicy of its own execution policy', principal: 'execution', action: 'iam:DeletePolicy', resource: policies.executionPolicyArns[0] ?? '' },
  { row: '#12 CreatePolicyVersion of its own execution policy', principal: 'execution', action: 'iam:CreatePolicyVersion', resource: policies.executionPolicyArns[0] ?? '' },
  { row: '#12 DeleteRolePermissionsBoundary', principal: 'execution', action: 'iam:DeleteRolePermissionsBoundary', resource: role('groundwork-x') },
  { row: '#13 touch the access role', principal: 'execution', action: 'iam:PutRolePolicy', resource: role('GroundworkAccess-acc_abcdefghij0123456789'), context: { 'iam:PermissionsBoundary': OLD_BOUNDARY } },
  { row: '#15 instance profile outside groundwork-*', principal: 'execution', action: 'iam:CreateInstanceProfile', resource: `arn:aws:iam::${ACCOUNT}:instance-profile/Admin` },
  { row: '#21 ssm:SendCommand', principal: 'execution', action: 'ssm:SendCommand', resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:document/AWS-RunShellScript` },
  { row: '#22 read a private S3 template', principal: 'execution', action: 's3:GetObject', resource: 'arn:aws:s3:::customer-bucket/template.yaml' },
  { row: '#25 read S3 objects', principal: 'workload', action: 's3:GetObject', resource: 'arn:aws:s3:::customer-bucket/data' },
  { row: '#30 IAM admin from a workload role', principal: 'workload', action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/backdoor` },
  { row: '#30 AssumeRole from a workload role', principal: 'workload', action: 'sts:AssumeRole', resource: role('Admin') },
];

const customer = (service: string, resource: string) => `arn:aws:${service}:us-east-1:${ACCOUNT}:${resource}`;

/**
 * The rows the review found possible ("Yes"), still allowed by the onboarding template on main: they
 * must be denied once the generated roles land (issue 10). Customer resources carry no
 * groundwork:stack tag.
 */
export const ESCALATION_ROWS: Row[] = [
  { row: '#4 CreateStack without the groundwork:stack tag (so it could later be deleted as ours)', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-x'), context: { ...withExecutionRole, 'cloudformation:ResourceTypes': ['AWS::EC2::VPC'] } },
  { row: '#4 DeleteStack of a customer stack named groundwork-* (untagged)', principal: 'access', action: 'cloudformation:DeleteStack', resource: stack('groundwork-customer-own'), context: { ...withExecutionRole } },
  { row: 'H3 stack with a resource type outside the builders', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-x'), context: { ...asGroundwork, ...withExecutionRole, 'cloudformation:ResourceTypes': ['AWS::EC2::VPC', 'AWS::EC2::VPCPeeringConnection'] } },
  { row: '#10 role with an outside trust policy', principal: 'execution', action: 'iam:CreateRole', resource: role('groundwork-backdoor'), context: { 'iam:PermissionsBoundary': OLD_BOUNDARY } },
  { row: '#11 AdministratorAccess on a groundwork-* role', principal: 'execution', action: 'iam:AttachRolePolicy', resource: role('groundwork-x'), context: { 'iam:PermissionsBoundary': OLD_BOUNDARY, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' } },
  { row: '#14 role under a groundwork-* path', principal: 'execution', action: 'iam:CreateRole', resource: role('groundwork-p/Admin2'), context: { 'iam:PermissionsBoundary': OLD_BOUNDARY } },
  { row: '#20 RunInstances with a groundwork-* profile', principal: 'execution', action: 'iam:PassRole', resource: role('groundwork-x'), context: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  { row: '#23 GetSecretValue of a customer secret', principal: 'execution', action: 'secretsmanager:GetSecretValue', resource: customer('secretsmanager', 'secret:prod/db-AbCdEf') },
  { row: '#23 PutSecretValue of a customer secret', principal: 'execution', action: 'secretsmanager:PutSecretValue', resource: customer('secretsmanager', 'secret:prod/db-AbCdEf') },
  { row: '#23 GetSecretValue from a workload role', principal: 'workload', action: 'secretsmanager:GetSecretValue', resource: customer('secretsmanager', 'secret:prod/db-AbCdEf') },
  { row: '#24 GetParameters of a customer parameter', principal: 'execution', action: 'ssm:GetParameters', resource: customer('ssm', 'parameter/prod/api-key') },
  { row: '#26 RestoreDBInstanceFromDBSnapshot of a customer snapshot', principal: 'execution', action: 'rds:RestoreDBInstanceFromDBSnapshot', resource: customer('rds', 'snapshot:prod-snap') },
  { row: '#26 CreateDBInstanceReadReplica of a customer DB', principal: 'execution', action: 'rds:CreateDBInstanceReadReplica', resource: customer('rds', 'db:prod') },
  { row: '#26 CreateVolume from a customer snapshot', principal: 'execution', action: 'ec2:CreateVolume', resource: `arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0` },
  { row: '#27 PutSubscriptionFilter on a customer log group', principal: 'execution', action: 'logs:PutSubscriptionFilter', resource: customer('logs', 'log-group:/prod/app') },
  { row: '#27 PutResourcePolicy replaces the account\'s CloudWatch Logs resource policies (decision 0018)', principal: 'execution', action: 'logs:PutResourcePolicy', resource: '*' },
  { row: '#27 DeleteResourcePolicy of the account\'s CloudWatch Logs resource policies', principal: 'execution', action: 'logs:DeleteResourcePolicy', resource: '*' },
  { row: '#27 CreateFlowLogs on a customer VPC', principal: 'execution', action: 'ec2:CreateFlowLogs', resource: customer('ec2', 'vpc/vpc-0123456789abcdef0') },
  { row: '#28 AuthorizeSecurityGroupIngress on a customer group', principal: 'execution', action: 'ec2:AuthorizeSecurityGroupIngress', resource: customer('ec2', 'security-group/sg-0123456789abcdef0') },
  { row: '#28 CreateVpcPeeringConnection from a customer VPC', principal: 'execution', action: 'ec2:CreateVpcPeeringConnection', resource: customer('ec2', 'vpc/vpc-0123456789abcdef0') },
  { row: '#28 CreateRoute in a customer route table', principal: 'execution', action: 'ec2:CreateRoute', resource: customer('ec2', 'route-table/rtb-0123456789abcdef0') },
  { row: '#28 ReplaceNetworkAclAssociation', principal: 'execution', action: 'ec2:ReplaceNetworkAclAssociation', resource: customer('ec2', 'network-acl/acl-0123456789abcdef0') },
  { row: '#28 CreateTrafficMirrorSession on a customer ENI', principal: 'execution', action: 'ec2:CreateTrafficMirrorSession', resource: customer('ec2', 'network-interface/eni-0123456789abcdef0') },
  { row: '#29 an ASG of the customer set to 0', principal: 'execution', action: 'autoscaling:PutScheduledUpdateGroupAction', resource: customer('autoscaling', 'autoScalingGroup:1a2b3c4d-0000-4000-a000-000000000000:autoScalingGroupName/prod') },
  { row: '#29 a listener rule on a customer ALB', principal: 'execution', action: 'elasticloadbalancing:CreateRule', resource: customer('elasticloadbalancing', 'listener/app/prod/0123456789abcdef/0123456789abcdef') },
  { row: '#29 DeleteService from a workload role', principal: 'workload', action: 'ecs:DeleteService', resource: customer('ecs', 'service/prod/api') },
  { row: '#31 ecs:ExecuteCommand into a customer task', principal: 'workload', action: 'ecs:ExecuteCommand', resource: customer('ecs', 'task/prod/0123456789abcdef') },
  { row: '#31 ModifyInstanceAttribute of a customer instance', principal: 'workload', action: 'ec2:ModifyInstanceAttribute', resource: customer('ec2', 'instance/i-0123456789abcdef0') },
  // Rows open until the fixed roles lost their AWS managed policies (AmazonSSMManagedInstanceCore,
  // AmazonEC2ContainerServiceforEC2Role, AmazonECSTaskExecutionRolePolicy; decision 0013).
  { row: '#24 GetParameter of a customer parameter from the bastion', principal: 'bastion', action: 'ssm:GetParameter', resource: customer('ssm', 'parameter/prod/api-key') },
  { row: '#24 GetParameters of a customer parameter from a workload role', principal: 'workload', action: 'ssm:GetParameters', resource: customer('ssm', 'parameter/prod/api-key') },
  { row: '#24 GetParametersByPath from the bastion', principal: 'bastion', action: 'ssm:GetParametersByPath', resource: customer('ssm', 'parameter/prod') },
  { row: '#31 a container instance joins a customer cluster', principal: 'containerInstance', action: 'ecs:RegisterContainerInstance', resource: customer('ecs', 'cluster/prod') },
  { row: '#31 a container instance joins a customer cluster named groundwork-* (untagged)', principal: 'containerInstance', action: 'ecs:RegisterContainerInstance', resource: customer('ecs', 'cluster/groundwork-customer-own') },
  { row: '#31 a container instance reports task states to a customer cluster', principal: 'containerInstance', action: 'ecs:SubmitTaskStateChange', resource: customer('ecs', 'cluster/prod') },
  { row: '#31 a container instance polls as a customer container instance', principal: 'containerInstance', action: 'ecs:Poll', resource: customer('ecs', 'container-instance/prod/0123456789abcdef') },
  { row: '#31 a container instance drains a customer container instance', principal: 'containerInstance', action: 'ecs:UpdateContainerInstancesState', resource: customer('ecs', 'container-instance/prod/0123456789abcdef') },
  { row: '#31 a container instance creates a cluster', principal: 'containerInstance', action: 'ecs:CreateCluster', resource: customer('ecs', 'cluster/default') },
  { row: '#27 a workload role writes into a customer log group', principal: 'workload', action: 'logs:PutLogEvents', resource: customer('logs', 'log-group:/prod/app:log-stream:web') },
  { row: '#5 CreateStack in a region the customer did not allow', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-x', 'eu-west-1'), context: { ...asGroundwork, ...withExecutionRole, ...inRegion('eu-west-1') } },
  { row: '#5 DeleteStack in a region the customer did not allow', principal: 'access', action: 'cloudformation:DeleteStack', resource: stack('groundwork-x', 'eu-west-1'), context: { ...withExecutionRole, ...inRegion('eu-west-1'), ...taggedBy() } },
  { row: '#5 DescribeStacks in a region the customer did not allow', principal: 'access', action: 'cloudformation:DescribeStacks', resource: stack('groundwork-x', 'eu-west-1'), context: inRegion('eu-west-1') },
];

const tagged = { 'aws:RequestTag/groundwork:stack': 'stk' };
const ours = { 'aws:ResourceTag/groundwork:stack': 'stk' };

/**
 * Found by the second security read (issue 10): a creating action is evaluated on every resource it
 * names, and a tagged request (aws:RequestTag) is in the context of all of them, so "create when the
 * request is tagged" on `*` reached the customer's parents; and a tagging action allowed on a tagged
 * request could make any customer resource "Groundwork's". Each must be denied.
 */
export const PARENT_ROWS: Row[] = [
  { row: 'H3 RunInstances into a customer subnet', principal: 'execution', action: 'ec2:RunInstances', resource: customer('ec2', 'subnet/subnet-0123456789abcdef0'), context: tagged },
  { row: 'H3 RunInstances behind a customer security group', principal: 'execution', action: 'ec2:RunInstances', resource: customer('ec2', 'security-group/sg-0123456789abcdef0'), context: tagged },
  { row: 'H3 RunInstances from a customer AMI', principal: 'execution', action: 'ec2:RunInstances', resource: 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0', context: { ...tagged, 'ec2:Owner': ACCOUNT } },
  { row: 'H3 RunInstances from a customer snapshot', principal: 'execution', action: 'ec2:RunInstances', resource: 'arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0', context: tagged },
  { row: 'H3 CreateVpcEndpoint on a customer route table', principal: 'execution', action: 'ec2:CreateVpcEndpoint', resource: customer('ec2', 'route-table/rtb-0123456789abcdef0'), context: tagged },
  { row: 'H3 CreateSubnet in a customer VPC', principal: 'execution', action: 'ec2:CreateSubnet', resource: customer('ec2', 'vpc/vpc-0123456789abcdef0'), context: tagged },
  { row: 'H3 CreateNatGateway with a customer Elastic IP', principal: 'execution', action: 'ec2:CreateNatGateway', resource: customer('ec2', 'elastic-ip/eipalloc-0123456789abcdef0'), context: tagged },
  { row: 'H3 CreateListener on a customer load balancer', principal: 'execution', action: 'elasticloadbalancing:CreateListener', resource: customer('elasticloadbalancing', 'loadbalancer/app/prod/0123456789abcdef'), context: tagged },
  { row: 'H3 CreateDBInstance in a customer subnet group', principal: 'execution', action: 'rds:CreateDBInstance', resource: customer('rds', 'subgrp:prod'), context: tagged },
  { row: 'H3 CreateDBInstance with a customer parameter group', principal: 'execution', action: 'rds:CreateDBInstance', resource: customer('rds', 'pg:prod-postgres'), context: tagged },
  { row: 'H3 Cloud Map service in a customer namespace', principal: 'execution', action: 'servicediscovery:CreateService', resource: customer('servicediscovery', 'namespace/ns-0123456789abcdef'), context: tagged },
  { row: 'H3 tag a customer VPC as Groundwork\'s (CreateTags)', principal: 'execution', action: 'ec2:CreateTags', resource: customer('ec2', 'vpc/vpc-0123456789abcdef0'), context: tagged },
  { row: 'H3 tag a customer ASG as Groundwork\'s', principal: 'execution', action: 'autoscaling:CreateOrUpdateTags', resource: customer('autoscaling', 'autoScalingGroup:1a2b3c4d-0000-4000-a000-000000000000:autoScalingGroupName/prod'), context: tagged },
  { row: 'H3 tag a customer database as Groundwork\'s', principal: 'execution', action: 'rds:AddTagsToResource', resource: customer('rds', 'db:prod'), context: tagged },
  { row: 'H3 tag a customer cluster as Groundwork\'s', principal: 'execution', action: 'ecs:TagResource', resource: customer('ecs', 'cluster/prod'), context: tagged },
  { row: 'H3 tag a customer load balancer as Groundwork\'s', principal: 'execution', action: 'elasticloadbalancing:AddTags', resource: customer('elasticloadbalancing', 'loadbalancer/app/prod/0123456789abcdef'), context: tagged },
  { row: 'H3 tag a customer secret as Groundwork\'s', principal: 'execution', action: 'secretsmanager:TagResource', resource: customer('secretsmanager', 'secret:prod/db-AbCdEf'), context: tagged },
  { row: 'H3 tag a customer Cloud Map namespace (no resource-level permission)', principal: 'execution', action: 'servicediscovery:TagResource', resource: '*', context: tagged },
  { row: 'H3 detach a customer private hosted zone from its VPC', principal: 'execution', action: 'route53:DisassociateVPCFromHostedZone', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ' },
  { row: '#5 the access role reading what another region offers', principal: 'access', action: 'ec2:DescribeAvailabilityZones', resource: '*', context: { 'ec2:Region': 'eu-west-1', ...inRegion('eu-west-1') } },
  { row: 'the access role listing the services of a customer cluster', principal: 'access', action: 'ecs:ListServices', resource: '*', context: { 'ecs:cluster': customer('ecs', 'cluster/prod'), ...inRegion('us-east-1') } },
  { row: 'an instance with the container instance profile gets an ECR token (finding 4)', principal: 'containerInstance', action: 'ecr:GetAuthorizationToken', resource: '*' },
  { row: 'an instance with the container instance profile pulls the customer\'s private image (finding 4)', principal: 'containerInstance', action: 'ecr:BatchGetImage', resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app` },
  { row: 'an instance with the container instance profile writes logs (finding 4)', principal: 'containerInstance', action: 'logs:PutLogEvents', resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/groundwork/stk/api:log-stream:web/api/0123` },
  { row: 'an auto-scaling group behind a customer target group (finding 5)', principal: 'execution', action: 'autoscaling:CreateAutoScalingGroup', resource: customer('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/groundwork-stk-cluster-Asg-X'), context: { ...tagged, 'autoscaling:TargetGroupARNs': [customer('elasticloadbalancing', 'targetgroup/prod/0123456789abcdef')] } },
  { row: 'an instance on an existing customer network interface (finding 6)', principal: 'execution', action: 'ec2:RunInstances', resource: customer('ec2', 'network-interface/eni-0123456789abcdef0'), context: tagged },
  { row: 'CreateStack whose request carries no resource types (finding 7)', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-x'), context: { ...withExecutionRole, 'aws:RequestTag/groundwork:stack': 'stk', ...inRegion('us-east-1') } },
  { row: 'H1 the access role reading a customer SSM parameter', principal: 'access', action: 'ssm:GetParameters', resource: customer('ssm', 'parameter/prod/api-key') },
  { row: 'H3 change a customer hosted zone\'s records', principal: 'execution', action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ' },
];

/** What the creating actions legitimately name: Groundwork's own parents, Amazon's AMIs, tags given at creation. */
const PARENT_CALLS: Row[] = [
  { row: 'ListServices of a Groundwork cluster before its teardown', principal: 'access', action: 'ecs:ListServices', resource: '*', context: { 'ecs:cluster': customer('ecs', 'cluster/groundwork-stk-cluster'), ...inRegion('us-east-1') } },
  { row: 'CloudFormation resolving an AMI parameter as the access role', principal: 'access', action: 'ssm:GetParameters', resource: customer('ssm', 'parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64'), context: inRegion('us-east-1') },
  { row: 'RunInstances making its own network interface', principal: 'execution', action: 'ec2:RunInstances', resource: customer('ec2', 'network-interface/*'), context: tagged },
  { row: 'CreateAutoScalingGroup of a tagged group naming no load balancer', principal: 'execution', action: 'autoscaling:CreateAutoScalingGroup', resource: customer('autoscaling', 'autoScalingGroup:*:autoScalingGroupName/groundwork-stk-cluster-Asg-X'), context: tagged },
  { row: 'RunInstances of a tagged instance', principal: 'execution', action: 'ec2:RunInstances', resource: customer('ec2', 'instance/*'), context: tagged },
  { row: 'RunInstances into a Groundwork subnet', principal: 'execution', action: 'ec2:RunInstances', resource: customer('ec2', 'subnet/subnet-0123456789abcdef0'), context: { ...tagged, ...ours } },
  { row: 'RunInstances from an Amazon AMI', principal: 'execution', action: 'ec2:RunInstances', resource: 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0', context: { ...tagged, 'ec2:Owner': 'amazon' } },
  { row: 'CreateListener on a Groundwork load balancer', principal: 'execution', action: 'elasticloadbalancing:CreateListener', resource: customer('elasticloadbalancing', 'loadbalancer/app/groundwork/0123456789abcdef'), context: { ...tagged, ...ours } },
  { row: 'CreateDBInstance with the default parameter group', principal: 'execution', action: 'rds:CreateDBInstance', resource: customer('rds', 'pg:default.postgres16'), context: tagged },
  { row: 'CreateTags as part of CreateVpc', principal: 'execution', action: 'ec2:CreateTags', resource: customer('ec2', 'vpc/*'), context: { ...tagged, 'ec2:CreateAction': 'CreateVpc' } },
  { row: 'AddTags as part of CreateLoadBalancer', principal: 'execution', action: 'elasticloadbalancing:AddTags', resource: customer('elasticloadbalancing', 'loadbalancer/app/groundwork-stk/0123456789abcdef'), context: { ...tagged, 'elasticloadbalancing:CreateAction': 'CreateLoadBalancer' } },
  { row: 'TagResource as part of CreateCluster', principal: 'execution', action: 'ecs:TagResource', resource: customer('ecs', 'cluster/groundwork-stk-cluster'), context: { ...tagged, 'ecs:CreateAction': 'CreateCluster' } },
  { row: 'AddTagsToResource of a new Groundwork database', principal: 'execution', action: 'rds:AddTagsToResource', resource: customer('rds', 'db:groundwork-stk-database-databaseinstance-abc'), context: tagged },
];

/** The calls Groundwork's workflows make: they must be allowed. */
const LEGITIMATE_CALLS: Row[] = [
  { row: 'CreateStack of a component', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-stk-network'), context: { ...asGroundwork, ...withExecutionRole } },
  { row: 'DeleteStack of a component', principal: 'access', action: 'cloudformation:DeleteStack', resource: stack('groundwork-stk-network'), context: { ...withExecutionRole, ...taggedBy() } },
  { row: 'DescribeStacks', principal: 'access', action: 'cloudformation:DescribeStacks', resource: stack('groundwork-stk-network'), context: inRegion('us-east-1') },
  { row: 'DescribeStackEvents', principal: 'access', action: 'cloudformation:DescribeStackEvents', resource: stack('groundwork-stk-network'), context: inRegion('us-east-1') },
  { row: 'PassRole of the execution role', principal: 'access', action: 'iam:PassRole', resource: policies.executionRoleArn, context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
  { row: 'DescribeAvailabilityZones (the region check)', principal: 'access', action: 'ec2:DescribeAvailabilityZones', resource: '*', context: { 'ec2:Region': 'us-east-1', ...inRegion('us-east-1') } },
  { row: 'DescribeInstanceTypeOfferings (the region check)', principal: 'access', action: 'ec2:DescribeInstanceTypeOfferings', resource: '*', context: { 'ec2:Region': 'us-east-1', ...inRegion('us-east-1') } },
  { row: 'DescribeDBEngineVersions (the region check)', principal: 'access', action: 'rds:DescribeDBEngineVersions', resource: '*', context: inRegion('us-east-1') },
  { row: 'DescribeOrderableDBInstanceOptions (the region check)', principal: 'access', action: 'rds:DescribeOrderableDBInstanceOptions', resource: '*', context: inRegion('us-east-1') },
  { row: 'CreateVpc tagged', principal: 'execution', action: 'ec2:CreateVpc', resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc/*`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'CreateNatGateway tagged', principal: 'execution', action: 'ec2:CreateNatGateway', resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:natgateway/*`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'CreateDBInstance tagged', principal: 'execution', action: 'rds:CreateDBInstance', resource: `arn:aws:rds:us-east-1:${ACCOUNT}:db:groundwork-stk`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'CreateCluster tagged', principal: 'execution', action: 'ecs:CreateCluster', resource: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/groundwork-stk`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'CreateLogGroup tagged', principal: 'execution', action: 'logs:CreateLogGroup', resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/groundwork/stk`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'an HTTP API stage sets up its access-log delivery (decision 0018)', principal: 'execution', action: 'logs:CreateLogDelivery', resource: '*' },
  { row: 'TagResource at creation of an HTTP API access-log group', principal: 'execution', action: 'logs:TagResource', resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/vendedlogs/groundwork-stk-frontend/api-access`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'GetParameters of an AMI', principal: 'execution', action: 'ssm:GetParameters', resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64` },
  // The NAT instance's boot script (src/templates/nat-instance-user-data.ts): its NAT interface, to itself.
  { row: 'the NAT instance attaches its NAT interface', principal: 'natInstance', action: 'ec2:AttachNetworkInterface', resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:network-interface/eni-0123456789abcdef0`, context: taggedBy('nat') },
  { row: 'the NAT instance attaches to itself', principal: 'natInstance', action: 'ec2:AttachNetworkInterface', resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`, context: taggedBy('nat') },
  // The ECS agent on a container instance of the cluster its user data names (src/templates/cluster.ts).
  { row: 'the container instance finds its poll endpoint', principal: 'containerInstance', action: 'ecs:DiscoverPollEndpoint', resource: '*' },
  { row: 'the container instance joins its groundwork cluster', principal: 'containerInstance', action: 'ecs:RegisterContainerInstance', resource: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/groundwork-stk-cluster`, context: taggedBy('cluster') },
  { row: 'the container instance polls', principal: 'containerInstance', action: 'ecs:Poll', resource: `arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/groundwork-stk-cluster/0123456789abcdef` },
  { row: 'the container instance starts telemetry', principal: 'containerInstance', action: 'ecs:StartTelemetrySession', resource: `arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/groundwork-stk-cluster/0123456789abcdef` },
  { row: 'the container instance reports a task state', principal: 'containerInstance', action: 'ecs:SubmitTaskStateChange', resource: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/groundwork-stk-cluster`, context: taggedBy('cluster') },
  { row: 'the container instance leaves its cluster', principal: 'containerInstance', action: 'ecs:DeregisterContainerInstance', resource: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/groundwork-stk-cluster`, context: taggedBy('cluster') },
  // Session Manager on the bastion (AWS Systems Manager User Guide, the minimal instance profile).
  { row: 'the bastion registers with Systems Manager', principal: 'bastion', action: 'ssm:UpdateInstanceInformation', resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`, context: taggedBy('bastion') },
  { row: 'the bastion opens a session control channel', principal: 'bastion', action: 'ssmmessages:CreateControlChannel', resource: '*' },
  { row: 'the bastion opens a session data channel', principal: 'bastion', action: 'ssmmessages:OpenDataChannel', resource: '*' },
  // ECS with the services' task execution role: the image, the container logs, the database secret.
  { row: 'the task execution role gets an ECR token', principal: 'taskExecution', action: 'ecr:GetAuthorizationToken', resource: '*' },
  { row: 'the task execution role pulls a layer of the account', principal: 'taskExecution', action: 'ecr:GetDownloadUrlForLayer', resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app` },
  { row: 'the task execution role creates a log stream in a Groundwork group', principal: 'taskExecution', action: 'logs:CreateLogStream', resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/groundwork/stk/api:log-stream:web/api/0123` },
  { row: 'the task execution role writes to a Groundwork group', principal: 'taskExecution', action: 'logs:PutLogEvents', resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/groundwork/stk/api:log-stream:web/api/0123` },
  { row: 'the task execution role reads its stack\'s database secret', principal: 'taskExecution', action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:DatabaseSecret-AbCdEf`, context: taggedBy() },
];

/**
 * The onboarding stack's AllowedRegions (the regions the customer gave Groundwork): the access role
 * acts in those and nowhere else. Absent, the stack's own region.
 */
const twoRegions = onboardingPolicies({ allowedRegions: 'us-east-1,eu-west-1' });
const createIn = (region: string): Row => ({ row: `CreateStack in ${region}`, principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-stk-network', region), context: { ...asGroundwork, ...withExecutionRole, ...inRegion(region) } });

describe('the escalation table over cfn/onboarding-role.yaml', () => {
  it.each([...DENIED_ROWS, ...ESCALATION_ROWS, ...PARENT_ROWS].map((row) => [row.row, row] as const))('denies %s', async (_name, row) => {
    expect(await decide(row)).not.toBe('Allowed');
  });

  it.each([...LEGITIMATE_CALLS, ...PARENT_CALLS].map((row) => [row.row, row] as const))('allows the workflow call: %s', async (_name, row) => {
    expect(await decide(row)).toBe('Allowed');
  });
});

describe('the access role in the regions the customer allows', () => {
  it('acts only in the onboarding stack\'s own region when AllowedRegions is left empty', async () => {
    expect(await decide(createIn('us-east-1'))).toBe('Allowed');
    expect(await decide(createIn('eu-west-1'))).toBe('ExplicitlyDenied');
  });

  it('acts in each region the customer listed, and in no other', async () => {
    expect(await decide(createIn('us-east-1'), twoRegions)).toBe('Allowed');
    expect(await decide(createIn('eu-west-1'), twoRegions)).toBe('Allowed');
    expect(await decide(createIn('ap-south-1'), twoRegions)).toBe('ExplicitlyDenied');
  });

  it('refuses a call whose region is unknown', async () => {
    const { 'aws:RequestedRegion': _region, ...noRegion } = createIn('us-east-1').context ?? {};
    expect(await decide({ ...createIn('us-east-1'), context: noRegion })).toBe('ExplicitlyDenied');
  });
});
