import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { type AlarmDefault, type AlarmDefaultOverrides, type AlarmKind, type AlarmThresholds, alarmDefaultsWith } from '../alarm-thresholds';

/** Properties of an {@link AlarmFactory}. */
export interface AlarmFactoryProps {
  /**
   * Where every alarm notifies, on alarm and on OK.
   * @default - no action
   */
  readonly action?: cloudwatch.IAlarmAction;
  /**
   * The config's thresholds, applied over `ALARM_DEFAULTS`.
   * @default - ALARM_THRESHOLD_DEFAULTS
   */
  readonly thresholds?: AlarmThresholds;
  /**
   * Per-kind overrides of `ALARM_DEFAULTS`, applied last.
   * @default - none
   */
  readonly overrides?: AlarmDefaultOverrides;
}

/** What one alarm watches and says; everything else comes from its kind's defaults unless given here. */
export interface FactoryAlarmProps extends Partial<AlarmDefault> {
  /** The metric the alarm watches. */
  readonly metric: cloudwatch.IMetric;
  /** What the alarm means, for whoever gets the notification. */
  readonly description: string;
  /**
   * A fixed alarm name (other resources refer to it, such as deployment rollback).
   * @default - a name CloudFormation generates
   */
  readonly alarmName?: string;
}

const COMPARISON: Record<NonNullable<AlarmDefault['comparison']>, cloudwatch.ComparisonOperator> = {
  'at-or-above': cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  above: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  below: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
};

/**
 * Creates alarms from one set of defaults ({@link ALARM_DEFAULTS}, with the config's thresholds and any overrides) and
 * gives each the same action, the way cdk-monitoring-constructs' `AlarmFactory` does: a segment says which kind of alarm
 * it wants and on which metric, not how it evaluates.
 */
export class AlarmFactory {
  /** The defaults every alarm of this factory starts from. */
  readonly defaults: Readonly<Record<AlarmKind, AlarmDefault>>;
  /** Where the alarms notify; undefined for none. */
  readonly action?: cloudwatch.IAlarmAction;

  constructor(props: AlarmFactoryProps = {}) {
    this.defaults = alarmDefaultsWith(props.thresholds, props.overrides);
    this.action = props.action;
  }

  /** An alarm of `kind` in `scope` under `id`; `props` may override any of the kind's defaults. */
  addAlarm(scope: Construct, id: string, kind: AlarmKind, props: FactoryAlarmProps): cloudwatch.Alarm {
    const shape = { ...this.defaults[kind], ...definedOnly(props) };
    const alarm = new cloudwatch.Alarm(scope, id, {
      metric: props.metric,
      alarmName: props.alarmName,
      alarmDescription: props.description,
      threshold: shape.threshold,
      evaluationPeriods: shape.evaluationPeriods,
      datapointsToAlarm: shape.datapointsToAlarm,
      comparisonOperator: COMPARISON[shape.comparison ?? 'at-or-above'],
      treatMissingData: shape.missingDataBreaches ? cloudwatch.TreatMissingData.BREACHING : cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this.action) {
      alarm.addAlarmAction(this.action);
      alarm.addOkAction(this.action);
    }
    return alarm;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
