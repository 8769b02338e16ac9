// SageMaker's rules for blue/green endpoint updates ("deployment guardrails"), kept free of aws-cdk-lib so the config
// schema and ModelEndpoint check the same thing. Sources (SageMaker API reference):
// - TrafficRoutingConfig: WaitIntervalInSeconds 0-3600; CanarySize "must be less than or equal to 50% of the
//   variant's total instance count"; LinearStepSize "must be 10-50% of the variant's total instance count".
//   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html
// - BlueGreenUpdatePolicy: MaximumExecutionTimeoutInSeconds 600-28800, larger than the total waiting time;
//   TerminationWaitInSeconds 0-3600.
//   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html
// - Guardrails apply to real-time and asynchronous endpoints only; serverless endpoints update all at once.
//   https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails.html

/** How an endpoint update moves traffic to the new fleet. */
export type TrafficShift = 'canary' | 'linear' | 'all-at-once';

/** The most seconds SageMaker waits between traffic steps, and after the last one. */
export const MAX_WAIT_SECONDS = 3600;
/** The shortest and longest blue/green deployment SageMaker accepts. */
export const EXECUTION_TIMEOUT_SECONDS = { min: 600, max: 28_800 } as const;

/** A blue/green update to check, in plain numbers. */
export interface DeploymentToCheck {
  readonly strategy: TrafficShift;
  /** Canary size, or linear step size, in percent of the variant's capacity. */
  readonly trafficPercent: number;
  /** Baking time between steps and after the last one, in seconds. */
  readonly waitSeconds: number;
  /** Longest the whole deployment may take, in seconds. */
  readonly timeoutSeconds: number;
  /** Instances of the variant when the update starts; undefined for serverless variants. */
  readonly instanceCount: number | undefined;
}

/** The time a deployment spends baking: after each traffic step, and once more before the old fleet goes. */
export function totalBakeSeconds(d: Pick<DeploymentToCheck, 'strategy' | 'trafficPercent' | 'waitSeconds'>): number {
  const steps = d.strategy === 'canary' ? 2 : d.strategy === 'linear' ? Math.ceil(100 / d.trafficPercent) : 1;
  return steps * d.waitSeconds;
}

/** Every rule `d` breaks, each as `[field, message]` with the field named as in the config's `promotion`. */
export function deploymentProblems(d: DeploymentToCheck): Array<[field: string, message: string]> {
  const problems: Array<[string, string]> = [];
  if (d.strategy !== 'all-at-once') {
    if (d.instanceCount === undefined) {
      problems.push(['strategy', `${d.strategy} traffic shifting needs an instance-backed endpoint (serverless endpoints update all at once): expected "all-at-once"`]);
    } else if (d.instanceCount < 2) {
      // The smallest canary or step is one instance, which must be at most half of the fleet.
      problems.push(['strategy', `${d.strategy} traffic shifting needs at least 2 instances (the variant starts with ${d.instanceCount}): expected "all-at-once" or more instances`]);
    }
    const [low, high] = d.strategy === 'canary' ? [1, 50] : [10, 50];
    if (!(d.trafficPercent >= low && d.trafficPercent <= high)) {
      problems.push(['trafficPercent', `${d.trafficPercent}: a ${d.strategy} step must be ${low}-${high} % of the variant's instances`]);
    }
  }
  if (!(d.waitSeconds >= 0 && d.waitSeconds <= MAX_WAIT_SECONDS)) problems.push(['waitMinutes', `expected at most ${MAX_WAIT_SECONDS / 60} minutes between traffic steps`]);
  const { min, max } = EXECUTION_TIMEOUT_SECONDS;
  if (!(d.timeoutSeconds >= min && d.timeoutSeconds <= max)) {
    problems.push(['timeoutMinutes', `${d.timeoutSeconds / 60}: expected ${min / 60} to ${max / 60} minutes`]);
  } else if (totalBakeSeconds(d) >= d.timeoutSeconds) {
    problems.push(['timeoutMinutes', `${d.timeoutSeconds / 60}: must exceed the ${totalBakeSeconds(d) / 60} minutes the ${d.strategy} deployment bakes`]);
  }
  return problems;
}
