import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from './nag';

const ROOT = join(__dirname, '..', '..', '..');

export interface BundledFunctionProps {
  /** Entry file, relative to the repository root, such as `lambdas/inference/index.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly logEncryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly memorySize?: number;
  readonly timeout?: Duration;
}

/**
 * A TypeScript handler bundled by the local esbuild (no Docker): minified, with source maps, ESM-first module
 * resolution so unused SDK code is tree-shaken, and the SDK's credential chain reduced to environment
 * credentials. It runs under its own role, which may write only to its own encrypted log group.
 */
export class BundledFunction extends Construct {
  readonly function: NodejsFunction;
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

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(ROOT, props.entry),
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
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
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node24',
        format: OutputFormat.CJS,
        mainFields: ['module', 'main'],
        bundleAwsSDK: true,
        forceDockerBundling: false,
        esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': join(ROOT, 'lambdas', 'shared', 'env-credentials.ts') },
      },
    });
    this.function.node.addDependency(this.role);
  }
}
