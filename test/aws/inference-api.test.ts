import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, NestedStack, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { cdkJsonContext } from '../../infra/aws/context';
import { InferenceApi, type InferenceApiProps } from '../../constructs/aws/inference-api';
import { ModelEndpoint } from '../../constructs/aws/model-endpoint';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { testStack } from '../helpers/aws';

const FEATURES = [
  { name: 'tenure', type: 'numeric' },
  { name: 'contract', type: 'categorical' },
] as const;

function build(overrides: Partial<InferenceApiProps> = {}, stack: Stack = testStack()) {
  const churn = ModelEndpoint.fromEndpointName(stack, 'Churn', 'ms-dev-churn');
  const sales = ModelEndpoint.fromEndpointName(stack, 'Sales', 'ms-dev-sales');
  const api = new InferenceApi(stack, 'Api', {
    models: [
      { name: 'churn', endpoint: churn, features: FEATURES },
      { name: 'sales', endpoint: sales, features: [{ name: 'price', type: 'numeric' }] },
    ],
    ...overrides,
  });
  return { stack, api };
}

const policiesOf = (template: Template, rolePattern: RegExp) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => rolePattern.test(r.Ref)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);

describe('InferenceApi', () => {
  test('a POST route per model plus a catch-all for unknown models, all IAM-authorized', () => {
    const template = Template.fromStack(build().stack);
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(['POST /models/churn/predict', 'POST /models/sales/predict', 'POST /models/{model}/predict']);
    for (const route of routes) expect(route.AuthorizationType).toBe('AWS_IAM');
  });

  test('the stage throttles and writes JSON access logs to a KMS-encrypted log group', () => {
    const template = Template.fromStack(build({ throttleRateLimit: 20, throttleBurstLimit: 40 }).stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ApiAccessLogs'), 'Arn'] }, Format: Match.stringLikeRegexp('requestId') },
    });
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/ApiLogKey/), 'Arn'] });
      expect(group.Properties.RetentionInDays).toBe(90);
    }
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'CloudWatchLogs', Principal: { Service: 'logs.eu-west-1.amazonaws.com' } })]) },
    });
  });

  test('the access log is JSON (as documented), one object per request with the fields an investigation needs', () => {
    const stage = Object.values(Template.fromStack(build().stack).findResources('AWS::ApiGatewayV2::Stage'))[0];
    const format = stage.Properties.AccessLogSettings.Format as string;
    expect(format).not.toContain('\n');
    const fields = JSON.parse(format) as Record<string, string>;
    expect(fields).toEqual(
      expect.objectContaining({
        requestId: '$context.requestId',
        extendedRequestId: '$context.extendedRequestId',
        requestTime: '$context.requestTime',
        sourceIp: '$context.identity.sourceIp',
        caller: '$context.identity.caller',
        httpMethod: '$context.httpMethod',
        routeKey: '$context.routeKey',
        status: '$context.status',
        responseLength: '$context.responseLength',
        integrationStatus: '$context.integrationStatus',
        integrationLatency: '$context.integrationLatency',
        responseLatency: '$context.responseLatency',
      }),
    );
    // Every value is a quoted $context variable, so each logged line is itself valid JSON.
    for (const value of Object.values(fields)) expect(value).toMatch(/^\$context\.[A-Za-z.]+$/);
  });

  test('by default a SageMaker call may take 14 s: two attempts fit the 30 s integration limit (a serverless cold start)', () => {
    const template = Template.fromStack(build().stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MODEL_NAME: 'churn', UPSTREAM_TIMEOUT_MS: '14000' }) } });
  });

  test('each model function knows its model, endpoint, schema and limits, on the latest Node.js runtime', () => {
    const template = Template.fromStack(build({ maxBodyBytes: 2048, maxInstancesPerRequest: 5, upstreamTimeout: Duration.seconds(3) }).stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          MODEL_NAME: 'churn',
          ENDPOINT_NAME: 'ms-dev-churn',
          MODEL_FEATURES: JSON.stringify(FEATURES),
          KNOWN_MODELS: 'churn,sales',
          MAX_BODY_BYTES: '2048',
          MAX_INSTANCES: '5',
          UPSTREAM_TIMEOUT_MS: '3000',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
    const unknown = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => !f.Properties.Environment.Variables.MODEL_NAME);
    expect(unknown).toHaveLength(1);
  });

  test('a model function may invoke only its own endpoint and write only its own logs; no managed policies', () => {
    const template = Template.fromStack(build().stack);
    const churn = policiesOf(template, /ApiPredictchurnRole/);
    expect(churn).toEqual(
      expect.arrayContaining([
        { Action: 'sagemaker:InvokeEndpoint', Effect: 'Allow', Resource: 'arn:aws:sagemaker:eu-west-1:111111111111:endpoint/ms-dev-churn' },
        expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
      ]),
    );
    expect(churn).toHaveLength(2);
    expect(policiesOf(template, /ApiUnknownModelRole/).map((s) => s.Action)).toEqual([['logs:CreateLogStream', 'logs:PutLogEvents']]);
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('grantInvoke allows execute-api:Invoke on the predict routes; metric helpers', () => {
    const { stack, api } = build();
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    api.grantInvoke(caller);
    const statements = policiesOf(Template.fromStack(stack), /Caller/);
    expect(statements).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: expect.anything() }]);
    expect(JSON.stringify(statements[0].Resource)).toContain('/$default/POST/models/*/predict');
    expect(api.metricLatency('churn').dimensions).toEqual({ service: 'inference', Model: 'churn' });
    expect(api.metricServerErrors().metricName).toBe('5xx');
    expect(api.metricClientErrors().metricName).toBe('4xx');
    expect(stack.resolve(api.url)).toBeDefined();
  });

  test('grantInvoke for named models lists their routes, without a wildcard; an unserved model is refused', () => {
    const { stack, api } = build();
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    api.grantInvoke(caller, ['churn']);
    const [statement] = policiesOf(Template.fromStack(stack), /Caller/);
    expect(JSON.stringify(statement.Resource)).toContain('/$default/POST/models/churn/predict');
    expect(JSON.stringify(statement.Resource)).not.toContain('*');
    expect(() => api.grantInvoke(caller, ['churn', 'fraud'])).toThrow('InferenceApi.grantInvoke: fraud not served by this API (it serves churn, sales)');
  });

  test('invalid props and models fail with every problem listed', () => {
    expect(() => build({ maxBodyBytes: 0, upstreamTimeout: Duration.seconds(40) })).toThrow(
      'InferenceApi: invalid props\n  - maxBodyBytes 0: expected a positive integer\n  - upstreamTimeout 40000 ms: expected 100 ms to 25 s',
    );
    const { stack, api } = build();
    const endpoint = ModelEndpoint.fromEndpointName(stack, 'E', 'e');
    expect(() => api.addModel({ name: 'Bad Name', endpoint, features: [] })).toThrow(
      'InferenceApi model "Bad Name": invalid props\n' +
        '  - name: expected lowercase letters, digits and single hyphens\n' +
        '  - features: expected at least one feature',
    );
    expect(() => api.addModel({ name: 'churn', endpoint, features: FEATURES })).toThrow('name: already served by this API');
  });

  test('models can live in another scope, such as a nested stack per model', () => {
    const stack = testStack();
    const api = new InferenceApi(stack, 'Api');
    const nested = new NestedStack(stack, 'Churn');
    api.addModel({ name: 'churn', endpoint: ModelEndpoint.fromEndpointName(nested, 'E', 'ms-dev-churn'), features: FEATURES }, nested);
    const inner = Template.fromStack(nested);
    inner.resourceCountIs('AWS::Lambda::Function', 1);
    inner.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /models/churn/predict' });
    const unknown = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
    expect(unknown.Properties.Environment.Variables.KNOWN_MODELS).toBe('churn');
  });

  test('the function is bundled by the local esbuild: minified, source-mapped, under 300 KB, SDK credential chain reduced', () => {
    const app = new App({ context: cdkJsonContext() });
    const stack = new Stack(app, 'Bundled', { env: { account: '111111111111', region: 'eu-west-1' } });
    build({}, stack);
    const assembly = app.synth();
    const assetDirs = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.') && statSync(join(assembly.directory, d)).isDirectory());
    expect(assetDirs).toHaveLength(1); // one bundle shared by every function
    const dir = join(assembly.directory, assetDirs[0]);
    expect(readdirSync(dir).sort()).toEqual(['index.js', 'index.js.map']);
    const code = readFileSync(join(dir, 'index.js'), 'utf8');
    expect(code.length).toBeLessThan(300 * 1024);
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000); // minified: few, very long lines
    expect(code).not.toMatch(/credential-provider-ini|fromSSO|fromInstanceMetadata/);
  });
  test('capture at the API: the function may only put objects under its endpoint\'s capture folder and encrypt them; failures alarm', () => {
    const stack = testStack();
    const registry = ModelRegistry.fromRegistryAttributes(stack, 'Registry', {
      namePrefix: 'ms-dev',
      bucketName: 'ms-dev-models',
      encryptionKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555',
    });
    const { api } = build({ models: [] }, stack);
    api.addModel({ name: 'churn', endpoint: ModelEndpoint.fromEndpointName(stack, 'Serverless', 'ms-dev-churn'), features: FEATURES, capture: { registry, samplingPercentage: 20 } });
    api.addModel({ name: 'plain', endpoint: ModelEndpoint.fromEndpointName(stack, 'Plain', 'ms-dev-plain'), features: FEATURES });
    const template = Template.fromStack(stack);
    const fns = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment.Variables);
    expect(fns.find((v) => v.MODEL_NAME === 'churn')).toMatchObject({
      CAPTURE_BUCKET: 'ms-dev-models',
      CAPTURE_PREFIX: 'data-capture/churn/ms-dev-churn/AllTraffic/',
      CAPTURE_SAMPLING_PERCENTAGE: '20',
    });
    expect(Object.keys(fns.find((v) => v.MODEL_NAME === 'plain')).filter((k) => k.startsWith('CAPTURE_'))).toEqual([]);

    const statements = policiesOf(template, /Predictchurn/);
    const capture = statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('s3:') || a.startsWith('kms:')));
    expect(capture).toEqual([
      { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::ms-dev-models/data-capture/churn/ms-dev-churn/AllTraffic/*' },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555' },
    ]);
    expect(policiesOf(template, /Predictplain/).flatMap((st) => [st.Action].flat()).filter((a: string) => a.startsWith('s3:') || a.startsWith('kms:'))).toEqual([]);

    expect(Object.keys(api.captureFailureAlarms)).toEqual(['churn']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CaptureFailures',
      Namespace: 'ModelStack',
      Dimensions: Match.arrayWith([{ Name: 'Model', Value: 'churn' }]),
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(() => api.addModel({ name: 'bad', endpoint: ModelEndpoint.fromEndpointName(stack, 'Bad', 'x'), features: FEATURES, capture: { registry, samplingPercentage: 0 } })).toThrow(
      'capture.samplingPercentage 0: expected an integer from 1 to 100',
    );
  });
});
