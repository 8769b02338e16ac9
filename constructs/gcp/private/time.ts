import { type ITerraformDependable, TerraformProvider, TerraformResource, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';

/**
 * The hashicorp/time provider, declared without prebuilt bindings (only two of its resources are used here).
 * https://registry.terraform.io/providers/hashicorp/time/latest/docs
 */
const TIME = { providerName: 'time', providerVersionConstraint: '~> 0.12' } as const;

class TimeProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, { terraformResourceType: 'time', terraformGeneratorMetadata: TIME, terraformProviderSource: 'hashicorp/time' });
  }
}

/** The stack's time provider, created on first use. */
function timeProvider(scope: Construct): TimeProvider {
  const stack = TerraformStack.of(scope);
  return (stack.node.tryFindChild('time') as TimeProvider | undefined) ?? new TimeProvider(stack, 'time');
}

/**
 * `time_sleep`: waits `createDuration` after the resources it depends on are created (only on create; a later
 * apply does not wait again). https://registry.terraform.io/providers/hashicorp/time/latest/docs/resources/sleep
 */
export class TimeSleep extends TerraformResource {
  constructor(scope: Construct, id: string, private readonly createDuration: string, dependsOn: ITerraformDependable[]) {
    super(scope, id, { terraformResourceType: 'time_sleep', terraformGeneratorMetadata: TIME, provider: timeProvider(scope), dependsOn });
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { create_duration: this.createDuration };
  }
}

/**
 * `time_static`: a timestamp taken when the resource is created and kept in the Terraform state until it is
 * destroyed. https://registry.terraform.io/providers/hashicorp/time/latest/docs/resources/static
 */
export class TimeStatic extends TerraformResource {
  constructor(scope: Construct, id: string) {
    super(scope, id, { terraformResourceType: 'time_static', terraformGeneratorMetadata: TIME, provider: timeProvider(scope) });
  }

  /** Seconds since the epoch at creation, such as `1767225600`. */
  get unix(): string {
    return this.getStringAttribute('unix');
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return {};
  }
}

/**
 * A number fixed for the lifetime of the stack's Terraform state (its creation time), to end names Google keeps
 * reserved after deletion: a stack destroyed and deployed again gets a new one, so it never asks for a name that is
 * still taken (KMS key rings are never deleted; custom role ids stay reserved for 37 days).
 */
export function deploymentStamp(scope: Construct): string {
  const stack = TerraformStack.of(scope);
  const stamp = (stack.node.tryFindChild('DeploymentStamp') as TimeStatic | undefined) ?? new TimeStatic(stack, 'DeploymentStamp');
  return stamp.unix;
}
