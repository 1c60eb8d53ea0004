import { DescribeStackEventsCommand, ValidateTemplateCommand } from '@aws-sdk/client-cloudformation';
import { DEFAULT_SPEED } from '../../../local/sandbox/sandbox-clock';
import { criticalPathSeconds } from '../../../src/cfn/resource-graph';
import { resourceSeconds, RESOURCE_TIMING } from '../../../src/cfn/resource-timing';
import { COMPONENT_DEPENDENCIES, type ComponentName } from '../../../src/model/components';
import { buildStackTemplates } from '../../../src/templates/build-stack-templates';
import { OPERATORS_CIDR, templateInput } from '../../templates/fixtures';
import { deployComponents } from './deploy-components';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf } from './stack-waits';

/**
 * Realistic time: each resource takes its typical duration from the dated table, scaled by the
 * sandbox's speed, so the whole default Groundwork stack (all nine components, every real
 * template) comes up in seconds at the default speed, and no faster than its critical path.
 */

const ACCOUNT = '888888888888';

let edge: SandboxEdge;

beforeAll(async () => {
  edge = await startSandboxEdge({ speed: DEFAULT_SPEED });
  // The resource specification loads on first use (about a second): not part of what is timed.
  await edge.cloudFormation(ACCOUNT).send(new ValidateTemplateCommand({ TemplateBody: JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }) }));
});

afterAll(async () => {
  await edge.close();
});

describe('realistic time in the sandbox', () => {
  it('takes the typical durations of the dated table', () => {
    expect(resourceSeconds('AWS::RDS::DBInstance', 'create')).toBeGreaterThanOrEqual(400);
    expect(resourceSeconds('AWS::RDS::DBInstance', 'create')).toBeLessThanOrEqual(600);
    expect(resourceSeconds('AWS::RDS::DBInstance', 'create', { MultiAZ: true })).toBeGreaterThan(resourceSeconds('AWS::RDS::DBInstance', 'create'));
    expect(resourceSeconds('AWS::EC2::NatGateway', 'create')).toBe(100);
    expect(resourceSeconds('AWS::ElasticLoadBalancingV2::LoadBalancer', 'create')).toBe(180);
    expect(resourceSeconds('AWS::EC2::VPC', 'create')).toBe(5);
    expect(resourceSeconds('AWS::EC2::VPCEndpoint', 'create', { VpcEndpointType: 'Interface' })).toBeGreaterThan(resourceSeconds('AWS::EC2::VPCEndpoint', 'create'));
    expect(resourceSeconds('AWS::Made::Up', 'create')).toBe(10);
    expect(Object.values(RESOURCE_TIMING).every((timing) => timing.create > 0 && timing.delete > 0)).toBe(true);
    expect(edge.sandbox.timing).toMatchObject({ asOf: expect.stringMatching(/^20\d\d/), speed: DEFAULT_SPEED });
    expect(edge.sandbox.timing.milliseconds('AWS::RDS::DBInstance', 'create')).toBe(Math.round(resourceSeconds('AWS::RDS::DBInstance', 'create') * 1000 * DEFAULT_SPEED));
  });

  it('brings the whole default Groundwork stack up in seconds at the default speed, no faster than its critical path', async () => {
    // Prepare
    const components = buildStackTemplates(templateInput({ network: { endpoints: true }, bastion: { enabled: true, allowedCidr: OPERATORS_CIDR } }));
    const cfn = edge.cloudFormation(ACCOUNT);
    const finish = new Map<ComponentName, number>();
    for (const component of components) {
      const after = Math.max(0, ...COMPONENT_DEPENDENCIES[component.component].map((dependency) => finish.get(dependency) ?? 0));
      finish.set(component.component, after + criticalPathSeconds(component.template, 'create'));
    }
    const lowerBoundMs = Math.max(...finish.values()) * 1000 * DEFAULT_SPEED;

    // Act
    const started = Date.now();
    const stacks = await deployComponents(cfn, ACCOUNT, components);
    const elapsed = Date.now() - started;
    const database = stacks.get('database');
    const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: database?.StackId }));

    // Assess
    expect(components).toHaveLength(9);
    expect(components.map((component) => [component.stackName, stacks.get(component.component)?.StackStatus])).toEqual(
      components.map((component) => [component.stackName, 'CREATE_COMPLETE']),
    );
    // Seconds, not minutes: the critical path is ~5 s at the default speed; the rest is polling and timer lag.
    // The wall clock is what this proves (the sandbox's timers really run at DEFAULT_SPEED), so no
    // injected clock can stand in for it: timers never fire early, hence the tight lower bound, and
    // the upper bound is wide because a loaded machine fires them late.
    expect(elapsed).toBeGreaterThanOrEqual(lowerBoundMs * 0.95);
    expect(elapsed).toBeLessThan(lowerBoundMs + 20_000); // unscaled it would be minutes
    // The database instance alone takes its table time, scaled.
    const instance = (StackEvents ?? []).filter((event) => event.ResourceType === 'AWS::RDS::DBInstance');
    const began = instance.find((event) => event.ResourceStatus === 'CREATE_IN_PROGRESS')?.Timestamp?.getTime() ?? 0;
    const ended = instance.find((event) => event.ResourceStatus === 'CREATE_COMPLETE')?.Timestamp?.getTime() ?? 0;
    expect(ended - began).toBeGreaterThanOrEqual(resourceSeconds('AWS::RDS::DBInstance', 'create') * 1000 * DEFAULT_SPEED - 5);
    expect(outputsOf(database)).toEqual({
      DatabaseEndpointAddress: expect.stringMatching(/^[a-z0-9-]+\.[a-z0-9]{12}\.us-east-1\.rds\.amazonaws\.com$/),
      DatabaseEndpointPort: '5432',
      DatabaseInstanceArn: expect.stringMatching(new RegExp(`^arn:aws:rds:us-east-1:${ACCOUNT}:db:[a-z0-9-]+$`)),
    });
  });
});
