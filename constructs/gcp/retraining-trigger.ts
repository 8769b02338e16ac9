import { CloudbuildTrigger } from '@cdktf/provider-google/lib/cloudbuild-trigger';
import type { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { Construct } from 'constructs';
import { registryLayout } from '../../core/layout';
import { boundedName } from '../private/names';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import { DRIFT_EVENT_ATTRIBUTES } from './drift-contract';
import type { EncryptedTopic } from './encrypted-topic';
import type { ModelRegistry } from './model-registry';
import { buildServiceAccount } from './private/build-account';
import type { GitHubRepository } from './vertex-deploy-trigger';
import { withRegistryDefaults } from './private/registry-defaults';

/** Properties of a {@link RetrainingTrigger}. */
export interface RetrainingTriggerProps {
  /** The registry the build reads baselines from and writes new model versions to. */
  readonly registry: ModelRegistry;
  /** The environment's DriftDetected topic. */
  readonly driftTopic: EncryptedTopic;
  /** The repository holding the retraining build config (connected to Cloud Build). */
  readonly repository: GitHubRepository;
  /**
   * Prefix of the trigger and service-account names, such as `modelstack-dev`.
   * @default - the registry's `namePrefix`
   */
  readonly namePrefix?: string;
  /**
   * GCP project id.
   * @default - the registry's project
   */
  readonly project?: string;
  /**
   * Your training build config in the repository, such as `ci/retrain.cloudbuild.yaml`: what retrains the model
   * named by `_MODEL` and uploads the new version under `models/<model>/<version>/`. ModelStack ships no training
   * code, so there is no default.
   */
  readonly buildConfig: string;
  /**
   * Whether each retraining run waits for a manual approval.
   * @default false
   */
  readonly approvalRequired?: boolean;
  /**
   * Only drift of these models starts the build (a trigger filter on the message's `model` attribute): the platform
   * passes the models without a `training` section, whose retraining is a `TrainingWorkflow`'s.
   * @default - every model's drift
   */
  readonly models?: readonly string[];
}

/**
 * Runs your retraining build (`buildConfig` in the repository) on every DriftDetected message. The message's `model` attribute is
 * passed to the build as `_MODEL`. The build's service account may read baselines and write new versions under
 * `models/` (which the deploy trigger then picks up) and write its logs; grant it whatever your training also
 * reads through `serviceAccount`.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { RetrainingTrigger, type EncryptedTopic, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 * declare const driftTopic: EncryptedTopic;
 *
 * const retraining = new RetrainingTrigger(stack, 'Retraining', {
 *   registry,
 *   driftTopic,
 *   namePrefix: 'modelstack-prod',
 *   project: 'my-ml-project',
 *   repository: { owner: 'example-org', name: 'modelstack' },
 *   buildConfig: 'ci/retrain.cloudbuild.yaml',
 * });
 * // Grant retraining.serviceAccount.member read access to your training data.
 * ```
 */
export class RetrainingTrigger extends Construct {
  /** The Cloud Build Pub/Sub trigger. */
  readonly trigger: CloudbuildTrigger;
  /** The service account the retraining build runs as. */
  readonly serviceAccount: ServiceAccount;

  constructor(scope: Construct, id: string, given: RetrainingTriggerProps) {
    super(scope, id);
    const props = withRegistryDefaults(given);
    const problems = new Problems('RetrainingTrigger');
    problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
    const buildConfig = props.buildConfig;
    problems.check(
      typeof buildConfig === 'string' && /^[\w./-]+\.ya?ml$/.test(buildConfig),
      `buildConfig ${JSON.stringify(buildConfig)}: expected the path of your YAML training build config in the repository, such as ci/retrain.cloudbuild.yaml`,
    );
    for (const model of props.models ?? []) problems.check(SAFE_RESOURCE_NAME.test(model), `models: "${model}": expected lowercase letters, digits and single hyphens`);
    problems.check(props.models === undefined || props.models.length > 0, 'models: expected at least one model (omit it for every model)');
    problems.throwIfAny();

    this.serviceAccount = buildServiceAccount(this, 'ServiceAccount', {
      accountId: boundedName([props.namePrefix, 'retrain'], 30),
      displayName: `${props.namePrefix} retrains models on drift`,
      project: props.project,
    });
    const member = this.serviceAccount.member;
    const models = registryLayout.modelPrefix('').replace(/\/+$/, '/');
    props.registry.grantRead(member, { bucket: 'baselines' });
    // objectCreator cannot overwrite or delete: a retraining run adds versions, it never replaces one.
    props.registry.grantCreate(member, { prefix: models });

    const repository = `https://github.com/${props.repository.owner}/${props.repository.name}`;
    const ref = `refs/heads/${props.repository.branch ?? 'main'}`;
    this.trigger = new CloudbuildTrigger(this, 'Trigger', {
      name: boundedName([props.namePrefix, 'retrain'], 64),
      description: `Retrains a model when drift is detected (${buildConfig})`,
      project: props.project,
      serviceAccount: this.serviceAccount.id,
      pubsubConfig: { topic: props.driftTopic.topic.id },
      sourceToBuild: { uri: repository, ref, repoType: 'GITHUB' },
      gitFileSource: { path: buildConfig, uri: repository, revision: ref, repoType: 'GITHUB' },
      substitutions: { _MODEL: `$(body.message.attributes.${DRIFT_EVENT_ATTRIBUTES.model})` },
      // Model names are lowercase letters, digits and hyphens: nothing to escape in the pattern.
      filter: props.models ? `_MODEL.matches("^(${props.models.join('|')})$")` : undefined,
      approvalConfig: { approvalRequired: props.approvalRequired ?? false },
    });
  }
}
