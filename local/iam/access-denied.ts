import { evaluatePolicies, type IamRequest, type PrincipalPolicies } from './evaluate-policies';

/**
 * Why IAM refused a request, in AWS's words (IAM User Guide, "Troubleshooting access denied error
 * messages"): "User: <principal> is not authorized to perform: <action> on resource: <arn>
 * because no identity-based policy allows the <action> action", "… with an explicit deny in an
 * identity-based policy", and likewise "permissions boundary". Undefined when it is allowed.
 */
export function accessDenial(policies: PrincipalPolicies, request: IamRequest): string | undefined {
  if (evaluatePolicies(policies, request) === 'Allowed') return undefined;
  const start = `User: ${request.principal} is not authorized to perform: ${request.action} on resource: ${request.resource}`;
  const identity = evaluatePolicies({ identity: policies.identity }, request);
  if (identity === 'ExplicitlyDenied') return `${start} with an explicit deny in an identity-based policy`;
  if (identity === 'ImplicitlyDenied') return `${start} because no identity-based policy allows the ${request.action} action`;
  const boundary = evaluatePolicies({ identity: [{ name: 'boundary', document: policies.boundary }] }, request);
  return boundary === 'ExplicitlyDenied'
    ? `${start} with an explicit deny in a permissions boundary`
    : `${start} because no permissions boundary allows the ${request.action} action`;
}

/** How the AWS SDK the handlers are written with names each service in its errors. */
const SDK_SERVICE_NAMES: Readonly<Record<string, string>> = {
  ec2: 'Ec2', iam: 'Iam', rds: 'Rds', ecs: 'Ecs', logs: 'CloudWatchLogs', elasticloadbalancing: 'ElasticLoadBalancingV2',
  autoscaling: 'AutoScaling', secretsmanager: 'SecretsManager', servicediscovery: 'ServiceDiscovery', apigateway: 'ApiGatewayV2',
};

/**
 * A resource that failed on a refused call, as CloudFormation reports it in the resource's status
 * reason: the service's message, then "(Service: Ec2, Status Code: 403, Request ID: …)".
 */
export function handlerAccessDenied(denial: string, action: string, requestId: string): string {
  const service = action.split(':')[0] ?? '';
  const sdkName = SDK_SERVICE_NAMES[service] ?? service.charAt(0).toUpperCase() + service.slice(1);
  return `Resource handler returned message: "${denial} (Service: ${sdkName}, Status Code: 403, Request ID: ${requestId})" (HandlerErrorCode: AccessDenied)`;
}
