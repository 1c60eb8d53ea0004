import { SFNClient } from '@aws-sdk/client-sfn';
import { accountLookup } from '../src/accounts/account-lookup';
import { DynamoDbAccountStore } from '../src/accounts/account-store';
import { createServiceClients } from '../src/aws/clients';
import { customerRegionClientsFactory } from '../src/aws/customer-region-clients';
import { createServiceRoleSts } from '../src/aws/service-role-sts';
import { awsRegionOfferFor } from '../src/region/region-offer';
import { executionArn } from '../src/aws/workflow-client';
import { createEventPublisher } from '../src/events/event-publisher';
import { createLogger } from '../src/log/logger';
import { COMPONENTS } from '../src/model/components';
import { StackRecorder } from '../src/stacks/stack-recorder';
import { stackRequestSchema, type StackRequestInput } from '../src/model/stack-request';
import { StackService } from '../src/stacks/stack-service';
import { DynamoDbStackStore } from '../src/stacks/stack-store';
import { createBranch, provisionStackDefinition } from '../src/stacks/workflow/state-machine-definitions';
import { arns, LOCAL_HOST, names, REGION, SERVICE_ACCOUNT } from '../local/config';
import { startEdgeServer } from '../local/edge/edge-server';
import { createFunctionInvoker } from '../local/runtime/function-invoker';
import { createStepFunctionsService } from '../local/stepfunctions/step-functions-service';
import { substitutePlaceholders } from '../local/stepfunctions/local-state-machine';
import type { ConnectedAccount, ExecutionRef, StackView } from './harness';
import { SEQUENTIAL_EDGE_PORT } from './local-environment';

/**
 * The naive order, run for real: the provisioning state machine with its component graph
 * replaced by one chain (network, nat, security, endpoints, secrets, database, cluster, frontend,
 * bastion — each starts when the one before it is complete). Everything else is what the real
 * workflow runs: the same branch per component (createBranch: Deploy, Wait, Check …, with the
 * same waits and polls), the same rollback, the unchanged stackWorkflow handler, the same local
 * Step Functions implementation and time scale, the same DynamoDB table and sandbox accounts.
 * Stacks are created by a StackService wired as the createStack function wires it, except that
 * it starts this state machine, served by a second local Step Functions on its own edge port.
 */
export const SEQUENTIAL_STATE_MACHINE_ARN = arns.provisionStateMachine.replace(/provision-stack$/, 'provision-stack-sequential');

export function sequentialProvisionDefinition(): Record<string, unknown> {
  const definition = provisionStackDefinition() as { States: Record<string, Record<string, unknown>> };
  const chain = [...COMPONENTS].reverse().reduce<ReturnType<typeof createBranch> | undefined>((then, component) => createBranch(component, then), undefined);
  const build = definition.States['BuildComponents'];
  if (!build || !chain) throw new Error('the provisioning definition has no BuildComponents state');
  build['Branches'] = [chain];
  return definition;
}

export interface SequentialWorkflow {
  create(account: ConnectedAccount, request: Omit<StackRequestInput, 'accountId'>): Promise<StackView>;
  execution(stackId: string): ExecutionRef;
  stop(): Promise<void>;
}

export async function startSequentialWorkflow(speed: number): Promise<SequentialWorkflow> {
  const invoker = createFunctionInvoker();
  const functionArn = arns.function('stackWorkflow');
  const stepFunctions = createStepFunctionsService({
    machines: { [SEQUENTIAL_STATE_MACHINE_ARN]: substitutePlaceholders(sequentialProvisionDefinition(), { StackWorkflowFunctionArn: functionArn }) },
    functions: { [functionArn]: (input: unknown) => invoker.invoke('stackWorkflow', input) },
    waitScale: speed,
  });
  const edge = await startEdgeServer({ host: LOCAL_HOST, port: SEQUENTIAL_EDGE_PORT, services: [stepFunctions] });
  const sfn = new SFNClient({ region: REGION, endpoint: edge.url, credentials: { accessKeyId: SERVICE_ACCOUNT, secretAccessKey: 'local' } });

  const clients = createServiceClients({ region: REGION });
  const logger = createLogger({ level: 'warn', fields: { service: 'groundwork-bench-sequential' } });
  const store = new DynamoDbStackStore(clients.dynamo, names.table);
  const service = new StackService({
    store,
    recorder: new StackRecorder(store, createEventPublisher(clients.events, names.eventBus), logger),
    accounts: accountLookup(new DynamoDbAccountStore(clients.dynamo, names.table)),
    sfn,
    provisionStateMachineArn: SEQUENTIAL_STATE_MACHINE_ARN,
    deleteStateMachineArn: arns.deleteStateMachine,
    logger,
    // As the stack-creating function: the region read through the customer's access role (create-stack-api-from-env.ts).
    regions: awsRegionOfferFor(customerRegionClientsFactory(createServiceRoleSts({ region: REGION, serviceRoleArn: arns.serviceRole }))),
  });

  return {
    async create(account, request) {
      return service.create(account.tenant, stackRequestSchema.parse({ ...request, accountId: account.id }));
    },
    execution: (stackId) => ({ sfn, arn: executionArn(SEQUENTIAL_STATE_MACHINE_ARN, stackId) }),
    async stop() {
      await stepFunctions.settle();
      sfn.destroy();
      await edge.close();
    },
  };
}
