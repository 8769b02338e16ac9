import { Token } from 'aws-cdk-lib';

/**
 * Whether any of `values` is a token (resolved only at deploy time, such as a parameter or another resource's
 * attribute). Validation skips such a value and leaves it to the service, as aws-cdk-lib's own constructs do
 * (aws-sqs `validate-props.ts`): `problems.check(unresolved(name) || PATTERN.test(name), ...)`.
 */
export function unresolved(...values: unknown[]): boolean {
  return values.some((value) => value !== undefined && Token.isUnresolved(value));
}
