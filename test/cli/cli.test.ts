import { createServer } from 'node:net';
import type { ApiClient } from '../../cli/api-client';
import { createApiClient } from '../../cli/api-client';
import { ApiError, ApiUnreachableError, StackFailedError, UsageError } from '../../cli/errors';
import { formatDuration, formatError, formatPlan, formatStack, progressChanges, table } from '../../cli/format';
import { mergeRequest, parseCommandLine } from '../../cli/parse-command-line';
import { runCommand, type CliDeps } from '../../cli/run-command';
import type { StackPlan } from '../../src/plans/plan-stack';
import { planStack } from '../../src/plans/plan-stack';
import { stackRequestSchema } from '../../src/model/stack-request';
import type { StackView } from '../../src/stacks/stack-service';

/** The groundwork CLI: its command line, its output, and how it talks to the API (faked here). */

describe('parsing the command line', () => {
  it('reads commands, ids and their options', () => {
    expect(parseCommandLine(['token', '--tenant', 'acme']).command).toEqual({ kind: 'token', tenant: 'acme' });
    expect(parseCommandLine(['accounts', 'create', '--aws-account-id', '123456789012', '--name', 'Prod']).command).toEqual({
      kind: 'accounts create',
      awsAccountId: '123456789012',
      name: 'Prod',
    });
    expect(parseCommandLine(['accounts', 'create', '--aws-account-id', '123456789012', '--regions', 'eu-west-1, eu-central-1']).command).toEqual({
      kind: 'accounts create',
      awsAccountId: '123456789012',
      regions: ['eu-west-1', 'eu-central-1'],
    });
    expect(parseCommandLine(['stacks', 'get', 'stk-1', '--json'])).toMatchObject({ command: { kind: 'stacks get', id: 'stk-1' }, global: { json: true } });
    expect(parseCommandLine(['stacks', 'watch', 'stk-1', '--interval', '250']).command).toEqual({ kind: 'stacks watch', id: 'stk-1', watch: { intervalMs: 250, timeoutSeconds: 1800 } });
    expect(parseCommandLine(['stacks', 'delete', 'stk-1']).command).toEqual({ kind: 'stacks delete', id: 'stk-1' });
    expect(parseCommandLine(['stacks', 'delete', 'stk-1', '--wait']).command).toMatchObject({ watch: { intervalMs: 1000 } });
  });

  it('takes the API address, token and tenant from flags, then the environment, then the defaults', () => {
    expect(parseCommandLine(['stacks', 'list']).global).toEqual({ api: 'http://127.0.0.1:3000', tenant: 'demo', json: false });
    const env = { GROUNDWORK_API_URL: 'http://api.example', GROUNDWORK_TOKEN: 't-env', GROUNDWORK_TENANT: 'acme' };
    expect(parseCommandLine(['stacks', 'list'], env).global).toEqual({ api: 'http://api.example', token: 't-env', tenant: 'acme', json: false });
    expect(parseCommandLine(['stacks', 'list', '--api', 'http://x', '--token', 't', '--tenant', 'b'], env).global).toEqual({ api: 'http://x', token: 't', tenant: 'b', json: false });
    expect(parseCommandLine(['stacks', 'list'], { GROUNDWORK_API_PORT: '3100' }).global.api).toBe('http://127.0.0.1:3100');
  });

  it('builds a stack request from flags, nested like the API body, touching only what was given', () => {
    const { command } = parseCommandLine([
      'stacks', 'create', '--account', 'acc_1', '--name', 'web', '--nat', 'gateway', '--azs', '2', '--no-database',
      '--frontend', 'apigateway', '--desired', '3', '--bastion-cidr', '203.0.113.0/24',
    ]);
    expect(command).toEqual({
      kind: 'stacks create',
      flags: {
        accountId: 'acc_1',
        name: 'web',
        network: { nat: 'gateway', azCount: 2 },
        frontend: { type: 'apigateway' },
        compute: { desired: 3 },
        database: null,
        bastion: { enabled: true, allowedCidr: '203.0.113.0/24' },
      },
    });
  });

  it('lays flags over a request file section by section', () => {
    const file = { accountId: 'acc_1', name: 'web', network: { nat: 'none', azCount: 3 }, database: { multiAz: true } };
    expect(mergeRequest(file, { name: 'api', network: { azCount: 2 } })).toEqual({ accountId: 'acc_1', name: 'api', network: { nat: 'none', azCount: 2 }, database: { multiAz: true } });
    expect(mergeRequest(file, { database: null })).toMatchObject({ database: null });
    expect(() => mergeRequest([1, 2], {})).toThrow(UsageError);
  });

  it.each([
    [['nope'], /unknown command "nope"/],
    [['stacks'], /stacks needs a command: create, list, get, events, watch, delete/],
    [['stacks', 'get'], /needs an id/],
    [['stacks', 'list', 'extra'], /takes no arguments/],
    [['accounts', 'create'], /--aws-account-id/],
    [['accounts', 'create', '--aws-account-id', '12345'], /12 digits/],
    [['stacks', 'create', '--name', 'web'], /--account/],
    [['plan', '--account', 'acc_1', '--name', 'w', '--azs', 'three'], /--azs must be a whole number/],
    [['plan', '--account', 'acc_1', '--name', 'w', '--no-compute', '--min', '1'], /--no-compute cannot go with --min/],
    [['stacks', 'list', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it('answers help for no command, help, and --help anywhere', () => {
    expect(parseCommandLine([]).command).toEqual({ kind: 'help' });
    expect(parseCommandLine(['help', 'stacks']).command).toEqual({ kind: 'help', topic: 'stacks' });
    expect(parseCommandLine(['stacks', 'create', '--help']).command).toEqual({ kind: 'help', topic: 'stacks create' });
  });
});

const T0 = new Date('2026-11-22T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000).toISOString();

function stack(status: StackView['status'], steps: Array<Partial<StackView['steps'][number]> & { component: StackView['steps'][number]['component'] }>, extra: Partial<StackView> = {}): StackView {
  return {
    id: 'stk-aaaaaaaaaaaaaaaaaaaa',
    name: 'web',
    accountId: 'acc_bbbbbbbbbbbbbbbbbbbb',
    region: 'us-east-1',
    status,
    vpcCidr: '10.0.0.0/16',
    request: {} as StackView['request'],
    steps: steps.map((s) => ({ status: 'PENDING', cloudFormationStackName: `groundwork-stk-${s.component}`, ...s })),
    createdAt: at(0),
    updatedAt: at(10),
    ...extra,
  } as StackView;
}

describe('formatting', () => {
  it('lines up columns and prints durations as people read them', () => {
    expect(table([['a', 'bbb', 'c'], ['dddd', 'e', '']])).toBe('a     bbb  c\ndddd  e');
    expect([formatDuration(1234), formatDuration(61_000), formatDuration(3_599_000)]).toEqual(['1.2s', '1m01s', '59m59s']);
  });

  it('shows a stack with each component, its time and reason, its outputs and what was left behind', () => {
    const text = formatStack(
      stack(
        'ROLLBACK_FAILED',
        [
          { component: 'network', status: 'COMPLETE', startedAt: at(0), endedAt: at(4), outputs: { VpcId: 'vpc-123' } },
          { component: 'database', status: 'FAILED', startedAt: at(4), endedAt: at(9), reason: 'DBInstance failed: injected fault' },
          { component: 'nat', status: 'ROLLED_BACK', startedAt: at(4), endedAt: at(8), outputs: { NatInstanceId: 'i-gone' } },
        ],
        { statusReason: 'the database failed', leftovers: [{ component: 'network', cloudFormationStackName: 'groundwork-stk-network', reason: 'DELETE_FAILED: busy' }] },
      ),
      new Date(at(20)),
    );
    expect(text).toContain('Stack stk-aaaaaaaaaaaaaaaaaaaa (web): ROLLBACK_FAILED — the database failed');
    expect(text).toMatch(/✓ +network +COMPLETE +4\.0s/);
    expect(text).toMatch(/✗ +database +FAILED +5\.0s +DBInstance failed: injected fault/);
    expect(text).toMatch(/network +VpcId +vpc-123/);
    // Components listed in dependency order; a rolled-back component's outputs name nothing any more.
    expect(text.indexOf('network')).toBeLessThan(text.indexOf('nat '));
    expect(text).not.toContain('i-gone');
    expect(text).toMatch(/Left behind[^\n]*\n +network +groundwork-stk-network +DELETE_FAILED: busy/);
  });

  it('reports only what changed between two polls', () => {
    const before = stack('CREATE_IN_PROGRESS', [{ component: 'network', status: 'COMPLETE' }, { component: 'nat', status: 'IN_PROGRESS' }]);
    const after = stack('CREATE_IN_PROGRESS', [{ component: 'network', status: 'COMPLETE' }, { component: 'nat', status: 'COMPLETE' }]);
    expect(progressChanges(before, after, T0)).toEqual(['10:00:00  nat        COMPLETE']);
    expect(progressChanges(undefined, before, T0)).toHaveLength(3);
  });

  it('prints a plan: CIDRs, components, cost and reachability', () => {
    const request = stackRequestSchema.parse({ name: 'web', accountId: 'acc_bbbbbbbbbbbbbbbbbbbb' });
    const plan = JSON.parse(JSON.stringify(planStack({ request, tenantId: 'acme', stackId: 'plan', takenCidrs: [], regionCheck: { status: 'checked' }, availabilityZones: [{ name: 'us-east-1a', zoneId: 'use1-az1' }, { name: 'us-east-1b', zoneId: 'use1-az2' }, { name: 'us-east-1c', zoneId: 'use1-az4' }] }))) as StackPlan;
    const text = formatPlan(plan);
    expect(text).toContain(`VPC ${plan.network.vpcCidr} over 3 AZs: us-east-1a (use1-az1), us-east-1b (use1-az2), us-east-1c (use1-az4)`);
    expect(text).toMatch(/isolated +10\.\d+\.\d+\.\d+\/\d+, /);
    expect(text).toMatch(/database +after network, security, secrets +\d+ resources/);
    expect(text).toContain(`Monthly cost estimate: $${plan.estimate.total.toFixed(2)} USD`);
    // Every NAT option side by side, none included: it is the interface endpoints' price.
    expect(text).toContain(`none (interface endpoints instead) $${plan.estimate.natComparison.none.toFixed(2)}`);
    for (const line of plan.reachability.summary) expect(text).toContain(line);
    expect(text).toContain('✓ every security invariant holds');
  });

  it('prints problem details with each bad field, and a hint when nothing listens locally', () => {
    const problem = new ApiError(400, { title: 'Bad Request', status: 400, detail: 'The request is not valid.', errors: [{ field: 'network.cidr', message: 'must be an IPv4 CIDR block' }] }, '');
    expect(formatError(problem, 'http://127.0.0.1:3000')).toBe('error: 400 Bad Request — The request is not valid.\n  network.cidr: must be an IPv4 CIDR block');
    expect(formatError(new ApiError(401, { message: 'Unauthorized' }, '{"message":"Unauthorized"}'), 'http://127.0.0.1:3000')).toMatch(/^error: 401 Unauthorized\nThe API refused the token/);
    const unreachable = new ApiUnreachableError('cannot reach the Groundwork API at http://127.0.0.1:3000 (connection refused)');
    expect(formatError(unreachable, 'http://127.0.0.1:3000')).toBe('error: cannot reach the Groundwork API at http://127.0.0.1:3000 (connection refused) — is `npm start` running?');
    expect(formatError(unreachable, 'https://api.example.com')).not.toContain('npm start');
  });
});

describe('talking to the API', () => {
  it('says the API cannot be reached when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise((resolve) => probe.close(resolve));

    const client = createApiClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't' });
    await expect(client.request('GET', '/v1/stacks')).rejects.toThrow(ApiUnreachableError);
    await expect(client.request('GET', '/v1/stacks')).rejects.toThrow('connection refused');
  });

  it('sends the bearer token and JSON, and turns problem+json into an ApiError', async () => {
    const seen: Array<{ url: string; init: RequestInit }> = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      seen.push({ url, init });
      return new Response(JSON.stringify({ title: 'Conflict', status: 409, detail: 'busy' }), { status: 409, headers: { 'content-type': 'application/problem+json' } });
    }) as unknown as typeof fetch;
    const client = createApiClient({ baseUrl: 'http://api.test/', token: 'tok', fetch: fakeFetch });
    const failure = client.request('POST', '/v1/stacks', { body: { a: 1 } });
    await expect(failure).rejects.toMatchObject({ status: 409, problem: { detail: 'busy' } });
    expect(seen[0]?.url).toBe('http://api.test/v1/stacks');
    expect(seen[0]?.init.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/json' });
    expect(seen[0]?.init.body).toBe('{"a":1}');
  });
});

describe('running commands', () => {
  function harness(answers: Record<string, unknown[]>, options: { isTty?: boolean } = {}) {
    const out: string[] = [];
    const requests: Array<{ method: string; path: string; body?: unknown; headers?: Record<string, string> }> = [];
    let clock = T0.getTime();
    const client: ApiClient = {
      baseUrl: 'http://api.test',
      async request<T>(method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) {
        requests.push({ method, path, ...init });
        const queue = answers[`${method} ${path.split('?')[0] ?? ''}`];
        if (!queue || queue.length === 0) throw new Error(`unexpected ${method} ${path}`);
        const next = queue.length > 1 ? queue.shift() : queue[0];
        if (next instanceof Error) throw next;
        return next as T;
      },
    };
    const deps: CliDeps = {
      client: () => client,
      mintToken: async ({ tenant }) => ({ token: `token-for-${tenant}`, expiresAt: at(3600) }),
      out: (text) => out.push(text),
      write: (text) => out.push(text),
      isTty: options.isTty ?? false,
      readFile: () => JSON.stringify({ accountId: 'acc_file', name: 'from-file', network: { nat: 'none' } }),
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => new Date(clock),
    };
    return { deps, out, requests };
  }
  const global = { api: 'http://api.test', tenant: 'demo', json: false };

  it('prints a token for the tenant', async () => {
    const { deps, out } = harness({});
    await runCommand({ kind: 'token', tenant: 'acme' }, global, deps);
    expect(out).toEqual(['token-for-acme']);
  });

  it('creates a stack from a file and flags, with an idempotency key', async () => {
    const { deps, out, requests } = harness({ 'POST /v1/stacks': [stack('CREATE_IN_PROGRESS', [])] });
    await runCommand({ kind: 'stacks create', file: 'request.json', flags: { name: 'web' } }, global, deps);
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/v1/stacks', body: { accountId: 'acc_file', name: 'web', network: { nat: 'none' } } });
    expect(requests[0]?.headers?.['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.join('\n')).toContain('groundwork stacks watch stk-aaaaaaaaaaaaaaaaaaaa');
  });

  it('creates an account for the regions asked, and shows them', async () => {
    const onboarding = { registrationToken: 'gwr_new', registrationTokenExpiresAt: at(2), templateUrl: 'https://t/onboarding.yaml', stackName: 'GroundworkOnboarding', region: 'us-east-1', parameters: { AllowedRegions: 'eu-west-1,eu-central-1' }, quickCreateUrl: 'https://console/quick' };
    const created = { id: 'acc_1', name: 'one', awsAccountId: '111111111111', regions: ['eu-west-1', 'eu-central-1'], status: 'AWAITING_CONNECTION', externalId: 'ext', onboarding };
    const { deps, out, requests } = harness({ 'POST /v1/accounts': [created], 'GET /v1/accounts/acc_1': [created, { ...created, regions: undefined }] });
    await runCommand({ kind: 'accounts create', awsAccountId: '111111111111', regions: ['eu-west-1', 'eu-central-1'] }, global, deps);
    await runCommand({ kind: 'accounts get', id: 'acc_1' }, global, deps);
    await runCommand({ kind: 'accounts get', id: 'acc_1' }, global, deps);
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/v1/accounts', body: { awsAccountId: '111111111111', regions: ['eu-west-1', 'eu-central-1'] } });
    expect(out[0]).toMatch(/Regions +eu-west-1, eu-central-1/);
    expect(out[1]).toMatch(/Regions +eu-west-1, eu-central-1/);
    expect(out[2]).toMatch(/Regions +any \(onboarding template from before regions\)/);
  });

  it('follows every page of a listing', async () => {
    const { deps, out, requests } = harness({
      'GET /v1/accounts': [
        { items: [{ id: 'acc_1', name: 'one', awsAccountId: '111111111111', status: 'CONNECTED', createdAt: at(0) }], nextToken: 'n1' },
        { items: [{ id: 'acc_2', name: 'two', awsAccountId: '222222222222', status: 'AWAITING_CONNECTION', createdAt: at(1) }] },
      ],
    });
    await runCommand({ kind: 'accounts list' }, global, deps);
    expect(requests.map((r) => r.path)).toEqual(['/v1/accounts?limit=100', '/v1/accounts?limit=100&nextToken=n1']);
    expect(out[0]).toMatch(/acc_1 +one +111111111111 +CONNECTED/);
    expect(out[0]).toMatch(/acc_2 +two +222222222222 +AWAITING_CONNECTION/);
  });

  it('asks for a fresh registration link and prints the onboarding to launch again', async () => {
    const onboarding = { registrationToken: 'gwr_new', registrationTokenExpiresAt: at(2), templateUrl: 'https://t/onboarding.yaml', stackName: 'GroundworkOnboarding', region: 'us-east-1', parameters: { ExternalId: 'ext-kept' }, quickCreateUrl: 'https://console/quick' };
    const { deps, out, requests } = harness({
      'POST /v1/accounts/acc_1/registration-link': [{ id: 'acc_1', name: 'one', awsAccountId: '111111111111', status: 'AWAITING_CONNECTION', externalId: 'ext-kept', onboarding }],
    });
    expect(parseCommandLine(['accounts', 'reconnect', 'acc_1']).command).toEqual({ kind: 'accounts reconnect', id: 'acc_1' });
    await runCommand({ kind: 'accounts reconnect', id: 'acc_1' }, global, deps);
    expect(requests).toEqual([{ method: 'POST', path: '/v1/accounts/acc_1/registration-link' }]);
    expect(out[0]).toMatch(/AWAITING_CONNECTION/);
    expect(out[0]).toContain('gwr_new');
    expect(out[0]).toContain('Quick-create link: https://console/quick');
  });

  it('watches a stack to completion, printing each change once', async () => {
    const { deps, out } = harness({
      'GET /v1/stacks/stk-aaaaaaaaaaaaaaaaaaaa': [
        stack('CREATE_IN_PROGRESS', [{ component: 'network', status: 'IN_PROGRESS', startedAt: at(0) }, { component: 'nat' }]),
        stack('CREATE_IN_PROGRESS', [{ component: 'network', status: 'IN_PROGRESS', startedAt: at(0) }, { component: 'nat' }]),
        stack('CREATE_IN_PROGRESS', [{ component: 'network', status: 'COMPLETE', startedAt: at(0), endedAt: at(2) }, { component: 'nat', status: 'IN_PROGRESS', startedAt: at(2) }]),
        stack('CREATE_COMPLETE', [{ component: 'network', status: 'COMPLETE', startedAt: at(0), endedAt: at(2) }, { component: 'nat', status: 'COMPLETE', startedAt: at(2), endedAt: at(3) }]),
      ],
    });
    await runCommand({ kind: 'stacks watch', id: 'stk-aaaaaaaaaaaaaaaaaaaa', watch: { intervalMs: 500, timeoutSeconds: 60 } }, global, deps);
    const changes = out.filter((line) => /^\d\d:\d\d:\d\d /.test(line)).map((line) => line.slice(10).replace(/ +/g, ' '));
    expect(changes).toEqual(['stack CREATE_IN_PROGRESS', 'network IN_PROGRESS', 'nat PENDING', 'network COMPLETE', 'nat IN_PROGRESS', 'nat COMPLETE', 'stack CREATE_COMPLETE']);
    expect(out.at(-1)).toContain('Stack stk-aaaaaaaaaaaaaaaaaaaa (web): CREATE_COMPLETE');
  });

  it('redraws one live block on a terminal, then leaves the full picture', async () => {
    const { deps, out } = harness(
      {
        'GET /v1/stacks/stk-aaaaaaaaaaaaaaaaaaaa': [
          stack('CREATE_IN_PROGRESS', [{ component: 'network', status: 'IN_PROGRESS', startedAt: at(0) }]),
          stack('CREATE_COMPLETE', [{ component: 'network', status: 'COMPLETE', startedAt: at(0), endedAt: at(2) }]),
        ],
      },
      { isTty: true },
    );
    await runCommand({ kind: 'stacks watch', id: 'stk-aaaaaaaaaaaaaaaaaaaa', watch: { intervalMs: 500, timeoutSeconds: 60 } }, global, deps);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^stk-aaaaaaaaaaaaaaaaaaaa web: CREATE_IN_PROGRESS[^\n]*\n +… +network +IN_PROGRESS/);
    // The first block is two lines: the cursor goes up two and clears before the final picture.
    expect(out[1]?.startsWith('\u001b[2A\u001b[J')).toBe(true);
    expect(out[1]).toContain('Stack stk-aaaaaaaaaaaaaaaaaaaa (web): CREATE_COMPLETE');
  });

  it('fails the watch when the stack rolls back', async () => {
    const { deps } = harness({
      'GET /v1/stacks/stk-aaaaaaaaaaaaaaaaaaaa': [stack('ROLLBACK_COMPLETE', [{ component: 'database', status: 'ROLLED_BACK' }], { statusReason: 'database: injected fault' })],
    });
    const watching = runCommand({ kind: 'stacks watch', id: 'stk-aaaaaaaaaaaaaaaaaaaa', watch: { intervalMs: 500, timeoutSeconds: 60 } }, global, deps);
    await expect(watching).rejects.toThrow(StackFailedError);
    await expect(
      runCommand({ kind: 'stacks watch', id: 'stk-aaaaaaaaaaaaaaaaaaaa', watch: { intervalMs: 500, timeoutSeconds: 60 } }, global, deps),
    ).rejects.toMatchObject({ exitCode: 3, message: 'stack stk-aaaaaaaaaaaaaaaaaaaa ended ROLLBACK_COMPLETE: database: injected fault' });
  });

  it('gives up watching after its timeout', async () => {
    const { deps } = harness({ 'GET /v1/stacks/stk-aaaaaaaaaaaaaaaaaaaa': [stack('DELETE_IN_PROGRESS', [])] });
    await expect(runCommand({ kind: 'stacks watch', id: 'stk-aaaaaaaaaaaaaaaaaaaa', watch: { intervalMs: 1000, timeoutSeconds: 5 } }, global, deps)).rejects.toThrow(
      /still DELETE_IN_PROGRESS after 5 s/,
    );
  });

  it('prints JSON for scripts', async () => {
    const { deps, out } = harness({ 'GET /v1/stacks/stk-aaaaaaaaaaaaaaaaaaaa': [stack('CREATE_COMPLETE', [])] });
    await runCommand({ kind: 'stacks get', id: 'stk-aaaaaaaaaaaaaaaaaaaa' }, { ...global, json: true }, deps);
    expect(JSON.parse(out[0] ?? '')).toMatchObject({ id: 'stk-aaaaaaaaaaaaaaaaaaaa', status: 'CREATE_COMPLETE' });
  });
});
