import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member';
import { Construct } from 'constructs';
import { Problems } from '../private/validation';
import type { ModelRegistry } from './model-registry';
import { ServiceAgents } from './private/service-agents';
import { withRegistryDefaults } from './private/registry-defaults';

/** Properties of an {@link EncryptedTopic}. */
export interface EncryptedTopicProps {
  /** Topic name: a letter, then letters, digits and `-_.~+%`, 3 to 255 characters, not starting with `goog`. */
  readonly name: string;
  /**
   * GCP project id.
   * @default - the registry's project
   */
  readonly project?: string;
  /** The registry whose key encrypts the messages. */
  readonly registry: ModelRegistry;
  /**
   * How long unacknowledged messages are kept, in seconds (600 to 2678400).
   * @default 604800 (7 days)
   */
  readonly messageRetentionSeconds?: number;
  /**
   * Labels on the topic.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * A Pub/Sub topic encrypted with the registry's CMEK key. The Pub/Sub service agent is granted the key
 * before the topic is created (creation fails otherwise).
 *
 * @example
 * ```ts
 * import type { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
 * import type { TerraformStack } from 'cdktf';
 * import { EncryptedTopic, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 * declare const publisher: ServiceAccount;
 *
 * const topic = new EncryptedTopic(stack, 'DriftDetected', {
 *   name: 'modelstack-dev-DriftDetected',
 *   project: 'my-ml-project',
 *   registry,
 * });
 * topic.grantPublish('PublisherPublishes', publisher.member);
 * ```
 */
export class EncryptedTopic extends Construct {
  /** The Pub/Sub topic. */
  readonly topic: PubsubTopic;

  constructor(scope: Construct, id: string, given: EncryptedTopicProps) {
    super(scope, id);
    const props = withRegistryDefaults(given);
    validateProps(props);
    const agents = ServiceAgents.of(this, props.project);
    const agentCanUseKey = agents.settled(props.registry.grantKeyUse('PubSubAgent', agents.pubsub));
    this.topic = new PubsubTopic(this, 'Topic', {
      name: props.name,
      project: props.project,
      kmsKeyName: props.registry.cryptoKey.id,
      messageRetentionDuration: `${props.messageRetentionSeconds ?? 604800}s`,
      labels: props.labels,
      dependsOn: [agentCanUseKey],
    });
  }

  /** Lets `member` publish to this topic (and nothing else). */
  grantPublish(id: string, member: string): PubsubTopicIamMember {
    return new PubsubTopicIamMember(this, id, { topic: this.topic.id, role: 'roles/pubsub.publisher', member });
  }
}

function validateProps(props: EncryptedTopicProps): void {
  const problems = new Problems('EncryptedTopic');
  problems.check(/^[A-Za-z][\w.~+%-]{2,254}$/.test(props.name) && !props.name.startsWith('goog'), `name "${props.name}": expected a letter, then 2 to 254 letters, digits or -_.~+%, not starting with goog`);
  const retention = props.messageRetentionSeconds ?? 604800;
  problems.check(Number.isInteger(retention) && retention >= 600 && retention <= 2678400, `messageRetentionSeconds ${retention}: expected 600 to 2678400`);
  problems.throwIfAny();
}
