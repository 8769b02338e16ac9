// What the batch prediction and training workflows share: a log-based count of failed runs with its alert policy,
// and the stack-wide custom roles their callers get (Vertex AI IAM cannot name one job or model through Terraform's
// GA provider, so these roles apply project-wide and are created once per stack).
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { boundedName } from '../../private/names';
import { customRoleId } from './ids';

/** A failure alert on a workflow's runs: what it watches and how it reads. */
export interface WorkflowFailureAlertProps {
  readonly project: string;
  readonly namePrefix: string;
  readonly model: string;
  /** The workflow whose log entries are counted. */
  readonly workflowName: string;
  /** The `jsonPayload.event` the workflow logs (with `sys.log`) when a run fails. */
  readonly event: string;
  /** The metric's name part, such as `batch-failures`. */
  readonly metricPart: string;
  /** What failed, in words: `batch prediction`, `training`. */
  readonly what: string;
  /** The alert's documentation: where to look. */
  readonly documentation: string;
  readonly notificationChannels?: string[];
}

/**
 * `FailureMetric` (a log-based DELTA count of the workflow's failure entries) and `FailureAlert` (fires on any, closes
 * itself after a day) in `scope`.
 */
export function workflowFailureAlert(scope: Construct, props: WorkflowFailureAlertProps): { metric: LoggingMetric; alert: MonitoringAlertPolicy } {
  const { project, namePrefix, model, what } = props;
  const metricName = boundedName([namePrefix, props.metricPart, model], 100);
  const metric = new LoggingMetric(scope, 'FailureMetric', {
    name: metricName,
    project,
    description: `Failed ${what} runs of ${model} (ModelStack)`,
    filter: `resource.type="workflows.googleapis.com/Workflow" AND resource.labels.workflow_id="${props.workflowName}" AND jsonPayload.event="${props.event}"`,
    metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', unit: '1' },
  });
  const alert = new MonitoringAlertPolicy(scope, 'FailureAlert', {
    displayName: `${namePrefix} ${what} of ${model} failed`,
    combiner: 'OR',
    conditions: [
      {
        displayName: `failed ${what} runs`,
        conditionThreshold: {
          filter: `metric.type="logging.googleapis.com/user/${metricName}"`,
          aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: 'REDUCE_SUM' }],
          comparison: 'COMPARISON_GT',
          thresholdValue: 0,
          duration: '0s',
        },
      },
    ],
    notificationChannels: props.notificationChannels,
    alertStrategy: { autoClose: '86400s' },
    documentation: { content: props.documentation, mimeType: 'text/markdown' },
    project,
    dependsOn: [metric],
  });
  return { metric, alert };
}

/** A custom role's content. */
export interface CustomRoleSpec {
  /** The role id's last part (`<prefix>_<name>`). */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly permissions: readonly string[];
}

/** The stack's custom role `id` (created on first use, then shared by every workflow of the stack). */
export function stackCustomRole(scope: Construct, id: string, spec: CustomRoleSpec, namePrefix: string, project: string): ProjectIamCustomRole {
  const stack = TerraformStack.of(scope);
  return (
    (stack.node.tryFindChild(id) as ProjectIamCustomRole | undefined) ??
    new ProjectIamCustomRole(stack, id, {
      roleId: customRoleId(stack, namePrefix, spec.name),
      title: `${namePrefix} ${spec.title}`,
      description: spec.description,
      permissions: [...spec.permissions],
      project,
    })
  );
}
