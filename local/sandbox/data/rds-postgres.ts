/**
 * RDS for PostgreSQL in the sandbox regions: the engine versions a new DB instance can be created
 * with, and the DB instance classes that run them, as DescribeDBEngineVersions and
 * DescribeOrderableDBInstanceOptions answer them. Dated data with its sources
 * (local/sandbox/data/README.md); the sandbox's RDS API and its AWS::RDS::DBInstance check read it,
 * and so do the tests.
 */
export const RDS_POSTGRES_AS_OF = '2026-12-06';

/**
 * Released minors (aws/aws-cdk packages/aws-cdk-lib/aws-rds/lib/instance-engine.ts, commit 86c215dc:
 * PostgresEngineVersion up to 14.22, 15.17, 16.13, 17.9, 18.3) newer than the last minors RDS stopped
 * creating: "Starting May 1, 2026, you will not be able to create new database instances on Amazon RDS
 * for PostgreSQL minor versions 14.14, 14.15, 14.16, 14.17, 15.9, 15.10, 15.11, 15.12, 16.5, 16.6,
 * 16.7, 16.8, 17.1, 17.2, 17.3, 17.4" (AWS Health notice, quoted in github.com/saayam-for-all/database
 * wiki "AWS-RDS-instances ‐ Health-Checks", 2026-05-30, and lucaberton.com/blog/aws-rds-postgresql-minor-version-deprecation-may-2026).
 * No notice was found retiring any of these; a later one would move the oldest out. PostgreSQL 13 is
 * past RDS standard support (created only under paid Extended Support) and is left out.
 */
export const CREATABLE_POSTGRES_VERSIONS: readonly string[] = [
  ...minors(14, 18, 22),
  ...minors(15, 13, 17),
  ...minors(16, 9, 13),
  ...minors(17, 5, 9),
  ...minors(18, 1, 3),
];

/**
 * Minors RDS no longer creates, each with the evidence, for the tests and the README. Any version
 * not in CREATABLE_POSTGRES_VERSIONS is refused alike; these are the ones known by name.
 */
export const RETIRED_POSTGRES_VERSIONS: Readonly<Record<string, string>> = {
  '16.4':
    'anomalyco/sst#6195 (2025-10-27): "api error InvalidParameterCombination: Cannot find version 16.4 for postgres" from CreateDBInstance; older than every minor of the May 2026 notice',
  '16.2': 'RhinoSecurityLabs/cloudgoat#325 (2025-03-18): "InvalidParameterCombination: Cannot find version 16.2 for postgres"',
  '16.8': 'AWS Health notice: not creatable from May 1, 2026',
  '17.4': 'AWS Health notice: not creatable from May 1, 2026',
  '14.8': 'TIBCOSoftware/tp-helm-charts#51 (2024-05-29): "Cannot find version 14.8 for postgres"',
};

/**
 * DB instance classes for PostgreSQL: the classes Groundwork's price table prices for RDS for
 * PostgreSQL (src/cost/price-table.ts, checked 2026-11-22), taken to run every creatable version
 * above — INFERRED: the RDS "Supported DB engines for DB instance classes" table was not found in
 * the searchable copies for these rows. db.t2 classes, which RDS no longer offers for current
 * PostgreSQL versions (dybooksIT/k8s-aws-book#9, 2024: "RDS does not support creating a DB instance
 * with the following combination: DBInstanceClass=db.t2.micro, Engine=postgres, EngineVersion=11.22"),
 * are not offered.
 */
export const POSTGRES_INSTANCE_CLASSES: readonly string[] = ['db.t4g.micro', 'db.t4g.small', 'db.t4g.medium', 'db.t3.micro', 'db.t3.small', 'db.t3.medium', 'db.m7g.large'];

/** The regions the data speaks for: the same versions and classes in each (no source was found for a difference between them). */
export const RDS_REGIONS: readonly string[] = ['us-east-1', 'us-east-2', 'us-west-1', 'eu-west-1'];

function minors(major: number, from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, index) => `${major}.${from + index}`);
}

export const majorOf = (version: string): string => version.split('.')[0] ?? version;

/** Whether a new postgres DB instance can be created with this EngineVersion: a creatable minor, or a major with one. */
export function creatablePostgresVersion(region: string, version: string): boolean {
  if (!RDS_REGIONS.includes(region)) return false;
  return version.includes('.') ? CREATABLE_POSTGRES_VERSIONS.includes(version) : CREATABLE_POSTGRES_VERSIONS.some((minor) => majorOf(minor) === version);
}

/** Whether the class runs that (creatable) version in the region. */
export function orderablePostgresClass(region: string, instanceClass: string): boolean {
  return RDS_REGIONS.includes(region) && POSTGRES_INSTANCE_CLASSES.includes(instanceClass);
}
