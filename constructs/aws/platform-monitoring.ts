import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { Problems } from '../private/validation';
import { endpointAlarmOptions } from './private/endpoint-alarms';
import { ALARM_THRESHOLD_DEFAULTS, type AlarmThresholds } from './alarm-thresholds';
import { AlarmTopic } from './alarm-topic';
import type { InferenceApi } from './inference-api';
import { type IModelEndpoint, ModelEndpoint } from './model-endpoint';


export type { AlarmThresholds };
export { ALARM_THRESHOLD_DEFAULTS };

/** Properties of a {@link PlatformMonitoring}. */
export interface PlatformMonitoringProps {
  /** Name of the CloudWatch dashboard, such as `modelstack-prod`. */
  readonly dashboardName: string;
  /**
   * The topic every alarm notifies; pass one created in a stack the others depend on, so the constructs there can
   * notify it with their own alarms too.
   * @default - a new {@link AlarmTopic} here, with `alarmEmails`
   */
  readonly alarmTopic?: AlarmTopic;
  /**
   * Who gets the alarms by email, when this construct creates the topic (each address confirms its subscription once).
   * @default - no subscriptions; subscribe to `alarmTopic` yourself
   */
  readonly alarmEmails?: readonly string[];
  /**
   * Alarm thresholds.
   * @default - the defaults of each {@link AlarmThresholds} field
   */
  readonly thresholds?: AlarmThresholds;
  /**
   * What happens to the topic key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The drift metrics of one model (from a DriftMonitor, or built with `driftMetric`). */
export interface DriftMetrics {
  /** Share of drifted features per window. */
  readonly driftShare: cloudwatch.IMetric;
  /** Failed drift checks. */
  readonly checkFailures: cloudwatch.IMetric;
  /**
   * Failed data-integrity checks per window (such as `DriftMonitor.metricIntegrityFailures()`); alarmed from 1.
   * @default - no integrity alarm
   */
  readonly integrityFailures?: cloudwatch.IMetric;
  /**
   * Relative drop of the main quality metric against the baseline, with the threshold that alarms.
   * @default - no quality alarm
   */
  readonly qualityDegradation?: {
    /** The relative quality drop per window (such as `DriftMonitor.metricQualityDegradation()`). */
    readonly metric: cloudwatch.IMetric;
    /** The alarm fires when the metric is above this value (0 to 1). */
    readonly threshold: number;
  };
  /**
   * Alarms the drift check already has (a DriftMonitor's `failureAlarm`, `qualityAlarm`, `deadLetterAlarm`).
   * @default - none: failures and quality degradation are alarmed here
   */
  readonly ownAlarms?: readonly cloudwatch.IAlarm[];
}


/**
 * One environment's dashboard and alarms: every alarm notifies a KMS-encrypted SNS topic (TLS only) with the
 * configured email subscriptions. `monitor*` methods add a resource's alarms (in `scope`, for example a nested stack
 * per model, so alarms don't count against one stack's resource limit) and its widgets to the dashboard.
 *
 * The alarm ids each `monitor*` method uses are fixed, so give every monitored resource a scope of its own.
 * A {@link ModelEndpoint} owns its 5xx and latency alarms (its deployments roll back on them) and a
 * `DriftMonitor` its failure, quality and dead-letter alarms: `monitorEndpoint` and `monitorDrift` put those on the
 * dashboard instead of alarming twice.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as lambda from 'aws-cdk-lib/aws-lambda';
 * import { Construct } from 'constructs';
 * import { PlatformMonitoring, type ModelEndpoint } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const endpoint: ModelEndpoint;
 * declare const inferenceFunction: lambda.IFunction;
 *
 * const monitoring = new PlatformMonitoring(stack, 'Monitoring', {
 *   dashboardName: 'modelstack-prod',
 *   alarmEmails: ['oncall@example.com'],
 *   thresholds: { endpointLatencyP99Ms: 500 },
 * });
 * monitoring.monitorEndpoint(new Construct(stack, 'ChurnEndpointAlarms'), endpoint);
 * monitoring.monitorFunction(new Construct(stack, 'ChurnFunctionAlarms'), 'churn inference', inferenceFunction);
 * ```
 */
export class PlatformMonitoring extends Construct {
  /** The topic every alarm notifies (on alarm and on OK), encrypted with `topicKey`. */
  readonly alarmTopic: sns.Topic;
  /** The rotating key of `alarmTopic`; CloudWatch alarms of this account may use it. */
  readonly topicKey: kms.Key;
  /** The action every alarm here has; give it to alarms created elsewhere so they notify the same topic. */
  readonly alarmAction: cloudwatch.IAlarmAction;
  /** The environment's CloudWatch dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm added so far. */
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly thresholds: Required<AlarmThresholds>;

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
    this.thresholds = { ...ALARM_THRESHOLD_DEFAULTS, ...props.thresholds };
    validateProps(props, this.thresholds);

    const topic =
      props.alarmTopic ?? new AlarmTopic(this, 'Topic', { displayName: `${props.dashboardName} alarms`, emails: props.alarmEmails, removalPolicy: props.removalPolicy });
    this.alarmTopic = topic.topic;
    this.topicKey = topic.key;
    this.alarmAction = topic.action;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(6),
    });
  }

  /**
   * Adds an alarm on `metric` that notifies the alarm topic. Unless `props` says otherwise, it fires at or above
   * the threshold and treats missing data as not breaching.
   */
  addAlarm(
    scope: Construct,
    id: string,
    props: cloudwatch.CreateAlarmOptions & {
      /** The metric the alarm watches. */
      metric: cloudwatch.IMetric;
    },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(scope, id, {
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(this.alarmAction);
    alarm.addOkAction(this.alarmAction);
    this.alarms.push(alarm);
    return alarm;
  }

  /**
   * Endpoint ModelLatency p99, Invocation5XXErrors and absent invocations; a dashboard row. A {@link ModelEndpoint}
   * brings its own errors and latency alarms: they go on the dashboard and are not created again.
   */
  monitorEndpoint(
    scope: Construct,
    endpoint: IModelEndpoint,
    options: {
      /**
       * Alarm when the endpoint gets no invocations for 3 hours.
       * @default true
       */
      expectTraffic?: boolean;
    } = {},
  ): cloudwatch.Alarm[] {
    const name = endpoint.endpointName;
    const latency = endpoint.metric('ModelLatency', { statistic: 'p99', period: Duration.minutes(5) });
    const errors = endpoint.metric('Invocation5XXErrors', { statistic: 'Sum', period: Duration.minutes(5) });
    const invocations = endpoint.metric('Invocations', { statistic: 'Sum', period: Duration.minutes(5) });
    const own = endpoint instanceof ModelEndpoint ? [endpoint.errorsAlarm, endpoint.latencyAlarm] : undefined;
    const defined = endpointAlarmOptions(name, { errorsPer5Min: this.thresholds.endpoint5xxPer5Min, latencyP99Ms: this.thresholds.endpointLatencyP99Ms });
    const alarms: cloudwatch.Alarm[] = own ?? [
      this.addAlarm(scope, 'EndpointErrors', { ...defined.errors, metric: errors }),
      this.addAlarm(scope, 'EndpointLatency', { ...defined.latency, metric: latency }),
    ];
    if (options.expectTraffic ?? true) {
      alarms.push(
        this.addAlarm(scope, 'EndpointNoInvocations', {
          alarmDescription: `${name}: no invocations for 3 hours`,
          metric: endpoint.metric('Invocations', { statistic: 'Sum', period: Duration.hours(1) }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      );
    }
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: `### ${name}`, width: 24, height: 1 }),
      graph(`${name} ModelLatency p99 (µs)`, [latency]),
      graph(`${name} invocations and 5xx`, [invocations, errors]),
    );
    if (own) this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: `${name} alarms`, alarms: own, width: 8 }));
    return alarms;
  }

  /** Lambda errors, throttles and duration p99; a dashboard widget. */
  monitorFunction(scope: Construct, label: string, fn: lambda.IFunction): cloudwatch.Alarm[] {
    const period = Duration.minutes(5);
    const errors = fn.metricErrors({ period, statistic: 'Sum' });
    const throttles = fn.metricThrottles({ period, statistic: 'Sum' });
    const duration = fn.metricDuration({ period, statistic: 'p99' });
    this.dashboard.addWidgets(graph(`${label}: errors, throttles`, [errors, throttles]), graph(`${label}: duration p99 (ms)`, [duration]));
    return [
      this.addAlarm(scope, 'FunctionErrors', { alarmDescription: `${label}: function errors`, metric: errors, threshold: this.thresholds.functionErrorsPer5Min, evaluationPeriods: 1 }),
      this.addAlarm(scope, 'FunctionThrottles', { alarmDescription: `${label}: function throttled`, metric: throttles, threshold: 1, evaluationPeriods: 2 }),
      this.addAlarm(scope, 'FunctionDuration', {
        alarmDescription: `${label}: duration p99 above ${this.thresholds.functionDurationP99Ms} ms`,
        metric: duration,
        threshold: this.thresholds.functionDurationP99Ms,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      }),
    ];
  }

  /** API 5xx answers and latency p99; a dashboard widget. */
  monitorApi(scope: Construct, api: InferenceApi): cloudwatch.Alarm[] {
    const period = Duration.minutes(5);
    const serverErrors = api.metricServerErrors({ period });
    const latency = api.api.metricLatency({ period, statistic: 'p99' });
    this.dashboard.addWidgets(graph('Inference API 4xx/5xx', [serverErrors, api.metricClientErrors({ period })]), graph('Inference API latency p99 (ms)', [latency]));
    return [
      this.addAlarm(scope, 'Api5xx', { alarmDescription: 'Inference API answered with 5xx', metric: serverErrors, threshold: this.thresholds.api5xxPer5Min, evaluationPeriods: 1 }),
      this.addAlarm(scope, 'ApiLatency', {
        alarmDescription: `Inference API latency p99 above ${this.thresholds.apiLatencyP99Ms} ms`,
        metric: latency,
        threshold: this.thresholds.apiLatencyP99Ms,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      }),
    ];
  }

  /**
   * Drift share, failed data-integrity checks, failed drift checks and quality degradation of one model; a dashboard widget. With
   * `metrics.ownAlarms` (a DriftMonitor's failure, quality and dead-letter alarms) only the drift share is alarmed
   * here and those alarms go on the dashboard.
   */
  monitorDrift(scope: Construct, model: string, metrics: DriftMetrics): cloudwatch.Alarm[] {
    this.dashboard.addWidgets(graph(`${model} drift share`, [metrics.driftShare]), graph(`${model} drift-check failures`, [metrics.checkFailures]));
    const alarms = [
      this.addAlarm(scope, 'DriftShare', { alarmDescription: `${model}: drift share at or above ${this.thresholds.driftShare}`, metric: metrics.driftShare, threshold: this.thresholds.driftShare, evaluationPeriods: 1 }),
    ];
    if (metrics.integrityFailures) {
      // Built like the drift-share alarm: one window's value decides; no data (no check ran) is not a failure.
      this.dashboard.addWidgets(graph(`${model} data-integrity failures`, [metrics.integrityFailures]));
      alarms.push(
        this.addAlarm(scope, 'IntegrityFailures', { alarmDescription: `${model}: data-integrity checks failed (see the window's drift report)`, metric: metrics.integrityFailures, threshold: 1, evaluationPeriods: 1 }),
      );
    }
    if (metrics.ownAlarms) {
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: `${model} drift check alarms`, alarms: [...metrics.ownAlarms], width: 8 }));
      return alarms;
    }
    alarms.push(this.addAlarm(scope, 'DriftCheckFailures', { alarmDescription: `${model}: the drift check failed`, metric: metrics.checkFailures, threshold: 1, evaluationPeriods: 1 }));
    if (metrics.qualityDegradation) {
      const { metric, threshold } = metrics.qualityDegradation;
      alarms.push(
        this.addAlarm(scope, 'QualityDegradation', {
          alarmDescription: `${model}: model quality dropped more than ${threshold * 100} % against its baseline`,
          metric,
          threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
        }),
      );
    }
    return alarms;
  }

  /** Failed and timed-out executions of a workflow (batch jobs, promotions). */
  monitorStateMachine(scope: Construct, label: string, stateMachine: sfn.IStateMachine): cloudwatch.Alarm[] {
    const period = Duration.minutes(5);
    const failed = stateMachine.metricFailed({ period, statistic: 'Sum' });
    const timedOut = stateMachine.metricTimedOut({ period, statistic: 'Sum' });
    this.dashboard.addWidgets(graph(`${label}: failed, timed out`, [failed, timedOut]));
    return [
      this.addAlarm(scope, 'WorkflowFailed', { alarmDescription: `${label}: an execution failed`, metric: failed, threshold: 1, evaluationPeriods: 1 }),
      this.addAlarm(scope, 'WorkflowTimedOut', { alarmDescription: `${label}: an execution timed out`, metric: timedOut, threshold: 1, evaluationPeriods: 1 }),
    ];
  }

  /** Depth of a dead-letter queue. */
  monitorDeadLetterQueue(scope: Construct, label: string, queue: sqs.IQueue): cloudwatch.Alarm {
    const depth = queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' });
    this.dashboard.addWidgets(graph(`${label}: dead letters`, [depth]));
    return this.addAlarm(scope, 'DeadLetters', { alarmDescription: `${label}: messages in the dead-letter queue`, metric: depth, threshold: this.thresholds.dlqDepth, evaluationPeriods: 1 });
  }
}

function graph(title: string, metrics: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left: metrics, width: 8, height: 6 });
}

function validateProps(props: PlatformMonitoringProps, thresholds: Required<AlarmThresholds>): void {
  const problems = new Problems('PlatformMonitoring');
  problems.check(/^[A-Za-z0-9_-]{1,255}$/.test(props.dashboardName), `dashboardName "${props.dashboardName}": expected letters, digits, - and _`);
  for (const email of props.alarmEmails ?? []) problems.check(/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email), `alarmEmails "${email}": expected an email address`);
  for (const [name, value] of Object.entries(thresholds)) problems.check(typeof value === 'number' && value > 0, `thresholds.${name} ${value}: expected a positive number`);
  problems.check(thresholds.driftShare <= 1, `thresholds.driftShare ${thresholds.driftShare}: expected at most 1`);
  problems.throwIfAny();
}
