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
  return handlerReturnedMessage(denial, action.split(':')[0] ?? '', { status: 403, requestId, handlerErrorCode: 'AccessDenied' });
}

/**
 * A resource whose service call failed, as CloudFormation reports it: `Resource handler returned
 * message: "<message> (Service: Rds, Status Code: 400, Request ID: …)" (RequestToken: …,
 * HandlerErrorCode: InvalidRequest)` (as quoted in dybooksIT/k8s-aws-book#9, 2024, and
 * trailofbits/algo#14947, for RDS and EC2).
 */
export function handlerReturnedMessage(message: string, service: string, call: { status: number; requestId: string; handlerErrorCode: string; requestToken?: string }): string {
  const sdkName = SDK_SERVICE_NAMES[service] ?? service.charAt(0).toUpperCase() + service.slice(1);
  const token = call.requestToken === undefined ? '' : `RequestToken: ${call.requestToken}, `;
  return `Resource handler returned message: "${message} (Service: ${sdkName}, Status Code: ${call.status}, Request ID: ${call.requestId})" (${token}HandlerErrorCode: ${call.handlerErrorCode})`;
}
