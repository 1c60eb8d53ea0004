import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
// zod/mini, as a namespace: the tree-shakable zod 4 (docs/decisions/0008).
import * as z from 'zod/mini';
import { customResourceRequestSchema } from './custom-resource-request';

/**
 * What the onboarding callback's first stage (fed by the open registration topic) hands to the
 * worker, and what the worker schedules for itself (decision 0012, security review M1):
 *
 * - `decide`: a custom-resource request whose token matched, for the worker to prove the role,
 *   record the decision and answer CloudFormation. The worker checks the token again: the
 *   queue is not a reason to trust a message.
 * - `revocation-check`: after a Delete of the registering stack, look again (with a delay) whether
 *   the access role can still be assumed; attempt n of the policy's bound.
 */
export const decideWorkSchema = z.object({
  kind: z.literal('decide'),
  request: customResourceRequestSchema,
});

export const revocationCheckWorkSchema = z.object({
  kind: z.literal('revocation-check'),
  accountId: z.string().check(z.regex(/^acc_[a-z0-9]{20}$/)),
  /** The account's revocationRequestedAt this check belongs to: a later Delete or a reconnection makes it stale. */
  requestedAt: z.iso.datetime(),
  attempt: z.int().check(z.gte(1), z.lte(100)),
});

export const registrationWorkSchema = z.discriminatedUnion('kind', [decideWorkSchema, revocationCheckWorkSchema]);

export type DecideWork = z.output<typeof decideWorkSchema>;
export type RevocationCheckWork = z.output<typeof revocationCheckWorkSchema>;
export type RegistrationWork = z.output<typeof registrationWorkSchema>;

/** A queue of work for the worker; SQS in AWS and locally (the edge serves SQS), a fake in unit tests. */
export interface WorkQueue<T extends RegistrationWork> {
  /** `delaySeconds` up to 900, SQS's limit for DelaySeconds. */
  send(work: T, options?: { delaySeconds?: number; signal?: AbortSignal }): Promise<void>;
}

/** SQS's bound on a message's DelaySeconds (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html). */
export const MAX_DELAY_SECONDS = 900;

export function sqsWorkQueue<T extends RegistrationWork>(sqs: SQSClient, queueUrl: string): WorkQueue<T> {
  return {
    async send(work, options = {}) {
      const delay = options.delaySeconds === undefined ? undefined : Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(options.delaySeconds)));
      await sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(work), ...(delay !== undefined ? { DelaySeconds: delay } : {}) }),
        options.signal ? { abortSignal: options.signal } : {},
      );
    },
  };
}
