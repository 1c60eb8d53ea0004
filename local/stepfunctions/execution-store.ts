import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateFileError } from './errors';
import type { ExecutionRecord } from './execution-record';

const STATE_FILE_VERSION = 1;

/**
 * Every execution record of the local Step Functions, in memory and, given a state file, on disk
 * (the records, not the in-flight runs: those live only in the process that runs them).
 */
export class ExecutionStore {
  readonly records = new Map<string, ExecutionRecord>();
  // Each save writes every record, but serialises only those that changed since the last one (a
  // finished execution never changes again): with hundreds of executions and their histories,
  // re-serialising all of them at every start and end made saving quadratic.
  private readonly serialized = new WeakMap<ExecutionRecord, { version: string; json: string }>();

  constructor(private readonly stateFile: string | undefined) {}

  /** The records a previous process saved; undefined without a state file. A file it cannot read is refused. */
  load(): ExecutionRecord[] | undefined {
    if (!this.stateFile || !existsSync(this.stateFile)) return undefined;
    let stored: { executions?: ExecutionRecord[] };
    try {
      stored = JSON.parse(readFileSync(this.stateFile, 'utf8')) as { executions?: ExecutionRecord[] };
    } catch (error) {
      throw new StateFileError(this.stateFile, error);
    }
    const loaded = stored.executions ?? [];
    for (const record of loaded) this.records.set(record.executionArn, record);
    return loaded;
  }

  save(): void {
    if (!this.stateFile) return;
    mkdirSync(dirname(this.stateFile), { recursive: true });
    const temporary = `${this.stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, `{"version":${JSON.stringify(STATE_FILE_VERSION)},"executions":[${[...this.records.values()].map((record) => this.recordJson(record)).join(',')}]}`);
    renameSync(temporary, this.stateFile);
  }

  private recordJson(record: ExecutionRecord): string {
    const version = `${record.status}|${record.stopDate ?? ''}|${record.history.length}|${record.history.at(-1)?.timestamp ?? ''}`;
    const cached = this.serialized.get(record);
    if (cached?.version === version) return cached.json;
    const json = JSON.stringify(record);
    this.serialized.set(record, { version, json });
    return json;
  }
}
