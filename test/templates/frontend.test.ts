import { API_ACCESS_LOG_RETENTION_DAYS, buildFrontendTemplate } from '../../src/templates/frontend';
import { CERTIFICATE_ARN, templateInput } from './fixtures';
import { props, resourcesOfType } from './template-queries';

describe('frontend template', () => {
  describe('alb', () => {
    it('without a certificate: an internet-facing ALB in the public subnets forwarding HTTP to task IPs on the container port', () => {
      // Act
      const { template } = buildFrontendTemplate(templateInput({ compute: { containerPort: 3000 } }));
      // Assess
      expect(props(template, 'LoadBalancer')).toMatchObject({
        Scheme: 'internet-facing',
        Subnets: { Ref: 'PublicSubnetIds' },
        SecurityGroups: [{ Ref: 'FrontendSecurityGroupId' }],
      });
      expect(props(template, 'TargetGroup')).toMatchObject({ TargetType: 'ip', Port: 3000, Protocol: 'HTTP', HealthCheckPath: '/' });
      expect(resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::Listener').map(([id]) => id)).toEqual(['HttpListener']);
      expect(props(template, 'HttpListener')['DefaultActions']).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: 'TargetGroup' } }]);
      expect(template.Outputs?.['Url']?.Value).toEqual({ 'Fn::Sub': 'http://${LoadBalancer.DNSName}' });
      expect(template.Outputs?.['TargetGroupArn']?.Value).toEqual({ Ref: 'TargetGroup' });
    });

    it('with a certificate: HTTP redirects to HTTPS, and HTTPS forwards with that certificate', () => {
      const { template } = buildFrontendTemplate(templateInput({ frontend: { type: 'alb', certificateArn: CERTIFICATE_ARN } }));
      expect(props(template, 'HttpListener')['DefaultActions']).toEqual([
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ]);
      expect(props(template, 'HttpsListener')).toMatchObject({
        Port: 443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'TargetGroup' } }],
      });
      expect(template.Outputs?.['Url']?.Value).toEqual({ 'Fn::Sub': 'https://${LoadBalancer.DNSName}' });
    });
  });

  describe('apigateway', () => {
    const { template, parameters } = buildFrontendTemplate(templateInput({ frontend: { type: 'apigateway' } }));

    it('reaches the private subnets through a VPC Link with its own security group', () => {
      expect(props(template, 'VpcLink')).toMatchObject({ SubnetIds: { Ref: 'PrivateSubnetIds' }, SecurityGroupIds: [{ Ref: 'VpcLinkSecurityGroupId' }] });
      expect(parameters['VpcLinkSecurityGroupId']).toEqual({ kind: 'output', component: 'security', output: 'VpcLinkSecurityGroupId' });
    });

    it('proxies every path and method to the Cloud Map service through the VPC Link', () => {
      expect(props(template, 'Integration')).toMatchObject({
        IntegrationType: 'HTTP_PROXY',
        ConnectionType: 'VPC_LINK',
        ConnectionId: { Ref: 'VpcLink' },
        IntegrationUri: { 'Fn::GetAtt': ['AppService', 'Arn'] },
      });
      const routeKeys = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties?.['RouteKey']);
      expect(routeKeys).toContain('ANY /{proxy+}');
      expect(props(template, 'Namespace')).toMatchObject({ Name: 'shop.internal', Vpc: { Ref: 'VpcId' } });
      expect(props(template, 'AppService')['DnsConfig']).toMatchObject({ DnsRecords: [{ Type: 'SRV', TTL: 10 }] });
    });

    it('deploys automatically to the $default stage and outputs the API URL and the Cloud Map service', () => {
      expect(props(template, 'DefaultStage')).toMatchObject({ StageName: '$default', AutoDeploy: true });
      expect(template.Outputs?.['Url']?.Value).toEqual({ 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] });
      expect(template.Outputs?.['CloudMapServiceArn']?.Value).toEqual({ 'Fn::GetAtt': ['AppService', 'Arn'] });
      expect(resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer')).toEqual([]);
    });

    it('writes one JSON access-log line per request to a log group the stack owns, kept 90 days, under the prefix the delivery policy covers', () => {
      // Arrange
      const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
      // Assess
      expect(groups.map(([id]) => id)).toEqual(['ApiAccessLogGroup']);
      const [, group] = groups[0]!;
      expect(group.DeletionPolicy).toBe('Delete');
      expect(group.Properties).toMatchObject({ LogGroupName: expect.stringMatching(/^\/aws\/vendedlogs\/groundwork-[^/]+\/api-access$/), RetentionInDays: API_ACCESS_LOG_RETENTION_DAYS });
      const settings = props(template, 'DefaultStage')['AccessLogSettings'] as { DestinationArn: unknown; Format: string };
      expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': ['ApiAccessLogGroup', 'Arn'] });
      const format = JSON.parse(settings.Format) as Record<string, string>;
      expect(format['requestId']).toBe('$context.requestId');
      expect(Object.values(format).every((value) => /^\$context\.[a-zA-Z.]+$/.test(value))).toBe(true);
      expect(settings.Format).not.toMatch(/header|querystring|body|authorizer/i);
    });
  });

  it('refuses a request without a frontend', () => {
    expect(() => buildFrontendTemplate(templateInput({ frontend: { type: 'none' } }))).toThrow('no frontend');
  });
});
