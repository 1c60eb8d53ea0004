import { handlerReturnedMessage } from '../iam/access-denied';
import type { AccountRegistry } from './account-registry';
import { invalidSubnetZone, refusedPostgresInstance, unsupportedInstanceType } from './region-offerings';
import type { StackRecord } from './sandbox-state';

/**
 * What a resource's service refuses because of what the region offers (data/), as CloudFormation
 * reports it, or undefined: a subnet in an AZ the region lacks; an instance, or an auto-scaling
 * group's launch, of an instance type its AZ does not offer; a PostgreSQL DB instance of a version
 * RDS no longer creates, or on a class that cannot run it. Values the services refuse whatever the
 * region offers (an instance type that does not exist, an RDS class…) are value-checks.ts's, asked first.
 *
 * A launch template alone is not checked: EC2 accepts any instance type in it and refuses at launch,
 * which is the group's (or instance's) failure. A group fails when any of its AZs does not offer the
 * type: it launches across its AZs, and the launch in that AZ fails ("Scaling activity … Failed: Your
 * requested instance type (t3.small) is not supported in your requested Availability Zone
 * (us-east-1e) … Launching EC2 instance failed.", hashicorp/terraform-provider-aws#26377). A mixed
 * instances policy's overrides are not checked.
 */
export function regionRefusal(stack: StackRecord, type: string, properties: Record<string, unknown>, accounts: AccountRegistry, uuid: (purpose: string) => string): string | undefined {
  const { region } = stack;
  const failed = (message: string, service: string) =>
    handlerReturnedMessage(message, service, { status: 400, requestId: uuid('request'), requestToken: uuid('request-token'), handlerErrorCode: 'InvalidRequest' });
  const subnetZone = (subnetId: unknown): string | undefined =>
    typeof subnetId === 'string' ? text(accounts.liveResourceOfType(stack.account, region, 'AWS::EC2::Subnet', subnetId)?.properties?.['AvailabilityZone']) : undefined;

  switch (type) {
    case 'AWS::EC2::Subnet': {
      const zone = text(properties['AvailabilityZone']);
      const refused = zone === undefined ? undefined : invalidSubnetZone(region, zone);
      return refused === undefined ? undefined : failed(refused, 'ec2');
    }
    case 'AWS::EC2::Instance': {
      const instanceType = text(properties['InstanceType']);
      const interfaces = Array.isArray(properties['NetworkInterfaces']) ? (properties['NetworkInterfaces'] as Array<Record<string, unknown> | null>) : [];
      const zone = text(properties['AvailabilityZone']) ?? subnetZone(properties['SubnetId']) ?? subnetZone(interfaces[0]?.['SubnetId']);
      const refused = instanceType === undefined || zone === undefined ? undefined : unsupportedInstanceType(region, instanceType, zone);
      return refused === undefined ? undefined : failed(refused, 'ec2');
    }
    case 'AWS::AutoScaling::AutoScalingGroup': {
      const instanceType = launchedType(stack, properties, accounts);
      const subnets = list(properties['VPCZoneIdentifier']);
      const zones = subnets.length > 0 ? subnets.map(subnetZone) : list(properties['AvailabilityZones']);
      for (const zone of zones) {
        const refused = instanceType === undefined || zone === undefined ? undefined : unsupportedInstanceType(region, instanceType, zone);
        if (refused !== undefined) return `${refused} Launching EC2 instance failed.`;
      }
      return undefined;
    }
    case 'AWS::RDS::DBInstance': {
      if (text(properties['Engine'])?.toLowerCase() !== 'postgres') return undefined;
      const refused = refusedPostgresInstance(region, text(properties['EngineVersion']), text(properties['DBInstanceClass']));
      return refused === undefined ? undefined : failed(refused, 'rds');
    }
    default:
      return undefined;
  }
}

/** The instance type a group launches: its launch template's (by id or name) or launch configuration's. */
export function launchedType(stack: StackRecord, properties: Record<string, unknown>, accounts: AccountRegistry): string | undefined {
  const template = properties['LaunchTemplate'] as { LaunchTemplateId?: unknown; LaunchTemplateName?: unknown } | undefined;
  const id = text(template?.LaunchTemplateId);
  if (id !== undefined) {
    const data = accounts.liveResourceOfType(stack.account, stack.region, 'AWS::EC2::LaunchTemplate', id)?.properties?.['LaunchTemplateData'] as Record<string, unknown> | undefined;
    return text(data?.['InstanceType']);
  }
  const name = text(template?.LaunchTemplateName);
  if (name !== undefined) return undefined; // by name: not looked up (the builders use ids)
  const configuration = text(properties['LaunchConfigurationName']);
  return configuration === undefined ? undefined : text(accounts.liveResourceOfType(stack.account, stack.region, 'AWS::AutoScaling::LaunchConfiguration', configuration)?.properties?.['InstanceType']);
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' && value !== '' ? value.split(',') : []);
