/**
 * Machine images, as public SSM parameters that CloudFormation resolves at deploy time (parameter
 * type AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>): always the current patched image of the
 * region, never an AMI id that goes stale or differs between regions.
 */
export const SSM_AMI_PARAMETER_TYPE = 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>';

/** Amazon Linux 2023 for Graviton (arm64): the NAT instance and the bastion, both t4g.nano. */
export const AL2023_ARM64_AMI_PATH = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64';

const ECS_AL2023_X86_64_AMI_PATH = '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id';
const ECS_AL2023_ARM64_AMI_PATH = '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id';

/**
 * Whether an instance type runs on Graviton (arm64): `a1`, or a family whose generation number is
 * followed by `g` (t4g, m7g, c7gn, r8g, x2gd, im4gn …). GPU families such as g5 or g4dn are x86_64.
 */
export function isGravitonInstanceType(instanceType: string): boolean {
  const family = instanceType.split('.')[0] ?? '';
  return family === 'a1' || /^[a-z]+\d+g/.test(family);
}

/** The ECS-optimized Amazon Linux 2023 image for the cluster's instance type. */
export function ecsAmiParameterPath(instanceType: string): string {
  return isGravitonInstanceType(instanceType) ? ECS_AL2023_ARM64_AMI_PATH : ECS_AL2023_X86_64_AMI_PATH;
}
