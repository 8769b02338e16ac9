import type { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member';
import type { Cloudfunctions2Function } from '@cdktf/provider-google/lib/cloudfunctions2-function';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { GCP_BASELINE_ENV } from '../../lambdas/training-baseline/gcp/config';
import { boundedName } from '../private/names';
import { functionServiceName } from './drift-contract';
import type { FunctionPlatform } from './function-platform';
import { allowInvoke, platformFunction } from './private/cloud-function';

/** Where the training runs' work files are in the registry's artifacts bucket: the only prefix the function touches. */
export const TRAINING_WORK_PREFIX = 'pipelines/';

/** Properties of a {@link TrainingBaselineFunction}. */
export interface TrainingBaselineFunctionProps {
  /** The environment's function platform: source archives, image repository, build account. */
  readonly platform: FunctionPlatform;
  /**
   * Most instances at a time (each call profiles one run's training features).
   * @default 5
   */
  readonly maxInstances?: number;
  /**
   * Memory of an instance: the features CSV is downloaded to its in-memory disk and profiled.
   * @default '2Gi'
   */
  readonly memory?: string;
}

/**
 * The training workflows' baseline step on Google Cloud, one per environment (the AWS `TrainingBaseline` Lambda's
 * counterpart, over the same core): a Cloud Run function (2nd gen, CMEK) that profiles a run's training features into
 * `baseline.json` with the drift engine's profiler, so the training image needs no Node.js. It runs as its own account,
 * which may read and write only `pipelines/` in the registry's artifacts bucket. Ingress is internal only: Workflows
 * reaches "Cloud Run functions ... in the same Google Cloud project with ingress restricted to internal traffic"
 * ("Invoke Cloud Run functions or Cloud Run", Workflows) at its run.app URL ({@link TrainingBaselineFunction.url}):
 * Cloud Run's `internal` ingress admits Workflows "in the same project or VPC Service Controls perimeter", even at the
 * run.app URL ("Restrict network ingress for Cloud Run"), with an ID token (OIDC) for Cloud Run ("Authenticate from a
 * workflow", Workflows). Nobody may invoke it until {@link TrainingBaselineFunction.grantInvoke} names them, and never `allUsers`.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { TrainingBaselineFunction, type FunctionPlatform } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const platform: FunctionPlatform;
 *
 * const baseline = new TrainingBaselineFunction(stack, 'TrainingBaseline', { platform });
 * // Pass it to each TrainingWorkflow (`baseline`), which grants its account the invoker role.
 * ```
 */
export class TrainingBaselineFunction extends Construct {
  /** The function. */
  readonly function: Cloudfunctions2Function;
  /** The account it runs as. */
  readonly serviceAccount: ServiceAccount;
  /** Its run.app URL (the Cloud Run service's URI), which the workflows call with an OIDC token for it. */
  readonly url: string;
  private readonly invokers = new Map<string, CloudRunV2ServiceIamMember>();

  constructor(scope: Construct, id: string, props: TrainingBaselineFunctionProps) {
    super(scope, id);
    const { platform } = props;
    const { registry, project, namePrefix } = platform;
    this.serviceAccount = new ServiceAccount(this, 'Account', { accountId: boundedName([namePrefix, 'train-baseline'], 30), displayName: `${namePrefix} training baseline function`, project });
    // Reads the prepared features, writes baseline.json (a retried call rewrites it): the work folders only.
    const grants: ITerraformDependable[] = [registry.grantReadWrite(this.serviceAccount.member, { prefix: TRAINING_WORK_PREFIX })];
    this.function = platformFunction(this, 'Function', {
      platform,
      name: functionServiceName(namePrefix, 'training-baseline'),
      description: 'Baseline step of the training workflows: profiles a run\'s training features into baseline.json (ModelStack)',
      bundle: 'training-baseline',
      serviceAccount: this.serviceAccount,
      environment: { [GCP_BASELINE_ENV.registryBucket]: registry.bucket.name },
      // Cloud Workflows' http.post waits at most 1800 s; a profile of a large CSV takes a few minutes.
      timeoutSeconds: 1800,
      memory: props.memory ?? '2Gi',
      maxInstances: props.maxInstances ?? 5,
      ingress: 'internal',
      dependsOn: grants,
    });
    this.url = this.function.serviceConfig.uri;
  }

  /** Lets `member` (a training workflow's account) invoke the function; one grant per member. */
  grantInvoke(id: string, member: string): CloudRunV2ServiceIamMember {
    let grant = this.invokers.get(member);
    if (!grant) {
      grant = allowInvoke(this, `${id}Invokes`, this.function, member);
      this.invokers.set(member, grant);
    }
    return grant;
  }
}
