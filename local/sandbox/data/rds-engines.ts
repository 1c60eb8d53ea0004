/**
 * RDS engines beyond PostgreSQL (which has its own data, rds-postgres.ts): the engine names
 * CreateDBInstance takes, the major versions RDS still creates for MySQL and MariaDB, and the master
 * password length each engine allows. Dated data with its sources (local/sandbox/data/README.md,
 * "RDS engines"); the sandbox's AWS::RDS::DBInstance checks read it (value-rds.ts), and so do the tests.
 */
export const RDS_ENGINES_AS_OF = '2026-12-06';

/**
 * CreateDBInstance `Engine`, "Valid Values" (RDS API reference, as in the AWS SDK for Kotlin docs of
 * CreateDbInstanceRequest.engine, read 2026-12-06). RDS takes them in any case ("MySQL" is mysql).
 */
export const RDS_ENGINES: readonly string[] = [
  'aurora-mysql', 'aurora-postgresql', 'custom-oracle-ee', 'custom-oracle-ee-cdb', 'custom-oracle-se2', 'custom-oracle-se2-cdb',
  'custom-sqlserver-ee', 'custom-sqlserver-se', 'custom-sqlserver-web', 'custom-sqlserver-dev', 'db2-ae', 'db2-se', 'mariadb', 'mysql',
  'oracle-ee', 'oracle-ee-cdb', 'oracle-se2', 'oracle-se2-cdb', 'postgres', 'sqlserver-ee', 'sqlserver-se', 'sqlserver-ex', 'sqlserver-web',
];

/**
 * The major versions RDS creates instances of, per engine, where the data knows them. A version of
 * another major is refused ("Cannot find version 5.6.13 for mysql", CloudFormation stack event quoted
 * in the code corpus, 2019; "Cannot find version 5.7.16 for mysql (Service: Rds, …)" as a handler
 * message). Minors within a major are not checked for these engines: the data does not know which
 * minors RDS has retired.
 * - mysql: 5.7 (past standard support, created under paid Extended Support: "You can create new
 *   databases with major engine versions that have reached the RDS end of standard support date",
 *   RDS User Guide, "Overview of Amazon RDS Extended Support"), 8.0 and 8.4 (RDS User Guide, "MySQL on
 *   Amazon RDS versions", read 2026-12-06). 5.5 and 5.6: "no longer supported by Amazon RDS"
 *   (aws/aws-cdk instance-engine.ts, commit 86c215dc, MysqlEngineVersion @deprecated notes).
 * - mariadb: 10.6, 10.11, 11.4, 11.8 (endoflife.date amazon-rds-mariadb, from the RDS MariaDB versions
 *   page, 2026-04-04; 10.6 ends standard support 2026-08-31 and is kept: whether RDS still creates it
 *   is not known here). 10.0–10.5: "no longer supported by Amazon RDS" up to 10.4 (aws-cdk, as above),
 *   10.5 absent from the current page.
 */
export const RDS_CREATABLE_MAJORS: Readonly<Record<string, readonly string[]>> = {
  mysql: ['5.7', '8.0', '8.4'],
  mariadb: ['10.6', '10.11', '11.4', '11.8'],
};

/**
 * MasterUserPassword length per engine: "RDS for Db2 - Must contain from 8 to 255 characters. RDS for
 * MariaDB - Must contain from 8 to 41 characters. RDS for Microsoft SQL Server - Must contain from 8 to
 * 128 characters. RDS for MySQL - Must contain from 8 to 41 characters. RDS for Oracle - Must contain
 * from 8 to 30 characters. RDS for PostgreSQL - Must contain from 8 to 128 characters." (RDS API
 * reference, CreateDBInstance MasterUserPassword, as in the AWS SDK for Kotlin docs, read 2026-12-06).
 * Aurora instances take no password (the cluster has it).
 */
export function masterPasswordLength(engine: string): { min: number; max: number } | undefined {
  if (engine.startsWith('aurora')) return undefined;
  if (engine === 'mysql' || engine === 'mariadb') return { min: 8, max: 41 };
  if (engine === 'postgres' || engine.includes('sqlserver')) return { min: 8, max: 128 };
  if (engine.includes('oracle')) return { min: 8, max: 30 };
  if (engine.startsWith('db2')) return { min: 8, max: 255 };
  return undefined;
}
