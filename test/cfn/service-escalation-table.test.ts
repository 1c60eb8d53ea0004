import { simulateRequest } from '../../local/iam/evaluate-policies';
import { ACCOUNT, onboardingPolicies } from '../support/onboarding-policies';

/**
 * A service stack's calls (issue 13), in the style of escalation-table.test.ts, evaluated against
 * the real cfn/onboarding-role.yaml: what CloudFormation does with the execution role to build a
 * service on a Groundwork stack is allowed; the same call aimed at the customer's own cluster,
 * listener or roles is not.
 */

const policies = onboardingPolicies();
const EXECUTION = `arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkExecution-acc_abcdefghij0123456789/AWSCloudFormation`;
const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:${ACCOUNT}:${resource}`;
const taskExecutionRole = `arn:aws:iam::${ACCOUNT}:role/GroundworkTaskExecution-acc_abcdefghij0123456789`;
const tagged = { 'aws:RequestTag/groundwork:stack': 'stk' };
const ours = { 'aws:ResourceTag/groundwork:stack': 'stk' };
const groundworkCluster = { 'ecs:cluster': arn('ecs', 'cluster/groundwork-stk-cluster') };

interface Row {
  row: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

const decide = ({ action, resource, context }: Row) => simulateRequest(policies.execution, { principal: EXECUTION, action, resource, account: ACCOUNT, ...(context === undefined ? {} : { context }) });

/** What building, scaling and deleting a service stack asks of the execution role. */
const SERVICE_CALLS: Row[] = [
  { row: 'RegisterTaskDefinition of a tagged revision', action: 'ecs:RegisterTaskDefinition', resource: arn('ecs', 'task-definition/groundwork-stk-svc-web:1'), context: tagged },
  { row: 'TagResource as part of RegisterTaskDefinition', action: 'ecs:TagResource', resource: arn('ecs', 'task-definition/groundwork-stk-svc-web:1'), context: { ...tagged, 'ecs:CreateAction': 'RegisterTaskDefinition' } },
  { row: 'PassRole of the task execution role to ECS tasks', action: 'iam:PassRole', resource: taskExecutionRole, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  { row: 'CreateService tagged, in a Groundwork cluster', action: 'ecs:CreateService', resource: arn('ecs', 'service/groundwork-stk-cluster/groundwork-stk-svc-web-Service-x'), context: { ...tagged, ...groundworkCluster } },
  { row: 'TagResource as part of CreateService', action: 'ecs:TagResource', resource: arn('ecs', 'service/groundwork-stk-cluster/groundwork-stk-svc-web-Service-x'), context: { ...tagged, 'ecs:CreateAction': 'CreateService' } },
  { row: 'UpdateService of a tagged service (a rollout)', action: 'ecs:UpdateService', resource: arn('ecs', 'service/groundwork-stk-cluster/groundwork-stk-svc-web-Service-x'), context: ours },
  { row: 'DeleteService of a tagged service', action: 'ecs:DeleteService', resource: arn('ecs', 'service/groundwork-stk-cluster/groundwork-stk-svc-web-Service-x'), context: ours },
  { row: 'DeregisterTaskDefinition (no resource-level permission)', action: 'ecs:DeregisterTaskDefinition', resource: '*' },
  { row: 'CreateRule on the frontend\'s (tagged) listener', action: 'elasticloadbalancing:CreateRule', resource: arn('elasticloadbalancing', 'listener/app/groundwork-stk-frontend/0123456789abcdef/0123456789abcdef'), context: { ...tagged, ...ours } },
  // The reference lists no listener-rule resource for AddTags: the tags given with CreateRule are checked on `*`.
  { row: 'AddTags as part of CreateRule', action: 'elasticloadbalancing:AddTags', resource: '*', context: { ...tagged, 'elasticloadbalancing:CreateAction': 'CreateRule' } },
  { row: 'CreateTargetGroup tagged', action: 'elasticloadbalancing:CreateTargetGroup', resource: arn('elasticloadbalancing', 'targetgroup/groundwork-stk-svc-web/0123456789abcdef'), context: tagged },
  { row: 'CreateLogGroup of the service\'s log group', action: 'logs:CreateLogGroup', resource: arn('logs', 'log-group:/groundwork/stk/web'), context: tagged },
  { row: 'TagResource at creation of the service\'s log group', action: 'logs:TagResource', resource: arn('logs', 'log-group:/groundwork/stk/web'), context: tagged },
  { row: 'RegisterScalableTarget tagged', action: 'application-autoscaling:RegisterScalableTarget', resource: arn('application-autoscaling', 'scalable-target/0123456789abcdef0123456789abcdef'), context: tagged },
  { row: 'PutScalingPolicy on a tagged scalable target', action: 'application-autoscaling:PutScalingPolicy', resource: arn('application-autoscaling', 'scalable-target/0123456789abcdef0123456789abcdef'), context: ours },
  { row: 'the Application Auto Scaling service-linked role for ECS', action: 'iam:CreateServiceLinkedRole', resource: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`, context: { 'iam:AWSServiceName': 'ecs.application-autoscaling.amazonaws.com' } },
];

/** The same calls aimed at what the customer owns. */
const SERVICE_ESCALATIONS: Row[] = [
  { row: 'CreateService in a customer cluster, though the request is tagged', action: 'ecs:CreateService', resource: arn('ecs', 'service/prod/backdoor'), context: { ...tagged, 'ecs:cluster': arn('ecs', 'cluster/prod') } },
  { row: 'CreateService naming no cluster (the default cluster)', action: 'ecs:CreateService', resource: arn('ecs', 'service/default/backdoor'), context: tagged },
  { row: 'CreateRule on a customer listener, though the request is tagged', action: 'elasticloadbalancing:CreateRule', resource: arn('elasticloadbalancing', 'listener/app/prod/0123456789abcdef/0123456789abcdef'), context: tagged },
  { row: 'RegisterTaskDefinition without the stack tag', action: 'ecs:RegisterTaskDefinition', resource: arn('ecs', 'task-definition/backdoor:1') },
  { row: 'UpdateService of a customer service (scale it to 0)', action: 'ecs:UpdateService', resource: arn('ecs', 'service/prod/api') },
  { row: 'PassRole of a customer role to ECS tasks', action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/Admin`, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  { row: 'PassRole of the task execution role to Lambda', action: 'iam:PassRole', resource: taskExecutionRole, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
  { row: 'PutScalingPolicy on a customer scalable target', action: 'application-autoscaling:PutScalingPolicy', resource: arn('application-autoscaling', 'scalable-target/ffffffffffffffffffffffffffffffff') },
  { row: 'TagResource of a customer log group as Groundwork\'s', action: 'logs:TagResource', resource: arn('logs', 'log-group:/prod/app'), context: tagged },
];

describe('a service stack\'s calls through the execution role (cfn/onboarding-role.yaml)', () => {
  it.each(SERVICE_CALLS.map((row) => [row.row, row] as const))('allows %s', async (_name, row) => {
    expect(await decide(row)).toBe('Allowed');
  });

  it('grants none of the Lambda and Cognito actions the ScalableTarget and ListenerRule handlers list (their properties are never used)', () => {
    const granted = JSON.stringify(policies.execution);
    expect(granted).not.toMatch(/"lambda:|"cognito-idp:/);
    expect(granted).toContain('application-autoscaling:RegisterScalableTarget');
  });

  it.each(SERVICE_ESCALATIONS.map((row) => [row.row, row] as const))('denies %s', async (_name, row) => {
    expect(await decide(row)).not.toBe('Allowed');
  });
});
