import { StorageNotification } from '@cdktf/provider-google/lib/storage-notification';
import { Construct } from 'constructs';
import { EncryptedTopic } from './encrypted-topic';
import type { ModelRegistry } from './model-registry';
import { MODELS_PREFIX } from './private/iam';
import { ServiceAgents } from './private/service-agents';

/** Properties of a {@link ModelVersionEvents}. */
export interface ModelVersionEventsProps {
  /** The registry whose artifact bucket is watched; its key encrypts the topic. */
  readonly registry: ModelRegistry;
  /** Topic name, such as `modelstack-dev-model-versions`. */
  readonly topicName: string;
  /**
   * GCP project id.
   * @default - the registry's project
   */
  readonly project?: string;
  /**
   * Labels on the topic.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * Publishes every object written under `models/` in the registry's artifact bucket to an encrypted Pub/Sub
 * topic (GCS `OBJECT_FINALIZE` notifications, JSON API payload). The message attributes `bucketId` and
 * `objectId` name the object; a Cloud Build Pub/Sub trigger filters them to start a deployment.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { ModelVersionEvents, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 *
 * const events = new ModelVersionEvents(stack, 'ModelVersions', {
 *   registry,
 *   topicName: 'modelstack-dev-model-versions',
 *   project: 'my-ml-project',
 * });
 * // events.topic.topic.id is what a CloudbuildTrigger's pubsubConfig.topic takes.
 * ```
 */
export class ModelVersionEvents extends Construct {
  /** The encrypted topic the notifications are published to. */
  readonly topic: EncryptedTopic;
  /** The bucket notification (`OBJECT_FINALIZE` under `models/`). */
  readonly notification: StorageNotification;

  constructor(scope: Construct, id: string, props: ModelVersionEventsProps) {
    super(scope, id);
    this.topic = new EncryptedTopic(this, 'Topic', { name: props.topicName, project: props.project, registry: props.registry, labels: props.labels });
    // GCS publishes as the project's storage service agent, which needs publish rights before the notification exists.
    const agents = ServiceAgents.of(this, props.project ?? props.registry.project);
    const agentCanPublish = agents.settled(this.topic.grantPublish('StorageAgentPublish', agents.storage));
    this.notification = new StorageNotification(this, 'Notification', {
      bucket: props.registry.bucket.name,
      topic: this.topic.topic.id,
      payloadFormat: 'JSON_API_V1',
      eventTypes: ['OBJECT_FINALIZE'],
      objectNamePrefix: MODELS_PREFIX,
      dependsOn: [agentCanPublish],
    });
  }
}
