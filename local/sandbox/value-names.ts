/**
 * Names the services refuse, in their words: S3 bucket names, SQS queue names, IAM names, load
 * balancer and target group names, DB instance identifiers. Only names the template gives: a name
 * CloudFormation generates is valid by construction. Each check answers the service's message, or
 * undefined; value-checks.ts says how CloudFormation reports it.
 */

export interface NameRefusal {
  message: string;
  /** The service that refused, as the handler message names it; undefined for CloudFormation's own check. */
  service?: string;
}

/**
 * S3's bucket naming rules ("General purpose bucket naming rules", Amazon S3 User Guide, read
 * 2026-12-06): 3–63 characters of lowercase letters, numbers, periods and hyphens, beginning and ending
 * with a letter or number, no two adjacent periods, not an IP address, none of the reserved prefixes
 * and suffixes. An uppercase letter is refused by CloudFormation's S3 handler itself, "Bucket name
 * should not contain uppercase characters" (Hubs-Foundation/hubs-cloud#13, linuxacademy/content-aws-csa2019#2);
 * the other rules by S3, InvalidBucketName "The specified bucket is not valid." (chenr2/AWS-SAM-Tutorial#2,
 * poanetwork/blockscout-terraform#4). Whether the handler checks the other rules first with words of
 * its own is not known; the S3 wording is used.
 */
export function bucketNameRefusal(name: string): NameRefusal | undefined {
  if (/[A-Z]/.test(name)) return { message: 'Bucket name should not contain uppercase characters' };
  const valid =
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d{1,3}(\.\d{1,3}){3}$/.test(name) &&
    !['xn--', 'sthree-', 'amzn-s3-demo-'].some((prefix) => name.startsWith(prefix)) &&
    !['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].some((suffix) => name.endsWith(suffix));
  return valid ? undefined : { message: 'The specified bucket is not valid.', service: 'S3' };
}

/**
 * SQS CreateQueue (Amazon SQS API reference, QueueName: up to 80 characters, alphanumeric, hyphens and
 * underscores; a FIFO queue's name must end with the .fifo suffix). Its words: for a FIFO queue "The
 * name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with
 * .fifo suffix and be 1 to 80 in length." (mapbox/cloudfriend#94, pulumi/pulumi-aws-native#794 with
 * "(Service: Sqs, Status Code: 400, …)"); for a standard queue "Can only include alphanumeric
 * characters, hyphens, or underscores. 1 to 80 in length" (boto/botocore#3058, a standard queue named
 * messages.fifo).
 */
export function queueNameRefusal(name: string, fifo: boolean): NameRefusal | undefined {
  if (fifo) {
    const valid = name.length <= 80 && /^[A-Za-z0-9_-]+\.fifo$/.test(name);
    return valid
      ? undefined
      : { message: 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.', service: 'Sqs' };
  }
  return /^[A-Za-z0-9_-]{1,80}$/.test(name) ? undefined : { message: 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length', service: 'Sqs' };
}

/**
 * IAM names (IAM API reference: CreateRole RoleName and CreateUser UserName up to 64 characters,
 * CreatePolicy/PutRolePolicy PolicyName, CreateGroup GroupName and CreateInstanceProfile
 * InstanceProfileName up to 128, all of pattern [\w+=,.@-]+). IAM's words: "1 validation error
 * detected: Value '…' at 'roleName' failed to satisfy constraint: Member must have length less than or
 * equal to 64" (legion-platform/legion#530, NixOS/nixops#328, aws/copilot-cli#2118 as a stack event).
 * The pattern refusal is the same sentence with "Member must satisfy regular expression pattern:
 * [\w+=,.@-]+" (the API's constraint in the same form; not seen quoted for IAM).
 */
export const IAM_NAME_LIMITS: Readonly<Record<string, { parameter: string; max: number }>> = {
  RoleName: { parameter: 'roleName', max: 64 },
  UserName: { parameter: 'userName', max: 64 },
  GroupName: { parameter: 'groupName', max: 128 },
  InstanceProfileName: { parameter: 'instanceProfileName', max: 128 },
  ManagedPolicyName: { parameter: 'policyName', max: 128 },
  PolicyName: { parameter: 'policyName', max: 128 },
};

export function iamNameRefusal(property: string, name: string): NameRefusal | undefined {
  const limit = IAM_NAME_LIMITS[property];
  if (limit === undefined) return undefined;
  const start = `1 validation error detected: Value '${name}' at '${limit.parameter}' failed to satisfy constraint:`;
  if (name.length > limit.max) return { message: `${start} Member must have length less than or equal to ${limit.max}`, service: 'iam' };
  if (!/^[\w+=,.@-]+$/.test(name)) return { message: `${start} Member must satisfy regular expression pattern: [\\w+=,.@-]+`, service: 'iam' };
  return undefined;
}

/**
 * Elastic Load Balancing names: at most 32 characters of letters, digits and hyphens, not beginning or
 * ending with a hyphen (ELBv2 API reference, CreateLoadBalancer and CreateTargetGroup Name). Its words:
 * "Target group name '…' cannot be longer than '32' characters" (a 33-character name, quoted in the
 * code corpus and in getmoto/moto's tests) and "The load balancer name '…' cannot be longer than '32'
 * characters" (a deployment guide quoting its stack's failure). The character rules are not checked:
 * their wording was not found.
 */
export function loadBalancingNameRefusal(kind: 'load balancer' | 'target group', name: string): NameRefusal | undefined {
  if (name.length <= 32) return undefined;
  const message = kind === 'target group' ? `Target group name '${name}' cannot be longer than '32' characters` : `The load balancer name '${name}' cannot be longer than '32' characters`;
  return { message, service: 'elasticloadbalancing' };
}

/**
 * RDS DBInstanceIdentifier: 1–63 letters, digits or hyphens, beginning with a letter, not ending with
 * a hyphen nor holding two consecutive ones (CreateDBInstance). RDS's words, InvalidParameterValue:
 * "The parameter DBInstanceIdentifier is not a valid identifier. Identifiers must begin with a letter;
 * must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two
 * consecutive hyphens." (getmoto/moto's RDS tests, checked against AWS). A name over 63 characters is
 * given the same words: RDS's own for that case was not found.
 */
export function dbInstanceIdentifierRefusal(identifier: string): NameRefusal | undefined {
  const valid = /^[A-Za-z][A-Za-z0-9-]{0,62}$/.test(identifier) && !identifier.endsWith('-') && !identifier.includes('--');
  return valid
    ? undefined
    : {
        message:
          'The parameter DBInstanceIdentifier is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.',
        service: 'rds',
      };
}
