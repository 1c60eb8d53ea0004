import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { accountKey } from '../../store/table-keys';
import type { AccountStatus } from '../../model/statuses';
import { registrationTokenMatches } from '../onboarding-credentials';
import { accountOfArn } from './custom-resource-request';

/**
 * What the onboarding callback's first stage may know of an account: enough to check a
 * registration's token and the AWS account it is bound to, and nothing more — never the ExternalId
 * (security review M1). The read names these attributes in a ProjectionExpression, and the
 * function's role may GetItem only them (serverless.yml, OnboardingCallbackRole).
 */
export const REGISTRATION_BINDING_ATTRIBUTES = ['awsAccountId', 'registrationTokenHash', 'registrationStackId', 'status'] as const;

export interface RegistrationBinding {
  awsAccountId: string;
  registrationTokenHash: string;
  registrationStackId?: string;
  status: AccountStatus;
}

export interface RegistrationBindingReader {
  read(accountId: string, options?: { signal?: AbortSignal }): Promise<RegistrationBinding | undefined>;
}

export class DynamoDbRegistrationBindingReader implements RegistrationBindingReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(accountId: string, options: { signal?: AbortSignal } = {}): Promise<RegistrationBinding | undefined> {
    const names = Object.fromEntries(REGISTRATION_BINDING_ATTRIBUTES.map((name, index) => [`#a${index}`, name]));
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: accountKey(accountId),
        ConsistentRead: true,
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: names,
      }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    const item = result.Item;
    if (!item || typeof item['registrationTokenHash'] !== 'string' || typeof item['awsAccountId'] !== 'string') return undefined;
    return {
      awsAccountId: item['awsAccountId'],
      registrationTokenHash: item['registrationTokenHash'],
      status: item['status'] as AccountStatus,
      ...(typeof item['registrationStackId'] === 'string' ? { registrationStackId: item['registrationStackId'] } : {}),
    };
  }
}

/**
 * Anyone may publish to the registration topic, so nothing in a Create or Update counts until the
 * token matches the account it names, for the AWS account the stack runs in. A missing account,
 * another AWS account's and a wrong token are one answer (security review L5).
 */
export function registrationMatches(binding: Pick<RegistrationBinding, 'awsAccountId' | 'registrationTokenHash'> | undefined, stackId: string, token: string): boolean {
  return binding !== undefined && accountOfArn(stackId) === binding.awsAccountId && registrationTokenMatches(token, binding.registrationTokenHash);
}

/** A Delete undoes something only when it comes from the stack that connected the account, with its token. */
export function deletionMatches(binding: Omit<RegistrationBinding, 'awsAccountId'> | undefined, stackId: string, token: string): boolean {
  return binding !== undefined && binding.status !== 'REVOKED' && binding.registrationStackId === stackId && registrationTokenMatches(token, binding.registrationTokenHash);
}
