import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxEdge, type SandboxEdge } from '../local/sandbox/sandbox-http';

/**
 * scripts/esbuild-plugins.cjs rewrites computed keys of the SDK's schema modules to the strings they
 * name, so that esbuild can drop the shapes a function never uses. The rewrite must change nothing a
 * client does: the same region reads (EC2 and RDS, query protocol, the plan and stack functions'
 * calls) are bundled with and without it and sent to a sandbox, and must send the same requests and
 * read the same answers and errors.
 */

const require = createRequire(import.meta.url);
const plugins = require('../../scripts/esbuild-plugins.cjs') as Array<import('esbuild').Plugin> & { inlineSchemaKeys(text: string, path?: string): string; SCHEMA_MODULE: RegExp };
const ROOT = new URL('../..', import.meta.url).pathname;
const ACCOUNT = '121212121212';

/** The plan's region reads, each answer without its request metadata; an error by its name and message. */
const READS = `
import { DescribeAvailabilityZonesCommand, DescribeInstanceTypeOfferingsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBEngineVersionsCommand, DescribeOrderableDBInstanceOptionsCommand, RDSClient } from '@aws-sdk/client-rds';
const [endpoint, account] = process.argv.slice(2);
const config = { region: 'us-east-1', endpoint, credentials: { accessKeyId: account, secretAccessKey: 'secret' }, maxAttempts: 1 };
const ec2 = new EC2Client(config);
const rds = new RDSClient(config);
const settle = (promise) => promise.then(({ $metadata, ...answer }) => answer, (error) => ({ error: error.name, message: error.message }));
const answers = {
  zones: await settle(ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }, { Name: 'zone-type', Values: ['availability-zone'] }] }))),
  offerings: await settle(ec2.send(new DescribeInstanceTypeOfferingsCommand({ LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: ['t4g.small', 't3.micro'] }] }))),
  versions: await settle(rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'postgres' }))),
  classes: await settle(rds.send(new DescribeOrderableDBInstanceOptionsCommand({ Engine: 'postgres', DBInstanceClass: 'db.t4g.micro', Vpc: true }))),
  refused: await settle(rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'postgres', DefaultOnly: true }))),
};
process.stdout.write(JSON.stringify(answers));
`;

let edge: SandboxEdge;
let dir: string;

beforeAll(async () => {
  edge = await startSandboxEdge();
  dir = mkdtempSync(join(tmpdir(), 'groundwork-schema-keys-'));
});

afterAll(async () => {
  await edge.close();
  rmSync(dir, { recursive: true, force: true });
});

async function bundleAndRun(name: string, withPlugin: boolean): Promise<{ kb: number; answers: Record<string, unknown> }> {
  const outfile = join(dir, `${name}.mjs`);
  const result = await build({
    stdin: { contents: READS, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    outfile,
    metafile: true,
    plugins: withPlugin ? plugins : [],
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  // Not spawnSync: the sandbox answering it runs in this process.
  const run = await promisify(execFile)(process.execPath, [outfile, edge.url, ACCOUNT], { encoding: 'utf8', timeout: 60_000 });
  const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
  return { kb: Math.round(bytes / 1024), answers: JSON.parse(run.stdout) as Record<string, unknown> };
}

it('rewrites only computed keys that name a string constant of the module', () => {
  const text = ['const _a = "xmlName";', 'const _b = "with \\"quote\\"";', 'let _c = "not const";', 'export var S$ = [3, { [_a]: 1, [_b]: 2, [_c]: 3, [_d]: 4 }];'].join('\n');
  expect(plugins.inlineSchemaKeys(text).split('\n').at(-1)).toBe('export var S$ = [3, { "xmlName": 1, "with \\"quote\\"": 2, [_c]: 3, [_d]: 4 }];');
});

it('refuses what it could change the meaning of: a computed key out of key position, a "__proto__" constant', () => {
  expect(() => plugins.inlineSchemaKeys('const _a = "x";\nvar o = c ? [_a]: 2;')).toThrow('is not an object key (after "?")');
  expect(() => plugins.inlineSchemaKeys('const _p = "__proto__";\nvar o = { [_p]: 2 };')).toThrow('_p is "__proto__"');
});

it('rewrites every installed SDK client\'s schema modules without refusing one (so a bundle build cannot fail on them)', () => {
  const sdk = join(ROOT, 'node_modules/@aws-sdk');
  const modules = readdirSync(sdk)
    .filter((name) => name.startsWith('client-'))
    .flatMap((client) => {
      const dir = join(sdk, client, 'dist-es/schemas');
      try {
        return readdirSync(dir).map((file) => join(dir, file)).filter((path) => plugins.SCHEMA_MODULE.test(path));
      } catch {
        return [];
      }
    });
  expect(modules.length).toBeGreaterThanOrEqual(10);
  for (const path of modules) {
    const text = readFileSync(path, 'utf8');
    const rewritten = plugins.inlineSchemaKeys(text, path);
    // Only keys change: the text differs by quotes around the same keys, never by the values.
    expect(rewritten.replace(/"[^"\n]*":/g, 'K:')).toBe(text.replace(/\[_\w+\]:/g, 'K:').replace(/"[^"\n]*":/g, 'K:'));
  }
});

it('leaves what the EC2 and RDS clients send and read unchanged, and drops the shapes they never use', async () => {
  // Act
  const plain = await bundleAndRun('plain', false);
  const rewritten = await bundleAndRun('rewritten', true);
  // Assess: the same answers, read from the sandbox (not empty, and the refused call refused alike)
  expect(rewritten.answers).toEqual(plain.answers);
  expect((plain.answers['zones'] as { AvailabilityZones: unknown[] }).AvailabilityZones.length).toBeGreaterThan(2);
  expect((plain.answers['versions'] as { DBEngineVersions: unknown[] }).DBEngineVersions.length).toBeGreaterThan(0);
  expect((plain.answers['offerings'] as { InstanceTypeOfferings: unknown[] }).InstanceTypeOfferings.length).toBeGreaterThan(0);
  expect(plain.answers['refused']).toMatchObject({ error: expect.any(String) });
  // …from a bundle without the EC2 shapes no call uses (about 550 KB of them)
  expect(plain.kb - rewritten.kb).toBeGreaterThan(400);
}, 120_000);
