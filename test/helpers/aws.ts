import { App, Stack } from 'aws-cdk-lib';
import { cdkJsonContext } from '../../infra/aws/context';

/** An app with the project's feature flags; no asset bundling (construct tests don't inspect bundles). */
export function testApp(): App {
  return new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
}

export function testStack(app = testApp(), id = 'Test'): Stack {
  return new Stack(app, id, { env: { account: '111111111111', region: 'eu-west-1' } });
}
