import { simulateRequest, type PrincipalPolicies } from '../../local/iam/evaluate-policies';
import { ACCOUNT, onboardingPolicies } from '../support/onboarding-policies';

/**
 * The security review's escalation table (shared/reviews/security.md, "Question 1"), each row a call
 * evaluated against the policies of the real cfn/onboarding-role.yaml: every path must be denied,
 * and every call Groundwork's workflows make must be allowed.
 */

const policies = onboardingPolicies();
type Principal = 'access' | 'execution' | 'bounded';
interface Row {
  row: string;
  principal: Principal;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}
const PRINCIPALS: Record<Principal, string> = {
  access: `arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkAccess-acc_abcdefghij0123456789/groundwork`,
  execution: `arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkExecution-acc_abcdefghij0123456789/AWSCloudFormation`,
  bounded: `arn:aws:sts::${ACCOUNT}:assumed-role/groundwork-x/i-0abc`,
};
const stack = (name: string, region = 'us-east-1') => `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${name}/1a2b3c4d-0000-4000-a000-000000000000`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const withExecutionRole = { 'cloudformation:RoleArn': policies.executionRoleArn };

async function decide({ principal, action, resource, context }: Row): Promise<string> {
  const of: Record<Principal, PrincipalPolicies> = { access: policies.access, execution: policies.execution, bounded: policies.bounded };
  return simulateRequest(of[principal], { principal: PRINCIPALS[principal], action, resource, account: ACCOUNT, ...(context === undefined ? {} : { context }) });
}

/** The rows the review found denied ("No"): they must stay denied. */
export const DENIED_ROWS: Row[] = [
  { row: '#1 stack outside groundwork-*', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('prod-app'), context: withExecutionRole },
  { row: '#2 stack without a role', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-x') },
  { row: '#2 stack with another role', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-x'), context: { 'cloudformation:RoleArn': role('Admin') } },
  { row: '#3 UpdateStack', principal: 'access', action: 'cloudformation:UpdateStack', resource: stack('groundwork-x'), context: withExecutionRole },
  { row: '#3 CreateChangeSet', principal: 'access', action: 'cloudformation:CreateChangeSet', resource: stack('groundwork-x'), context: withExecutionRole },
  { row: '#6 PassRole of a customer role to CloudFormation', principal: 'access', action: 'iam:PassRole', resource: role('Admin'), context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
  { row: '#7 PassRole of a customer role to EC2', principal: 'execution', action: 'iam:PassRole', resource: role('Admin'), context: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  { row: '#8 PassRole to Lambda', principal: 'execution', action: 'iam:PassRole', resource: role('groundwork-x'), context: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
  { row: '#9 role without the boundary', principal: 'execution', action: 'iam:CreateRole', resource: role('groundwork-x') },
  { row: '#9 role with another boundary', principal: 'execution', action: 'iam:CreateRole', resource: role('groundwork-x'), context: { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/Other` } },
  { row: '#12 DeletePolicy of the boundary', principal: 'execution', action: 'iam:DeletePolicy', resource: policies.boundaryArn },
  { row: '#12 CreatePolicyVersion of the boundary', principal: 'execution', action: 'iam:CreatePolicyVersion', resource: policies.boundaryArn },
  { row: '#12 DeleteRolePermissionsBoundary', principal: 'execution', action: 'iam:DeleteRolePermissionsBoundary', resource: role('groundwork-x') },
  { row: '#13 touch the access role', principal: 'execution', action: 'iam:PutRolePolicy', resource: role('GroundworkAccess-acc_abcdefghij0123456789'), context: { 'iam:PermissionsBoundary': policies.boundaryArn } },
  { row: '#15 instance profile outside groundwork-*', principal: 'execution', action: 'iam:CreateInstanceProfile', resource: `arn:aws:iam::${ACCOUNT}:instance-profile/Admin` },
  { row: '#21 ssm:SendCommand', principal: 'execution', action: 'ssm:SendCommand', resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:document/AWS-RunShellScript` },
  { row: '#22 read a private S3 template', principal: 'execution', action: 's3:GetObject', resource: 'arn:aws:s3:::customer-bucket/template.yaml' },
  { row: '#25 read S3 objects', principal: 'bounded', action: 's3:GetObject', resource: 'arn:aws:s3:::customer-bucket/data' },
  { row: '#30 IAM admin from a bounded role', principal: 'bounded', action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/backdoor` },
  { row: '#30 AssumeRole from a bounded role', principal: 'bounded', action: 'sts:AssumeRole', resource: role('Admin') },
];

/** The calls Groundwork's workflows make: they must be allowed. */
const LEGITIMATE_CALLS: Row[] = [
  { row: 'CreateStack of a component', principal: 'access', action: 'cloudformation:CreateStack', resource: stack('groundwork-stk-network'), context: withExecutionRole },
  { row: 'DeleteStack of a component', principal: 'access', action: 'cloudformation:DeleteStack', resource: stack('groundwork-stk-network'), context: withExecutionRole },
  { row: 'DescribeStacks', principal: 'access', action: 'cloudformation:DescribeStacks', resource: stack('groundwork-stk-network') },
  { row: 'DescribeStackEvents', principal: 'access', action: 'cloudformation:DescribeStackEvents', resource: stack('groundwork-stk-network') },
  { row: 'PassRole of the execution role', principal: 'access', action: 'iam:PassRole', resource: policies.executionRoleArn, context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
  { row: 'CreateVpc tagged', principal: 'execution', action: 'ec2:CreateVpc', resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:vpc/*`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'CreateNatGateway tagged', principal: 'execution', action: 'ec2:CreateNatGateway', resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:natgateway/*`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'CreateDBInstance tagged', principal: 'execution', action: 'rds:CreateDBInstance', resource: `arn:aws:rds:us-east-1:${ACCOUNT}:db:groundwork-stk`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'CreateCluster tagged', principal: 'execution', action: 'ecs:CreateCluster', resource: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/groundwork-stk`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'CreateLogGroup tagged', principal: 'execution', action: 'logs:CreateLogGroup', resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/groundwork/stk`, context: { 'aws:RequestTag/groundwork:stack': 'stk' } },
  { row: 'GetParameters of an AMI', principal: 'execution', action: 'ssm:GetParameters', resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64` },
];

describe('the escalation table over cfn/onboarding-role.yaml', () => {
  it.each(DENIED_ROWS.map((row) => [row.row, row] as const))('denies %s', async (_name, row) => {
    expect(await decide(row)).not.toBe('Allowed');
  });

  it.each(LEGITIMATE_CALLS.map((row) => [row.row, row] as const))('allows the workflow call: %s', async (_name, row) => {
    expect(await decide(row)).toBe('Allowed');
  });
});
