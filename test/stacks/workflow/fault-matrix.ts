import { COMPONENTS, componentsFor, type ComponentName } from '../../../src/model/components';
import type { Stack } from '../../../src/stacks/stack';
import { eventDetailErrors } from '../../support/event-schemas';
import type { Harness } from './workflow-harness';

/**
 * The shared shape of the fault-matrix tests: a stack with every component, a fault aimed at
 * one of them, and what must hold afterwards — the stack rolled back with nothing left in the
 * customer's account (or exactly the leftovers it names), and an event for every transition.
 */
export const EVERY_COMPONENT = { bastion: { enabled: true, allowedCidr: '203.0.113.0/24' }, network: { endpoints: true } } as const;

export const suffix = (component: ComponentName) => new RegExp(`-${component}$`);

export async function runWithFault(h: Harness, arrange: (component: ComponentName) => void, component: ComponentName): Promise<Stack> {
  const account = await h.connectedAccount();
  const request = h.request(account, EVERY_COMPONENT);
  expect(componentsFor(request)).toEqual([...COMPONENTS]);
  arrange(component);
  const created = await h.stacks.create(account.tenantId, request);
  await h.settle();
  return h.stacks.get(account.tenantId, created.id);
}

/** ROLLBACK_COMPLETE, nothing left in the double, every step gone, the failing one named. */
export function expectCleanRollback(h: Harness, stack: Stack, component: ComponentName, reason: RegExp): void {
  expect({ status: stack.status, live: h.liveComponentStacks(stack.id) }).toEqual({ status: 'ROLLBACK_COMPLETE', live: [] });
  expect(stack.statusReason).toMatch(new RegExp(`^${component}: `));
  expect(stack.statusReason).toMatch(reason);
  for (const step of Object.values(stack.steps)) expect(['ROLLED_BACK', 'SKIPPED']).toContain(step.status);
  expect(stack.leftovers ?? []).toEqual([]);
}

/** Every transition recorded in the stack's history was published, once, and validates. */
export async function expectEventsForEveryTransition(h: Harness, stack: Stack): Promise<void> {
  const history = await h.stackStore.events(stack.id, { limit: 1000 });
  const published = h.publishedEvents().filter((e) => e.detail['stackId'] === stack.id);
  // Parallel branches publish concurrently: the same events, each once, in any interleaving.
  const canonical = (details: unknown[]) => details.map((d) => JSON.stringify(d)).sort();
  expect(canonical(published.map((e) => e.detail))).toEqual(canonical(history.items.map((e) => e.detail)));
  for (const event of published) expect(eventDetailErrors(event.type, event.detail)).toEqual([]);
  const statuses = published.filter((e) => e.type === 'Stack Status Change').map((e) => e.detail['status']);
  expect(statuses[0]).toBe('CREATE_IN_PROGRESS');
  expect(statuses.at(-1)).toBe(stack.status);
}
