import { DescribeStackEventsCommand, DescribeStacksCommand, type CloudFormationClient, type Stack, type StackEvent } from '@aws-sdk/client-cloudformation';

/**
 * Polls DescribeStacks, as a customer's tooling would, until the stack's operation has ended.
 * How long that takes is set by the sandbox's speed (its injectable clock); the wall-clock
 * deadline only bounds a stack that never ends, so it is wide (a loaded 2-core machine runs the
 * scaled timers late) and below jest's 120 s timeout, so the failure names the stack.
 */
export async function waitForStack(client: CloudFormationClient, stackName: string, timeoutMs = 60_000): Promise<Stack> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (stack && !stack.StackStatus?.endsWith('_IN_PROGRESS')) return stack;
    if (Date.now() > deadline) throw new Error(`${stackName} still ${stack?.StackStatus ?? 'missing'} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every event of the stack, oldest first (DescribeStackEvents answers newest first, in pages). */
export async function stackEvents(client: CloudFormationClient, stackName: string): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new DescribeStackEventsCommand({ StackName: stackName, NextToken }));
    events.push(...(page.StackEvents ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return events.reverse();
}

export function outputsOf(stack: Pick<Stack, 'Outputs'> | undefined): Record<string, string> {
  return Object.fromEntries((stack?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail, and it succeeded');
}
