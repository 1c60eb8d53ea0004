import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';

/**
 * Proves a customer's access role is set up as Groundwork needs before we keep its ARN:
 * assuming it WITH the account's ExternalId must succeed, and WITHOUT it must be refused —
 * otherwise anyone able to act as the Groundwork service role (any tenant's request, through us)
 * could reach this account: the confused deputy that ExternalIds exist to stop.
 */
export type RoleProof = { ok: true } | { ok: false; reason: string };

export interface RoleProver {
  prove(input: { roleArn: string; externalId: string; sessionName: string; signal: AbortSignal }): Promise<RoleProof>;
  /**
   * One AssumeRole with the ExternalId, no retry: true if it works, false if STS refuses it
   * (AccessDenied: the role is gone or no longer trusts us). Any other error is thrown. The
   * revocation check after a Delete (revocation-check.ts).
   */
  canAssume(input: { roleArn: string; externalId: string; sessionName: string; signal: AbortSignal }): Promise<boolean>;
}

export interface StsRoleProverOptions {
  /** A role created seconds ago may not be assumable yet (IAM is eventually consistent). */
  propagationRetryMs: number;
  retryIntervalMs: number;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}

function isAccessDenied(error: unknown): boolean {
  return errorName(error) === 'AccessDenied' || errorName(error) === 'AccessDeniedException';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function createStsRoleProver(sts: STSClient, options: StsRoleProverOptions, now: () => number = Date.now): RoleProver {
  return {
    async canAssume({ roleArn, externalId, sessionName, signal }) {
      try {
        await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 900, ExternalId: externalId }), { abortSignal: signal });
        return true;
      } catch (error) {
        if (!signal.aborted && isAccessDenied(error)) return false;
        throw error;
      }
    },

    async prove({ roleArn, externalId, sessionName, signal }) {
      const assume = (withExternalId: boolean) =>
        sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: sessionName,
            DurationSeconds: 900,
            ...(withExternalId ? { ExternalId: externalId } : {}),
          }),
          { abortSignal: signal },
        );

      const giveUpAt = now() + options.propagationRetryMs;
      for (;;) {
        try {
          await assume(true);
          break;
        } catch (error) {
          if (signal.aborted) throw error;
          if (isAccessDenied(error) && now() < giveUpAt) {
            await sleep(options.retryIntervalMs, signal);
            continue;
          }
          if (isAccessDenied(error)) {
            return {
              ok: false,
              reason: `Groundwork could not assume ${roleArn} with this account's ExternalId (AccessDenied). The role's trust policy must allow the Groundwork service role with the condition sts:ExternalId equal to the ExternalId shown for this account; launch the unmodified template from the quick-create link, then update the stack to retry.`,
            };
          }
          return {
            ok: false,
            reason: `AWS STS failed while Groundwork verified ${roleArn} (${errorName(error)}). Nothing is wrong with your template as far as we know: update the stack to retry.`,
          };
        }
      }

      try {
        await assume(false);
        return {
          ok: false,
          reason: `${roleArn} can be assumed without the ExternalId. Its trust policy must require sts:ExternalId; Groundwork refuses roles that any caller of its service role could use. Use the unmodified template.`,
        };
      } catch (error) {
        if (signal.aborted) throw error;
        if (isAccessDenied(error)) return { ok: true };
        return {
          ok: false,
          reason: `AWS STS failed while Groundwork checked that ${roleArn} requires the ExternalId (${errorName(error)}). Update the stack to retry.`,
        };
      }
    },
  };
}
