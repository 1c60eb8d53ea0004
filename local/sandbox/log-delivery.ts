import { handlerReturnedMessage } from '../iam/access-denied';
import type { AccountRegistry } from './account-registry';
import type { StackPermissions } from './stack-permissions';
import type { StackRecord } from './sandbox-state';
import { statementsOf, trustPolicyAllows, wildcard } from './trust-policy';

/**
 * API Gateway's access logs as the stack's role meets them. With AccessLogSettings, API Gateway sets
 * up a CloudWatch Logs vended-log delivery as the caller, who needs logs:CreateLogDelivery (and the
 * other actions of "Configuring logging for an HTTP API", API Gateway Developer Guide,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html). The log group
 * must also let delivery.logs.amazonaws.com write to it: either an account-level resource policy of
 * the region already does ("If an existing account-level resource policy already grants permissions
 * through wildcards, a separate log group level policy would not be created"), or AWS writes one,
 * which it does only when the caller holds logs:PutResourcePolicy, logs:DescribeResourcePolicies and
 * logs:DescribeLogGroups (CloudWatch Logs User Guide, "Logs sent to CloudWatch Logs",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html).
 *
 * Either shortfall fails the stage with the message API Gateway gives: "Insufficient permissions to
 * enable logging" (BadRequestException, as users quote it: anomalyco/sst#125, 2021). The sandbox
 * writes no policy of its own when the caller could: the stage is simply allowed.
 */

const DELIVERY_SERVICE = 'delivery.logs.amazonaws.com';
const SETUP_WITHOUT_POLICY = ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'];

export function accessLogRefusal(
  stack: StackRecord,
  type: string,
  properties: Record<string, unknown>,
  accounts: AccountRegistry,
  permissions: StackPermissions,
  uuid: (purpose: string) => string,
): string | undefined {
  if (type !== 'AWS::ApiGatewayV2::Stage') return undefined;
  const settings = properties['AccessLogSettings'] as Record<string, unknown> | undefined;
  const destination = settings?.['DestinationArn'];
  if (typeof destination !== 'string') return undefined;

  const refused = () =>
    handlerReturnedMessage('Insufficient permissions to enable logging', 'apigateway', { status: 400, requestId: uuid('request'), handlerErrorCode: 'InvalidRequest' });
  if (permissions.stackCallDenial(stack, 'logs:CreateLogDelivery') !== undefined) return refused();
  if (deliveryPolicyCovers(stack, destination, accounts)) return undefined;
  return SETUP_WITHOUT_POLICY.every((action) => permissions.stackCallDenial(stack, action) === undefined) ? undefined : refused();
}

/** Whether a live account-level CloudWatch Logs resource policy of the stack's region lets the delivery service write to the group. */
function deliveryPolicyCovers(stack: StackRecord, destinationArn: string, accounts: AccountRegistry): boolean {
  const { account, region } = stack;
  // `arn:aws:logs:<region>:<account>:log-group:<name>`, with or without the `:*` GetAtt adds.
  const groupArn = destinationArn.replace(/:\*$/, '');
  const streamArn = `${groupArn}:log-stream:delivery`;
  const context = { 'aws:SourceAccount': account, 'aws:SourceArn': `arn:aws:logs:${region}:${account}:delivery-source:${stack.stackName}` };
  const principal = { kind: 'service' as const, service: DELIVERY_SERVICE, arn: DELIVERY_SERVICE };
  for (const { resource } of accounts.liveResources(account, region)) {
    if (resource.type !== 'AWS::Logs::ResourcePolicy') continue;
    const statements = statementsOn(resource.properties?.['PolicyDocument'], streamArn);
    if (trustPolicyAllows({ Statement: statements }, principal, 'logs:PutLogEvents', context)) return true;
  }
  return false;
}

/** The statements of a policy document (JSON text or object) whose Resource names the ARN. */
function statementsOn(document: unknown, arn: string): unknown[] {
  return statementsOf(document).filter((statement) => {
    const resources = statement['Resource'];
    return (Array.isArray(resources) ? resources : [resources]).some((pattern) => typeof pattern === 'string' && wildcard(pattern, arn));
  });
}
