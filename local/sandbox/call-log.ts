import type { AwsRequest, AwsResponse, AwsService } from '../contracts';
import { QueryParameters } from './query-protocol';

/**
 * Every CloudFormation, STS, EC2 and RDS call the sandbox accounts answered, as a request log: what was
 * called, in which account, on which stack, and how it ended (the error code, if any: a
 * `Throttling` is a call the throttle fault refused). The benchmarks count orchestration cost
 * from it (GET /_sandbox/calls). The newest LIMIT calls are kept, in memory only.
 */
export interface SandboxCall {
  /** Epoch milliseconds when the answer went out. */
  at: number;
  service: string;
  action: string;
  /** The account the call acted in (the access key id names it). */
  account: string;
  /** The StackName parameter as given (a name or a stack ARN), when there is one. */
  stackName?: string;
  status: number;
  /** The error code of a failed call (`Throttling`, `ValidationError`, …). */
  error?: string;
}

export const CALL_LOG_LIMIT = 100_000;

export class CallLog {
  private entries: SandboxCall[] = [];

  constructor(
    private readonly now: () => number,
    private readonly limit = CALL_LOG_LIMIT,
  ) {}

  record(call: SandboxCall): void {
    this.entries.push(call);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  /** The calls kept, oldest first; optionally only one account's. */
  list(account?: string): SandboxCall[] {
    return this.entries.filter((call) => account === undefined || call.account === account);
  }

  clear(): void {
    this.entries = [];
  }

  /** The same service, with each of its answers recorded here. */
  wrap(service: AwsService): AwsService {
    return {
      signingNames: service.signingNames,
      handle: async (request: AwsRequest): Promise<AwsResponse> => {
        const response = await service.handle(request);
        const params = new QueryParameters(request);
        const stackName = params.string('StackName');
        const error = response.status >= 400 ? /<Code>([^<]*)<\/Code>/.exec(response.body)?.[1] : undefined;
        this.record({
          at: this.now(),
          service: request.service,
          action: params.action,
          account: request.accessKeyId,
          ...(stackName === undefined ? {} : { stackName }),
          status: response.status,
          ...(error === undefined ? {} : { error }),
        });
        return response;
      },
    };
  }
}
