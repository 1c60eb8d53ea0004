import { readFileSync } from 'node:fs';
import { endpoints } from '../../local/config';
import { TEMPLATES_PREFIX, onboardingTemplateRoute } from '../../local/api/onboarding-template-route';
import { DEFAULT_SPEED } from '../../local/sandbox/sandbox-clock';
import { InvalidSpeedError, speedFromEnvironment } from '../../local/runtime/speed';

/** The parts of `npm start` that are plain functions: its speed setting and the onboarding template it serves. */
describe('GROUNDWORK_SPEED', () => {
  it('defaults to the sandbox speed and takes any share of real time up to 10', () => {
    expect(speedFromEnvironment(undefined)).toBe(DEFAULT_SPEED);
    expect(speedFromEnvironment('')).toBe(DEFAULT_SPEED);
    expect(speedFromEnvironment('1')).toBe(1);
    expect(speedFromEnvironment('0.002')).toBe(0.002);
  });

  it.each(['0', '-1', 'fast', '11', 'Infinity'])('refuses %s, saying what it takes', (value) => {
    expect(() => speedFromEnvironment(value)).toThrow(InvalidSpeedError);
    expect(() => speedFromEnvironment(value)).toThrow(/above 0 and at most 10/);
  });
});

describe('the onboarding template route', () => {
  const route = onboardingTemplateRoute();
  const request = (method: string, path: string) => ({ method, path, query: {}, headers: {}, body: '' });

  it('serves cfn/onboarding-role.yaml where ONBOARDING_TEMPLATE_URL points', async () => {
    const path = new URL(endpoints.onboardingTemplate).pathname;
    expect(path.startsWith(route.prefix)).toBe(true);
    const answer = await route.handle(request('GET', path));
    expect(answer?.status).toBe(200);
    expect(answer?.headers['content-type']).toMatch(/^text\/yaml/);
    expect(answer?.body).toBe(readFileSync(new URL('../../cfn/onboarding-role.yaml', import.meta.url), 'utf8'));
  });

  it('answers 404 for another template and 405 for a write', async () => {
    expect((await route.handle(request('GET', `${TEMPLATES_PREFIX}other.yaml`)))?.status).toBe(404);
    expect((await route.handle(request('PUT', `${TEMPLATES_PREFIX}onboarding-role.yaml`)))?.status).toBe(405);
  });
});
