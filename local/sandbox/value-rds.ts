import { EC2_INSTANCE_TYPES } from './data/ec2-instance-types';
import { masterPasswordLength, RDS_CREATABLE_MAJORS, RDS_ENGINES } from './data/rds-engines';
import { dbInstanceIdentifierRefusal } from './value-names';

/**
 * What RDS answers CreateDBInstance for values it refuses whatever the region offers (undefined when
 * none): the identifier, the engine, the instance class, the engine version where the data knows the
 * engine's majors (mysql, mariadb; PostgreSQL's minors are region-checks.ts's), the master password.
 * RDS's words, InvalidParameterValue unless said:
 * - "Invalid DB engine: garbage" — "Invalid DB engine" is what RDS answers (localstack's RDS test
 *   marked as validated against AWS matches that much); what follows it is not known and the sandbox
 *   names the engine;
 * - "Invalid DB Instance class: db.r4.large" (ryanmurakami/trash-panda-buffet#5, a CloudFormation
 *   event, "Error Code: InvalidParameterValue");
 * - "Cannot find version 5.6.13 for mysql" (InvalidParameterCombination, a CloudFormation event quoted
 *   in the code corpus);
 * - "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters."
 *   (hashicorp/terraform-provider-aws acceptance test), "… because it is longer than 41 characters."
 *   (a terraform comment quoting RDS), "The parameter MasterUserPassword is not a valid password. Only
 *   printable ASCII characters besides '/', '@', '"', ' ' may be used." (quoted from RDS in many
 *   repositories, e.g. "[2020/04/04] Error creating DB Instance: InvalidParameterValue: …").
 */
export function rdsInstanceRefusal(properties: Record<string, unknown>): string | undefined {
  const identifier = text(properties['DBInstanceIdentifier']);
  const identifierRefused = identifier === undefined ? undefined : dbInstanceIdentifierRefusal(identifier);
  if (identifierRefused !== undefined) return identifierRefused.message;
  const given = text(properties['Engine']);
  // A read replica or a restore takes its engine from its source; the data says nothing of those.
  if (given === undefined) return undefined;
  const engine = given.toLowerCase();
  if (!RDS_ENGINES.includes(engine)) return `Invalid DB engine: ${given}`;
  const instanceClass = text(properties['DBInstanceClass']);
  if (instanceClass !== undefined && !isDbInstanceClass(instanceClass)) return `Invalid DB Instance class: ${instanceClass}`;
  const version = text(properties['EngineVersion']);
  const majors = RDS_CREATABLE_MAJORS[engine];
  if (version !== undefined && majors !== undefined && !majors.includes(majorOf(version))) return `Cannot find version ${version} for ${engine}`;
  return passwordRefusal(engine, properties);
}

/**
 * An RDS instance class is `db.` and an EC2 instance type (db.t4g.micro runs on t4g.micro), with the
 * RDS for Oracle memory-optimized suffixes (`db.r5.2xlarge.tpc2.mem4x`), or Aurora's db.serverless.
 * INFERRED from the RDS User Guide's class tables ("DB instance classes": every class is named after
 * the EC2 instance type it runs on); no list of RDS classes was found to read.
 */
function isDbInstanceClass(instanceClass: string): boolean {
  if (instanceClass === 'db.serverless') return true;
  const match = /^db\.([a-z0-9-]+\.[a-z0-9-]+)(\.tpc\d+\.mem\d+x)?$/.exec(instanceClass);
  return match?.[1] !== undefined && EC2_INSTANCE_TYPES.has(match[1]);
}

function passwordRefusal(engine: string, properties: Record<string, unknown>): string | undefined {
  const password = text(properties['MasterUserPassword']);
  const length = masterPasswordLength(engine);
  // A dynamic reference is resolved by CloudFormation from a secret the sandbox does not read.
  if (password === undefined || length === undefined || password.includes('{{resolve:')) return undefined;
  if (password.length < length.min) return `The parameter MasterUserPassword is not a valid password because it is shorter than ${length.min} characters.`;
  if (password.length > length.max) return `The parameter MasterUserPassword is not a valid password because it is longer than ${length.max} characters.`;
  if (!/^[\x21-\x7e]+$/.test(password) || /[/@"]/.test(password)) {
    return `The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '"', ' ' may be used.`;
  }
  return undefined;
}

/** "8.0.35" → "8.0", "10.11.6" → "10.11", "8.0" → "8.0". */
function majorOf(version: string): string {
  return /^\d+\.\d+(\.\d+)?$/.test(version) ? version.split('.').slice(0, 2).join('.') : version;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
