import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildAwsPlatform } from '../../infra/aws/app';
import { awsEnvironment } from '../../infra/config/clouds';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { testApp } from '../helpers/aws';

const config = parseConfig(demoConfig);

interface FoundAlarm {
  readonly env: string;
  readonly stack: string;
  readonly id: string;
  readonly props: Record<string, unknown>;
}

/** Every AWS::CloudWatch::Alarm of every stack (nested stacks included) the demo synthesizes, with its environment. */
function demoAlarms(): FoundAlarm[] {
  const platform = buildAwsPlatform(testApp(), config);
  const found: FoundAlarm[] = [];
  for (const [env, stacks] of Object.entries(platform.environments)) {
    const roots = [stacks.registry, stacks.serving, stacks.operations];
    // Walks the construct tree, so a stack added later (or nested anywhere) is checked without editing this test.
    const all = roots.flatMap((root) => root.node.findAll().filter((c): c is Stack => Stack.isStack(c)));
    for (const stack of all) {
      for (const [id, resource] of Object.entries(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))) {
        found.push({ env, stack: stack.node.path, id, props: resource.Properties as Record<string, unknown> });
      }
    }
  }
  return found;
}

describe('alarms of every synthesized AWS stack of the demo', () => {
  let alarms: FoundAlarm[];
  beforeAll(() => {
    alarms = demoAlarms();
  });

  test('every environment has alarms in its serving and operations stacks', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      expect(alarms.filter((a) => a.env === env && a.stack.includes('-serving')).length).toBeGreaterThan(0);
      expect(alarms.filter((a) => a.env === env && a.stack.includes('-operations')).length).toBeGreaterThan(0);
    }
  });

  test('in an environment with alarm emails, every alarm notifies (on alarm and on OK)', () => {
    const withEmails = Object.keys(config.environments).filter((env) => {
      const e = awsEnvironment(config, env);
      return e.alarmEmails.length > 0;
    });
    expect(withEmails).toEqual(expect.arrayContaining(['staging', 'prod']));
    const silent = alarms
      .filter((a) => withEmails.includes(a.env))
      .filter((a) => !Array.isArray(a.props.AlarmActions) || a.props.AlarmActions.length === 0 || !Array.isArray(a.props.OKActions))
      .map((a) => `${a.stack}/${a.id}`);
    expect(silent).toEqual([]);
  });

  test('no two alarms of an environment watch the same metric, dimensions and threshold', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const a of alarms) {
      const { Namespace, MetricName, Dimensions, Metrics, Statistic, ExtendedStatistic, Period, Threshold, ComparisonOperator } = a.props;
      // Environments are separate accounts (or regions): the same metric in two of them is two metrics.
      let signature = a.env + JSON.stringify({ Namespace, MetricName, Dimensions, Metrics, Statistic, ExtendedStatistic, Period, Threshold, ComparisonOperator });
      // A Ref or GetAtt names a resource of its own stack: the same text in two stacks is two resources.
      if (/"(Ref|Fn::GetAtt)"/.test(signature)) signature = `${a.stack}:${signature}`;
      const first = seen.get(signature);
      if (first) twice.push(`${first} and ${a.stack}/${a.id}`);
      else seen.set(signature, `${a.stack}/${a.id}`);
    }
    expect(twice).toEqual([]);
  });
});
