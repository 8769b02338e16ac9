import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { Construct } from 'constructs';

/**
 * A service account for exactly one Cloud Build trigger, with the one project role every build needs (writing
 * its own logs). Whatever else the build does is granted by the construct that owns it.
 */
export function buildServiceAccount(scope: Construct, id: string, props: { accountId: string; displayName: string; project: string }): ServiceAccount {
  const account = new ServiceAccount(scope, id, { accountId: props.accountId, displayName: props.displayName, project: props.project });
  new ProjectIamMember(scope, `${id}Logs`, { project: props.project, role: 'roles/logging.logWriter', member: account.member });
  return account;
}
