import type { Cloudfunctions2Function } from '@cdktf/provider-google/lib/cloudfunctions2-function';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { VpcAccessConnector } from '@cdktf/provider-google/lib/vpc-access-connector';
import { Construct } from 'constructs';
import type { InputFeature } from '../../core/inference';
import { registryLayout } from '../../core/layout';
import { INFERENCE_ENV } from '../../lambdas/inference/config';
import { boundedName } from '../private/names';
import { Problems } from '../private/validation';
import { functionServiceName } from './drift-contract';
import type { FunctionPlatform } from './function-platform';
import { CloudRunModelService } from './cloud-run-model-service';
import type { ModelEndpoint } from './model-endpoint';
import type { PrivateEndpointAddress } from './private-endpoint-access';
import { allowInvoke, type FunctionIngress, platformFunction } from './private/cloud-function';

/** Properties of an {@link InferenceFunction}. */
export interface InferenceFunctionProps {
  /** The environment's function platform: source archives, image repository, build account and predictor role. */
  readonly platform: FunctionPlatform;
  /**
   * What the function calls: the model's Vertex AI endpoint, or its Cloud Run service (a `CloudRunModelService`, called
   * at `<uri>/predict` with an identity token for it, and which grants the function's account `roles/run.invoker`).
   * Its model name is the route's `{model}`.
   */
  readonly endpoint: ModelEndpoint | CloudRunModelService;
  /** The model's input schema; requests are validated against it before the endpoint is called. */
  readonly features: readonly InputFeature[];
  /**
   * Every model of the environment, for the 404 message.
   * @default - the endpoint's model only
   */
  readonly knownModels?: readonly string[];
  /**
   * Largest accepted request body, in bytes; larger bodies get a 413.
   * @default 1048576 (1 MiB, as the AWS inference API)
   */
  readonly maxBodyBytes?: number;
  /**
   * Most instances in one request.
   * @default 100
   */
  readonly maxInstancesPerRequest?: number;
  /**
   * How long one Vertex AI call may take, in milliseconds (100 to 60000). A 429 or 5xx is retried once, and the
   * function's timeout allows for both attempts.
   * @default 10000
   */
  readonly upstreamTimeoutMs?: number;
  /**
   * IAM members allowed to call it (`serviceAccount:…`, `group:…`, `user:…`, `domain:…`); never public.
   * @default - nobody beyond the project's owners
   */
  readonly invokers?: readonly string[];
  /**
   * Where requests may come from: `all`, `internal-and-gclb` (the VPC and load balancers) or `internal` (the VPC).
   * @default 'all' (reachable from the internet, but only with an invoker's identity token)
   */
  readonly ingress?: FunctionIngress;
  /**
   * Most instances of the function.
   * @default 10
   */
  readonly maxInstances?: number;
  /**
   * For a Private Service Connect endpoint: the endpoint's reserved address (predictions go to it, not to the public
   * API, which a PSC endpoint does not answer on) and the connector that reaches it.
   * @default - the public regional API, `https://<region>-aiplatform.googleapis.com`
   */
  readonly privateEndpoint?: {
    /** `PrivateEndpointAccess.addressFor(endpoint)`. */
    readonly address: PrivateEndpointAddress;
    /** `PrivateEndpointAccess.connector`. */
    readonly connector: VpcAccessConnector;
  };
  /**
   * Capture at the API: for an endpoint Vertex AI cannot log (`endpoint.requestLoggingAvailable` false), the function
   * writes `endpoint.samplingPercentage` % of successful predictions in SageMaker's capture format under
   * `data-capture/<model>/<endpoint id>/AllTraffic/` in the artifacts bucket, where the `DriftFunction` reads them.
   * @default false
   */
  readonly captureAtApi?: boolean;
}

/** Vertex AI predict attempts per request (429 and 5xx are retried once). */
const UPSTREAM_ATTEMPTS = 2;

/**
 * The inference API of one model on Google Cloud: a Cloud Run function serving `POST /models/{model}/predict` with
 * the AWS API's validation and error codes, in front of the model's Vertex AI endpoint. It runs as its own service
 * account, whose one permission is Vertex AI online prediction (project-wide: Vertex AI IAM cannot be narrowed to
 * one endpoint through Terraform's GA provider).
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { InferenceFunction, type FunctionPlatform, type ModelEndpoint } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const platform: FunctionPlatform;
 * declare const churn: ModelEndpoint;
 *
 * const inference = new InferenceFunction(stack, 'Inference-churn', {
 *   platform,
 *   endpoint: churn,
 *   features: [
 *     { name: 'tenure_months', type: 'numeric' },
 *     { name: 'contract', type: 'categorical' },
 *   ],
 *   invokers: ['serviceAccount:checkout@my-ml-project.iam.gserviceaccount.com'],
 * });
 * // Callers POST to `${inference.url}/models/churn/predict` with an identity token.
 * ```
 */
export class InferenceFunction extends Construct {
  /** The function (Cloud Run functions, 2nd gen). */
  readonly function: Cloudfunctions2Function;
  /** The function's own service account, whose one permission is Vertex AI online prediction (or invoking its Cloud Run service). */
  readonly serviceAccount: ServiceAccount;
  /** The function's URL; requests go to `<url>/models/<model>/predict`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: InferenceFunctionProps) {
    super(scope, id);
    const { platform, endpoint } = props;
    // The AWS inference API's defaults, so a model answers the same on both clouds.
    const upstreamTimeoutMs = props.upstreamTimeoutMs ?? 10_000;
    const problems = new Problems('InferenceFunction');
    for (const member of props.invokers ?? []) {
      problems.check(/^(serviceAccount|group|user|domain|principal|principalSet):\S+$/.test(member) && !/allUsers|allAuthenticatedUsers/.test(member), `invoker "${member}": expected serviceAccount:, group:, user: or domain: (never public)`);
    }
    problems.check(upstreamTimeoutMs >= 100 && upstreamTimeoutMs <= 60_000, `upstreamTimeoutMs ${upstreamTimeoutMs}: expected 100 to 60000`);
    for (const [field, value] of [['maxBodyBytes', props.maxBodyBytes], ['maxInstancesPerRequest', props.maxInstancesPerRequest]] as const) {
      problems.check(value === undefined || (Number.isInteger(value) && value > 0), `${field} ${value}: expected a positive integer`);
    }
    const capture = props.captureAtApi === true;
    problems.check(!capture || (endpoint.samplingPercentage >= 1 && endpoint.samplingPercentage <= 100), `captureAtApi: the endpoint's samplingPercentage ${endpoint.samplingPercentage}: expected 1 to 100`);
    problems.throwIfAny();
    const name = functionServiceName(platform.namePrefix, `predict-${endpoint.model}`);

    this.serviceAccount = new ServiceAccount(this, 'Account', {
      accountId: boundedName([platform.namePrefix, 'predict', endpoint.model], 30),
      displayName: endpoint instanceof CloudRunModelService ? `${name} (invokes ${endpoint.serviceName} only)` : `${name} (Vertex AI predict only)`,
      project: platform.project,
    });
    const cloudRun = endpoint instanceof CloudRunModelService ? endpoint : undefined;
    // On Cloud Run, invoking that one service is the function's only permission; on Vertex AI, online prediction.
    const canPredict = cloudRun
      ? cloudRun.grantInvoke(`Invoker-${name}`, this.serviceAccount.member)
      : new ProjectIamMember(this, 'Predicts', { project: platform.project, role: platform.predictorRole.name, member: this.serviceAccount.member });
    const prefix = capturePrefixOf(endpoint);
    // Create only (no read, replace or delete), under the endpoint's capture folder; the bucket's CMEK is applied by
    // Cloud Storage's own service agent, so the function needs no key permission.
    const canCapture = capture
      ? platform.registry.grantCreate(this.serviceAccount.member, { prefix })
      : undefined;

    this.function = platformFunction(this, 'Function', {
      platform,
      name,
      description: `POST /models/${endpoint.model}/predict in front of ${cloudRun ? `Cloud Run service ${cloudRun.serviceName}` : `Vertex AI endpoint ${endpoint.endpointId}`} (ModelStack)`,
      bundle: 'inference',
      serviceAccount: this.serviceAccount,
      environment: {
        [INFERENCE_ENV.model]: endpoint.model,
        [INFERENCE_ENV.endpointName]: endpoint.resourceName,
        [INFERENCE_ENV.features]: JSON.stringify(props.features.map((f) => ({ name: f.name, type: f.type }))),
        [INFERENCE_ENV.knownModels]: (props.knownModels ?? [endpoint.model]).join(','),
        [INFERENCE_ENV.maxBodyBytes]: String(props.maxBodyBytes ?? 1024 * 1024),
        [INFERENCE_ENV.maxInstances]: String(props.maxInstancesPerRequest ?? 100),
        [INFERENCE_ENV.upstreamTimeoutMs]: String(upstreamTimeoutMs),
        [INFERENCE_ENV.upstreamMaxAttempts]: String(UPSTREAM_ATTEMPTS),
        ...(props.privateEndpoint ? { [INFERENCE_ENV.vertexBaseUrl]: props.privateEndpoint.address.baseUrl } : {}),
        ...(cloudRun ? { [INFERENCE_ENV.cloudRunUrl]: cloudRun.uri } : {}),
        ...(capture
          ? {
              [INFERENCE_ENV.captureBucket]: platform.registry.bucket.name,
              [INFERENCE_ENV.capturePrefix]: prefix,
              [INFERENCE_ENV.captureSamplingPercentage]: String(endpoint.samplingPercentage),
            }
          : {}),
      },
      vpcConnector: props.privateEndpoint?.connector.id,
      // Every attempt may take the whole upstream timeout; a few seconds on top for validation and the answer.
      timeoutSeconds: Math.ceil((upstreamTimeoutMs * UPSTREAM_ATTEMPTS) / 1000) + 5,
      maxInstances: props.maxInstances ?? 10,
      ingress: props.ingress ?? 'all',
      dependsOn: canCapture ? [canPredict, canCapture] : [canPredict],
    });
    this.url = this.function.url;
    (props.invokers ?? []).forEach((member, i) => allowInvoke(this, `Invoker${i}`, this.function, member));
  }
}

/** The folder the drift function reads: `data-capture/<model>/<endpoint id>/AllTraffic/` (lambdas/drift/gcp/config.ts). */
function capturePrefixOf(endpoint: ModelEndpoint | CloudRunModelService): string {
  return `${registryLayout.dataCapturePrefix(endpoint.model)}${endpoint.endpointId}/AllTraffic/`;
}
