import type { ComponentTemplate, StackTemplateInput } from './component-template';
import { getAtt, ref, sub } from './intrinsics';
import { NetworkOutputs } from './network';
import { SecurityOutputs } from './security';
import { addServiceLogGroup } from './service-log-group';
import { nameTag } from './tags';
import { TemplateBuilder } from './template-builder';

/**
 * The frontend component: the one public entry to the app.
 * - `alb`: an internet-facing Application Load Balancer in the public subnets, forwarding to a
 *   target group of task IPs (awsvpc) on the container port; with a certificate, HTTP redirects to
 *   HTTPS. ECS services register into the target group (output TargetGroupArn).
 * - `apigateway`: an HTTP API reaching the private subnets through a VPC Link, and finding tasks
 *   through a Cloud Map service (output CloudMapServiceArn: the ECS service's registry); no load
 *   balancer, so nothing costs money while idle.
 * Nothing here depends on the cluster's outputs; the dependency only orders the deployment so the
 * frontend appears once there is capacity to answer it.
 */
export const FrontendOutputs = {
  Url: 'Url',
  LoadBalancerArn: 'LoadBalancerArn',
  LoadBalancerDnsName: 'LoadBalancerDnsName',
  TargetGroupArn: 'TargetGroupArn',
  /** The listener that forwards (HTTPS with a certificate, else HTTP): services add their rules to it. */
  ListenerArn: 'ListenerArn',
  ApiId: 'ApiId',
  CloudMapNamespaceId: 'CloudMapNamespaceId',
  CloudMapServiceArn: 'CloudMapServiceArn',
} as const;

/**
 * Where the HTTP API's access logs go. API Gateway delivers them through CloudWatch Logs' vended-log
 * delivery, which writes only where a CloudWatch Logs resource policy lets delivery.logs.amazonaws.com
 * in. Under `/aws/vendedlogs/` the group is covered by the account-level policy the onboarding stack
 * creates (decision 0018), so the stack's role never needs the account-wide logs:PutResourcePolicy:
 * "If an existing account-level resource policy already grants permissions through wildcards, a
 * separate log group level policy would not be created" (CloudWatch Logs User Guide, "Logs sent to
 * CloudWatch Logs", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html).
 */
export const apiAccessLogGroupName = (stackName: string): string => `/aws/vendedlogs/${stackName}/api-access`;

/** Three months of requests: long enough to investigate an incident reported late, short enough to cost little. */
export const API_ACCESS_LOG_RETENTION_DAYS = 90;

/**
 * One JSON object per request. `$context.requestId` is the one variable API Gateway requires
 * (API Gateway Developer Guide, "Configuring logging for an HTTP API"); the rest say who asked what,
 * how it ended and how long the app took. No header, query string or body is logged.
 */
export const API_ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
});

/** A modern TLS policy: TLS 1.3 and 1.2 only. */
const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

export function buildFrontendTemplate(input: StackTemplateInput): ComponentTemplate {
  const { compute, frontend } = input.request;
  if (compute === null || frontend.type === 'none') throw new Error('this request deploys no frontend component');
  return frontend.type === 'alb'
    ? buildLoadBalancer(input, compute.containerPort, frontend.certificateArn)
    : buildHttpApi(input, input.request.name);
}

function buildLoadBalancer(input: StackTemplateInput, containerPort: number, certificateArn: string | undefined): ComponentTemplate {
  const b = new TemplateBuilder('frontend', input, certificateArn ? 'public load balancer, HTTPS' : 'public load balancer, HTTP');
  const loadBalancer = b.resource('LoadBalancer', {
    Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
    Properties: {
      Type: 'application',
      Scheme: 'internet-facing',
      IpAddressType: 'ipv4',
      Subnets: b.fromOutput('network', NetworkOutputs.PublicSubnetIds, 'List<AWS::EC2::Subnet::Id>'),
      SecurityGroups: [b.fromOutput('security', SecurityOutputs.FrontendSecurityGroupId, 'AWS::EC2::SecurityGroup::Id')],
      LoadBalancerAttributes: [
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'deletion_protection.enabled', Value: 'false' },
      ],
      Tags: [nameTag(b.stackName)],
    },
  });
  const targetGroup = b.resource('TargetGroup', {
    Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
    Properties: {
      // Tasks in awsvpc mode register by IP address.
      TargetType: 'ip',
      Protocol: 'HTTP',
      Port: containerPort,
      VpcId: b.fromOutput('network', NetworkOutputs.VpcId, 'AWS::EC2::VPC::Id'),
      HealthCheckEnabled: true,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/',
      HealthCheckIntervalSeconds: 15,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 3,
      Matcher: { HttpCode: '200-399' },
      // Deployments finish sooner than with the 300 s default.
      TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
      Tags: [nameTag(b.stackName)],
    },
  });
  const forward = [{ Type: 'forward', TargetGroupArn: targetGroup }];

  b.resource('HttpListener', {
    Type: 'AWS::ElasticLoadBalancingV2::Listener',
    Properties: {
      LoadBalancerArn: loadBalancer,
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions:
        certificateArn === undefined
          ? forward
          : [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    },
  });
  if (certificateArn !== undefined) {
    b.resource('HttpsListener', {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        LoadBalancerArn: loadBalancer,
        Port: 443,
        Protocol: 'HTTPS',
        SslPolicy: TLS_POLICY,
        Certificates: [{ CertificateArn: certificateArn }],
        DefaultActions: forward,
      },
    });
  }

  const scheme = certificateArn === undefined ? 'http' : 'https';
  b.output(FrontendOutputs.Url, sub(`${scheme}://\${LoadBalancer.DNSName}`), 'Public URL of the app');
  b.output(FrontendOutputs.LoadBalancerDnsName, getAtt('LoadBalancer', 'DNSName'), 'DNS name of the load balancer (CNAME your domain to it)');
  b.output(FrontendOutputs.LoadBalancerArn, loadBalancer, 'ARN of the load balancer');
  b.output(FrontendOutputs.TargetGroupArn, targetGroup, 'Target group the ECS service registers its tasks in');
  b.output(FrontendOutputs.ListenerArn, ref(certificateArn === undefined ? 'HttpListener' : 'HttpsListener'), 'Listener that forwards requests: services add their rules to it');
  return b.build();
}

function buildHttpApi(input: StackTemplateInput, appName: string): ComponentTemplate {
  const b = new TemplateBuilder('frontend', input, 'HTTP API, VPC Link and Cloud Map');
  const api = b.resource('HttpApi', {
    Type: 'AWS::ApiGatewayV2::Api',
    Properties: { Name: b.stackName, ProtocolType: 'HTTP', Description: `Public entry of ${appName}` },
  });
  const vpcLink = b.resource('VpcLink', {
    Type: 'AWS::ApiGatewayV2::VpcLink',
    Properties: {
      Name: b.stackName,
      SubnetIds: b.fromOutput('network', NetworkOutputs.PrivateSubnetIds, 'List<AWS::EC2::Subnet::Id>'),
      SecurityGroupIds: [b.fromOutput('security', SecurityOutputs.VpcLinkSecurityGroupId, 'AWS::EC2::SecurityGroup::Id')],
    },
  });
  b.resource('Namespace', {
    Type: 'AWS::ServiceDiscovery::PrivateDnsNamespace',
    Properties: {
      // The stack name is validated as DNS-safe (lowercase letters, digits, hyphens).
      Name: `${appName}.internal`,
      Vpc: b.fromOutput('network', NetworkOutputs.VpcId, 'AWS::EC2::VPC::Id'),
      Description: `Service discovery of ${b.stackName}`,
    },
  });
  b.resource('AppService', {
    Type: 'AWS::ServiceDiscovery::Service',
    Properties: {
      Name: 'app',
      NamespaceId: getAtt('Namespace', 'Id'),
      // SRV records carry the task's port as well as its address; API Gateway needs both.
      DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'SRV', TTL: 10 }] },
      // ECS reports task health; Route 53 health checks cannot reach private addresses.
      HealthCheckCustomConfig: { FailureThreshold: 1 },
    },
  });
  b.resource('Integration', {
    Type: 'AWS::ApiGatewayV2::Integration',
    Properties: {
      ApiId: api,
      IntegrationType: 'HTTP_PROXY',
      IntegrationMethod: 'ANY',
      ConnectionType: 'VPC_LINK',
      ConnectionId: vpcLink,
      IntegrationUri: getAtt('AppService', 'Arn'),
      PayloadFormatVersion: '1.0',
    },
  });
  // `/{proxy+}` does not match the bare root, so `/` gets its own route to the same integration.
  for (const [logicalId, routeKey] of [['ProxyRoute', 'ANY /{proxy+}'], ['RootRoute', 'ANY /']] as const) {
    b.resource(logicalId, {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: { ApiId: api, RouteKey: routeKey, Target: sub('integrations/${Integration}') },
    });
  }
  // The stage depends on its log group (through GetAtt), so the group exists before delivery starts
  // and is deleted after it. `GetAtt <LogGroup>.Arn` (ending `:*`) is what AWS's SAM sample gives
  // DestinationArn (aws-samples/sessions-with-aws-sam, http-api-logging/template.yaml).
  const accessLogs = addServiceLogGroup(b, {
    logicalId: 'ApiAccessLogGroup',
    name: apiAccessLogGroupName(b.stackName),
    retentionInDays: API_ACCESS_LOG_RETENTION_DAYS,
  });
  b.resource('DefaultStage', {
    Type: 'AWS::ApiGatewayV2::Stage',
    Properties: {
      ApiId: api,
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: getAtt(accessLogs, 'Arn'), Format: API_ACCESS_LOG_FORMAT },
    },
  });

  b.output(FrontendOutputs.Url, getAtt('HttpApi', 'ApiEndpoint'), 'Public URL of the app');
  b.output(FrontendOutputs.ApiId, api, 'HTTP API id');
  b.output(FrontendOutputs.CloudMapNamespaceId, getAtt('Namespace', 'Id'), 'Cloud Map namespace of the app');
  b.output(FrontendOutputs.CloudMapServiceArn, getAtt('AppService', 'Arn'), 'Cloud Map service the ECS service registers its tasks in (SRV)');
  return b.build();
}
