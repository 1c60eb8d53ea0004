import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { AccountNotFoundError } from '../../src/accounts/errors';
import { TenantLimitError, ValidationError } from '../../src/errors';
import { RegionUnreadableError } from '../../src/region/errors';
import { StackService } from '../../src/stacks/stack-service';
import type { StackWorkloads } from '../../src/aws/customer-workload-clients';
import { AccountNotConnectedError, IdempotencyKeyReusedError, StackBusyError, StackHasWorkloadsError, StackNameTakenError, StackNotFoundError } from '../../src/stacks/errors';
import { DELETE_ARN, PROVISION_ARN, stackServiceFixture } from '../support/stack-service-fixture';

/** StackService's decisions over the in-memory store: fast, no DynamoDB Local. */
describe('StackService', () => {
  let f: ReturnType<typeof stackServiceFixture>;
  beforeEach(() => {
    f = stackServiceFixture();
  });

  describe('create', () => {
    it('records the stack, starts its provisioning execution under the stack id, and publishes CREATE_IN_PROGRESS', async () => {
      // Prepare
      const account = await f.connectedAccount();

      // Act
      const view = await f.service.create(account.tenantId, f.request(account, { name: 'web' }));

      // Assess
      expect(view).toMatchObject({ name: 'web', status: 'CREATE_IN_PROGRESS', accountId: account.id });
      expect(await f.service.get(account.tenantId, view.id)).toMatchObject({ id: view.id, status: 'CREATE_IN_PROGRESS', version: 1 });
      expect(f.started()).toEqual([{ stateMachineArn: PROVISION_ARN, name: view.id, input: JSON.stringify({ stackId: view.id }) }]);
      expect(f.published).toEqual([{ type: 'Stack Status Change', detail: expect.objectContaining({ stackId: view.id, status: 'CREATE_IN_PROGRESS' }) }]);
      expect(f.store.liveCount(account.id)).toBe(1);
    });

    it('chooses the AZs from the account\'s region, through its access role, and records them on the stack', async () => {
      const account = await f.connectedAccount();

      const view = await f.service.create(account.tenantId, f.request(account, { network: { azCount: 2 } }));

      const zones = [
        { name: 'us-east-1a', zoneId: 'use1-az1' },
        { name: 'us-east-1b', zoneId: 'use1-az2' },
      ];
      expect(view.availabilityZones).toEqual(zones);
      expect((await f.service.get(account.tenantId, view.id)).network.availabilityZones).toEqual(zones);
      expect(f.regions.asked).toEqual([{ access: { accessRoleArn: account.accessRoleArn, externalId: account.externalId, sessionName: 'groundwork-create-stack' }, region: 'us-east-1' }]);
    });

    it('answers 400 for what the region cannot hold, and writes and starts nothing', async () => {
      const account = await f.connectedAccount();

      const refusal = await f.service.create(account.tenantId, f.request(account, { region: 'us-west-1', database: { version: '16.4' } })).catch((error: unknown) => error);

      expect(refusal).toBeInstanceOf(ValidationError);
      expect((refusal as ValidationError).errors.map((error) => error.field)).toEqual(['network.azCount', 'database.version']);
      expect((await f.service.list(account.tenantId, { limit: 10 })).items).toEqual([]);
      expect(f.started()).toEqual([]);
      expect(f.store.liveCount(account.id)).toBe(0);
    });

    it('answers 409 when the access role may not read the region (an onboarding stack from before the region checks)', async () => {
      const account = await f.connectedAccount();
      const service = new StackService({ ...f.deps, regions: async () => Promise.reject(new RegionUnreadableError('ec2:DescribeAvailabilityZones')) });

      await expect(service.create(account.tenantId, f.request(account))).rejects.toMatchObject({ status: 409, code: 'region-unreadable' });
      expect(f.started()).toEqual([]);
    });

    it('gives stacks in one account and region VPC blocks that do not overlap', async () => {
      const account = await f.connectedAccount();

      const first = await f.service.create(account.tenantId, f.request(account));
      const second = await f.service.create(account.tenantId, f.request(account));

      expect(second.vpcCidr).not.toBe(first.vpcCidr);
      expect((await f.store.cidrScope({ tenantId: account.tenantId, accountId: account.id, region: 'us-east-1' })).taken.sort()).toEqual(
        [first.vpcCidr, second.vpcCidr].sort(),
      );
    });

    it('answers a repeated request with the same Idempotency-Key with the first answer, and makes one stack', async () => {
      const account = await f.connectedAccount();
      const request = f.request(account);

      const first = await f.service.create(account.tenantId, request, 'key-1');
      const again = await f.service.create(account.tenantId, request, 'key-1');

      expect(again).toEqual(first);
      expect((await f.service.list(account.tenantId, { limit: 10 })).items.map((s) => s.id)).toEqual([first.id]);
      // The repeat (re)starts the same execution: harmless, and it mends a start that failed.
      expect(f.started().map((s) => s.name)).toEqual([first.id, first.id]);
    });

    it('refuses an Idempotency-Key used before for another request', async () => {
      const account = await f.connectedAccount();
      await f.service.create(account.tenantId, f.request(account), 'key-1');

      await expect(f.service.create(account.tenantId, f.request(account), 'key-1')).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    });

    it('refuses a name live in the account and region, naming the stack that holds it', async () => {
      const account = await f.connectedAccount();
      const first = await f.service.create(account.tenantId, f.request(account, { name: 'web' }));

      const refused = f.service.create(account.tenantId, f.request(account, { name: 'web' }));

      await expect(refused).rejects.toBeInstanceOf(StackNameTakenError);
      await expect(refused).rejects.toThrow(first.id);
      expect(f.store.liveCount(account.id)).toBe(1);
    });

    it('refuses an account that is not connected, and shows another tenant\'s account as missing', async () => {
      const waiting = await f.connectedAccount(undefined, 'AWAITING_CONNECTION');
      const theirs = await f.connectedAccount('someone-else');

      await expect(f.service.create(waiting.tenantId, f.request(waiting))).rejects.toBeInstanceOf(AccountNotConnectedError);
      await expect(f.service.create('acme', f.request(theirs))).rejects.toBeInstanceOf(AccountNotFoundError);
      expect(f.started()).toEqual([]);
    });

    it('answers 409 and leaves nothing behind when the account is disconnected between its read and the creation', async () => {
      const account = await f.connectedAccount();
      f.store.beforeWrite = (operation) => {
        if (operation === 'create') f.accounts.setStatus(account.id, 'REVOKED');
      };

      await expect(f.service.create(account.tenantId, f.request(account, { name: 'web' }))).rejects.toBeInstanceOf(AccountNotConnectedError);

      expect((await f.service.list(account.tenantId, { limit: 10 })).items).toEqual([]);
      expect(f.store.liveCount(account.id)).toBe(0);
      expect((await f.store.cidrScope({ tenantId: account.tenantId, accountId: account.id, region: 'us-east-1' })).taken).toEqual([]);
    });

    it('allocates again when another creation took a block in the same scope meanwhile', async () => {
      const account = await f.connectedAccount();
      let racer: Promise<{ vpcCidr: string }> | undefined;
      f.store.beforeWrite = async (operation) => {
        if (operation !== 'create' || racer) return;
        racer = f.service.create(account.tenantId, f.request(account));
        await racer;
      };

      const created = await f.service.create(account.tenantId, f.request(account));

      const other = await racer;
      expect(other?.vpcCidr).toBeDefined();
      expect(created.vpcCidr).not.toBe(other?.vpcCidr);
      expect(f.store.liveCount(account.id)).toBe(2);
    });

    it('rolls the stack back and frees its name when its provisioning execution cannot be started', async () => {
      const account = await f.connectedAccount();
      f.sfnStub.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      await expect(f.service.create(account.tenantId, f.request(account, { name: 'web' }))).rejects.toThrow('Rate exceeded');

      const [failed] = (await f.service.list(account.tenantId, { limit: 10 })).items;
      expect(failed?.status).toBe('ROLLBACK_COMPLETE');
      expect(f.store.liveCount(account.id)).toBe(0);
      await expect(f.service.create(account.tenantId, f.request(account, { name: 'web' }))).resolves.toMatchObject({ status: 'CREATE_IN_PROGRESS' });
    });
  });

  describe('the tenant\'s live-stack cap', () => {
    it('refuses a stack over the cap with a 409 naming the cap and the count, across the tenant\'s accounts', async () => {
      // Prepare: a cap of 2, reached with one stack in each of two accounts of one tenant
      f = stackServiceFixture({ maxLiveStacksPerTenant: 2 });
      const first = await f.connectedAccount();
      const second = await f.connectedAccount(first.tenantId);
      await f.service.create(first.tenantId, f.request(first));
      await f.service.create(first.tenantId, f.request(second));

      // Act
      const refused = f.service.create(first.tenantId, f.request(first));

      // Assess: refused as a state of the tenant's data, nothing stored or started for it
      await expect(refused).rejects.toThrow(TenantLimitError);
      await expect(refused).rejects.toMatchObject({ status: 409, code: 'tenant-limit', limit: 2, count: 2, message: expect.stringContaining('has 2 live stacks; the cap is 2') });
      expect((await f.service.list(first.tenantId, { limit: 10 })).items).toHaveLength(2);
      expect(f.started()).toHaveLength(2);
      expect(f.store.tenantCount(first.tenantId)).toBe(2);
      // Another tenant is not held by this one's cap
      const other = await f.connectedAccount();
      await expect(f.service.create(other.tenantId, f.request(other))).resolves.toMatchObject({ status: 'CREATE_IN_PROGRESS' });
    });

    it('gives the place back when a stack is released, and not twice', async () => {
      f = stackServiceFixture({ maxLiveStacksPerTenant: 1 });
      const account = await f.connectedAccount();
      const created = await f.service.create(account.tenantId, f.request(account));
      await expect(f.service.create(account.tenantId, f.request(account))).rejects.toThrow(TenantLimitError);

      // Act: the stack ends (its rollback releases it), and a later status changes nothing more
      await f.recorder.recordStackStatus(created.id, { status: 'ROLLBACK_IN_PROGRESS' });
      await f.recorder.recordStackStatus(created.id, { status: 'ROLLBACK_COMPLETE' });
      await f.recorder.recordStackStatus(created.id, { status: 'DELETE_IN_PROGRESS' });
      await f.recorder.recordStackStatus(created.id, { status: 'DELETE_COMPLETE' });

      // Assess
      expect(f.store.tenantCount(account.tenantId)).toBe(0);
      await expect(f.service.create(account.tenantId, f.request(account))).resolves.toMatchObject({ status: 'CREATE_IN_PROGRESS' });
      expect(f.store.tenantCount(account.tenantId)).toBe(1);
    });
  });

  describe('get, list and events', () => {
    it('shows another tenant\'s stack as missing', async () => {
      const account = await f.connectedAccount();
      const created = await f.service.create(account.tenantId, f.request(account));

      await expect(f.service.get('someone-else', created.id)).rejects.toBeInstanceOf(StackNotFoundError);
      await expect(f.service.events('someone-else', created.id, { limit: 10 })).rejects.toBeInstanceOf(StackNotFoundError);
      expect((await f.service.list('someone-else', { limit: 10 })).items).toEqual([]);
    });

    it('lists a tenant\'s stacks newest first, a page at a time', async () => {
      const account = await f.connectedAccount();
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        ids.push((await f.service.create(account.tenantId, f.request(account))).id);
        await new Promise((resolve) => setTimeout(resolve, 2)); // distinct createdAt
      }

      const first = await f.service.list(account.tenantId, { limit: 2 });
      const rest = await f.service.list(account.tenantId, { limit: 2, ...(first.nextToken ? { nextToken: first.nextToken } : {}) });

      expect([...first.items, ...rest.items].map((s) => s.id)).toEqual(ids.reverse());
      expect(rest.nextToken).toBeUndefined();
    });
  });

  describe('delete', () => {
    it('starts the teardown of a complete stack under a name of its own', async () => {
      const account = await f.connectedAccount();
      const created = await f.service.create(account.tenantId, f.request(account));
      await f.recorder.recordStackStatus(created.id, { status: 'CREATE_COMPLETE' });

      const deleting = await f.service.delete(account.tenantId, created.id);

      expect(deleting.status).toBe('DELETE_IN_PROGRESS');
      expect(f.started().at(-1)).toEqual({ stateMachineArn: DELETE_ARN, name: `${created.id}-delete-1`, input: JSON.stringify({ stackId: created.id }) });
    });

    describe('of a stack carrying workloads Groundwork did not create (real-AWS review D9)', () => {
      /** A complete stack with a built cluster and an apigateway frontend, and what the workload reads would answer. */
      async function withWorkloads(found: () => Promise<Omit<StackWorkloads, 'unreadable'> & Partial<Pick<StackWorkloads, 'unreadable'>>>) {
        const asked: Array<{ region: string; sites: object; sessionName: string }> = [];
        const service = new StackService({
          ...f.deps,
          workloads: async (access, region, sites) => {
            asked.push({ region, sites, sessionName: access.sessionName });
            return { unreadable: [], ...(await found()) };
          },
        });
        const account = await f.connectedAccount();
        const created = await service.create(account.tenantId, f.request(account));
        await f.recorder.recordStep(created.id, 'cluster', { status: 'IN_PROGRESS' });
        await f.recorder.recordStep(created.id, 'cluster', { status: 'COMPLETE', set: { outputs: { ClusterName: `groundwork-${created.id}-cluster` } } });
        await f.recorder.recordStep(created.id, 'frontend', { status: 'IN_PROGRESS' });
        await f.recorder.recordStep(created.id, 'frontend', { status: 'COMPLETE', set: { outputs: { CloudMapServiceArn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0123456789abcdef' } } });
        await f.recorder.recordStackStatus(created.id, { status: 'CREATE_COMPLETE' });
        return { service, account, created, asked };
      }

      it('answers 409 naming the ECS services in its cluster and the instances in its Cloud Map service, and starts nothing', async () => {
        const { service, account, created, asked } = await withWorkloads(async () => ({
          ecsServices: [`arn:aws:ecs:us-east-1:123456789012:service/groundwork-x-cluster/api`, `arn:aws:ecs:us-east-1:123456789012:service/groundwork-x-cluster/worker`],
          cloudMapInstances: ['10.0.3.7-task'],
        }));
        const starts = f.started().length;

        const refusal = await service.delete(account.tenantId, created.id).catch((error: unknown) => error);

        expect(refusal).toBeInstanceOf(StackHasWorkloadsError);
        expect((refusal as StackHasWorkloadsError).message).toContain('ECS services in its cluster: api, worker; instances in its Cloud Map service: 10.0.3.7-task.');
        expect(asked).toEqual([{ region: 'us-east-1', sites: { clusterName: `groundwork-${created.id}-cluster`, cloudMapServiceId: 'srv-0123456789abcdef' }, sessionName: 'groundwork-delete-stack' }]);
        expect((await service.get(account.tenantId, created.id)).status).toBe('CREATE_COMPLETE');
        expect(f.started()).toHaveLength(starts);
      });

      it('answers 409 for Cloud Map instances alone (registered from another cluster, or by hand)', async () => {
        const { service, account, created } = await withWorkloads(async () => ({ ecsServices: [], cloudMapInstances: ['manual-1'] }));

        await expect(service.delete(account.tenantId, created.id)).rejects.toThrow('still has workloads Groundwork did not create: instances in its Cloud Map service: manual-1.');
      });

      it('still answers 409 for the ECS services when the Cloud Map service cannot be read (an onboarding stack older than that permission)', async () => {
        const denied = Object.assign(new Error('not authorized to perform: servicediscovery:ListInstances'), { name: 'AccessDeniedException' });
        const { service, account, created } = await withWorkloads(async () => ({ ecsServices: ['arn:aws:ecs:us-east-1:123456789012:service/groundwork-x-cluster/api'], cloudMapInstances: [], unreadable: [{ site: 'cloudMapServiceId', error: denied }] }));

        await expect(service.delete(account.tenantId, created.id)).rejects.toThrow('ECS services in its cluster: api.');
        expect(f.logged.some((entry) => entry.message === 'stack workloads partly unreadable before teardown; checking what could be read' && (entry as { site?: string }).site === 'cloudMapServiceId')).toBe(true);
      });

      it('tears it down once the cluster and the Cloud Map service are empty', async () => {
        const { service, account, created } = await withWorkloads(async () => ({ ecsServices: [], cloudMapInstances: [] }));

        await expect(service.delete(account.tenantId, created.id)).resolves.toMatchObject({ status: 'DELETE_IN_PROGRESS' });
      });

      it('tears it down, with a warning, when the workloads cannot be read (an onboarding stack older than the check)', async () => {
        const { service, account, created } = await withWorkloads(async () => Promise.reject(Object.assign(new Error('not authorized to perform: ecs:ListServices'), { name: 'AccessDeniedException' })));

        await expect(service.delete(account.tenantId, created.id)).resolves.toMatchObject({ status: 'DELETE_IN_PROGRESS' });
        expect(f.logged.some((entry) => entry.message === 'stack workloads unreadable before teardown; deleting without the check')).toBe(true);
      });
    });

    it('answers 409 for a stack whose creation is still running', async () => {
      const account = await f.connectedAccount();
      const created = await f.service.create(account.tenantId, f.request(account));

      await expect(f.service.delete(account.tenantId, created.id)).rejects.toBeInstanceOf(StackBusyError);
      expect(f.sfnStub.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
    });

    it('hands a stack whose creation stopped unnoticed to its rollback', async () => {
      const account = await f.connectedAccount();
      const created = await f.service.create(account.tenantId, f.request(account));
      f.sfnStub.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });

      const answer = await f.service.delete(account.tenantId, created.id);

      expect(answer.status).toBe('ROLLBACK_IN_PROGRESS');
      expect(f.started().at(-1)).toMatchObject({ stateMachineArn: DELETE_ARN, name: `${created.id}-delete-1` });
    });

    it('answers a stack already deleted as it is, starting nothing', async () => {
      const account = await f.connectedAccount();
      const created = await f.service.create(account.tenantId, f.request(account));
      await f.recorder.recordStackStatus(created.id, { status: 'CREATE_COMPLETE' });
      await f.service.delete(account.tenantId, created.id);
      await f.recorder.recordStackStatus(created.id, { status: 'DELETE_IN_PROGRESS' });
      await f.recorder.recordStackStatus(created.id, { status: 'DELETE_COMPLETE' });
      const starts = f.started().length;

      await expect(f.service.delete(account.tenantId, created.id)).resolves.toMatchObject({ status: 'DELETE_COMPLETE' });
      expect(f.started()).toHaveLength(starts);
    });
  });
});
