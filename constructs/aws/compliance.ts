import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { Construct } from 'constructs';

/**
 * Adds cdk-nag's AwsSolutions and NIST 800-53 R5 packs as validation plugins of `scope` (an App or Stage): every
 * finding that is not acknowledged fails synth. Acknowledge one with
 * `Validations.of(construct).acknowledge({ id, reason })`; the ModelStack constructs acknowledge, finding by
 * finding, the AwsSolutions wildcards they cannot avoid.
 *
 * @example
 * ```ts
 * import { App } from 'aws-cdk-lib';
 * import { addComplianceChecks } from 'modelstack/aws';
 *
 * const app = new App();
 * addComplianceChecks(app);
 * ```
 */
export function addComplianceChecks(scope: Construct): void {
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope), new NIST80053R5Checks(scope));
}
