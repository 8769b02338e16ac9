/**
 * The fan-out workflow of a drift check (Cloud Workflows YAML): every shard of the plan profiled by the drift
 * function in parallel (`profile-shard`), then one `merge` that evaluates and publishes the window. The function
 * URL comes from the workflow's environment, so the source holds no Terraform references. `$${` is Terraform's
 * escape for a literal `${`, which Workflows expressions use. Calls retry `http.default_retry` (429, 502, 503, 504
 * and connection failures, with backoff).
 */
export const DRIFT_WORKFLOW_URL_ENV = 'DRIFT_FUNCTION_URL';

export function driftWorkflowSource(callTimeoutSeconds: number, concurrency: number): string {
  return `main:
  params: [plan]
  steps:
    - init:
        assign:
          - url: $\${sys.get_env("${DRIFT_WORKFLOW_URL_ENV}")}
    - profileShards:
        parallel:
          concurrency_limit: ${concurrency}
          for:
            value: index
            range: $\${[0, plan.shardCount - 1]}
            steps:
              - profile:
                  try:
                    call: http.post
                    args:
                      url: $\${url}
                      auth:
                        type: OIDC
                      timeout: ${callTimeoutSeconds}
                      body:
                        mode: profile-shard
                        windowEnd: $\${plan.windowEnd}
                        planKey: $\${plan.planKey}
                        shardIndex: $\${index}
                  retry: $\${http.default_retry}
    - merge:
        try:
          call: http.post
          args:
            url: $\${url}
            auth:
              type: OIDC
            timeout: ${callTimeoutSeconds}
            body:
              mode: merge
              windowEnd: $\${plan.windowEnd}
              shardCount: $\${plan.shardCount}
          result: merged
        retry: $\${http.default_retry}
    - done:
        return: $\${merged.body}
`;
}
