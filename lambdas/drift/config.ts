import type { DriftCheckSpec } from '../../core/drift-job';
import type { ModelTask } from '../../core/quality';
import { integrityThresholds, type IntegrityThresholds } from '../../core/drift/integrity-thresholds';
import { registryLayout } from '../../core/layout';
import { requiredEnv } from '../shared/env';

/** Environment variable names, shared with the DriftMonitor construct that sets them. */
export const DRIFT_ENV = {
  bucket: 'REGISTRY_BUCKET',
  model: 'MODEL_NAME',
  modelVersion: 'MODEL_VERSION',
  environment: 'ENVIRONMENT_NAME',
  endpointName: 'ENDPOINT_NAME',
  variantName: 'VARIANT_NAME',
  windowHours: 'WINDOW_HOURS',
  maxObjects: 'MAX_OBJECTS_PER_INVOCATION',
  driftShare: 'DRIFT_SHARE_THRESHOLD',
  task: 'MODEL_TASK',
  qualityDegradation: 'QUALITY_DEGRADATION_THRESHOLD',
  eventBus: 'EVENT_BUS_NAME',
  stateMachineArn: 'STATE_MACHINE_ARN',
  /** Optional JSON object of integrity thresholds (`IntegrityThresholds`); left out, the defaults apply. */
  integrity: 'INTEGRITY_THRESHOLDS',
} as const;

export interface DriftFunctionConfig {
  readonly bucket: string;
  readonly eventBus: string;
  readonly stateMachineArn?: string;
  readonly spec: DriftCheckSpec;
}

function integrity(value: string | undefined): IntegrityThresholds | undefined {
  if (!value) return undefined;
  try {
    const given = JSON.parse(value) as IntegrityThresholds;
    integrityThresholds(given);
    return given;
  } catch (err) {
    throw new Error(`${DRIFT_ENV.integrity}=${value}: ${(err as Error).message}`);
  }
}

function task(value: string): ModelTask {
  if (value !== 'classification' && value !== 'regression') throw new Error(`${DRIFT_ENV.task}=${value}: expected classification or regression`);
  return value;
}

export function readDriftConfig(env: NodeJS.ProcessEnv): DriftFunctionConfig {
  const required = (name: string) => requiredEnv(env, name);
  const number = (name: string) => {
    const value = Number(required(name));
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${env[name]}: expected a positive number`);
    return value;
  };
  const model = required(DRIFT_ENV.model);
  return {
    bucket: required(DRIFT_ENV.bucket),
    eventBus: required(DRIFT_ENV.eventBus),
    stateMachineArn: env[DRIFT_ENV.stateMachineArn] || undefined,
    spec: {
      model,
      modelVersion: required(DRIFT_ENV.modelVersion),
      environment: required(DRIFT_ENV.environment),
      // SageMaker writes capture files under <destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/.
      capturePrefix: `${registryLayout.dataCapturePrefix(model)}${required(DRIFT_ENV.endpointName)}/${required(DRIFT_ENV.variantName)}/`,
      windowHours: number(DRIFT_ENV.windowHours),
      maxObjectsPerInvocation: number(DRIFT_ENV.maxObjects),
      driftShareThreshold: number(DRIFT_ENV.driftShare),
      task: task(required(DRIFT_ENV.task)),
      qualityDegradationThreshold: number(DRIFT_ENV.qualityDegradation),
      integrity: integrity(env[DRIFT_ENV.integrity]),
    },
  };
}
