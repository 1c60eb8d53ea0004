import type { CfnTemplate, CfnValue } from '../cfn/template-types';
import { serviceStackName } from '../model/components';
import {
  DEPLOYMENT_MAXIMUM_PERCENT,
  initialTaskCount,
  parseSecretReference,
  rulePriority,
  servicePort,
  usesDatabase,
  type ServiceRequest,
} from '../model/service-request';
import { ClusterOutputs } from './cluster';
import type { ParameterSource, StackTemplateInput } from './component-template';
import { DatabaseOutputs } from './database';
import { WORKLOAD_LOG_GROUP_PREFIX } from './fixed-roles';
import { FrontendOutputs } from './frontend';
import { getAtt, ref, sub } from './intrinsics';
import { NetworkOutputs } from './network';
import { SecretsOutputs } from './secrets';
import { SecurityOutputs } from './security';
import { nameTag } from './tags';
import { TemplateBuilder } from './template-builder';

/**
 * A service's stack, `groundwork-<stackId>-svc-<name>` (issue 13): the image is a parameter, so a
 * rollout is an UpdateStack with a new value and CloudFormation never drifts from what runs.
 * - a log group the stack owns, `/groundwork/<stackId>/<service>`, under the prefix the task
 *   execution role may write to (GroundworkPullAndLogPolicy, cfn/onboarding-role.yaml);
 * - a task definition in `awsvpc` mode (decision 0019) run with the onboarding stack's task
 *   execution role (no IAM role is created here, decision 0009), secrets as ECS `Secrets`;
 * - an ECS service on the cluster's capacity provider, in the private subnets behind the app
 *   security group, with the deployment circuit breaker rolling back a failed deployment;
 * - `alb`: a target group of task IPs and a listener rule on the frontend's listener;
 *   `apigateway`: registration (SRV) in the frontend's Cloud Map service, which its HTTP API
 *   proxies every path to;
 * - target tracking on CPU when autoscaling is asked for.
 */
export interface ServiceTemplate {
  service: string;
  /** groundwork-<stackId>-svc-<name> */
  stackName: string;
  template: CfnTemplate;
  parameters: Record<string, ParameterSource>;
}

export const ServiceOutputs = {
  ServiceArn: 'ServiceArn',
  ServiceName: 'ServiceName',
  TaskDefinitionArn: 'TaskDefinitionArn',
  LogGroupName: 'LogGroupName',
  TargetGroupArn: 'TargetGroupArn',
} as const;

/** The image parameter: every rollout passes a new value (or a previous deployment's digest). */
export const IMAGE_PARAMETER = 'Image';

/** Where a service's container logs go. */
export const serviceLogGroupName = (stackId: string, service: string): string => `${WORKLOAD_LOG_GROUP_PREFIX}${stackId}/${service}`;

/** Three months of application logs, as TinyStacks kept them (anchors, part A) and as the API access logs. */
export const SERVICE_LOG_RETENTION_DAYS = 90;

/** Deployments finish sooner than with ELB's 300 s default; in-flight requests still get 30 s. */
const DEREGISTRATION_DELAY_SECONDS = 30;

/**
 * The names `database: true` sets, TinyStacks-style: where the database is as environment, the
 * credentials as ECS secrets read from the stack's database secret (ECS's JSON-key form
 * `<arn>:<json key>::`, ECS Developer Guide, "Pass Secrets Manager secrets through Amazon ECS
 * environment variables"), and the secret's ARN for apps that read it themselves.
 */
export const DATABASE_VARIABLES = {
  host: 'PG_HOST',
  port: 'PG_PORT',
  database: 'PG_DATABASE',
  username: 'PG_USERNAME',
  password: 'PG_PASSWORD',
  credentialsSecret: 'PG_CREDENTIALS_SECRET',
} as const;

/**
 * The database component names no DBName, so RDS for PostgreSQL creates `postgres`: "If this parameter
 * isn't specified, a database named postgres is created in the DB instance" (RDS API Reference,
 * CreateDBInstance, DBName, Amazon RDS for PostgreSQL).
 */
export const DEFAULT_DATABASE_NAME = 'postgres';

export function buildServiceTemplate(input: StackTemplateInput, service: ServiceRequest): ServiceTemplate {
  const { request } = input;
  if (request.compute === null) throw new Error('a stack without compute runs no services');
  const frontend = request.frontend.type;
  const port = servicePort(service, request);
  const database = usesDatabase(service, request) && request.database !== null;
  const b = new TemplateBuilder({ service: service.name }, input, `service ${service.name} (${service.image.split('@')[0] ?? service.image})`);
  const stackName = serviceStackName(input.stackId, service.name);

  const image = b.fromValue(IMAGE_PARAMETER, 'String', service.image, 'Container image reference: each rollout passes a new one');
  const executionRoleArn = b.fromContext('TaskExecutionRoleArn', 'taskExecutionRoleArn', 'ARN of GroundworkTaskExecution: image pull, logs, Groundwork\'s secrets (created by the onboarding stack)');
  const clusterName = b.fromOutput('cluster', ClusterOutputs.ClusterName, 'String');

  const logGroup = b.resource('LogGroup', {
    Type: 'AWS::Logs::LogGroup',
    DeletionPolicy: 'Delete',
    UpdateReplacePolicy: 'Delete',
    Properties: { LogGroupName: serviceLogGroupName(input.stackId, service.name), RetentionInDays: SERVICE_LOG_RETENTION_DAYS },
  });

  const environment: Array<{ Name: string; Value: CfnValue }> = Object.entries(service.environment).map(([Name, Value]) => ({ Name, Value }));
  const secrets: Array<{ Name: string; ValueFrom: CfnValue }> = Object.entries(service.secrets).map(([Name, reference]) => ({ Name, ValueFrom: ecsSecretValueFrom(reference) }));
  if (database) {
    const secretArn = b.fromOutput('secrets', SecretsOutputs.DatabaseSecretArn, 'String');
    environment.push(
      { Name: DATABASE_VARIABLES.host, Value: b.fromOutput('database', DatabaseOutputs.DatabaseEndpointAddress, 'String') },
      { Name: DATABASE_VARIABLES.port, Value: b.fromOutput('database', DatabaseOutputs.DatabaseEndpointPort, 'String') },
      { Name: DATABASE_VARIABLES.database, Value: DEFAULT_DATABASE_NAME },
      { Name: DATABASE_VARIABLES.credentialsSecret, Value: secretArn },
    );
    secrets.push(
      { Name: DATABASE_VARIABLES.username, ValueFrom: sub(`\${${SecretsOutputs.DatabaseSecretArn}}:username::`) },
      { Name: DATABASE_VARIABLES.password, ValueFrom: sub(`\${${SecretsOutputs.DatabaseSecretArn}}:password::`) },
    );
  }

  const taskDefinition = b.resource('TaskDefinition', {
    Type: 'AWS::ECS::TaskDefinition',
    Properties: {
      Family: stackName,
      RequiresCompatibilities: ['EC2'],
      NetworkMode: 'awsvpc',
      Cpu: String(service.cpu),
      Memory: String(service.memory),
      ExecutionRoleArn: executionRoleArn,
      ContainerDefinitions: [
        {
          Name: service.name,
          Image: image,
          Essential: true,
          PortMappings: [{ ContainerPort: port, Protocol: 'tcp' }],
          Environment: environment,
          Secrets: secrets,
          LogConfiguration: {
            LogDriver: 'awslogs',
            // No awslogs-create-group: the group is the stack's, so the role needs no logs:CreateLogGroup.
            Options: { 'awslogs-group': logGroup, 'awslogs-region': ref('AWS::Region'), 'awslogs-stream-prefix': service.name },
          },
        },
      ],
      Tags: [nameTag(stackName)],
    },
  });

  const registration: Record<string, CfnValue> = {};
  const dependsOn: string[] = [];
  if (frontend === 'alb') {
    const { healthCheck } = service;
    const targetGroup = b.resource('TargetGroup', {
      Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
      Properties: {
        // awsvpc tasks register by IP address (decision 0019).
        TargetType: 'ip',
        Protocol: 'HTTP',
        Port: port,
        VpcId: b.fromOutput('network', NetworkOutputs.VpcId, 'AWS::EC2::VPC::Id'),
        HealthCheckEnabled: true,
        HealthCheckProtocol: 'HTTP',
        HealthCheckPath: healthCheck.path,
        HealthCheckIntervalSeconds: healthCheck.intervalSeconds,
        HealthCheckTimeoutSeconds: healthCheck.timeoutSeconds,
        HealthyThresholdCount: healthCheck.healthyThreshold,
        UnhealthyThresholdCount: healthCheck.unhealthyThreshold,
        Matcher: { HttpCode: healthCheck.successCodes },
        TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(DEREGISTRATION_DELAY_SECONDS) }],
        Tags: [nameTag(stackName)],
      },
    });
    b.resource('ListenerRule', {
      Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
      Properties: {
        ListenerArn: b.fromOutput('frontend', FrontendOutputs.ListenerArn, 'String'),
        Priority: rulePriority(service),
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [service.route.pathPattern] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: targetGroup }],
      },
    });
    // ECS refuses a target group no load balancer forwards to yet ("The target group with
    // targetGroupArn … does not have an associated load balancer.", InvalidParameterException, as
    // CloudFormation reported it in aws/aws-cdk#1160): the rule comes first.
    dependsOn.push('ListenerRule');
    registration['LoadBalancers'] = [{ ContainerName: service.name, ContainerPort: port, TargetGroupArn: targetGroup }];
    registration['HealthCheckGracePeriodSeconds'] = healthCheck.gracePeriodSeconds;
    b.output(ServiceOutputs.TargetGroupArn, targetGroup, 'Target group of the service\'s tasks');
  } else if (frontend === 'apigateway') {
    // SRV records carry the port the HTTP API's VPC Link integration needs; with awsvpc, ECS must be
    // told which container and port to register (ECS API Reference, ServiceRegistry).
    registration['ServiceRegistries'] = [
      { RegistryArn: b.fromOutput('frontend', FrontendOutputs.CloudMapServiceArn, 'String'), ContainerName: service.name, ContainerPort: port },
    ];
  }

  b.resource('Service', {
    Type: 'AWS::ECS::Service',
    ...(dependsOn.length > 0 ? { DependsOn: dependsOn } : {}),
    Properties: {
      Cluster: clusterName,
      TaskDefinition: taskDefinition,
      DesiredCount: initialTaskCount(service),
      SchedulingStrategy: 'REPLICA',
      CapacityProviderStrategy: [{ CapacityProvider: b.fromOutput('cluster', ClusterOutputs.CapacityProviderName, 'String'), Weight: 1, Base: 0 }],
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: b.fromOutput('network', NetworkOutputs.PrivateSubnetIds, 'List<AWS::EC2::Subnet::Id>'),
          SecurityGroups: [b.fromOutput('security', SecurityOutputs.AppSecurityGroupId, 'AWS::EC2::SecurityGroup::Id')],
          AssignPublicIp: 'DISABLED',
        },
      },
      DeploymentConfiguration: {
        // A deployment whose tasks keep failing is rolled back by ECS to the last one that completed
        // (ECS API Reference, DeploymentCircuitBreaker); Groundwork's watchdog covers what it misses.
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: DEPLOYMENT_MAXIMUM_PERCENT,
      },
      ...registration,
      EnableECSManagedTags: true,
      PropagateTags: 'SERVICE',
      Tags: [nameTag(stackName)],
    },
  });

  if (service.autoscaling !== undefined) {
    const { min, max, cpuTarget } = service.autoscaling;
    // No RoleARN: Application Auto Scaling uses its service-linked role for ECS
    // (AWSServiceRoleForApplicationAutoScaling_ECSService), created on first use.
    const target = b.resource('ScalableTarget', {
      Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
      Properties: {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: sub('service/${ClusterName}/${Service.Name}'),
        MinCapacity: min,
        MaxCapacity: max,
      },
    });
    b.resource('CpuScalingPolicy', {
      Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
      Properties: {
        PolicyName: `${stackName}-cpu`,
        PolicyType: 'TargetTrackingScaling',
        ScalingTargetId: target,
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: cpuTarget,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          ScaleOutCooldown: 60,
          ScaleInCooldown: 120,
        },
      },
    });
  }

  b.output(ServiceOutputs.ServiceArn, ref('Service'), 'ARN of the ECS service');
  b.output(ServiceOutputs.ServiceName, getAtt('Service', 'Name'), 'Name of the ECS service');
  b.output(ServiceOutputs.TaskDefinitionArn, taskDefinition, 'Task definition revision this stack runs');
  b.output(ServiceOutputs.LogGroupName, logGroup, 'Log group of the service\'s containers');
  return { service: service.name, stackName, ...b.buildTemplate() };
}

/** `<arn>` or `<arn>:<json key>` (the request's form) → ECS's ValueFrom (`<arn>:<json key>::` for a key). */
export function ecsSecretValueFrom(reference: string): string {
  const parsed = parseSecretReference(reference);
  if (parsed === undefined) throw new Error(`${reference} is not a secret reference (the request schema refuses it)`);
  return parsed.jsonKey === undefined ? parsed.secretArn : `${parsed.secretArn}:${parsed.jsonKey}::`;
}
