import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { Problems } from '../private/validation';
import { unresolved } from './private/tokens';
import { ALARM_THRESHOLD_DEFAULTS, type AlarmDefaultOverrides, type AlarmThresholds } from './alarm-thresholds';
import { AlarmTopic } from './alarm-topic';
import type { InferenceApi } from './inference-api';
import type { IModelEndpoint } from './model-endpoint';
import { AlarmFactory } from './monitoring/alarm-factory';
import { ApiMonitoring } from './monitoring/api-monitoring';
import { DeadLetterMonitoring } from './monitoring/dead-letter-monitoring';
import { type DriftMetrics, DriftMonitoring } from './monitoring/drift-monitoring';
import { EndpointMonitoring } from './monitoring/endpoint-monitoring';
import { FunctionMonitoring } from './monitoring/function-monitoring';
import { SegmentNaming } from './monitoring/naming';
import type { MonitoringSegment } from './monitoring/segment';
import { WorkflowMonitoring } from './monitoring/workflow-monitoring';

export type { AlarmThresholds, DriftMetrics };
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
   * Overrides of `ALARM_DEFAULTS` per kind of alarm (threshold, periods, comparison), applied after `thresholds`.
   * @default - none
   */
  readonly alarmDefaults?: AlarmDefaultOverrides;
  /**
   * What happens to the topic key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Where a segment's alarms go. */
export interface SegmentOptions {
  /**
   * The construct the segment (and so its alarms) is created in, such as a nested stack per model, so alarms don't
   * count against one stack's resource limit. Its id comes from the label, so one scope holds many segments.
   * @default - this PlatformMonitoring
   */
  readonly scope?: Construct;
}

/** Options of {@link PlatformMonitoring.monitorEndpoint}. */
export interface EndpointSegmentOptions extends SegmentOptions {
  /**
   * Alarm when the endpoint gets no invocations for 3 hours.
   * @default true
   */
  readonly expectTraffic?: boolean;
}

/** Options of the `monitor*` methods that watch a resource with no name of its own to show. */
export interface LabelledSegmentOptions extends SegmentOptions {
  /** What the resource is, in dashboard titles, alarm descriptions and the segment's id, such as `churn inference`. */
  readonly label: string;
}

/**
 * One environment's dashboard and alarms, as a facade over monitoring segments (the shape of cdk-monitoring-constructs'
 * `MonitoringFacade`): each `monitor*` call adds one segment per monitored resource (its alarms and its dashboard
 * widgets) and returns `this`, so calls chain. Every alarm comes from one {@link AlarmFactory}: defaults from
 * `ALARM_DEFAULTS`, the config's `thresholds` and `alarmDefaults` on top, and the alarm topic's action.
 *
 * Segment ids are derived from what they monitor (a {@link SegmentNaming}), so a scope may hold any number of
 * segments. A {@link ModelEndpoint} owns its 5xx and latency alarms (its deployments roll back on them) and a
 * `DriftMonitor` its failure, quality and dead-letter alarms: their segments put those on the dashboard instead of
 * alarming twice.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as lambda from 'aws-cdk-lib/aws-lambda';
 * import { PlatformMonitoring, type ModelEndpoint } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const endpoint: ModelEndpoint;
 * declare const inferenceFunction: lambda.IFunction;
 *
 * new PlatformMonitoring(stack, 'Monitoring', {
 *   dashboardName: 'modelstack-prod',
 *   alarmEmails: ['oncall@example.com'],
 *   thresholds: { endpointLatencyP99Ms: 500 },
 *   alarmDefaults: { functionThrottles: { evaluationPeriods: 3 } },
 * })
 *   .monitorEndpoint(endpoint)
 *   .monitorFunction(inferenceFunction, { label: 'churn inference' });
 * ```
 */
export class PlatformMonitoring extends Construct {
  /** The topic every alarm notifies (on alarm and on OK), encrypted with `topicKey`. */
  readonly alarmTopic: sns.Topic;
  /** The rotating key of `alarmTopic`; CloudWatch alarms of this account may use it. */
  readonly topicKey: kms.Key;
  /** The action every alarm here has; give it to alarms created elsewhere so they notify the same topic. */
  readonly alarmAction: cloudwatch.IAlarmAction;
  /** Creates every alarm of the segments: the defaults with this environment's thresholds, and the topic's action. */
  readonly alarmFactory: AlarmFactory;
  /** The environment's CloudWatch dashboard. */
  readonly dashboard: cloudwatch.Dashboard;
  /** Every segment added so far, in order. */
  readonly segments: MonitoringSegment[] = [];
  /** Every alarm the segments created. */
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly naming = new SegmentNaming();

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
    validateProps(props, { ...ALARM_THRESHOLD_DEFAULTS, ...props.thresholds });

    const topic =
      props.alarmTopic ?? new AlarmTopic(this, 'Topic', { displayName: `${props.dashboardName} alarms`, emails: props.alarmEmails, removalPolicy: props.removalPolicy });
    this.alarmTopic = topic.topic;
    this.topicKey = topic.key;
    this.alarmAction = topic.action;
    this.alarmFactory = new AlarmFactory({ action: topic.action, thresholds: props.thresholds, overrides: props.alarmDefaults });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(6),
    });
  }

  /** Adds a segment built elsewhere (for example with {@link PlatformMonitoring.alarmFactory}): its widgets and alarms. */
  addSegment(segment: MonitoringSegment): this {
    this.segments.push(segment);
    this.alarms.push(...segment.alarms);
    this.dashboard.addWidgets(...segment.widgets());
    return this;
  }

  /**
   * Endpoint ModelLatency p99, Invocation5XXErrors and absent invocations; a dashboard row. A {@link ModelEndpoint}
   * brings its own errors and latency alarms: they go on the dashboard and are not created again.
   */
  monitorEndpoint(endpoint: IModelEndpoint, options: EndpointSegmentOptions = {}): this {
    const scope = options.scope ?? this;
    const id = this.naming.segmentId(scope, 'Endpoint', endpoint.endpointName);
    return this.addSegment(new EndpointMonitoring(scope, id, { alarmFactory: this.alarmFactory, label: endpoint.endpointName, endpoint, expectTraffic: options.expectTraffic }));
  }

  /** Lambda errors, throttles and duration p99; a dashboard widget. */
  monitorFunction(fn: lambda.IFunction, options: LabelledSegmentOptions): this {
    const scope = options.scope ?? this;
    const id = this.naming.segmentId(scope, 'Function', options.label);
    return this.addSegment(new FunctionMonitoring(scope, id, { alarmFactory: this.alarmFactory, label: options.label, function: fn }));
  }

  /** API 5xx answers and latency p99; a dashboard widget. */
  monitorApi(api: InferenceApi, options: SegmentOptions = {}): this {
    const scope = options.scope ?? this;
    const label = 'Inference API';
    return this.addSegment(new ApiMonitoring(scope, this.naming.segmentId(scope, 'Api', label), { alarmFactory: this.alarmFactory, label, api }));
  }

  /**
   * Drift share, failed data-integrity checks, failed drift checks and quality degradation of one model; a dashboard
   * widget. With `metrics.ownAlarms` (a DriftMonitor's failure, quality and dead-letter alarms) only the drift share
   * and integrity failures are alarmed here and those alarms go on the dashboard.
   */
  monitorDrift(model: string, metrics: DriftMetrics, options: SegmentOptions = {}): this {
    const scope = options.scope ?? this;
    return this.addSegment(new DriftMonitoring(scope, this.naming.segmentId(scope, 'Drift', model), { alarmFactory: this.alarmFactory, label: model, metrics }));
  }

  /** Failed and timed-out executions of a workflow (such as batch inference). */
  monitorStateMachine(stateMachine: sfn.IStateMachine, options: LabelledSegmentOptions): this {
    const scope = options.scope ?? this;
    const id = this.naming.segmentId(scope, 'Workflow', options.label);
    return this.addSegment(new WorkflowMonitoring(scope, id, { alarmFactory: this.alarmFactory, label: options.label, stateMachine }));
  }

  /** Depth of a dead-letter queue. */
  monitorDeadLetterQueue(queue: sqs.IQueue, options: LabelledSegmentOptions): this {
    const scope = options.scope ?? this;
    const id = this.naming.segmentId(scope, 'DeadLetters', options.label);
    return this.addSegment(new DeadLetterMonitoring(scope, id, { alarmFactory: this.alarmFactory, label: options.label, queue }));
  }
}

function validateProps(props: PlatformMonitoringProps, thresholds: Required<AlarmThresholds>): void {
  const problems = new Problems('PlatformMonitoring');
  problems.check(unresolved(props.dashboardName) || /^[A-Za-z0-9_-]{1,255}$/.test(props.dashboardName), `dashboardName "${props.dashboardName}": expected letters, digits, - and _`);
  for (const email of props.alarmEmails ?? []) problems.check(unresolved(email) || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email), `alarmEmails "${email}": expected an email address`);
  for (const [name, value] of Object.entries(thresholds)) problems.check(typeof value === 'number' && value > 0, `thresholds.${name} ${value}: expected a positive number`);
  problems.check(thresholds.driftShare <= 1, `thresholds.driftShare ${thresholds.driftShare}: expected at most 1`);
  problems.throwIfAny();
}
