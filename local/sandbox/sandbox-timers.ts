import type { ResourceRecord, StackRecord } from './sandbox-state';

/**
 * The named timers the sandbox's stack operations move on: one per key (scheduling a key again
 * replaces its timer), each firing at a time of the sandbox's clock. Once stopped, none fires and
 * none can be scheduled, so a stopped sandbox changes nothing more.
 */
export class SandboxTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private isStopped = false;

  constructor(
    private readonly now: () => number,
    private readonly log: (message: string) => void,
  ) {}

  get stopped(): boolean {
    return this.isStopped;
  }

  schedule(key: string, at: number, action: () => void): void {
    if (this.isStopped) return;
    this.clear(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (this.isStopped) return;
      try {
        action();
      } catch (error) {
        this.log(`internal error in ${key}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }, Math.max(0, at - this.now()));
    this.timers.set(key, timer);
  }

  clear(key: string): void {
    const timer = this.timers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(key);
  }

  stop(): void {
    this.isStopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/** The key of a resource's own timer: its create or delete, or a custom resource's timeout. */
export function resourceTimerKey(stack: StackRecord, resource: ResourceRecord): string {
  return `${stack.stackId}#${resource.logicalId}`;
}
