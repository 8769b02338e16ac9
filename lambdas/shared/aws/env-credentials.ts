/**
 * Bundle-time stand-in for `@aws-sdk/credential-provider-node`, wired with esbuild's `alias` by the functions'
 * bundling options. A Lambda function always receives its role's credentials in environment variables, so the
 * SDK's full default chain (SSO, INI files, IMDS, web identity, and the STS/SSO clients they pull in: about
 * 80 KB minified) is dead weight in the bundle. Exports mirror the real module's.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init: FromEnvInit = {}) => fromEnv(init);
export const credentialsWillNeedRefresh = (credentials?: { expiration?: Date }) => credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials?: { expiration?: Date }) =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
