import { Duration, Lazy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { InputFeature } from '../../core/inference';
import { registryLayout } from '../../core/layout';
import { INFERENCE_ENV } from '../../lambdas/inference/config';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import { type IModelEndpoint, VARIANT_NAME } from './model-endpoint';
import { AlarmFactory } from './monitoring/alarm-factory';
import type { IModelRegistry } from './model-registry';
import { BundledFunction, type BundledFunctionProps } from './private/bundled-function';
import { logsEncryptionKey } from './private/logs-key';
import { acknowledgeWildcardResource } from './private/nag';
import { unresolved } from './private/tokens';

const DEFAULT_UPSTREAM_TIMEOUT = Duration.seconds(14);

/**
 * The stage's access log line: HTTP API `$context` variables ("Customize HTTP API access logs", API Gateway Developer
 * Guide), each quoted, so every line is a JSON object. It must include `$context.requestId`.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  caller: '$context.identity.caller',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  responseLatency: '$context.responseLatency',
} as const;

/** One model the API serves. */
export interface InferenceModel {
  /** Model name; the route is `POST /models/<name>/predict`. */
  readonly name: string;
  /** The SageMaker endpoint that serves it. */
  readonly endpoint: IModelEndpoint;
  /** The model's input schema; requests are validated against it before the endpoint is called. */
  readonly features: readonly InputFeature[];
  /**
   * Capture at the API, for an endpoint that cannot capture itself (SageMaker serverless endpoints have no data
   * capture): the function writes sampled requests and responses in SageMaker's data-capture format to
   * `data-capture/<model>/<endpoint>/AllTraffic/` in the registry, where a `DriftMonitor` reads them.
   * @default - the function captures nothing
   */
  readonly capture?: InferenceCapture;
}

/** Capture at the inference API (see {@link InferenceModel.capture}). */
export interface InferenceCapture {
  /** The registry whose bucket receives the records (encrypted with its key). */
  readonly registry: IModelRegistry;
  /** Share of successful predictions captured: an integer from 1 to 100. */
  readonly samplingPercentage: number;
}

/** Properties of an {@link InferenceApi}. */
export interface InferenceApiProps {
  /**
   * Where the API's own alarms (capture failures) notify, on alarm and on OK.
   * @default - no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /**
   * Models to serve, each behind its own function that may invoke only that model's endpoint. More can be
   * added with `addModel`.
   * @default - none yet
   */
  readonly models?: readonly InferenceModel[];
  /**
   * Largest accepted request body, in bytes; larger bodies get a 413.
   * @default 1048576 (1 MiB)
   */
  readonly maxBodyBytes?: number;
  /**
   * Most instances in one request.
   * @default 100
   */
  readonly maxInstancesPerRequest?: number;
  /**
   * Steady-state requests per second the stage accepts before it answers 429.
   * @default 100
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst of requests the stage accepts.
   * @default 200
   */
  readonly throttleBurstLimit?: number;
  /**
   * How long one SageMaker call may take before the caller gets a 504. The function tries twice and API Gateway
   * cuts HTTP API integrations at 30 s, so the default uses that budget whole: a serverless endpoint's cold start
   * still answers when it can.
   * @default Duration.seconds(14)
   */
  readonly upstreamTimeout?: Duration;
  /**
   * Who may call the API.
   * @default - IAM (SigV4-signed requests; grant callers with `grantInvoke`)
   */
  readonly authorizer?: apigw.IHttpRouteAuthorizer;
  /**
   * How long access logs and function logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Key that encrypts the access and function logs.
   * @default - a new rotating key
   */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * An HTTP API with `POST /models/{model}/predict`: a bundled TypeScript function per model validates the
 * request against the model's input schema and calls its SageMaker endpoint; unknown models get a JSON 404.
 * The stage has throttling and JSON access logs; the API requires IAM authorization by default.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as iam from 'aws-cdk-lib/aws-iam';
 * import { InferenceApi, type ModelEndpoint } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const endpoint: ModelEndpoint;
 * declare const callerRole: iam.IRole;
 *
 * const api = new InferenceApi(stack, 'Api', {
 *   models: [
 *     {
 *       name: 'churn',
 *       endpoint,
 *       features: [
 *         { name: 'tenure_months', type: 'numeric' },
 *         { name: 'contract', type: 'categorical' },
 *       ],
 *     },
 *   ],
 *   throttleRateLimit: 50,
 * });
 * api.grantInvoke(callerRole);
 * ```
 */
export class InferenceApi extends Construct {
  /** The HTTP API. */
  readonly api: apigw.HttpApi;
  /** The `$default` stage, with throttling and access logs. */
  readonly stage: apigw.HttpStage;
  /** The stage's JSON access log. */
  readonly accessLogGroup: logs.LogGroup;
  /** The key that encrypts the access and function logs (`logEncryptionKey`, or the one created). */
  readonly logEncryptionKey: kms.IKey;
  /** The function behind each model's route. */
  readonly functions: Record<string, lambda.Function> = {};
  /** Per model that captures at the API: fires when a batch of captured records could not be written. */
  readonly captureFailureAlarms: Record<string, cloudwatch.Alarm> = {};
  private readonly alarms: AlarmFactory;

  private readonly authorizer: apigw.IHttpRouteAuthorizer;
  private readonly sharedEnvironment: Record<string, string>;
  private readonly functionDefaults: Pick<BundledFunctionProps, 'bundle' | 'logEncryptionKey' | 'logRetention'>;

  constructor(scope: Construct, id: string, props: InferenceApiProps = {}) {
    super(scope, id);
    validateProps(props);
    this.alarms = new AlarmFactory({ action: props.alarmAction });
    const retention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    this.logEncryptionKey = props.logEncryptionKey ?? logsEncryptionKey(this, 'LogKey', 'Inference API access and function logs');
    this.authorizer = props.authorizer ?? new HttpIamAuthorizer();

    this.api = new apigw.HttpApi(this, 'Api', { description: 'Model inference', createDefaultStage: false });
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention, encryptionKey: this.logEncryptionKey });
    this.stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit ?? 100, burstLimit: props.throttleBurstLimit ?? 200 },
      // Without a format, CDK writes Common Log Format; this is one JSON object per request.
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(this.accessLogGroup), format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)) },
    });

    this.sharedEnvironment = {
      // Resolved at synth time, so models added later are listed too.
      [INFERENCE_ENV.knownModels]: Lazy.string({ produce: () => Object.keys(this.functions).join(',') }),
      [INFERENCE_ENV.maxBodyBytes]: String(props.maxBodyBytes ?? 1024 * 1024),
      [INFERENCE_ENV.maxInstances]: String(props.maxInstancesPerRequest ?? 100),
      [INFERENCE_ENV.upstreamTimeoutMs]: String((props.upstreamTimeout ?? DEFAULT_UPSTREAM_TIMEOUT).toMilliseconds()),
      POWERTOOLS_SERVICE_NAME: 'inference',
      POWERTOOLS_METRICS_NAMESPACE: 'ModelStack',
    };
    this.functionDefaults = { bundle: 'aws-inference', logEncryptionKey: this.logEncryptionKey, logRetention: retention };

    // Literal routes win over this parameterised one, so it only sees models the API does not serve.
    const unknownModel = new BundledFunction(this, 'UnknownModel', {
      ...this.functionDefaults,
      description: 'Answers 404 for models the inference API does not serve',
      environment: this.sharedEnvironment,
      memorySize: 256,
    }).function;
    acknowledgeSynchronousOnly(unknownModel);
    this.api.addRoutes({
      path: '/models/{model}/predict',
      methods: [apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration('UnknownModel', unknownModel),
      authorizer: this.authorizer,
    });

    for (const model of props.models ?? []) this.addModel(model);
  }

  /**
   * Serves `model` at `POST /models/<name>/predict` through its own function, which may invoke only the model's
   * endpoint. `scope` (for example a nested stack per model) holds the function and route; default: this API.
   */
  addModel(model: InferenceModel, scope: Construct = this): lambda.Function {
    validateModel(model, Object.keys(this.functions));
    const fn = new BundledFunction(scope, `Predict-${model.name}`, {
      ...this.functionDefaults,
      description: `Inference for ${model.name}`,
      environment: {
        ...this.sharedEnvironment,
        [INFERENCE_ENV.model]: model.name,
        [INFERENCE_ENV.endpointName]: model.endpoint.endpointName,
        [INFERENCE_ENV.features]: JSON.stringify(model.features),
        ...(model.capture ? captureEnvironment(model) : {}),
      },
    }).function;
    acknowledgeSynchronousOnly(fn);
    model.endpoint.grantInvoke(fn);
    if (model.capture) this.grantCapture(scope, fn, model as InferenceModel & { capture: InferenceCapture });
    new apigw.HttpRoute(scope, `Route-${model.name}`, {
      httpApi: this.api,
      routeKey: apigw.HttpRouteKey.with(`/models/${model.name}/predict`, apigw.HttpMethod.POST),
      integration: new HttpLambdaIntegration(`Predict-${model.name}`, fn),
      authorizer: this.authorizer,
    });
    this.functions[model.name] = fn;
    return fn;
  }

  /**
   * The function may only put objects under the endpoint's capture folder and encrypt them with the registry key:
   * an SSE-KMS upload needs `kms:GenerateDataKey` (Amazon S3 User Guide, "Using server-side encryption with AWS
   * KMS keys": permissions), not `kms:Decrypt`, which only multipart uploads need; batches are single puts.
   */
  private grantCapture(scope: Construct, fn: lambda.Function, model: InferenceModel & { capture: InferenceCapture }): void {
    const { registry } = model.capture;
    const objects = registry.bucket.arnForObjects(`${capturePrefix(model)}*`);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [registry.encryptionKey.keyArn] }));
    acknowledgeWildcardResource(fn.role!, objects, `New capture objects under this endpoint's own capture folder only (${model.name}).`);
    this.captureFailureAlarms[model.name] = this.alarms.addAlarm(scope, `CaptureFailures-${model.name}`, 'captureFailures', {
      description: `Inference API of ${model.name}: captured records could not be written to the registry (drift checks miss them); see the function's logs`,
      metric: this.metricCaptureFailures(model.name),
    });
  }

  /** Capture batches of one model the function could not write. @default sum over 5 minutes */
  metricCaptureFailures(model: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: 'ModelStack', metricName: 'CaptureFailures', dimensionsMap: { service: 'inference', Model: model }, statistic: 'Sum', ...props });
  }

  /** The stage URL, such as `https://abc123.execute-api.eu-west-1.amazonaws.com/`. */
  get url(): string {
    return this.stage.url;
  }

  /**
   * Lets `grantee` call `POST /models/<name>/predict` (IAM authorization) for `models`, or for every model,
   * present and future, when `models` is omitted. Naming the models keeps the grant free of wildcards (cdk-nag
   * AwsSolutions-IAM5 flags `models/*`).
   *
   * @param models - the models `grantee` may call; each must be served by this API
   */
  grantInvoke(grantee: iam.IGrantable, models?: readonly string[]): iam.Grant {
    const unknown = (models ?? []).filter((name) => !(name in this.functions));
    if (unknown.length > 0) {
      throw new Error(`InferenceApi.grantInvoke: ${unknown.join(', ')} not served by this API (it serves ${Object.keys(this.functions).join(', ') || 'no model yet'})`);
    }
    const paths = models ? models.map((name) => `/models/${name}/predict`) : ['/models/*/predict'];
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: paths.map((path) => this.api.arnForExecuteApi('POST', path, this.stage.stageName)),
    });
  }

  /** Handler latency of one model, from the functions' embedded metrics. @default p99 over 5 minutes */
  metricLatency(model: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'ModelStack',
      metricName: 'Latency',
      dimensionsMap: { service: 'inference', Model: model },
      statistic: 'p99',
      ...props,
    });
  }

  /** 5xx answers of the API. @default sum over 5 minutes */
  metricServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.api.metricServerError({ statistic: 'Sum', ...props });
  }

  /** 4xx answers of the API. @default sum over 5 minutes */
  metricClientErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.api.metricClientError({ statistic: 'Sum', ...props });
  }
}

function validateModel(model: InferenceModel, existing: readonly string[]): void {
  const problems = new Problems(`InferenceApi model "${model.name}"`);
  problems.check(SAFE_RESOURCE_NAME.test(model.name), 'name: expected lowercase letters, digits and single hyphens');
  problems.check(!existing.includes(model.name), 'name: already served by this API');
  problems.check(model.features.length > 0, 'features: expected at least one feature');
  const sampling = model.capture?.samplingPercentage;
  problems.check(sampling === undefined || (Number.isInteger(sampling) && sampling >= 1 && sampling <= 100), `capture.samplingPercentage ${sampling}: expected an integer from 1 to 100`);
  problems.throwIfAny();
}

/** Where the function writes: the folder SageMaker would capture into, which the drift check reads. */
function capturePrefix(model: InferenceModel): string {
  return `${registryLayout.dataCapturePrefix(model.name)}${model.endpoint.endpointName}/${VARIANT_NAME}/`;
}

function captureEnvironment(model: InferenceModel & { capture?: InferenceCapture }): Record<string, string> {
  return {
    [INFERENCE_ENV.captureBucket]: model.capture!.registry.bucket.bucketName,
    [INFERENCE_ENV.capturePrefix]: capturePrefix(model),
    [INFERENCE_ENV.captureSamplingPercentage]: String(model.capture!.samplingPercentage),
  };
}

function validateProps(props: InferenceApiProps): void {
  const problems = new Problems('InferenceApi');
  const positive = (value: number | undefined, name: string, tokenAllowed: boolean) =>
    problems.check(value === undefined || (tokenAllowed && unresolved(value)) || (Number.isInteger(value) && value > 0), `${name} ${value}: expected a positive integer`);
  // The limits are written into the functions' environment at synth; the throttling goes to the stage as is.
  positive(props.maxBodyBytes, 'maxBodyBytes', false);
  positive(props.maxInstancesPerRequest, 'maxInstancesPerRequest', false);
  positive(props.throttleRateLimit, 'throttleRateLimit', true);
  positive(props.throttleBurstLimit, 'throttleBurstLimit', true);
  // API Gateway cuts HTTP API integrations at 30 s.
  const timeout = (props.upstreamTimeout ?? DEFAULT_UPSTREAM_TIMEOUT).toMilliseconds();
  problems.check(timeout >= 100 && timeout <= 25_000, `upstreamTimeout ${timeout} ms: expected 100 ms to 25 s`);
  problems.throwIfAny();
}

/** API Gateway invokes the API's functions synchronously only: a dead-letter queue would never receive anything. */
function acknowledgeSynchronousOnly(fn: lambda.Function): void {
  Validations.of(fn).acknowledge({
    id: 'NIST.800.53.R5-LambdaDLQ',
    reason: 'API Gateway invokes this function synchronously, so the caller gets any error; a dead-letter queue only applies to asynchronous invocations.',
  });
}
