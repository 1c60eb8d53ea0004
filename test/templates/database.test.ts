import { buildDatabaseTemplate } from '../../src/templates/database';
import { templateInput } from './fixtures';
import { props, resource } from './template-queries';

describe('database template', () => {
  const input = templateInput({ database: { version: '16.11', instanceClass: 'db.t4g.small', storageGb: 50, multiAz: true, backupRetentionDays: 14 } });

  it('runs encrypted, private PostgreSQL sized as requested, in the isolated subnets behind the database group', () => {
    // Act
    const { template, parameters } = buildDatabaseTemplate(input);
    // Assess
    expect(props(template, 'Database')).toMatchObject({
      Engine: 'postgres',
      EngineVersion: '16.11',
      DBInstanceClass: 'db.t4g.small',
      AllocatedStorage: '50',
      MultiAZ: true,
      BackupRetentionPeriod: 14,
      StorageEncrypted: true,
      PubliclyAccessible: false,
      DeletionProtection: false,
      VPCSecurityGroups: [{ Ref: 'DatabaseSecurityGroupId' }],
      DBSubnetGroupName: { Ref: 'DatabaseSubnetGroup' },
    });
    expect(props(template, 'DatabaseSubnetGroup')['SubnetIds']).toEqual({ Ref: 'IsolatedSubnetIds' });
    expect(parameters['IsolatedSubnetIds']).toEqual({ kind: 'output', component: 'network', output: 'IsolatedSubnetIds' });
  });

  it('reads its credentials from the secret through dynamic references, and writes host and port back to it', () => {
    const { template, parameters } = buildDatabaseTemplate(input);
    expect(props(template, 'Database')['MasterUsername']).toEqual({ 'Fn::Sub': '{{resolve:secretsmanager:${DatabaseSecretArn}:SecretString:username}}' });
    expect(props(template, 'Database')['MasterUserPassword']).toEqual({ 'Fn::Sub': '{{resolve:secretsmanager:${DatabaseSecretArn}:SecretString:password}}' });
    expect(props(template, 'DatabaseSecretAttachment')).toEqual({ SecretId: { Ref: 'DatabaseSecretArn' }, TargetId: { Ref: 'Database' }, TargetType: 'AWS::RDS::DBInstance' });
    expect(parameters['DatabaseSecretArn']).toEqual({ kind: 'output', component: 'secrets', output: 'DatabaseSecretArn' });
  });

  it('leaves nothing behind on deletion or replacement: no snapshot, no retained instance', () => {
    const { template } = buildDatabaseTemplate(input);
    expect(resource(template, 'Database')).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(props(template, 'Database')['DeleteAutomatedBackups']).toBe(true);
  });

  it('outputs the endpoint address and port', () => {
    const { template } = buildDatabaseTemplate(input);
    expect(template.Outputs?.['DatabaseEndpointAddress']?.Value).toEqual({ 'Fn::GetAtt': ['Database', 'Endpoint.Address'] });
    expect(template.Outputs?.['DatabaseEndpointPort']?.Value).toEqual({ 'Fn::GetAtt': ['Database', 'Endpoint.Port'] });
  });
});
