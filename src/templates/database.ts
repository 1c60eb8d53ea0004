import type { ComponentTemplate, StackTemplateInput } from './component-template';
import { getAtt, sub } from './intrinsics';
import { NetworkOutputs } from './network';
import { SecretsOutputs } from './secrets';
import { POSTGRES_PORT, SecurityOutputs } from './security';
import { nameTag } from './tags';
import { TemplateBuilder } from './template-builder';

/**
 * The database component: RDS PostgreSQL in the isolated subnets (no route off the VPC), encrypted,
 * never public, reachable only through the database security group. The master credentials come from
 * the secrets component's secret through dynamic references, resolved by CloudFormation in the
 * customer's account; a SecretTargetAttachment then writes host, port and engine into the secret so
 * that applications need nothing else.
 */
export const DatabaseOutputs = {
  DatabaseEndpointAddress: 'DatabaseEndpointAddress',
  DatabaseEndpointPort: 'DatabaseEndpointPort',
  DatabaseInstanceArn: 'DatabaseInstanceArn',
} as const;

export function buildDatabaseTemplate(input: StackTemplateInput): ComponentTemplate {
  const database = input.request.database;
  if (database === null) throw new Error('a request without a database deploys no database component');
  const b = new TemplateBuilder('database', input, `PostgreSQL ${database.version}`);
  const subnetIds = b.fromOutput('network', NetworkOutputs.IsolatedSubnetIds, 'List<AWS::EC2::Subnet::Id>');
  const securityGroupId = b.fromOutput('security', SecurityOutputs.DatabaseSecurityGroupId, 'AWS::EC2::SecurityGroup::Id');
  const secretArn = b.fromOutput('secrets', SecretsOutputs.DatabaseSecretArn, 'String');
  const fromSecret = (key: 'username' | 'password') => sub(`{{resolve:secretsmanager:\${${SecretsOutputs.DatabaseSecretArn}}:SecretString:${key}}}`);

  const subnetGroup = b.resource('DatabaseSubnetGroup', {
    Type: 'AWS::RDS::DBSubnetGroup',
    Properties: {
      DBSubnetGroupDescription: `Isolated subnets of ${b.stackName}`,
      SubnetIds: subnetIds,
      Tags: [nameTag(b.stackName)],
    },
  });
  const instance = b.resource('Database', {
    Type: 'AWS::RDS::DBInstance',
    // A failed or deleted stack must leave nothing behind: no final snapshot, no retained instance.
    // (Customers who want to keep data take their own snapshot first; backups run daily meanwhile.)
    DeletionPolicy: 'Delete',
    UpdateReplacePolicy: 'Delete',
    Properties: {
      Engine: 'postgres',
      EngineVersion: database.version,
      DBInstanceClass: database.instanceClass,
      AllocatedStorage: String(database.storageGb),
      StorageType: 'gp3',
      StorageEncrypted: true,
      MultiAZ: database.multiAz,
      BackupRetentionPeriod: database.backupRetentionDays,
      DeleteAutomatedBackups: true,
      CopyTagsToSnapshot: true,
      AutoMinorVersionUpgrade: true,
      PubliclyAccessible: false,
      DeletionProtection: false,
      Port: String(POSTGRES_PORT),
      DBSubnetGroupName: subnetGroup,
      VPCSecurityGroups: [securityGroupId],
      MasterUsername: fromSecret('username'),
      MasterUserPassword: fromSecret('password'),
      Tags: [nameTag(b.stackName)],
    },
  });
  b.resource('DatabaseSecretAttachment', {
    Type: 'AWS::SecretsManager::SecretTargetAttachment',
    Properties: { SecretId: secretArn, TargetId: instance, TargetType: 'AWS::RDS::DBInstance' },
  });

  b.output(DatabaseOutputs.DatabaseEndpointAddress, getAtt('Database', 'Endpoint.Address'), 'Host name of the database');
  b.output(DatabaseOutputs.DatabaseEndpointPort, getAtt('Database', 'Endpoint.Port'), 'Port of the database');
  b.output(DatabaseOutputs.DatabaseInstanceArn, getAtt('Database', 'DBInstanceArn'), 'ARN of the database instance');
  return b.build();
}
