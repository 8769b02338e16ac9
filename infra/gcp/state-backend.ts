import { GcsBackend, LocalBackend, type TerraformStack } from 'cdktf';
import type { GcpStateConfig } from '../config/gcp-schema';
import { ConfigError } from '../config/load';

/**
 * Points the stack's Terraform state where the environment's config says: a Cloud Storage bucket under
 * `prefix` (default `<platform>/<environment>`), so a CI pipeline and people applying the same environment share
 * one locked state (https://developer.hashicorp.com/terraform/language/backend/gcs); or, chosen explicitly, a local
 * file at a relative path, which Terraform resolves in the stack's directory (`cdktf.out/stacks/<stack>/`), never
 * cdktf's default absolute path inside the checkout.
 */
export function configureStateBackend(stack: TerraformStack, state: GcpStateConfig | undefined, defaultPrefix: string, field: string): void {
  if (!state) throw new ConfigError('Google Cloud platform', [`${field}: expected where Terraform keeps the state: { bucket, prefix? } or, explicitly, { local: true }`]);
  if ('bucket' in state) new GcsBackend(stack, { bucket: state.bucket, prefix: state.prefix ?? defaultPrefix });
  else new LocalBackend(stack, { path: state.path ?? 'terraform.tfstate' });
}
