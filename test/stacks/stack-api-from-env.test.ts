import { ConfigurationError } from '../../src/config/load-env';
import { StackService } from '../../src/stacks/stack-service';
import { stackApiFromEnv } from '../../src/stacks/stack-api-from-env';

/** What the five stack API functions need in their environment, and no more. */
const stackFunctionEnv = {
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'groundwork-test',
  EVENT_BUS_NAME: 'groundwork-test',
  SERVICE_ROLE_ARN: 'arn:aws:iam::999999999999:role/groundwork-test-service',
  PROVISION_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:999999999999:stateMachine:groundwork-test-provision-stack',
  DELETE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:999999999999:stateMachine:groundwork-test-delete-stack',
};

describe('stackApiFromEnv', () => {
  it('starts without the onboarding settings, which only the accounts API uses', () => {
    const { service, options } = stackApiFromEnv(stackFunctionEnv);

    expect(service).toBeInstanceOf(StackService);
    expect(options.tenantClaim).toBe('tenant');
  });

  it('refuses to start, naming the variable, without a workflow to start', () => {
    const { DELETE_STATE_MACHINE_ARN: _missing, ...env } = stackFunctionEnv;

    expect(() => stackApiFromEnv(env)).toThrow(ConfigurationError);
    expect(() => stackApiFromEnv(env)).toThrow(/DELETE_STATE_MACHINE_ARN/);
  });
});
