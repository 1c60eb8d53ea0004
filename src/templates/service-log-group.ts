import type { TemplateBuilder } from './template-builder';

/**
 * A log group an AWS service writes to by a name the stack gives it (API Gateway access logs) or
 * would otherwise create by itself, by a name it derives (ECS Container Insights, RDS log exports,
 * VPC flow logs…). A group the service creates is no part of
 * any stack, so it outlives the stack's deletion and keeps costing storage. Declared here under
 * exactly the service's name, the group belongs to the stack and goes with it.
 *
 * The resource that makes the service write must `DependsOn` the returned logical id: CloudFormation
 * then creates the group first (the service finds it and does not create its own), and on deletion
 * removes the writer first, so the service cannot re-create the group after CloudFormation deleted it.
 */
export interface ServiceLogGroupOptions {
  logicalId: string;
  /** The exact name the service writes to. */
  name: string;
  retentionInDays: number;
}

export function addServiceLogGroup(builder: TemplateBuilder, { logicalId, name, retentionInDays }: ServiceLogGroupOptions): string {
  builder.resource(logicalId, {
    Type: 'AWS::Logs::LogGroup',
    DeletionPolicy: 'Delete',
    UpdateReplacePolicy: 'Delete',
    Properties: { LogGroupName: name, RetentionInDays: retentionInDays },
  });
  return logicalId;
}
