import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildAwsPlatform } from '../infra/aws/app';
import { cdkJsonContext } from '../infra/aws/context';
import type { PlatformConfig } from '../infra/config/schema';

/** What the synthesized templates say about one model in one environment: the rehearsal deploys exactly this. */
export interface DeployedModel {
  readonly model: string;
  /** `AWS::SageMaker::Model` `PrimaryContainer.ModelDataUrl`: `s3://<bucket>/models/<model>/<version>/model.tar.gz`. */
  readonly modelDataUrl: string;
  /** `PrimaryContainer.Image`. */
  readonly image: string;
  readonly endpointName: string;
  /**
   * `DataCaptureConfig` of the endpoint config.
   * @default - none (serverless endpoints cannot capture)
   */
  readonly capture?: { readonly destination: string; readonly samplingPercentage: number; readonly variant: string };
  /** The inference function's environment variables. */
  readonly inferenceEnv: Record<string, string>;
  /**
   * The drift-check function's environment variables.
   * @default - none: the model has no drift check
   */
  readonly driftEnv?: Record<string, string>;
}

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  /** The template file and logical id it was read from. */
  readonly template: string;
  readonly id: string;
}

/**
 * Synthesizes `environment`'s AWS stacks from `config` (functions not bundled: the rehearsal runs their sources) and
 * reads, per model, the endpoint, its data capture and the functions' environments from the templates, nested
 * stacks included. Every value the rehearsal uses must be a literal there; a token would fail loudly.
 */
export function synthesizeAws(config: PlatformConfig, environment: string, outdir: string): Record<string, DeployedModel> {
  const app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  buildAwsPlatform(app, config, [environment]);
  app.synth();
  const resources: Resource[] = readdirSync(outdir)
    .filter((f) => f.endsWith('.template.json'))
    .flatMap((f) => {
      const template = JSON.parse(readFileSync(join(outdir, f), 'utf8')) as { Resources?: Record<string, Omit<Resource, 'template' | 'id'>> };
      return Object.entries(template.Resources ?? {}).map(([id, r]) => ({ ...r, template: f, id }));
    });

  const functionsOf = (service: string) =>
    resources
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service)
      .map((r) => r.Properties!.Environment.Variables as Record<string, unknown>);

  const deployed: Record<string, DeployedModel> = {};
  for (const model of config.models) {
    const inferenceEnv = functionsOf('inference').find((env) => env.MODEL_NAME === model.name);
    const driftEnv = functionsOf('drift').find((env) => env.MODEL_NAME === model.name);
    const endpoint = resources.find((r) => r.Type === 'AWS::SageMaker::Endpoint' && literal(r.Properties?.EndpointName, 'EndpointName').endsWith(`-${model.name}`));
    const container = resources.find((r) => r.Type === 'AWS::SageMaker::Model' && String(r.Properties?.PrimaryContainer?.ModelDataUrl ?? '').includes(`/models/${model.name}/`));
    if (!inferenceEnv || !endpoint || !container) throw new Error(`${environment}: ${model.name} has no inference function, endpoint or SageMaker model in the synthesized templates`);
    const endpointConfig = resources.find(
      (r) => r.Type === 'AWS::SageMaker::EndpointConfig' && r.template === container.template && r.Properties?.ProductionVariants?.some((v: any) => v.ModelName?.['Fn::GetAtt']?.[0] === container.id),
    );
    const captureConfig = endpointConfig?.Properties?.DataCaptureConfig;
    deployed[model.name] = {
      model: model.name,
      modelDataUrl: literal(container.Properties!.PrimaryContainer.ModelDataUrl, 'ModelDataUrl'),
      image: literal(container.Properties!.PrimaryContainer.Image, 'Image'),
      endpointName: literal(endpoint.Properties!.EndpointName, 'EndpointName'),
      capture: captureConfig?.EnableCapture
        ? {
            destination: literal(captureConfig.DestinationS3Uri, 'DestinationS3Uri'),
            samplingPercentage: Number(captureConfig.InitialSamplingPercentage),
            variant: literal(endpointConfig!.Properties!.ProductionVariants[0].VariantName, 'VariantName'),
          }
        : undefined,
      inferenceEnv: literals(inferenceEnv),
      driftEnv: driftEnv ? literals(driftEnv) : undefined,
    };
  }
  return deployed;
}

function literal(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`${name} is not a literal in the template: ${JSON.stringify(value)}`);
  return value;
}

function literals(env: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, literal(v, k)]));
}
