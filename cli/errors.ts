/** The CLI's errors; main.ts turns each into a message and an exit code. */
export class CliError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The command line itself is wrong. */
export class UsageError extends CliError {
  override readonly exitCode = 2;
}

/** RFC 9457 problem details, or API Gateway's own `{"message": …}`. */
export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  message?: string;
  errors?: Array<{ field: string; message: string }>;
}

/** The API answered with an error status. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly problem: ProblemBody | undefined,
    readonly rawBody: string,
  ) {
    super(problem?.detail ?? problem?.message ?? problem?.title ?? `HTTP ${status}`);
  }
}

/** Nothing answered at the API's address. */
export class ApiUnreachableError extends CliError {}

/** A watched stack ended in a failed state (ROLLBACK_*, DELETE_FAILED). */
export class StackFailedError extends CliError {
  override readonly exitCode = 3;
}
