// `npm run aws:smoke`: deploys Groundwork's default stack into a real AWS account, checks it from
// inside and deletes it (scripts/aws-smoke/run-smoke.ts; what it verifies: docs/real-aws.md).
// Never run in CI or by `npm test`: it creates billable resources in the caller's account.
import { readFileSync } from 'node:fs';
import { customerCloudFormationFactory } from '../src/aws/customer-clients';
import { customerRegionClientsFactory } from '../src/aws/customer-region-clients';
import { awsRegionOfferFor } from '../src/region/region-offer';
import { createSmokeClients, destroySmokeClients, type SmokeClients } from './aws-smoke/smoke-clients';
import { Cleanup } from './aws-smoke/smoke-report';
import { DEFAULT_TIMING, realSleep } from './aws-smoke/smoke-runtime';
import { runSmoke } from './aws-smoke/run-smoke';

const out = (line: string) => process.stdout.write(`${line}\n`);
const interrupt = new AbortController();
const cleanup = new Cleanup();
let interrupts = 0;

process.on('SIGINT', () => {
  interrupts += 1;
  if (interrupts === 1) {
    out('\nCtrl-C: stopping, then deleting everything this run created (Ctrl-C again to leave it and exit).');
    interrupt.abort(new Error('interrupted (Ctrl-C)'));
    return;
  }
  out('\nSecond Ctrl-C: exiting now. These may still exist and cost money; delete them by hand:');
  cleanup.pending().forEach((what) => out(`  - ${what}`));
  process.exit(130);
});

let clients: SmokeClients | undefined;
const code = await runSmoke({
  argv: process.argv.slice(2),
  env: process.env,
  templateText: readFileSync(new URL('../cfn/onboarding-role.yaml', import.meta.url), 'utf8'),
  cleanup,
  out,
  runtime: (region, options) => {
    // Groundwork's own customer-account factories read their endpoint from the SDK's configuration.
    if (options.endpoint) process.env.AWS_ENDPOINT_URL = options.endpoint;
    clients = createSmokeClients({ region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
    return {
      region,
      clients,
      customerCloudFormation: customerCloudFormationFactory(clients.sts),
      regionOffers: awsRegionOfferFor(customerRegionClientsFactory(clients.sts)),
      fetch,
      sleep: realSleep,
      now: Date.now,
      signal: interrupt.signal,
      timing: DEFAULT_TIMING,
      out,
    };
  },
});
if (clients) destroySmokeClients(clients);
process.exit(code);
