/**
 * What one container instance of a stack's cluster can hold, for the instance types Groundwork
 * prices (src/cost/price-table.ts): vCPUs, installed memory and the most network interfaces it takes.
 * Dated data, as of INSTANCE_CAPACITY_AS_OF:
 * - vCPUs and memory: Amazon EC2 Instance Types, "General purpose" and "Compute optimized"
 *   specifications (https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html,
 *   https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html);
 * - network interfaces: EC2 User Guide, "Maximum IP addresses per network interface"
 *   (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AvailableIpPerENI.html). Read from stored
 *   copies, not a live fetch; t3 and t4g agree with the EKS max-pods list (ENIs × (IPv4 per ENI − 1) + 2:
 *   t4g.small 11, t4g.large 35, t4g.xlarge 58) found in a stored copy of awslabs/amazon-eks-ami's eni-max-pods.txt.
 * A type outside this table is unknown: nothing is assumed about it.
 */
export const INSTANCE_CAPACITY_AS_OF = '2026-12-06';

export interface InstanceCapacity {
  vcpus: number;
  memoryMib: number;
  maxNetworkInterfaces: number;
}

const c = (vcpus: number, memoryGib: number, maxNetworkInterfaces: number): InstanceCapacity => ({ vcpus, memoryMib: memoryGib * 1024, maxNetworkInterfaces });

const CAPACITY: Readonly<Record<string, InstanceCapacity>> = {
  't4g.nano': c(2, 0.5, 2),
  't4g.micro': c(2, 1, 2),
  't4g.small': c(2, 2, 3),
  't4g.medium': c(2, 4, 3),
  't4g.large': c(2, 8, 3),
  't4g.xlarge': c(4, 16, 4),
  't3.micro': c(2, 1, 2),
  't3.small': c(2, 2, 3),
  't3.medium': c(2, 4, 3),
  't3.large': c(2, 8, 3),
  't3.xlarge': c(4, 16, 4),
  'm6g.large': c(2, 8, 3),
  'm6g.xlarge': c(4, 16, 4),
  'm7g.large': c(2, 8, 3),
  'm7g.xlarge': c(4, 16, 4),
  'c7g.large': c(2, 4, 3),
};

export function instanceCapacity(instanceType: string): InstanceCapacity | undefined {
  return CAPACITY[instanceType];
}

/** ECS counts 1,024 CPU units per vCPU (ECS Developer Guide, task definition parameters, `cpu`). */
export const CPU_UNITS_PER_VCPU = 1024;

/**
 * The memory the ECS agent registers is less than the installed memory ("platform memory overhead and
 * memory occupied by the system kernel": an m4.large's 8,192 MiB registers as 7,985, ECS Developer
 * Guide, "Reserving Amazon ECS Linux container instance memory",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/memory-management.html). AWS does not
 * publish the figure per type; Groundwork keeps 5 % back, the buffer AWS recommends leaving for the
 * agent and system processes (AWS Batch User Guide, "Reserve system memory"), so a task it accepts
 * is one an instance can place.
 */
export const MEMORY_RESERVE_FRACTION = 0.05;

/** What ECS can place on one instance: CPU units and MiB. */
export function registeredResources(capacity: InstanceCapacity): { cpuUnits: number; memoryMib: number } {
  return { cpuUnits: capacity.vcpus * CPU_UNITS_PER_VCPU, memoryMib: Math.floor(capacity.memoryMib * (1 - MEMORY_RESERVE_FRACTION)) };
}

/**
 * How many tasks of this size one instance runs in `awsvpc` mode (decision 0019): bounded by CPU,
 * by memory, and by network interfaces — each task takes one, the instance's primary interface is
 * its own ("a c5.large … can have up to three ENIs attached … the primary network interface counts
 * as one, so you can attach an additional two ENIs", ECS Developer Guide, "Elastic network
 * interface trunking", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html;
 * t4g has no trunking, github.com/aws/containers-roadmap/issues/1094).
 */
export function awsvpcTasksPerInstance(capacity: InstanceCapacity, task: { cpu: number; memory: number }): number {
  const { cpuUnits, memoryMib } = registeredResources(capacity);
  return Math.min(Math.floor(cpuUnits / task.cpu), Math.floor(memoryMib / task.memory), capacity.maxNetworkInterfaces - 1);
}
