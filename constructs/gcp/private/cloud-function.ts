import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member';
import { Cloudfunctions2Function } from '@cdktf/provider-google/lib/cloudfunctions2-function';
import type { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import type { FunctionPlatform } from '../function-platform';
import { FUNCTION_BUNDLES, type FunctionBundle } from './function-bundle';

/** Who may reach a function: anyone (`all`), Google load balancers and the VPC (`internal-and-gclb`), or the VPC only (`internal`). */
export type FunctionIngress = 'all' | 'internal-and-gclb' | 'internal';

export interface PlatformFunctionProps {
  readonly platform: FunctionPlatform;
  /** `functionServiceName(prefix, name)`: the function-error alert matches it. */
  readonly name: string;
  readonly description: string;
  readonly bundle: FunctionBundle;
  /** The account it runs as: its own, holding only what it needs. */
  readonly serviceAccount: ServiceAccount;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memory?: string;
  readonly maxInstances: number;
  readonly ingress: FunctionIngress;
  /** Grants the function needs before its first request. */
  readonly dependsOn?: ITerraformDependable[];
  /** A Serverless VPC Access connector (`projects/…/connectors/…`) for requests to private addresses. */
  readonly vpcConnector?: string;
}

const INGRESS = { all: 'ALLOW_ALL', 'internal-and-gclb': 'ALLOW_INTERNAL_AND_GCLB', internal: 'ALLOW_INTERNAL_ONLY' } as const;

/**
 * A Cloud Run function (2nd gen, Node.js 22) from one of the platform bundles: CMEK on sources, image and instances,
 * built by the platform's build account into its CMEK repository, running as `serviceAccount`. Nobody may invoke it
 * until `allowInvoke` names them.
 */
export function platformFunction(scope: Construct, id: string, props: PlatformFunctionProps): Cloudfunctions2Function {
  const { platform } = props;
  const source = platform.source(props.bundle);
  return new Cloudfunctions2Function(scope, id, {
    name: props.name,
    location: platform.region,
    project: platform.project,
    description: props.description,
    kmsKeyName: platform.registry.cryptoKey.id,
    buildConfig: {
      runtime: 'nodejs22',
      entryPoint: FUNCTION_BUNDLES[props.bundle].entryPoint,
      dockerRepository: platform.repository.id,
      serviceAccount: platform.buildAccount.id,
      source: { storageSource: { bucket: source.bucket, object: source.name } },
    },
    serviceConfig: {
      serviceAccountEmail: props.serviceAccount.email,
      availableMemory: props.memory ?? '512Mi',
      timeoutSeconds: props.timeoutSeconds,
      minInstanceCount: 0,
      maxInstanceCount: props.maxInstances,
      ingressSettings: INGRESS[props.ingress],
      allTrafficOnLatestRevision: true,
      // Only private ranges go through the connector: Google APIs and the metadata server are reached as before.
      vpcConnector: props.vpcConnector,
      vpcConnectorEgressSettings: props.vpcConnector ? 'PRIVATE_RANGES_ONLY' : undefined,
      environmentVariables: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    },
    dependsOn: [...platform.ready, ...(props.dependsOn ?? [])],
  });
}

/** Lets `member` invoke the function (2nd gen functions are invoked through their Cloud Run service). */
export function allowInvoke(scope: Construct, id: string, fn: Cloudfunctions2Function, member: string): CloudRunV2ServiceIamMember {
  if (/allUsers|allAuthenticatedUsers/.test(member)) throw new Error(`invoker "${member}": public invokers are not allowed; name a service account, group or user`);
  return new CloudRunV2ServiceIamMember(scope, id, { project: fn.project, location: fn.location, name: fn.name, role: 'roles/run.invoker', member });
}
