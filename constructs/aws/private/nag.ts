import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag IAM5 finding: a wildcard inside `resource` (an ARN, possibly holding same-stack
 * tokens). The id names that exact resource, so any other wildcard on the same policy still fails synth.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const rendered = renderLikeNag(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${rendered}]`, reason });
}

/** Renders a resolved CloudFormation value the way cdk-nag prints it in a finding id. */
function renderLikeNag(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(renderLikeNag).join(separator);
  }
  if (typeof v.Ref === 'string') return `<${v.Ref}>`;
  if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  // Other intrinsics (Fn::Select, Fn::Split, ...) appear as their JSON.
  return JSON.stringify(value);
}

/**
 * Acknowledges each wildcard resource of `policy` by name: for policies that CDK writes itself (such as a
 * Distributed Map's permission to manage its own child executions), whose ARNs we do not build.
 */
export function acknowledgeWildcardsOf(policy: iam.Policy, reason: string): void {
  const document = policy.document.toJSON() as { Statement: { Resource?: unknown }[] };
  for (const statement of document.Statement) {
    for (const resource of [statement.Resource ?? []].flat()) {
      const rendered = renderLikeNag(Stack.of(policy).resolve(resource));
      if (rendered.includes('*')) Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${rendered}]`, reason });
    }
  }
}
