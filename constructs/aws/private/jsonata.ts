/**
 * Task arguments given as one JSONata expression (`{% ... %}`) rather than an object. Step Functions accepts both;
 * a single expression lets optional fields vanish (JSONata drops keys whose value is undefined), which an object
 * of per-field expressions cannot do. CDK passes `Arguments` through untouched, but types it as an object.
 */
export function jsonataArguments(expression: string): Record<string, unknown> {
  return `{% ${expression.replace(/\s*\n\s*/g, ' ')} %}` as unknown as Record<string, unknown>;
}
