import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

/**
 * The groundwork command line, parsed into a plain value: which command, its arguments, and the
 * global options (API address, token or tenant, --json). No I/O here.
 */
export const DEFAULT_API_URL = 'http://127.0.0.1:3000';
export const DEFAULT_TENANT = 'demo';

export interface GlobalOptions {
  api: string;
  /** Given with --token or GROUNDWORK_TOKEN; otherwise one is minted locally for `tenant`. */
  token?: string;
  tenant: string;
  json: boolean;
}

/** A stack request as the flags spell it: only what was given, nested like the API body. */
export type RequestFlags = Record<string, unknown>;

export interface WatchOptions {
  intervalMs: number;
  timeoutSeconds: number;
}

export type Command =
  | { kind: 'help'; topic?: string }
  | { kind: 'token'; tenant: string; subject?: string; ttlSeconds?: number }
  | { kind: 'accounts create'; awsAccountId: string; name?: string; regions?: string[] }
  | { kind: 'accounts list' }
  | { kind: 'accounts get'; id: string }
  | { kind: 'accounts delete'; id: string }
  | { kind: 'accounts reconnect'; id: string }
  | { kind: 'stacks create'; file?: string; flags: RequestFlags; idempotencyKey?: string; watch?: WatchOptions }
  | { kind: 'stacks list' }
  | { kind: 'stacks get'; id: string }
  | { kind: 'stacks events'; id: string }
  | { kind: 'stacks watch'; id: string; watch: WatchOptions }
  | { kind: 'stacks delete'; id: string; watch?: WatchOptions }
  | { kind: 'plan'; file?: string; flags: RequestFlags };

export interface Invocation {
  command: Command;
  global: GlobalOptions;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const GLOBAL_OPTIONS: Options = {
  api: { type: 'string' },
  token: { type: 'string' },
  tenant: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const REQUEST_OPTIONS: Options = {
  file: { type: 'string', short: 'f' },
  account: { type: 'string' },
  name: { type: 'string' },
  region: { type: 'string' },
  cidr: { type: 'string' },
  azs: { type: 'string' },
  nat: { type: 'string' },
  endpoints: { type: 'boolean' },
  'no-endpoints': { type: 'boolean' },
  frontend: { type: 'string' },
  'certificate-arn': { type: 'string' },
  'no-compute': { type: 'boolean' },
  'instance-type': { type: 'string' },
  min: { type: 'string' },
  desired: { type: 'string' },
  max: { type: 'string' },
  'container-port': { type: 'string' },
  'no-database': { type: 'boolean' },
  'db-version': { type: 'string' },
  'db-instance-class': { type: 'string' },
  'db-storage-gb': { type: 'string' },
  'multi-az': { type: 'boolean' },
  'backup-retention-days': { type: 'string' },
  'bastion-cidr': { type: 'string' },
  'bastion-key': { type: 'string' },
};

const WATCH_OPTIONS: Options = {
  interval: { type: 'string' },
  timeout: { type: 'string' },
};

const COMMAND_OPTIONS: Record<string, Options> = {
  token: { subject: { type: 'string' }, ttl: { type: 'string' } },
  'accounts create': { 'aws-account-id': { type: 'string' }, name: { type: 'string' }, regions: { type: 'string' } },
  'accounts list': {},
  'accounts get': {},
  'accounts delete': {},
  'accounts reconnect': {},
  'stacks create': { ...REQUEST_OPTIONS, 'idempotency-key': { type: 'string' }, watch: { type: 'boolean' }, ...WATCH_OPTIONS },
  'stacks list': {},
  'stacks get': {},
  'stacks events': {},
  'stacks watch': WATCH_OPTIONS,
  'stacks delete': { wait: { type: 'boolean' }, ...WATCH_OPTIONS },
  plan: REQUEST_OPTIONS,
};

/** Commands that take one id after them. */
const WITH_ID = new Set(['accounts get', 'accounts delete', 'accounts reconnect', 'stacks get', 'stacks events', 'stacks watch', 'stacks delete']);

type Values = Record<string, string | boolean | undefined>;

function integer(values: Values, flag: string, { min = 0 }: { min?: number } = {}): number | undefined {
  const raw = values[flag];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min) throw new UsageError(`--${flag} must be a whole number${min > 0 ? ` ≥ ${min}` : ''} (got "${raw}")`);
  return Number(raw);
}

function text(values: Values, flag: string): string | undefined {
  const raw = values[flag];
  return typeof raw === 'string' ? raw : undefined;
}

/** Only the sections a flag touched, so a --file's values stay unless a flag overrides them. */
export function requestFlags(values: Values): RequestFlags {
  const request: RequestFlags = {};
  const section = (name: string, entries: Record<string, unknown>) => {
    const given = Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
    if (Object.keys(given).length > 0) request[name] = given;
  };
  if (text(values, 'account') !== undefined) request['accountId'] = text(values, 'account');
  if (text(values, 'name') !== undefined) request['name'] = text(values, 'name');
  if (text(values, 'region') !== undefined) request['region'] = text(values, 'region');
  if (values['endpoints'] && values['no-endpoints']) throw new UsageError('--endpoints and --no-endpoints contradict each other');
  section('network', {
    cidr: text(values, 'cidr'),
    azCount: integer(values, 'azs', { min: 1 }),
    nat: text(values, 'nat'),
    endpoints: values['endpoints'] ? true : values['no-endpoints'] ? false : undefined,
  });
  section('frontend', { type: text(values, 'frontend'), certificateArn: text(values, 'certificate-arn') });

  const computeFlags = ['instance-type', 'min', 'desired', 'max', 'container-port'].filter((flag) => values[flag] !== undefined);
  if (values['no-compute']) {
    if (computeFlags.length > 0) throw new UsageError(`--no-compute cannot go with --${computeFlags.join(', --')}`);
    request['compute'] = null;
  } else {
    section('compute', {
      instanceType: text(values, 'instance-type'),
      min: integer(values, 'min'),
      desired: integer(values, 'desired'),
      max: integer(values, 'max'),
      containerPort: integer(values, 'container-port', { min: 1 }),
    });
  }

  const databaseFlags = ['db-version', 'db-instance-class', 'db-storage-gb', 'multi-az', 'backup-retention-days'].filter((flag) => values[flag] !== undefined);
  if (values['no-database']) {
    if (databaseFlags.length > 0) throw new UsageError(`--no-database cannot go with --${databaseFlags.join(', --')}`);
    request['database'] = null;
  } else {
    section('database', {
      version: text(values, 'db-version'),
      instanceClass: text(values, 'db-instance-class'),
      storageGb: integer(values, 'db-storage-gb', { min: 1 }),
      multiAz: values['multi-az'] ? true : undefined,
      backupRetentionDays: integer(values, 'backup-retention-days'),
    });
  }

  const bastionCidr = text(values, 'bastion-cidr');
  const bastionKey = text(values, 'bastion-key');
  if (bastionCidr !== undefined || bastionKey !== undefined) {
    section('bastion', { enabled: true, allowedCidr: bastionCidr, keyName: bastionKey });
  }
  return request;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The request file's body with the flags laid over it, section by section. */
export function mergeRequest(file: unknown, flags: RequestFlags): Record<string, unknown> {
  if (file !== undefined && !isObject(file)) throw new UsageError('the request file must hold a JSON object');
  const merged: Record<string, unknown> = { ...(file ?? {}) };
  for (const [key, value] of Object.entries(flags)) {
    const existing = merged[key];
    merged[key] = isObject(value) && isObject(existing) ? { ...existing, ...value } : value;
  }
  return merged;
}

function watchOptions(values: Values): WatchOptions {
  return { intervalMs: integer(values, 'interval', { min: 100 }) ?? 1000, timeoutSeconds: integer(values, 'timeout', { min: 1 }) ?? 1800 };
}

export function parseCommandLine(argv: readonly string[], env: Record<string, string | undefined> = {}): Invocation {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-') || words.length === 2) break;
    words.push(arg);
    if (words.length === 1 && !['accounts', 'stacks'].includes(arg)) break;
  }
  const [group, action] = words;
  const name = group === 'accounts' || group === 'stacks' ? `${group} ${action ?? ''}`.trim() : (group ?? '');
  const rest = argv.slice(name === '' ? 0 : name.split(' ').length);

  const commandOptions = COMMAND_OPTIONS[name];
  const wantsHelp = name === '' || name === 'help' || rest.includes('--help') || rest.includes('-h');
  if (commandOptions === undefined && !wantsHelp) {
    if (group === 'accounts' || group === 'stacks') {
      const actions = Object.keys(COMMAND_OPTIONS).filter((key) => key.startsWith(`${group} `)).map((key) => key.split(' ')[1]);
      throw new UsageError(action ? `unknown command "${group} ${action}"; ${group} takes ${actions.join(', ')}` : `${group} needs a command: ${actions.join(', ')}`);
    }
    throw new UsageError(`unknown command "${name}"; try \`groundwork help\``);
  }

  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...rest], options: { ...GLOBAL_OPTIONS, ...(commandOptions ?? {}) }, allowPositionals: true, strict: true }) as {
      values: Values;
      positionals: string[];
    };
  } catch (error) {
    throw new UsageError(`${name}: ${error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, '') : String(error)}`);
  }
  const { values, positionals } = parsed;
  const global: GlobalOptions = {
    // GROUNDWORK_API_PORT: the port a local `npm start` was moved to (local/config.ts).
    api: text(values, 'api') ?? env['GROUNDWORK_API_URL'] ?? (env['GROUNDWORK_API_PORT'] ? `http://127.0.0.1:${env['GROUNDWORK_API_PORT']}` : DEFAULT_API_URL),
    tenant: text(values, 'tenant') ?? env['GROUNDWORK_TENANT'] ?? DEFAULT_TENANT,
    json: values['json'] === true,
    ...((text(values, 'token') ?? env['GROUNDWORK_TOKEN']) ? { token: text(values, 'token') ?? env['GROUNDWORK_TOKEN'] } : {}),
  };
  if (wantsHelp) {
    const topic = name === 'help' ? positionals[0] : name === '' ? undefined : name;
    return { command: { kind: 'help', ...(topic ? { topic } : {}) }, global };
  }

  let id: string | undefined;
  if (WITH_ID.has(name)) {
    id = positionals[0];
    if (id === undefined) throw new UsageError(`${name} needs an id: groundwork ${name} <id>`);
    if (positionals.length > 1) throw new UsageError(`${name} takes one id (got ${positionals.join(' ')})`);
  } else if (positionals.length > 0) {
    throw new UsageError(`${name} takes no arguments besides options (got ${positionals.join(' ')})`);
  }

  const command = ((): Command => {
    switch (name) {
      case 'token': {
        const ttlSeconds = integer(values, 'ttl', { min: 1 });
        const subject = text(values, 'subject');
        return { kind: 'token', tenant: global.tenant, ...(subject ? { subject } : {}), ...(ttlSeconds ? { ttlSeconds } : {}) };
      }
      case 'accounts create': {
        const awsAccountId = text(values, 'aws-account-id');
        if (awsAccountId === undefined) throw new UsageError('accounts create needs --aws-account-id <12 digits>');
        if (!/^\d{12}$/.test(awsAccountId)) throw new UsageError(`--aws-account-id must be 12 digits (got "${awsAccountId}")`);
        const accountName = text(values, 'name');
        // The API checks each region; here only the list is split (us-east-1,eu-west-1).
        const regions = text(values, 'regions')?.split(',').map((region) => region.trim());
        return { kind: 'accounts create', awsAccountId, ...(accountName !== undefined ? { name: accountName } : {}), ...(regions !== undefined ? { regions } : {}) };
      }
      case 'accounts list':
      case 'stacks list':
        return { kind: name };
      case 'accounts get':
      case 'accounts delete':
      case 'accounts reconnect':
      case 'stacks get':
      case 'stacks events':
        return { kind: name, id: id ?? '' };
      case 'stacks watch':
        return { kind: name, id: id ?? '', watch: watchOptions(values) };
      case 'stacks delete':
        return { kind: name, id: id ?? '', ...(values['wait'] ? { watch: watchOptions(values) } : {}) };
      case 'stacks create':
      case 'plan': {
        const file = text(values, 'file');
        const flags = requestFlags(values);
        if (file === undefined && (flags['accountId'] === undefined || flags['name'] === undefined)) {
          throw new UsageError(`${name} needs --account <acc_…> and --name <name> (or --file request.json)`);
        }
        if (name === 'plan') return { kind: 'plan', flags, ...(file ? { file } : {}) };
        const idempotencyKey = text(values, 'idempotency-key');
        return {
          kind: 'stacks create',
          flags,
          ...(file ? { file } : {}),
          ...(idempotencyKey ? { idempotencyKey } : {}),
          ...(values['watch'] ? { watch: watchOptions(values) } : {}),
        };
      }
      default:
        throw new UsageError(`unknown command "${name}"`);
    }
  })();
  return { command, global };
}

export const HELP = `groundwork — Groundwork's command line (talks to the HTTP API; \`npm start\` runs one locally)

Usage: groundwork <command> [options]

  token --tenant <t> [--ttl <seconds>] [--subject <s>]
                                   print a token signed by the local signing key (.groundwork/)
  accounts create --aws-account-id <12 digits> [--name <name>] [--regions <r1,r2,…>]
                                   the regions Groundwork may deploy to there (default us-east-1)
  accounts list
  accounts get <acc_…>
  accounts delete <acc_…>
  accounts reconnect <acc_…>       a fresh registration link for a REVOKED or FAILED account
                                   (or one whose link expired); same ExternalId
  stacks create --account <acc_…> --name <name> [request options] [--watch] [--idempotency-key <k>]
  stacks list
  stacks get <stk-…>
  stacks events <stk-…>
  stacks watch <stk-…> [--interval <ms>] [--timeout <seconds>]
                                   live progress per component until the stack settles
  stacks delete <stk-…> [--wait]
  plan --account <acc_…> --name <name> [request options]
                                   CIDRs, components, monthly cost and reachability, without deploying

Request options (stacks create, plan); each overrides the same field of --file:
  --file <request.json>            the POST /v1/stacks body (see README)
  --region <r>  --cidr <10.x.0.0/16>  --azs <2|3>  --nat <instance|gateway|gateway-per-az|none>
  --endpoints | --no-endpoints     interface endpoints (always on with --nat none)
  --frontend <alb|apigateway|none>  --certificate-arn <arn>
  --no-compute | --instance-type <t>  --min <n>  --desired <n>  --max <n>  --container-port <p>
  --no-database | --db-version <v>  --db-instance-class <c>  --db-storage-gb <n>  --multi-az
                  --backup-retention-days <n>
  --bastion-cidr <cidr> [--bastion-key <key pair>]   add a bastion reachable from that CIDR only

Global options:
  --api <url>        the API (default ${DEFAULT_API_URL}, or GROUNDWORK_API_URL, or GROUNDWORK_API_PORT)
  --token <jwt>      bearer token (or GROUNDWORK_TOKEN); without one, a token is minted from the
                     local signing key for --tenant
  --tenant <t>       the tenant of a minted token (default ${DEFAULT_TENANT}, or GROUNDWORK_TENANT)
  --json             machine-readable output

Exit codes: 0 done; 1 the API refused or could not be reached; 2 bad command line;
            3 a watched stack ended ROLLBACK_COMPLETE, ROLLBACK_FAILED or DELETE_FAILED.
`;
