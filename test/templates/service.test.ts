import type { CfnValue } from '../../src/cfn/template-types';
import { SERVICE_DEPENDENCIES } from '../../src/model/components';
import { serviceRequestSchemaFor, type ServiceRequestInput } from '../../src/model/service-request';
import { buildStackTemplates } from '../../src/templates/build-stack-templates';
import type { ComponentTemplate, StackTemplateInput } from '../../src/templates/component-template';
import { serviceCombinations, STACK_ID, TENANT_ID } from '../../src/templates/option-combinations';
import { buildServiceTemplate, ecsSecretValueFrom, type ServiceTemplate } from '../../src/templates/service';
import { TAG_KEYS } from '../../src/templates/tags';
import { CERTIFICATE_ARN, templateInput } from './fixtures';
import {
  exportProblems,
  getAzsProblems,
  leftoverLogGroupProblems,
  roleProblems,
  secretExposureProblems,
  specificationProblems,
  type TemplateCheck,
} from './template-checks';
import { props, resourcesOfType } from './template-queries';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-AbCdEf';

function build(input: StackTemplateInput, service: ServiceRequestInput): ServiceTemplate {
  return buildServiceTemplate(input, serviceRequestSchemaFor(input.request).parse(service));
}

/** The component checks that do not depend on which component a template is (a service is none). */
const CHECKS: Record<string, TemplateCheck> = { specificationProblems, exportProblems, getAzsProblems, roleProblems, secretExposureProblems, leftoverLogGroupProblems };

function problems(service: ServiceTemplate, input: StackTemplateInput): string[] {
  const asChecked = { component: 'cluster', stackName: service.stackName, template: service.template, parameters: service.parameters } satisfies ComponentTemplate;
  const stack = buildStackTemplates(input);
  const found = Object.entries(CHECKS).flatMap(([name, check]) => check(asChecked, stack, { tenantId: TENANT_ID, stackId: STACK_ID }).map((p) => `${name}: ${p}`));
  // Every parameter fed by an output names an output the stack's component really has.
  for (const [name, source] of Object.entries(service.parameters)) {
    if (service.template.Parameters?.[name] === undefined) found.push(`source for undeclared parameter ${name}`);
    if (source.kind !== 'output') continue;
    if (!SERVICE_DEPENDENCIES.includes(source.component)) found.push(`${name} comes from ${source.component}, not a dependency`);
    const producer = stack.find((t) => t.component === source.component);
    if (producer?.template.Outputs?.[source.output] === undefined) found.push(`${name}: ${source.component} has no output ${source.output}`);
  }
  for (const name of Object.keys(service.template.Parameters ?? {})) if (service.parameters[name] === undefined) found.push(`parameter ${name} has no source`);
  // Tags as the components carry them, with the service as the component.
  for (const [logicalId, resource] of Object.entries(service.template.Resources)) {
    const tags = resource.Properties?.['Tags'];
    if (!Array.isArray(tags)) continue;
    const value = (key: string) => tags.find((tag): tag is { Key: string; Value: string } => typeof tag === 'object' && tag !== null && !Array.isArray(tag) && tag['Key'] === key)?.Value;
    if (value(TAG_KEYS.stack) !== STACK_ID || value(TAG_KEYS.tenant) !== TENANT_ID || value(TAG_KEYS.component) !== `svc-${service.service}`) found.push(`${logicalId} lacks the Groundwork tags`);
  }
  return found;
}

const containerOf = (template: ServiceTemplate['template']) => ((props(template, 'TaskDefinition')['ContainerDefinitions'] as CfnValue[])[0] ?? {}) as { [key: string]: CfnValue };

describe('service template', () => {
  it('passes every template rule on every stack combination with a cluster, with and without autoscaling and the database', () => {
    // Act
    const failures = serviceCombinations().flatMap(({ label, input, service }) => problems(buildServiceTemplate(input, service), input).map((p) => `${label}: ${p}`));

    // Assess
    expect(failures).toEqual([]);
    expect(serviceCombinations().length).toBeGreaterThan(100);
  });

  it('names its stack groundwork-<stackId>-svc-<name>; the image is a parameter; the task runs with the onboarding stack\'s execution role', () => {
    // Act
    const { stackName, template, parameters } = build(templateInput(), { name: 'web', image: 'public.ecr.aws/nginx/nginx:1.27' });

    // Assess
    expect(stackName).toBe(`groundwork-${STACK_ID}-svc-web`);
    expect(template.Parameters?.['Image']).toMatchObject({ Type: 'String', Default: 'public.ecr.aws/nginx/nginx:1.27' });
    expect(parameters['TaskExecutionRoleArn']).toEqual({ kind: 'context', key: 'taskExecutionRoleArn' });
    expect(props(template, 'TaskDefinition')).toMatchObject({
      Family: stackName,
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['EC2'],
      Cpu: '256',
      Memory: '512',
      ExecutionRoleArn: { Ref: 'TaskExecutionRoleArn' },
    });
    expect(props(template, 'TaskDefinition')['TaskRoleArn']).toBeUndefined();
    expect(containerOf(template)).toMatchObject({
      Name: 'web',
      Image: { Ref: 'Image' },
      PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }],
      LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: 'LogGroup' }, 'awslogs-region': { Ref: 'AWS::Region' }, 'awslogs-stream-prefix': 'web' } },
    });
    expect(props(template, 'LogGroup')).toEqual({ LogGroupName: `/groundwork/${STACK_ID}/web`, RetentionInDays: 90, Tags: expect.any(Array) });
    expect(resourcesOfType(template, 'AWS::IAM::Role')).toEqual([]);
  });

  it('runs on the cluster\'s capacity provider, in the private subnets behind the app group, with the circuit breaker rolling back', () => {
    const { template } = build(templateInput(), { name: 'web', image: 'nginx' });
    expect(props(template, 'Service')).toMatchObject({
      Cluster: { Ref: 'ClusterName' },
      TaskDefinition: { Ref: 'TaskDefinition' },
      DesiredCount: 2,
      CapacityProviderStrategy: [{ CapacityProvider: { Ref: 'CapacityProviderName' }, Weight: 1, Base: 0 }],
      NetworkConfiguration: { AwsvpcConfiguration: { Subnets: { Ref: 'PrivateSubnetIds' }, SecurityGroups: [{ Ref: 'AppSecurityGroupId' }], AssignPublicIp: 'DISABLED' } },
      DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true }, MinimumHealthyPercent: 100, MaximumPercent: 200 },
    });
    expect(props(template, 'Service')['LaunchType']).toBeUndefined();
  });

  describe('alb frontend', () => {
    it('registers task IPs in its own target group behind a rule on the frontend\'s listener; the default route goes last', () => {
      // Act
      const { template, parameters } = build(templateInput(), { name: 'web', image: 'nginx', healthCheck: { path: '/ping', intervalSeconds: 10, healthyThreshold: 3, gracePeriodSeconds: 30 } });

      // Assess
      expect(parameters['ListenerArn']).toEqual({ kind: 'output', component: 'frontend', output: 'ListenerArn' });
      expect(props(template, 'TargetGroup')).toMatchObject({ TargetType: 'ip', Port: 8080, HealthCheckPath: '/ping', HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 3, Matcher: { HttpCode: '200-399' } });
      expect(props(template, 'ListenerRule')).toEqual({
        ListenerArn: { Ref: 'ListenerArn' },
        Priority: 50000,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: { Ref: 'TargetGroup' } }],
        Tags: expect.any(Array),
      });
      expect(template.Resources['Service']?.DependsOn).toEqual(['ListenerRule']);
      expect(props(template, 'Service')).toMatchObject({ LoadBalancers: [{ ContainerName: 'web', ContainerPort: 8080, TargetGroupArn: { Ref: 'TargetGroup' } }], HealthCheckGracePeriodSeconds: 30 });
      expect(props(template, 'Service')['ServiceRegistries']).toBeUndefined();
    });

    it('puts a path route at its priority, on the HTTPS listener when the frontend has a certificate', () => {
      const input = templateInput({ frontend: { type: 'alb', certificateArn: CERTIFICATE_ARN } });
      const { template } = build(input, { name: 'api', image: 'nginx', route: { pathPattern: '/api/*', priority: 10 } });
      expect(props(template, 'ListenerRule')).toMatchObject({ Priority: 10, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }] });
      const frontend = buildStackTemplates(input).find((t) => t.component === 'frontend');
      expect(frontend?.template.Outputs?.['ListenerArn']?.Value).toEqual({ Ref: 'HttpsListener' });
      expect(buildStackTemplates(templateInput()).find((t) => t.component === 'frontend')?.template.Outputs?.['ListenerArn']?.Value).toEqual({ Ref: 'HttpListener' });
    });
  });

  describe('apigateway frontend', () => {
    it('registers its tasks (SRV: container and port) in the frontend\'s Cloud Map service, with no load balancer', () => {
      const { template, parameters } = build(templateInput({ frontend: { type: 'apigateway' } }), { name: 'web', image: 'nginx' });
      expect(parameters['CloudMapServiceArn']).toEqual({ kind: 'output', component: 'frontend', output: 'CloudMapServiceArn' });
      expect(props(template, 'Service')['ServiceRegistries']).toEqual([{ RegistryArn: { Ref: 'CloudMapServiceArn' }, ContainerName: 'web', ContainerPort: 8080 }]);
      expect(props(template, 'Service')['LoadBalancers']).toBeUndefined();
      expect(resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::TargetGroup')).toEqual([]);
      expect(resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::ListenerRule')).toEqual([]);
    });
  });

  describe('database', () => {
    it('wires in the stack\'s database: PG_HOST, PG_PORT, PG_DATABASE and the secret\'s ARN as environment, the credentials as ECS secrets', () => {
      // Act
      const { template, parameters } = build(templateInput(), { name: 'web', image: 'nginx', environment: { APP_ENV: 'prod' }, secrets: { API_KEY: `${SECRET}:key`, TOKEN: SECRET } });
      const container = containerOf(template);

      // Assess
      expect(container['Environment']).toEqual([
        { Name: 'APP_ENV', Value: 'prod' },
        { Name: 'PG_HOST', Value: { Ref: 'DatabaseEndpointAddress' } },
        { Name: 'PG_PORT', Value: { Ref: 'DatabaseEndpointPort' } },
        { Name: 'PG_DATABASE', Value: 'postgres' },
        { Name: 'PG_CREDENTIALS_SECRET', Value: { Ref: 'DatabaseSecretArn' } },
      ]);
      expect(container['Secrets']).toEqual([
        { Name: 'API_KEY', ValueFrom: `${SECRET}:key::` },
        { Name: 'TOKEN', ValueFrom: SECRET },
        { Name: 'PG_USERNAME', ValueFrom: { 'Fn::Sub': '${DatabaseSecretArn}:username::' } },
        { Name: 'PG_PASSWORD', ValueFrom: { 'Fn::Sub': '${DatabaseSecretArn}:password::' } },
      ]);
      expect(parameters['DatabaseSecretArn']).toEqual({ kind: 'output', component: 'secrets', output: 'DatabaseSecretArn' });
    });

    it('leaves the database out when the service declines it or the stack has none', () => {
      for (const [input, service] of [
        [templateInput(), { name: 'web', image: 'nginx', database: false }],
        [templateInput({ database: null }), { name: 'web', image: 'nginx' }],
      ] as const) {
        const { template, parameters } = build(input, service);
        expect(JSON.stringify(containerOf(template))).not.toContain('PG_');
        expect(Object.keys(parameters).filter((name) => name.startsWith('Database'))).toEqual([]);
      }
    });
  });

  describe('autoscaling', () => {
    it('tracks the tasks\' average CPU between min and max, starting at min', () => {
      const { template } = build(templateInput(), { name: 'web', image: 'nginx', autoscaling: { min: 2, max: 4, cpuTarget: 50 } });
      expect(props(template, 'Service')['DesiredCount']).toBe(2);
      expect(props(template, 'ScalableTarget')).toMatchObject({
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: { 'Fn::Sub': 'service/${ClusterName}/${Service.Name}' },
        MinCapacity: 2,
        MaxCapacity: 4,
      });
      expect(props(template, 'ScalableTarget')['RoleARN']).toBeUndefined();
      expect(props(template, 'CpuScalingPolicy')).toMatchObject({
        PolicyType: 'TargetTrackingScaling',
        ScalingTargetId: { Ref: 'ScalableTarget' },
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } },
      });
    });

    it('scales nothing without it', () => {
      const { template } = build(templateInput(), { name: 'web', image: 'nginx', desiredCount: 3 });
      expect(props(template, 'Service')['DesiredCount']).toBe(3);
      expect(resourcesOfType(template, 'AWS::ApplicationAutoScaling::ScalableTarget')).toEqual([]);
      expect(resourcesOfType(template, 'AWS::ApplicationAutoScaling::ScalingPolicy')).toEqual([]);
    });
  });

  it('turns a request secret reference into ECS\'s ValueFrom', () => {
    expect(ecsSecretValueFrom(SECRET)).toBe(SECRET);
    expect(ecsSecretValueFrom(`${SECRET}:password`)).toBe(`${SECRET}:password::`);
    expect(() => ecsSecretValueFrom('arn:aws:ssm:us-east-1:123456789012:parameter/x')).toThrow('is not a secret reference');
  });

  it('catches a broken service template (the checks can fail)', () => {
    // Prepare: a template whose task definition lost a required property and whose output names a missing component output.
    const input = templateInput();
    const good = build(input, { name: 'web', image: 'nginx' });
    const broken: ServiceTemplate = {
      ...good,
      template: { ...good.template, Resources: { ...good.template.Resources, TaskDefinition: { Type: 'AWS::ECS::TaskDefinition', Properties: { Family: 'x', Bogus: 1 } } } },
      parameters: { ...good.parameters, ListenerArn: { kind: 'output', component: 'frontend', output: 'NoSuchOutput' } },
    };

    // Act & Assess
    expect(problems(broken, input).join('\n')).toMatch(/Bogus[\s\S]*ListenerArn: frontend has no output NoSuchOutput/);
  });
});
