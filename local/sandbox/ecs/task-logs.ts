/**
 * The CloudWatch Logs events the sandbox's ECS tasks write through the awslogs driver, per account,
 * region, log group and stream, in memory (not kept across restarts).
 */

export interface LogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
  eventId: string;
}

export class TaskLogs {
  private readonly groups = new Map<string, Map<string, LogEvent[]>>();
  private sequence = 0;

  write(account: string, region: string, group: string, stream: string, timestamp: number, message: string): void {
    const key = groupKey(account, region, group);
    const streams = this.groups.get(key) ?? new Map<string, LogEvent[]>();
    this.groups.set(key, streams);
    const events = streams.get(stream) ?? [];
    streams.set(stream, events);
    this.sequence += 1;
    events.push({ timestamp, message, ingestionTime: timestamp, eventId: String(this.sequence).padStart(56, '0') });
  }

  /** The streams of a group, by name; undefined when no task wrote to it. */
  streams(account: string, region: string, group: string): ReadonlyMap<string, readonly LogEvent[]> | undefined {
    return this.groups.get(groupKey(account, region, group));
  }
}

function groupKey(account: string, region: string, group: string): string {
  return `${account}|${region}|${group}`;
}
