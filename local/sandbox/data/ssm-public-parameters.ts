import { createHash } from 'node:crypto';

/**
 * The public Systems Manager parameters the sandbox's Parameter Store holds (AWS's, under
 * `/aws/service/`), each the id of an AMI Amazon owns. Dated data with its sources in
 * data/README.md ("Public SSM parameters"): the names are AWS's; the values are not (no AWS API was
 * read): each is a stable made-up AMI id per region and name, which is then an image that exists in
 * that region of every sandbox account, owned by Amazon. Any other name does not exist in the
 * sandbox, as a name AWS does not publish does not exist in AWS.
 */
export const SSM_PUBLIC_PARAMETERS_AS_OF = '2026-12-06';

export const PUBLIC_IMAGE_PARAMETERS: readonly string[] = [
  // Amazon Linux (EC2 User Guide, "Query for the latest Amazon Linux AMI IDs using Systems Manager
  // Parameter Store"; the AWS CDK's AmazonLinux2023ImageSsmParameter / AmazonLinux2ImageSsmParameter).
  '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
  '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64',
  '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64',
  '/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2',
  '/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-arm64-gp2',
  '/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2',
  // ECS-optimized AMIs (ECS Developer Guide, "Retrieving Amazon ECS-optimized Linux AMI metadata").
  '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
  '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
  '/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id',
  '/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id',
];

/** The value of a public parameter in that region, or undefined when the sandbox has no such parameter. */
export function publicParameterValue(region: string, name: string): string | undefined {
  if (!PUBLIC_IMAGE_PARAMETERS.includes(name)) return undefined;
  // An AMI id is `ami-` and 17 hexadecimal digits.
  return `ami-0${createHash('sha256').update(`${region}:${name}`).digest('hex').slice(0, 16)}`;
}

/** The AMIs of a region the public parameters name (Amazon's images, there in every account). */
export function publicImageIds(region: string): Set<string> {
  return new Set(PUBLIC_IMAGE_PARAMETERS.map((name) => publicParameterValue(region, name) ?? ''));
}
