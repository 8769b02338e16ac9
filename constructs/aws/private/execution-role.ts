import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { acknowledgeWildcardResource } from './nag';
import * as iam from 'aws-cdk-lib/aws-iam';

interface ExecutionRoleOptions {
  readonly stack: Stack;
  readonly endpointName: string;
  /** Set when the endpoint captures data: where it may write and the key it encrypts with. */
  readonly dataCapture?: { readonly objectsArn: string; readonly keyArn: string };
  readonly vpc: boolean;
}

/** What a SageMaker endpoint's execution role needs beyond reading its model artifact and pulling its image, and nothing more. */
export function executionRolePolicy(options: ExecutionRoleOptions): iam.PolicyStatement[] {
  const { stack, endpointName } = options;
  // The image's pull is granted by the ContainerImage the endpoint binds.
  const statements = [
    new iam.PolicyStatement({
      sid: 'EndpointLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/sagemaker/Endpoints/${endpointName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }),
    new iam.PolicyStatement({
      sid: 'EndpointMetrics',
      // PutMetricData has no resource-level permissions; the condition pins the namespace.
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/Endpoints' } },
    }),
  ];
  if (options.dataCapture) {
    statements.push(
      new iam.PolicyStatement({ sid: 'WriteDataCapture', actions: ['s3:PutObject'], resources: [options.dataCapture.objectsArn] }),
      new iam.PolicyStatement({ sid: 'EncryptDataCapture', actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [options.dataCapture.keyArn] }),
    );
  }
  if (options.vpc) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'VpcNetworkInterfaces',
        // SageMaker creates ENIs in the configured subnets; the EC2 describe/create calls are not resource-scoped.
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:CreateNetworkInterfacePermission',
          'ec2:DeleteNetworkInterface',
          'ec2:DeleteNetworkInterfacePermission',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeVpcs',
          'ec2:DescribeDhcpOptions',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
        ],
        resources: ['*'],
      }),
    );
  }
  return statements;
}

/** Why each statement that holds a wildcard resource needs it. */
const WILDCARD_REASONS: Record<string, string> = {
  EndpointLogs: "Log streams inside the endpoint's own log group.",
  WriteDataCapture: "Data capture writes one object per batch under the model's own capture prefix.",
};
const STAR_REASON =
  'ecr:GetAuthorizationToken, cloudwatch:PutMetricData (pinned to the SageMaker namespace by a condition) and the EC2 ' +
  'network-interface calls SageMaker makes in a configured VPC have no resource-level permissions.';

/**
 * Acknowledges, finding by finding, the cdk-nag IAM5 wildcards the execution role cannot avoid. Each id names
 * the exact wildcard, so a new, unintended wildcard still fails synth.
 */
export function acknowledgeExecutionRoleFindings(role: iam.Role, statements: readonly iam.PolicyStatement[], modelObjectsArn: string): void {
  acknowledgeWildcardResource(role, modelObjectsArn, 'The model may read every version under its own artifact prefix, and nothing else in the registry.');
  for (const statement of statements) {
    for (const resource of statement.resources) {
      if (resource === '*') {
        Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: STAR_REASON });
      } else if (statement.sid && WILDCARD_REASONS[statement.sid]) {
        acknowledgeWildcardResource(role, resource, WILDCARD_REASONS[statement.sid]);
      }
    }
  }
}
