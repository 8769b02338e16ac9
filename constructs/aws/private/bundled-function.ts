import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionBundleName, functionBundleDir } from '../../private/function-bundles';
import { acknowledgeWildcardResource } from './nag';

export interface BundledFunctionProps {
  /** Which of the project's handlers this function runs, such as `aws-inference`. */
  readonly bundle: FunctionBundleName;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly logEncryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly memorySize?: number;
  readonly timeout?: Duration;
}

/**
 * One of the project's TypeScript handlers, bundled by esbuild (no Docker; see `function-bundles.ts`): pre-built in
 * the published package, built at synth time in a checkout. It runs under its own role, which may write only to
 * its own encrypted log group.
 */
export class BundledFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, encryptionKey: props.logEncryptionKey });
    // Our own role instead of the managed AWSLambdaBasicExecutionRole, which allows writing to any log group.
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: props.description });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${this.logGroup.logGroupArn}:*`],
      }),
    );
    acknowledgeWildcardResource(this.role, `${this.logGroup.logGroupArn}:*`, "Log streams inside the function's own log group.");

    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(functionBundleDir(props.bundle)),
      handler: 'index.handler',
      // The latest Lambda Node.js runtime (cdk-nag L1); the bundle targets it.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    });
    this.function.node.addDependency(this.role);
  }
}
