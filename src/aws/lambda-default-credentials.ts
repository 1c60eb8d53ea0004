import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Bundled into the Lambda functions in place of @aws-sdk/credential-provider-node (an esbuild
 * alias in serverless.yml). Lambda always hands a function its role's credentials in the
 * environment, so the default chain's other sources (SSO, ini files, IMDS, web identity …)
 * are dead weight in every bundle, ~90 KB of it. Outside Lambda (tests, `npm start`) nothing is
 * bundled and the SDK's own default chain is used.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);

// The module's other exports, as @aws-sdk/credential-provider-node defines them.
type MaybeExpiring = { expiration?: Date } | undefined;
export const credentialsWillNeedRefresh = (credentials: MaybeExpiring) => credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials: MaybeExpiring) =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
