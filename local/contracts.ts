/**
 * The seams between the embedded default's parts, so each can be built and tested alone.
 *
 *   edge (127.0.0.1:4566) ──► AwsService by protocol: stepfunctions, events, sns (local/services)
 *                         └─► cloudformation, sts (local/sandbox: the customer accounts)
 *   local HTTP API (:3000) ─► FunctionInvoker ─► functions/<name>/handler.ts (unchanged code)
 *   step functions / sns / events ─► FunctionInvoker
 */

/** One AWS API request as the edge received it. */
export interface AwsRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  /** The signing service and region from the SigV4 Authorization header's credential scope. */
  service: string;
  region: string;
  /** The access key id: locally, the 12-digit account the request acts in. */
  accessKeyId: string;
}

export interface AwsResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AwsService {
  /** The SigV4 signing names it serves (e.g. ['states'], ['cloudformation']). */
  readonly signingNames: readonly string[];
  handle(request: AwsRequest): Promise<AwsResponse>;
}

/** Runs a Groundwork function in-process, as Lambda would, by its serverless.yml name. */
export interface FunctionInvoker {
  invoke(functionName: string, event: unknown): Promise<unknown>;
}

/** What the sandbox needs from the rest of the embedded default. */
export interface SandboxHooks {
  /** A custom resource's ServiceToken is an SNS topic: publish the request to it. */
  publishToTopic(topicArn: string, message: string): Promise<void>;
  /** Deliver an event (e.g. aws.cloudformation status changes) to an event bus by ARN. */
  putEvent(busArn: string, entry: { source: string; detailType: string; detail: unknown; account: string; region: string }): Promise<void>;
}
