import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import { acknowledgeWildcardResource } from './private/nag';
import { jsonataArguments } from './private/jsonata';

/** How an approved version replaces the serving one (SageMaker deployment guardrails, blue/green). */
export interface PromotionStrategy {
  /**
   * `canary`: `trafficPercent` of capacity first, then the rest; `linear`: steps of `trafficPercent`;
   * `all-at-once`: everything after the new fleet is healthy, still with a baking period.
   * @default 'canary'
   */
  readonly kind?: 'canary' | 'linear' | 'all-at-once';
  /** Share of capacity per step, in percent. @default 10 */
  readonly trafficPercent?: number;
  /** Baking time between steps, watched by the rollback alarms. @default Duration.minutes(10) */
  readonly wait?: Duration;
  /** Longest a deployment may take before SageMaker rolls it back. @default Duration.hours(2) */
  readonly timeout?: Duration;
}

/** One model the workflow promotes. */
export interface PromotedModel {
  /** Model name; its package group and endpoint are both `<namePrefix>-<name>`. */
  readonly name: string;
  /** The endpoint's SageMaker execution role, reused by each new version. */
  readonly executionRole: iam.IRole;
  /** CloudWatch alarms that roll a deployment back (such as the endpoint's 5xx and latency alarms). */
  readonly rollbackAlarmNames: readonly string[];
  /**
   * How traffic moves from the serving version to the approved one.
   * @default - a canary of 10 % of capacity, 10 minutes of baking, rolled back after 2 hours
   */
  readonly strategy?: PromotionStrategy;
}

/** Properties of a {@link ModelPromotion}. */
export interface ModelPromotionProps {
  /** Prefix of package groups and endpoints, such as `modelstack-prod`. */
  readonly namePrefix: string;
  /** The models it may promote. At least one. */
  readonly models: readonly PromotedModel[];
  /** Told about each promotion, rejection and failed deployment (may be KMS-encrypted: pass `topicKey`). */
  readonly notificationTopic: sns.ITopic;
  /**
   * Key of `notificationTopic`.
   * @default - the topic is not encrypted with a customer-managed key
   */
  readonly topicKey?: kms.IKey;
  /** Key of the endpoints' ML storage and captured data (the registry key); new endpoint configs keep using it. */
  readonly endpointKey: kms.IKey;
  /** Key that encrypts the workflow's execution log. */
  readonly logEncryptionKey: kms.IKey;
  /**
   * Physical name of the state machine; fixed so an EventBridge rule in another stack can target it by name.
   * @default `<namePrefix>-model-promotion`
   */
  readonly stateMachineName?: string;
  /**
   * How long the execution log is kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A Step Functions workflow started by "SageMaker Model Package State Change" events (for example from
 * `ModelRegistry.approvalRule`): for an approved package it creates a model and endpoint config from the package
 * (copying the serving config's variant, encryption, data capture and async settings) and updates the endpoint
 * with blue/green deployment guardrails and auto-rollback on the given alarms, then waits for the outcome.
 * A rejected package, a failed update or a rollback leaves the previous version serving and notifies the topic.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import * as targets from 'aws-cdk-lib/aws-events-targets';
 * import type * as kms from 'aws-cdk-lib/aws-kms';
 * import { ModelPromotion, PlatformMonitoring, type ModelEndpoint, type ModelRegistry } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const registry: ModelRegistry; // namePrefix 'modelstack-prod'
 * declare const endpoint: ModelEndpoint; // endpointName 'modelstack-prod-churn'
 * declare const monitoring: PlatformMonitoring; // monitors that endpoint, so its rollback alarms exist
 * declare const logEncryptionKey: kms.IKey;
 *
 * const promotion = new ModelPromotion(stack, 'Promotion', {
 *   namePrefix: 'modelstack-prod',
 *   models: [
 *     { name: 'churn', executionRole: endpoint.role, rollbackAlarmNames: PlatformMonitoring.rollbackAlarmNames('modelstack-prod-churn') },
 *   ],
 *   notificationTopic: monitoring.alarmTopic,
 *   topicKey: monitoring.topicKey,
 *   endpointKey: registry.encryptionKey,
 *   logEncryptionKey,
 * });
 * registry.approvalRule.addTarget(new targets.SfnStateMachine(promotion.stateMachine));
 * ```
 */
export class ModelPromotion extends Construct {
  /** The promotion workflow; target it with the registry's `approvalRule`. */
  readonly stateMachine: sfn.StateMachine;
  /** The workflow's execution log, encrypted with `logEncryptionKey`. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ModelPromotionProps) {
    super(scope, id);
    validateProps(props);
    const stack = Stack.of(this);
    const prefix = props.namePrefix;
    const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const endpointArns = arn('endpoint', `${prefix}-*`);
    const configArns = arn('endpoint-config', `${prefix}-*`);
    // The first config of each endpoint has a CloudFormation-generated name, so reading configs needs endpoint-config/*.
    const anyConfigArn = arn('endpoint-config', '*');
    const newModelArns = arn('model', `${prefix}-*`);
    const anyModelArn = arn('model', '*');
    const packageArns = arn('model-package', `${prefix}-*/*`);

    // Per-model deployment settings, rendered at synth time into the definition.
    const settings = Object.fromEntries(props.models.map((m) => [m.name, deploymentSettings(m)]));

    const notify = (id: string, subject: string, message: string) =>
      tasks.SnsPublish.jsonata(this, id, {
        topic: props.notificationTopic,
        subject: `{% $substring(${subject}, 0, 99) %}`,
        message: sfn.TaskInput.fromText(`{% ${message} %}`),
      });
    const failedNotice = notify('NotifyFailed', `'Promotion failed: ' & $endpoint`, `'The approved package ' & $packageArn & ' was not deployed to ' & $endpoint & '; the previous version keeps serving. Cause: ' & $string($states.input)`);
    failedNotice.next(sfn.Fail.jsonata(this, 'Failed', { error: 'PromotionFailed', cause: '{% \'Deployment of \' & $packageArn & \' to \' & $endpoint & \' did not complete\' %}' }));

    const sagemaker = (id: string, action: string, iamResources: string[], args: Record<string, unknown> | string, assign?: Record<string, string>) => {
      const task = tasks.CallAwsService.jsonata(this, id, {
        service: 'sagemaker',
        action,
        iamResources,
        parameters: typeof args === 'string' ? jsonataArguments(args) : args,
        assign,
      });
      task.addCatch(failedNotice);
      return task;
    };

    const start = sfn.Pass.jsonata(this, 'ReadEvent', {
      assign: {
        endpoint: '{% $states.input.detail.ModelPackageGroupName %}',
        packageArn: '{% $states.input.detail.ModelPackageArn %}',
        status: '{% $states.input.detail.ModelApprovalStatus %}',
        settings: `{% $lookup(${JSON.stringify(settings)}, $substringAfter($states.input.detail.ModelPackageGroupName, '${prefix}-')) %}`,
        // Version suffix of the new model and endpoint config: the endpoint name is at most 52 characters.
        version: '{% $string($floor($millis() / 1000)) %}',
      },
    });

    const rejected = notify('NotifyRejected', `'Package rejected: ' & $endpoint`, `'Model package ' & $packageArn & ' was rejected; ' & $endpoint & ' keeps serving its current version.'`).next(
      sfn.Succeed.jsonata(this, 'NothingToDeploy'),
    );

    const describePackage = sagemaker('DescribePackage', 'describeModelPackage', [packageArns], { ModelPackageName: '{% $packageArn %}' }, {
      container: '{% $states.result.InferenceSpecification.Containers[0] %}',
    });
    const describeEndpoint = sagemaker('DescribeEndpoint', 'describeEndpoint', [endpointArns], { EndpointName: '{% $endpoint %}' }, {
      previousConfig: '{% $states.result.EndpointConfigName %}',
    });
    const describeConfig = sagemaker('DescribeEndpointConfig', 'describeEndpointConfig', [anyConfigArn], { EndpointConfigName: '{% $previousConfig %}' }, {
      config: '{% $states.result %}',
    });
    // Serving models carry CloudFormation-generated names, so reading them needs model/*.
    const describeModel = sagemaker('DescribeServingModel', 'describeModel', [anyModelArn], { ModelName: '{% $config.ProductionVariants[0].ModelName %}' }, {
      current: '{% $states.result %}',
    });
    // JSONata drops keys whose value is undefined, so optional settings (VPC, capture, async) are copied only when present.
    const createModel = sagemaker(
      'CreateModel',
      'createModel',
      [newModelArns],
      `{
        'ModelName': $endpoint & '-' & $version,
        'ExecutionRoleArn': $current.ExecutionRoleArn,
        'EnableNetworkIsolation': $current.EnableNetworkIsolation,
        'VpcConfig': $current.VpcConfig,
        'PrimaryContainer': { 'Image': $container.Image, 'ModelDataUrl': $container.ModelDataUrl, 'Environment': $current.PrimaryContainer.Environment }
      }`,
    );
    const createConfig = sagemaker(
      'CreateEndpointConfig',
      'createEndpointConfig',
      [configArns],
      `{
        'EndpointConfigName': $endpoint & '-' & $version,
        'ProductionVariants': [$merge([
          $sift($config.ProductionVariants[0], function($v, $k) { $k in ['VariantName', 'InstanceType', 'InitialInstanceCount', 'InitialVariantWeight', 'ServerlessConfig', 'VolumeSizeInGB'] }),
          { 'ModelName': $endpoint & '-' & $version }
        ])],
        'KmsKeyId': $config.KmsKeyId,
        'DataCaptureConfig': $config.DataCaptureConfig,
        'AsyncInferenceConfig': $config.AsyncInferenceConfig
      }`,
    );
    const updateEndpoint = sagemaker('UpdateEndpoint', 'updateEndpoint', [endpointArns], {
      EndpointName: '{% $endpoint %}',
      EndpointConfigName: "{% $endpoint & '-' & $version %}",
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: '{% $settings.trafficRouting %}',
          TerminationWaitInSeconds: 300,
          MaximumExecutionTimeoutInSeconds: '{% $settings.timeoutSeconds %}',
        },
        AutoRollbackConfiguration: { Alarms: '{% $settings.alarms %}' },
      },
    });

    const wait = sfn.Wait.jsonata(this, 'WaitForDeployment', { time: sfn.WaitTime.duration(Duration.minutes(1)) });
    const poll = sagemaker('PollEndpoint', 'describeEndpoint', [endpointArns], { EndpointName: '{% $endpoint %}' }, {
      endpointStatus: '{% $states.result.EndpointStatus %}',
      servingConfig: '{% $states.result.EndpointConfigName %}',
    });
    const promoted = notify('NotifyPromoted', `'Promoted: ' & $endpoint`, `'Model package ' & $packageArn & ' now serves ' & $endpoint & ' (endpoint config ' & $servingConfig & ').'`).next(
      sfn.Succeed.jsonata(this, 'Promoted'),
    );
    const outcome = sfn.Choice.jsonata(this, 'DeploymentOutcome')
      .when(sfn.Condition.jsonata("{% $endpointStatus in ['Updating', 'SystemUpdating', 'RollingBack'] %}"), wait)
      .when(sfn.Condition.jsonata("{% $endpointStatus = 'InService' and $servingConfig = $endpoint & '-' & $version %}"), promoted)
      // InService on the previous config means SageMaker rolled back; Failed means the update never took.
      .otherwise(failedNotice);

    const definition = start.next(
      sfn.Choice.jsonata(this, 'Approved?')
        .when(sfn.Condition.jsonata("{% $status = 'Approved' and $exists($settings) %}"), describePackage)
        .otherwise(rejected),
    );
    describePackage.next(describeEndpoint).next(describeConfig).next(describeModel).next(createModel).next(createConfig).next(updateEndpoint).next(wait);
    wait.next(poll).next(outcome);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR, encryptionKey: props.logEncryptionKey });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName ?? `${prefix}-model-promotion`,
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(9),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PassExecutionRoles',
        actions: ['iam:PassRole'],
        resources: props.models.map((m) => m.executionRole.roleArn),
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    // SageMaker grants itself the key for the new config's ML storage and captured data.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'EndpointKeyGrant', actions: ['kms:CreateGrant', 'kms:DescribeKey'], resources: [props.endpointKey.keyArn] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRollbackAlarms',
        actions: ['cloudwatch:DescribeAlarms'],
        resources: props.models.flatMap((m) => m.rollbackAlarmNames.map((name) => stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }))),
      }),
    );
    if (props.topicKey) role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'NotificationKey', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [props.topicKey.keyArn] }));

    acknowledgeWildcardResource(role, endpointArns, "The workflow promotes any of this environment's endpoints, all named <namePrefix>-<model>.");
    acknowledgeWildcardResource(role, configArns, "Endpoint configs of this environment's endpoints; each promotion creates one named after its endpoint.");
    acknowledgeWildcardResource(role, anyConfigArn, 'Read-only: the first endpoint config of each endpoint has a CloudFormation-generated name.');
    acknowledgeWildcardResource(role, newModelArns, 'Each promotion creates a model named <endpoint>-<version>.');
    acknowledgeWildcardResource(role, anyModelArn, 'Read-only: the serving models have CloudFormation-generated names, so DescribeModel cannot be scoped further.');
    acknowledgeWildcardResource(role, packageArns, "Read-only: any version of this environment's model package groups may be approved.");
    // X-Ray's trace segment calls have no resource-level permissions.
    acknowledgeWildcardResource(role, '*', 'X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* have no resource-level permissions.');
  }
}

function deploymentSettings(model: PromotedModel): Record<string, unknown> {
  const strategy = model.strategy ?? {};
  const waitSeconds = (strategy.wait ?? Duration.minutes(10)).toSeconds();
  const size = { Type: 'CAPACITY_PERCENT', Value: strategy.trafficPercent ?? 10 };
  const kind = strategy.kind ?? 'canary';
  const trafficRouting =
    kind === 'canary'
      ? { Type: 'CANARY', CanarySize: size, WaitIntervalInSeconds: waitSeconds }
      : kind === 'linear'
        ? { Type: 'LINEAR', LinearStepSize: size, WaitIntervalInSeconds: waitSeconds }
        : { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: waitSeconds };
  return {
    trafficRouting,
    timeoutSeconds: (strategy.timeout ?? Duration.hours(2)).toSeconds(),
    alarms: model.rollbackAlarmNames.map((AlarmName) => ({ AlarmName })),
  };
}

function validateProps(props: ModelPromotionProps): void {
  const problems = new Problems('ModelPromotion');
  problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
  problems.check(props.models.length > 0, 'models: expected at least one model');
  props.models.forEach((m, i) => {
    const percent = m.strategy?.trafficPercent ?? 10;
    problems.check(Number.isInteger(percent) && percent >= 1 && percent <= 50, `models[${i}].strategy.trafficPercent ${percent}: expected an integer from 1 to 50`);
    problems.check(m.rollbackAlarmNames.length > 0, `models[${i}].rollbackAlarmNames: expected at least one alarm to roll back on`);
    const timeout = m.strategy?.timeout?.toSeconds() ?? 7200;
    problems.check(timeout >= 600 && timeout <= 28_800, `models[${i}].strategy.timeout ${timeout} s: expected 10 minutes to 8 hours`);
  });
  problems.throwIfAny();
}
