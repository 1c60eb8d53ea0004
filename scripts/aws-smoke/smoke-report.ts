/**
 * What `npm run aws:smoke` verified, how long each step took, and what it could not delete: the
 * summary a user reads at the end (and the tests read instead of AWS).
 */
export type StepStatus = 'verified' | 'failed';

export interface StepRecord {
  title: string;
  status: StepStatus;
  seconds: number;
  /** Facts the step established, or why it failed. */
  details: string[];
}

export interface Clock {
  now(): number;
}

export class SmokeReport {
  readonly steps: StepRecord[] = [];
  /** Resources the teardown could not delete, each named (type, name, region) with why. */
  readonly leftovers: string[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly out: (line: string) => void,
  ) {}

  /**
   * Runs one step: prints it as it starts and ends, records it verified (with the facts `note`
   * collected) or failed (with the error's message), and rethrows the failure.
   */
  async step<T>(title: string, run: (note: (fact: string) => void) => Promise<T>): Promise<T> {
    const started = this.clock.now();
    const details: string[] = [];
    this.out(`… ${title}`);
    try {
      const result = await run((fact) => details.push(fact));
      this.record({ title, status: 'verified', seconds: this.secondsSince(started), details });
      return result;
    } catch (error) {
      details.push(messageOf(error));
      this.record({ title, status: 'failed', seconds: this.secondsSince(started), details });
      throw error;
    }
  }

  leftover(what: string): void {
    this.leftovers.push(what);
  }

  get failed(): boolean {
    return this.steps.some((step) => step.status === 'failed') || this.leftovers.length > 0;
  }

  /** The closing summary: every step with its time and facts, then anything left behind. */
  summary(): string[] {
    const lines = ['', 'Summary of npm run aws:smoke', ''];
    for (const step of this.steps) {
      lines.push(`${step.status === 'verified' ? '✓ verified' : '✗ FAILED  '}  ${formatSeconds(step.seconds).padStart(7)}  ${step.title}`);
      for (const detail of step.details) lines.push(`                       ${detail}`);
    }
    lines.push('');
    const verified = this.steps.filter((step) => step.status === 'verified').length;
    lines.push(`${verified} verified, ${this.steps.length - verified} failed.`);
    if (this.leftovers.length === 0) {
      lines.push('Nothing was left behind: every resource this run created was deleted.');
    } else {
      lines.push('NOT DELETED — delete these by hand (they cost money while they exist):');
      for (const leftover of this.leftovers) lines.push(`  - ${leftover}`);
    }
    return lines;
  }

  private record(step: StepRecord): void {
    this.steps.push(step);
    const mark = step.status === 'verified' ? '✓' : '✗';
    this.out(`${mark} ${step.title} (${formatSeconds(step.seconds)})${step.details.length > 0 ? `: ${step.details.join('; ')}` : ''}`);
  }

  private secondsSince(started: number): number {
    return Math.max(0, (this.clock.now() - started) / 1000);
  }
}

/**
 * Everything the run created, to be deleted in reverse order of creation whatever happens
 * (success, a failed check, an error, Ctrl-C). Each entry is registered just before the call that
 * creates it, so a call whose answer is lost is still cleaned up; deleting what does not exist
 * succeeds.
 */
export class Cleanup {
  private readonly entries: Array<{ what: string; undo: () => Promise<void> }> = [];

  register(what: string, undo: () => Promise<void>): void {
    this.entries.push({ what, undo });
  }

  /** What would still have to be deleted: most recent first. */
  pending(): string[] {
    return this.entries.map((entry) => entry.what).reverse();
  }

  /** Deletes everything registered, newest first; what fails is recorded as a leftover and the rest still runs. */
  async runAll(report: SmokeReport): Promise<void> {
    while (this.entries.length > 0) {
      const entry = this.entries.pop();
      if (!entry) break;
      try {
        await report.step(`delete ${entry.what}`, async () => entry.undo());
      } catch (error) {
        if (error instanceof NotDeletedError) error.items.forEach((item) => report.leftover(item));
        else report.leftover(`${entry.what}: ${messageOf(error)}`);
      }
    }
  }
}

/** A cleanup entry that deletes several resources and could not delete some: each is named. */
export class NotDeletedError extends Error {
  override name = 'NotDeletedError';
  constructor(readonly items: string[]) {
    super(`not deleted: ${items.join('; ')}`);
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' && !error.message.startsWith(error.name) ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
