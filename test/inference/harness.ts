import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { InferenceConfig } from '../../lambdas/inference/config';
import { createInferenceHandler, type InferenceDeps } from '../../lambdas/inference/aws/handler';
import { type Invoke, sageMakerInvoker } from '../../lambdas/inference/aws/sagemaker';

export const FEATURES = [
  { name: 'tenure', type: 'numeric' },
  { name: 'charges', type: 'numeric' },
  { name: 'contract', type: 'categorical' },
] as const;

export const CONFIG: InferenceConfig = {
  model: 'churn',
  endpointName: 'ms-dev-churn',
  features: FEATURES,
  knownModels: ['churn', 'sales-forecast'],
  maxBodyBytes: 4096,
  maxInstances: 10,
  upstreamTimeoutMs: 300,
  upstreamMaxAttempts: 1,
};

export const CONTEXT = { awsRequestId: 'req-123', functionName: 'inference-churn' } as Context;

export function event(body: string | undefined, model = 'churn', isBase64Encoded = false): APIGatewayProxyEventV2 {
  return { pathParameters: { model }, body, isBase64Encoded } as unknown as APIGatewayProxyEventV2;
}

/** A handler wired like the Lambda entry point; Powertools writes to the global console (POWERTOOLS_DEV). */
export function buildHandler(config: Partial<InferenceConfig> = {}, invoke?: Invoke, capture?: InferenceDeps['capture']) {
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false'; // dev mode would otherwise switch EMF off
  const full = { ...CONFIG, ...config };
  const metrics = new Metrics({ namespace: 'ModelStack', serviceName: 'inference', defaultDimensions: { Model: 'churn' } });
  const logger = new Logger({ serviceName: 'inference', logLevel: 'WARN' });
  return createInferenceHandler({
    config: full,
    logger,
    metrics,
    invoke: invoke ?? (full.endpointName ? sageMakerInvoker({ endpointName: full.endpointName, timeoutMs: full.upstreamTimeoutMs, maxAttempts: full.upstreamMaxAttempts }) : undefined),
    capture,
  });
}

/** Captures what Powertools prints (EMF documents and log lines) while `fn` runs. */
export async function captureConsole<T>(fn: () => Promise<T>): Promise<{ result: T; emf: any[]; logs: any[] }> {
  const lines: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
  );
  try {
    const result = await fn();
    const parsed = lines.flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
    return { result, emf: parsed.filter((p) => p._aws), logs: parsed.filter((p) => !p._aws) };
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
}
