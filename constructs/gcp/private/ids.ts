import { createHash } from 'node:crypto';
import { Tokenization } from 'cdktf';
import type { Construct } from 'constructs';
import { deploymentStamp } from './time';

/**
 * A stable 10-digit id without a leading zero, derived from `name`. Vertex AI endpoint ids must be numeric,
 * and a fixed id lets the deploy tool and the monitoring filters name the endpoint before it exists.
 */
export function numericId(name: string): string {
  const hash = BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 15)}`);
  return String(1_000_000_000n + (hash % 9_000_000_000n));
}

/** `modelstack-dev` → `modelstack_dev`: BigQuery datasets and feature stores take underscores, not hyphens. */
export function underscored(name: string): string {
  return name.replace(/-/g, '_');
}

/**
 * A project custom role id, `<prefix>_<name>_<deployment stamp>`: a deleted role's id stays reserved for up to 37
 * days (https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/google_project_iam_custom_role,
 * https://cloud.google.com/iam/docs/reference/rest/v1/projects.roles/delete), so each deployment of the stack names
 * its roles anew. Role ids take letters, digits, `_` and `.`, at most 64 characters; the stamp takes 11.
 */
export function customRoleId(scope: Construct, namePrefix: string, name: string): string {
  return `${underscored(namePrefix)}_${name}`.slice(0, 53) + `_${deploymentStamp(scope)}`;
}

/**
 * An 8-hex-digit digest of `parts` that stays the same from synth to synth, for construct ids derived from what a
 * resource does. A token (`${TfToken[TOKEN.12]}`, numbered in creation order) is replaced by the Terraform
 * expression it stands for (`google_service_account.Drift_1A2B3C4D.member`), which only changes with the
 * construct path of what it references.
 */
export function stableDigest(parts: readonly string[]): string {
  const text = parts.map((part) => part.replace(/\$\{TfToken\[[^\]]+\]\}/g, (token) => referenceOf(token))).join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

function referenceOf(token: string): string {
  const identifier = (Tokenization.reverseString(token).firstToken as { identifier?: unknown } | undefined)?.identifier;
  if (typeof identifier !== 'string') throw new Error(`stableDigest: ${token} is not a reference to a resource attribute`);
  return identifier;
}
