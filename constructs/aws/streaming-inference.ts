import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { InputFeature } from '../../core/inference';
import { STREAMING_ENV } from '../../lambdas/streaming/config';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { IModelEndpoint } from './model-endpoint';
import type { IModelRegistry } from './model-registry';
import { BundledFunction } from './private/bundled-function';
import { acknowledgeWildcardResource } from './private/nag';
import { unresolved } from './private/tokens';
import { operationsLayout } from './private/operations-layout';

/** Properties of a {@link StreamingInference}. */
export interface StreamingInferenceProps {
  /** Model name (results land under `streaming/<model>/` in the registry). */
  readonly model: string;
  /** The endpoint that scores the records. */
  readonly endpoint: IModelEndpoint;
  /** The model's input schema; records are validated against it as API requests are. */
  readonly features: readonly InputFeature[];
  /** Registry whose bucket receives the results and whose key encrypts the stream, queue and results. */
  readonly registry: IModelRegistry;
  /** Key that encrypts the function's logs. */
  readonly logEncryptionKey: kms.IKey;
  /** How long function logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Records per function invocation.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long the event source gathers records before invoking.
   * @default Duration.seconds(5)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failing batch (bisected on each error) before its records go to the dead-letter queue.
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * Stream retention.
   * @default Duration.hours(24)
   */
  readonly retentionPeriod?: Duration;
  /**
   * Provisioned shards.
   * @default - on-demand capacity
   */
  readonly shardCount?: number;
  /**
   * Largest record body and most instances per record, as the API enforces them.
   * @default - 1 MiB and 100 instances
   */
  readonly limits?: {
    /** Largest record body, in bytes. */
    readonly maxBodyBytes: number;
    /** Most instances in one record. */
    readonly maxInstances: number;
  };
  /**
   * What happens to the stream and dead-letter queue when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Streaming inference for one model: a KMS-encrypted Kinesis data stream feeds a function in batch mode (partial
 * batch failure reporting, bisect on error, bounded retries, failed batches described in an encrypted SQS
 * dead-letter queue), which validates each record like the inference API, scores it on the endpoint and writes
 * results through Firehose to `streaming/<model>/results/` in the registry (SSE-KMS).
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as iam from 'aws-cdk-lib/aws-iam';
 * import type * as kms from 'aws-cdk-lib/aws-kms';
 * import * as logs from 'aws-cdk-lib/aws-logs';
 * import { StreamingInference, type ModelEndpoint, type ModelRegistry } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const registry: ModelRegistry;
 * declare const endpoint: ModelEndpoint;
 * declare const logEncryptionKey: kms.IKey;
 * declare const producerRole: iam.IRole;
 *
 * const streaming = new StreamingInference(stack, 'ChurnStream', {
 *   model: 'churn',
 *   endpoint,
 *   features: [
 *     { name: 'tenure_months', type: 'numeric' },
 *     { name: 'contract', type: 'categorical' },
 *   ],
 *   registry,
 *   logEncryptionKey,
 *   logRetention: logs.RetentionDays.ONE_MONTH,
 * });
 * streaming.grantWrite(producerRole);
 * ```
 */
export class StreamingInference extends Construct {
  /** The Kinesis data stream producers write records to, encrypted with the registry key. */
  readonly stream: kinesis.Stream;
  /** The bundled function that validates and scores each batch of records. */
  readonly function: lambda.Function;
  /** Describes batches that failed after their retries (KMS-encrypted, kept 14 days). */
  readonly deadLetterQueue: sqs.Queue;
  /** The Firehose delivery stream that writes results to `streaming/<model>/results/` in the registry. */
  readonly deliveryStream: CfnDeliveryStream;

  constructor(scope: Construct, id: string, props: StreamingInferenceProps) {
    super(scope, id);
    validateProps(props);
    const { registry } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.stream = new kinesis.Stream(this, 'Stream', {
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: registry.encryptionKey,
      streamMode: props.shardCount ? kinesis.StreamMode.PROVISIONED : kinesis.StreamMode.ON_DEMAND,
      shardCount: props.shardCount,
      retentionPeriod: props.retentionPeriod ?? Duration.hours(24),
      removalPolicy,
    });
    Validations.of(this.stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason: 'Encrypted with the registry\'s customer-managed, rotating key on purpose: its key policy is ours, and results are encrypted with the same key.',
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: registry.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter destination of the stream consumer.' });

    this.deliveryStream = this.createDeliveryStream(props);

    const limits = props.limits ?? { maxBodyBytes: 1024 * 1024, maxInstances: 100 };
    const fn = new BundledFunction(this, 'Score', {
      bundle: 'aws-streaming',
      description: `Streaming inference for ${props.model}`,
      environment: {
        [STREAMING_ENV.model]: props.model,
        [STREAMING_ENV.endpointName]: props.endpoint.endpointName,
        [STREAMING_ENV.deliveryStreamName]: this.deliveryStream.ref,
        [STREAMING_ENV.features]: JSON.stringify(props.features),
        [STREAMING_ENV.maxBodyBytes]: String(limits.maxBodyBytes),
        [STREAMING_ENV.maxInstances]: String(limits.maxInstances),
        POWERTOOLS_SERVICE_NAME: 'streaming',
        POWERTOOLS_METRICS_NAMESPACE: 'ModelStack',
      },
      logEncryptionKey: props.logEncryptionKey,
      logRetention: props.logRetention,
      timeout: Duration.minutes(2),
    });
    this.function = fn.function;
    props.endpoint.grantInvoke(this.function);
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DeliverResults', actions: ['firehose:PutRecordBatch'], resources: [this.deliveryStream.attrArn] }));
    this.function.addEventSource(
      new KinesisEventSource(this.stream, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize ?? 100,
        maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(5),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: props.retryAttempts ?? 3,
        onFailure: new SqsDlq(this.deadLetterQueue),
      }),
    );
    // Kinesis reads and SQS sends are granted by CDK with these KMS action families, on the one registry key only.
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(fn.role).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason: 'Scoped to the registry key, which encrypts the stream and the dead-letter queue; granted by the Kinesis and SQS grant helpers.' });
    }
    Validations.of(this.function).acknowledge({
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: 'The function is only invoked by its Kinesis event source mapping, whose on-failure destination is the dead-letter queue; a function DLQ applies to asynchronous invocations only.',
    });
  }

  /** Lets `grantee` put records on the stream (and encrypt them with the registry key). */
  grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.stream.grantWrite(grantee);
  }

  /** Age of the oldest record not yet processed. @default maximum over 5 minutes */
  metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metric('IteratorAge', { statistic: 'Maximum', ...props });
  }

  /** S3 destination through Firehose, writing only under the model's streaming prefixes with the registry key. */
  private createDeliveryStream(props: StreamingInferenceProps): CfnDeliveryStream {
    const { registry } = props;
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `Firehose delivery of ${props.model} streaming results`,
    });
    const objects = [operationsLayout.streamingOutputPrefix(props.model), operationsLayout.streamingErrorPrefix(props.model)].map((p) => registry.bucket.arnForObjects(`${p}*`));
    const policy = new iam.Policy(this, 'DeliveryPolicy', {
      statements: [
        new iam.PolicyStatement({ sid: 'Bucket', actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], resources: [registry.bucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'Objects', actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'], resources: objects }),
        new iam.PolicyStatement({
          sid: 'EncryptResults',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [registry.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      ],
    });
    policy.attachToRole(role);
    for (const arn of objects) acknowledgeWildcardResource(policy, arn, "Firehose writes one object per buffer under the model's own streaming prefixes.");

    const stream = new CfnDeliveryStream(this, 'Delivery', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: registry.encryptionKey.keyArn },
      extendedS3DestinationConfiguration: {
        bucketArn: registry.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: `${operationsLayout.streamingOutputPrefix(props.model)}!{timestamp:yyyy/MM/dd/HH}/`,
        errorOutputPrefix: `${operationsLayout.streamingErrorPrefix(props.model)}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`,
        bufferingHints: { intervalInSeconds: 60, sizeInMBs: 16 },
        compressionFormat: 'GZIP',
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: registry.encryptionKey.keyArn } },
      },
    });
    stream.node.addDependency(policy);
    return stream;
  }
}

function validateProps(props: StreamingInferenceProps): void {
  const problems = new Problems('StreamingInference');
  problems.check(SAFE_RESOURCE_NAME.test(props.model), `model "${props.model}": expected lowercase letters, digits and single hyphens`);
  problems.check(props.features.length > 0, 'features: expected at least one feature');
  const batchSize = props.batchSize ?? 100;
  problems.check(unresolved(batchSize) || (Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000), `batchSize ${batchSize}: expected an integer from 1 to 10000`);
  const retries = props.retryAttempts ?? 3;
  problems.check(unresolved(retries) || (Number.isInteger(retries) && retries >= 0 && retries <= 10), `retryAttempts ${retries}: expected an integer from 0 to 10`);
  const window = props.maxBatchingWindow?.isUnresolved() ? undefined : (props.maxBatchingWindow?.toSeconds() ?? 5);
  problems.check(window === undefined || (window >= 0 && window <= 300), `maxBatchingWindow ${window} s: expected 0 to 300 seconds`);
  problems.throwIfAny();
}
