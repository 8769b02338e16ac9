import { App, Stack } from 'aws-cdk-lib';
import { cdkJsonContext } from '../../infra/aws/context';

/** An app with the project's feature flags (functions are bundled once per test process; see function-bundles.ts). */
export function testApp(): App {
  return new App({ context: cdkJsonContext() });
}

export function testStack(app = testApp(), id = 'Test'): Stack {
  return new Stack(app, id, { env: { account: '111111111111', region: 'eu-west-1' } });
}
