// The local end-to-end rehearsal of a model's lifecycle (`npm run e2e`): real trained models, the real model
// server, the platform's own functions wired from the synthesized templates, and loopback stand-ins for the
// managed services (s3rver for S3; shims speaking InvokeEndpoint, Vertex AI predict, Cloud Storage and
// EventBridge). No cloud, no Docker. Each step asserts its outcome; the run ends with a short summary.
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Command } from 'commander';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { demoConfig } from '../infra/config/demo';
import { parseConfig } from '../infra/config/load';
import type { ModelConfig, PlatformConfig, PlatformConfigInput } from '../infra/config/schema';
import type { StoredReport } from '../core/drift-job';
import { registryLayout } from '../core/layout';
import { emfMetrics, eventBridgeEvents } from '../lambdas/drift/aws/aws-ports';
import { readDriftConfig } from '../lambdas/drift/config';
import { createDriftHandler } from '../lambdas/drift/aws/handler';
import { s3Store } from '../lambdas/drift/aws/s3-store';
import { apiCapture, readInferenceConfig } from '../lambdas/inference/config';
import { cloudRunError, cloudRunPredictor } from '../lambdas/inference/gcp/cloud-run';
import { createGcpInferenceHandler } from '../lambdas/inference/gcp/handler';
import { vertexPredictor } from '../lambdas/inference/gcp/vertex';
import { CaptureWriter } from '../core/capture';
import { createInferenceHandler } from '../lambdas/inference/aws/handler';
import { s3CaptureStore } from '../lambdas/inference/aws/s3-capture-store';
import { sageMakerInvoker } from '../lambdas/inference/aws/sagemaker';
import { gcpLogger } from '../lambdas/shared/gcp/log';
import { registerCloudRunDeploy } from '../cli/cloudrun-deploy';
import { FakeCloudRun } from '../test/cloudrun-deploy/fake-cloud-run';
import { FakeVertex } from '../test/vertex-deploy/fake-vertex';
import { startS3 } from '../test/helpers/s3rver';
import { batches, readWindow, type Window } from './data';
import { type GcpDeployedModel, synthesizeGcpEnvironments } from './gcp-platform';
import { type DeployedModel, synthesizeAws } from './platform';
import { command, freePort, type ModelServer, PYTHON, startModelServer } from './processes';
import { rehearseLocalPipeline } from './local-pipeline';
import { cloudRunShim, cloudStorageShim, eventBridgeShim, listen, type Listening, sageMakerRuntimeShim, vertexPredictShim } from './shims';

const ENVIRONMENT = 'staging';
/** The demo's environment that serves on Cloud Run (`gcp.servingOverride`): its Google Cloud path is rehearsed too. */
const CLOUD_RUN_ENVIRONMENT = 'dev';
const MODEL_SERVER = 'containers/model-server';
const VERSION = '1';
const TARGETS: Record<string, string> = { churn: 'churned', 'sales-forecast': 'units_sold' };
const BATCH = 20;
const ROWS = 300;
/** The hours the rehearsal's traffic is captured in: a reference window, then a shifted one (24-hour windows). */
const REFERENCE_HOUR = new Date('2026-11-25T10:00:00Z');
const SHIFTED_HOUR = new Date('2026-11-26T10:00:00Z');
const windowEnd = (hour: Date) => new Date(Date.UTC(hour.getUTCFullYear(), hour.getUTCMonth(), hour.getUTCDate() + 1)).toISOString();

const summary: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await fn();
    console.log(`✓ ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  } catch (err) {
    console.error(`✗ ${name}\n${(err as Error).stack ?? err}`);
    throw err;
  }
}

/**
 * The demo platform, with every request captured so each rehearsal request is in the window: by churn's real-time
 * endpoint, and by sales-forecast's inference function (its serverless endpoint cannot capture). churn's tuning is
 * cut to two trials.
 */
function rehearsalInput(): PlatformConfigInput {
  const input = structuredClone(demoConfig) as PlatformConfigInput;
  for (const model of input.models) model.dataCapture = { samplingPercentage: 100 };
  // churn's local training pipeline searches two points of its ranges instead of eight: the rehearsal shows the
  // lifecycle, not the tuning.
  const tuning = input.models.find((m) => m.name === 'churn')?.training?.tuning;
  if (tuning) Object.assign(tuning, { maxJobs: CHURN_TRIALS, maxParallelJobs: 1 });
  return input;
}

const CHURN_TRIALS = 2;
const CHURN_ROWS = 4000;

function rehearsalConfig(): PlatformConfig {
  return parseConfig(rehearsalInput(), 'demo config (rehearsal: every request captured)');
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'modelstack-e2e-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const config = rehearsalConfig();
  const models = config.models;

  // 1. Train both demo models into the registry layout: sales-forecast with npm run train, churn through its
  //    training pipeline's generated definition, run locally (the version it registers is the one served below).
  const artifacts = join(work, 'artifacts');
  await step('train sales-forecast (npm run train) and churn (modelstack pipeline run --local)', async () => {
    await command('npm', ['run', '--silent', 'train', '--', '--out', artifacts, '--version', VERSION, '--model', 'sales-forecast']);
    const registry = join(work, 'registry');
    mkdirSync(join(registry, 'training-data', 'churn'), { recursive: true });
    await command(PYTHON, ['-m', 'training.data', '--model', 'churn', '--rows', String(CHURN_ROWS), '--seed', '7', '--out', join(registry, 'training-data', 'churn', 'part-1.csv')]);
    // Registers version 1 (checking its files), then refuses a worse candidate.
    await rehearseLocalPipeline({ work, registry, environment: ENVIRONMENT, config, configInput: rehearsalInput(), trials: CHURN_TRIALS, rows: CHURN_ROWS });
    cpSync(join(registry, 'models', 'churn', VERSION), join(artifacts, 'churn', VERSION), { recursive: true });
    summary.push(`churn: version ${VERSION} registered by the local training pipeline (${ENVIRONMENT}'s definition), with lineage.json; a worse candidate refused`);
    for (const model of models) {
      for (const file of ['model.tar.gz', 'baseline.json', 'quality.json', 'metrics.json']) {
        assert.ok(existsSync(join(artifacts, model.name, VERSION, file)), `${model.name}/${VERSION}/${file} was not written`);
      }
      const baseline = JSON.parse(readFileSync(join(artifacts, model.name, VERSION, 'baseline.json'), 'utf8')) as { features: { name: string }[]; rows: number };
      assert.deepEqual(baseline.features.map((f) => f.name), model.inputSchema.features.map((f) => f.name), `${model.name}: the baseline's features are not the input schema's`);
      const quality = JSON.parse(readFileSync(join(artifacts, model.name, VERSION, 'quality.json'), 'utf8')) as { metrics: Record<string, number> };
      summary.push(`${model.name}: trained on ${baseline.rows} rows; held-out ${Object.entries(quality.metrics).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
    }
  });

  // 2. Synthesize the environment on both clouds: the rehearsal deploys what the templates say.
  const aws = await step(`synthesize ${ENVIRONMENT} (AWS and Google Cloud) and ${CLOUD_RUN_ENVIRONMENT} (Google Cloud, on Cloud Run)`, async () => {
    const deployed = synthesizeAws(config, ENVIRONMENT, join(work, 'cdk.out'));
    const gcpEnvironments = synthesizeGcpEnvironments(config, [ENVIRONMENT, CLOUD_RUN_ENVIRONMENT], join(work, 'cdktf.out'));
    const gcp = gcpEnvironments[ENVIRONMENT];
    const cloudRun = gcpEnvironments[CLOUD_RUN_ENVIRONMENT];
    assert.ok(deployed.churn.capture && deployed.churn.driftEnv, 'churn (real-time) must capture data and have a drift check');
    const sales = deployed['sales-forecast'];
    assert.ok(!sales.capture && sales.inferenceEnv.CAPTURE_PREFIX && sales.driftEnv, 'sales-forecast (serverless) must capture at the API and have a drift check');
    // Both clouds serve the model server this rehearsal runs (a framework image could not read string categoricals).
    for (const model of models) {
      assert.deepEqual(model.image, { build: MODEL_SERVER }, `${model.name}: the demo should serve ${MODEL_SERVER}`);
      assert.match(deployed[model.name].image, /\/model-server(:src-[0-9a-f]{40}|@sha256:[0-9a-f]{64})$/, `${model.name}: the endpoint's image`);
      assert.equal(gcp[model.name].container.buildFolder, MODEL_SERVER, `${model.name}: the Google Cloud deploy builds`);
      // Cloud Run keeps no request log: the inference function captures, into the folder the drift check reads.
      assert.ok(cloudRun[model.name].cloudRun && cloudRun[model.name].inferenceEnv.CAPTURE_PREFIX, `${model.name}: ${CLOUD_RUN_ENVIRONMENT} must serve on Cloud Run and capture at the API`);
      assert.equal(cloudRun[model.name].container.buildFolder, MODEL_SERVER, `${model.name}: the Cloud Run deploy builds`);
    }
    return { deployed, gcp, cloudRun };
  });
  const bucket = new URL(aws.deployed[models[0].name].modelDataUrl).host;

  // 3. Publish the artifacts into the environment's registry bucket (s3rver), at the keys the templates name.
  const s3server = await startS3(bucket);
  cleanups.push(() => s3server.stop());
  const s3 = s3server.client();
  await step('publish the versions into the registry (s3rver)', async () => {
    for (const model of models) {
      for (const key of [registryLayout.modelArtifact(model.name, VERSION), registryLayout.baseline(model.name, VERSION), registryLayout.qualityBaseline(model.name, VERSION)]) {
        const file = join(artifacts, model.name, VERSION, key.split('/').pop()!);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
      }
      assert.equal(aws.deployed[model.name].modelDataUrl, `s3://${bucket}/${registryLayout.modelArtifact(model.name, VERSION)}`);
    }
  });

  // 4. Start the model server per model and per contract: SageMaker (model.tar.gz extracted into MODEL_DIR, as
  //    SageMaker does into /opt/ml/model) and Vertex AI (AIP_* variables, the model read from AIP_STORAGE_URI).
  const gcsBucket = `${config.platform.name}-${ENVIRONMENT}-models-e2e`;
  const gcsObjects = new Map<string, Buffer>();
  for (const model of models) gcsObjects.set(`${gcsBucket}/${registryLayout.modelArtifact(model.name, VERSION)}`, readFileSync(join(artifacts, model.name, VERSION, 'model.tar.gz')));
  const gcs = await cloudStorageShim(gcsObjects);
  cleanups.push(() => gcs.close());
  const servers = await step('start the model server for both contracts', async () => {
    const started: Record<string, { sagemaker: ModelServer; vertex: ModelServer }> = {};
    for (const model of models) {
      const modelDir = join(work, 'sagemaker', model.name, 'opt/ml/model');
      mkdirSync(modelDir, { recursive: true });
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: new URL(aws.deployed[model.name].modelDataUrl).pathname.slice(1) }));
      writeFileSync(join(work, 'model.tar.gz'), Buffer.from(await object.Body!.transformToByteArray()));
      await command('tar', ['-xzf', join(work, 'model.tar.gz'), '-C', modelDir]);
      const sagemakerPort = await freePort();
      const sagemaker = await startModelServer({ MODEL_DIR: modelDir, PORT: String(sagemakerPort) }, sagemakerPort);
      cleanups.push(() => sagemaker.stop());
      // Vertex AI sets AIP_HEALTH_ROUTE / AIP_PREDICT_ROUTE from the ModelContainerSpec the deploy trigger uploads; the
      // port is the spec's too, here a free one (AIP_HTTP_PORT) since both servers share this machine.
      const spec = aws.gcp[model.name].container;
      const vertexPort = await freePort();
      const vertex = await startModelServer(
        {
          AIP_HTTP_PORT: String(vertexPort),
          AIP_HEALTH_ROUTE: spec.healthRoute,
          AIP_PREDICT_ROUTE: spec.predictRoute,
          AIP_STORAGE_URI: `gs://${gcsBucket}/models/${model.name}/${VERSION}`,
          STORAGE_EMULATOR_HOST: gcs.url,
          MODEL_DIR: join(work, 'vertex', model.name),
        },
        vertexPort,
        spec.healthRoute,
      );
      cleanups.push(() => vertex.stop());
      started[model.name] = { sagemaker, vertex };
    }
    assert.ok(gcs.reads.length > 0, 'the Vertex AI server did not read its model from AIP_STORAGE_URI');
    return started;
  });

  // 4b. Cloud Run (dev): the deploy step the trigger runs (`cloudrun-deploy`, as synthesized) rolls version 1 out on
  //     each service against a loopback Cloud Run Admin API seeded with the service Terraform creates; the model server
  //     then starts with the revision's variables (AIP_STORAGE_URI from the rollout), behind a Cloud Run stand-in that
  //     refuses requests without an identity token.
  const cloudRunServices = await step(`roll out version ${VERSION} on ${CLOUD_RUN_ENVIRONMENT}'s Cloud Run services (cloudrun-deploy) and serve it`, () =>
    rollOutOnCloudRun(config, aws.cloudRun, { work, gcsBucket, storageEmulator: gcs.url }),
  );

  // 5. The platform's functions, configured from the synthesized environments, behind the service shims.
  let captureHour = REFERENCE_HOUR;
  const sageMaker = await sageMakerRuntimeShim(
    Object.fromEntries(
      models.map((m) => {
        const deployed = aws.deployed[m.name];
        const capture = deployed.capture && {
          bucket: new URL(deployed.capture.destination).host,
          prefix: `${new URL(deployed.capture.destination).pathname.slice(1)}/${deployed.endpointName}/${deployed.capture.variant}/`,
          variant: deployed.capture.variant,
        };
        return [deployed.endpointName, { modelServer: servers[m.name].sagemaker.url, capture }];
      }),
    ),
    s3,
    () => captureHour,
  );
  cleanups.push(() => sageMaker.close());
  const vertex = await vertexPredictShim(
    Object.fromEntries(
      models.map((m) => [aws.gcp[m.name].inferenceEnv.ENDPOINT_NAME, { modelServer: servers[m.name].vertex.url, predictRoute: aws.gcp[m.name].container.predictRoute }]),
    ),
  );
  cleanups.push(() => vertex.close());
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: sageMaker.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDREHEARSAL',
    AWS_SECRET_ACCESS_KEY: 'rehearsal',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const awsApi = Object.fromEntries(models.map((m) => [m.name, awsInferenceFunction(aws.deployed[m.name], s3server.endpoint, () => captureHour)]));
  const gcpApi: Record<string, string> = {};
  const cloudRunApi: Record<string, Awaited<ReturnType<typeof cloudRunInferenceFunction>>> = {};
  for (const model of models) {
    const url = await gcpInferenceFunction(aws.gcp[model.name].inferenceEnv, vertex.url);
    gcpApi[model.name] = url.url;
    cleanups.push(url.close);
    cloudRunApi[model.name] = await cloudRunInferenceFunction(aws.cloudRun[model.name].inferenceEnv, cloudRunServices[model.name].url);
    cleanups.push(cloudRunApi[model.name].close);
  }

  // 6. Real requests through both clouds' inference functions; predictions must equal the model's own.
  const windows: Record<string, { reference: Window; shifted?: Window }> = {};
  for (const model of models) {
    await step(`${model.name}: predictions through the AWS and Google Cloud inference functions equal the model's own`, async () => {
      const reference = await dataWindow(work, model, 'reference', 101, false);
      const shifted = aws.deployed[model.name].driftEnv ? await dataWindow(work, model, 'shifted', 202, true) : undefined;
      windows[model.name] = { reference, shifted };
      for (const [name, window, hour] of [['reference', reference, REFERENCE_HOUR], ['shifted', shifted, SHIFTED_HOUR]] as const) {
        if (!window) continue;
        captureHour = hour;
        const own = await modelScore(join(work, 'sagemaker', model.name, 'opt/ml/model'), window, join(work, `${model.name}-${name}`));
        const viaAws: number[] = [];
        const viaGcp: number[] = [];
        const viaCloudRun: number[] = [];
        for (const [i, instances] of batches(window.instances, BATCH).entries()) {
          const answer = await awsApi[model.name](instances, `${name}-${i}`);
          assert.equal(answer.inferenceId, `${name}-${i}`);
          viaAws.push(...answer.predictions);
          viaGcp.push(...(await postJson(`${gcpApi[model.name]}/models/${model.name}/predict`, { instances })).predictions);
          viaCloudRun.push(...(await postJson(`${cloudRunApi[model.name].url}/models/${model.name}/predict`, { instances })).predictions);
        }
        assertClose(viaAws, own.predictions, `${model.name} ${name}: AWS predictions vs the model's own`);
        assertClose(viaGcp, own.predictions, `${model.name} ${name}: Google Cloud predictions vs the model's own`);
        assertClose(viaCloudRun, own.predictions, `${model.name} ${name}: Cloud Run (${CLOUD_RUN_ENVIRONMENT}) predictions vs the model's own`);
      }
      // Every request through Cloud Run was captured at the API (sampling 100 %), under the service's capture folder.
      const requests = batches(reference.instances, BATCH).length + (shifted ? batches(shifted.instances, BATCH).length : 0);
      const captured = await cloudRunApi[model.name].captured();
      assert.equal(captured.length, requests, `${model.name}: Cloud Run captures`);
      assert.ok(captured.every((c) => c.key.startsWith(aws.cloudRun[model.name].inferenceEnv.CAPTURE_PREFIX)), `${model.name}: Cloud Run captures outside the capture folder`);
      assert.ok(cloudRunServices[model.name].tokens.length >= requests, `${model.name}: Cloud Run calls without an identity token`);
      summary.push(`${model.name}: ${reference.instances.length + (shifted?.instances.length ?? 0)} instances answered identically on both clouds and on Cloud Run (${reference.incomplete} incomplete rows left out); ${captured.length} requests captured at the Cloud Run API`);
      // A request the schema rejects is a 422 naming the field, and never reaches the model.
      const before = sageMaker.counts.invocations;
      const numeric = model.inputSchema.features.find((f) => f.type === 'numeric')!.name;
      const bad = await awsApi[model.name].raw({ instances: [{ ...reference.instances[0], [numeric]: 'not a number' }] });
      assert.equal(bad.statusCode, 422);
      assert.equal(JSON.parse(bad.body ?? '{}').error.field, `instances[0].${numeric}`);
      assert.equal(sageMaker.counts.invocations, before);
    });
  }

  // 7. SageMaker's data capture of that traffic.
  await sageMaker.flush();
  const churn = aws.deployed.churn;
  const capturePrefix = `${new URL(churn.capture!.destination).pathname.slice(1)}/${churn.endpointName}/${churn.capture!.variant}/`;
  await step('the served traffic is in SageMaker data-capture files', async () => {
    const keys = await listKeys(s3, bucket, capturePrefix);
    const expected = batches(windows.churn.reference.instances, BATCH).length + batches(windows.churn.shifted!.instances, BATCH).length;
    assert.equal(keys.length, expected, `capture objects under ${capturePrefix}`);
    const first = JSON.parse((await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }))).Body!.transformToString()).trim()) as {
      captureData: { endpointInput: { encoding: string } };
      eventMetadata: { inferenceId?: string };
    };
    assert.equal(first.captureData.endpointInput.encoding, 'CSV');
    assert.match(first.eventMetadata.inferenceId ?? '', /^(reference|shifted)-\d+$/);
    summary.push(`churn: ${keys.length} capture objects (${sageMaker.counts.invocations} invocations in all)`);
  });

  // 7b. Capture at the inference API for the serverless model: the environment's last batch is written here (on
  //     Lambda it would wait for the environment's next request).
  const sales = aws.deployed['sales-forecast'];
  await step('sales-forecast (serverless): the inference function captured its traffic in the same format', async () => {
    await awsApi['sales-forecast'].capture!.flush();
    assert.deepEqual(awsApi['sales-forecast'].captureErrors, []);
    const prefix = sales.inferenceEnv.CAPTURE_PREFIX;
    assert.equal(prefix, `${registryLayout.dataCapturePrefix('sales-forecast')}${sales.endpointName}/AllTraffic/`);
    const keys = await listKeys(s3, bucket, prefix);
    const records = (await Promise.all(keys.map(async (key) => (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString()).trimEnd().split('\n'))))
      .flat()
      .map((line) => JSON.parse(line) as { captureData: { endpointInput: { encoding: string } }; eventMetadata: { inferenceId?: string } });
    const sent = batches(windows['sales-forecast'].reference.instances, BATCH).length + batches(windows['sales-forecast'].shifted!.instances, BATCH).length;
    assert.equal(records.length, sent, `capture records under ${prefix}`);
    assert.ok(records.every((r) => r.captureData.endpointInput.encoding === 'CSV' && /^(reference|shifted)-\d+$/.test(r.eventMetadata.inferenceId ?? '')));
    summary.push(`sales-forecast: ${records.length} records captured by the inference function in ${keys.length} objects (serverless endpoint)`);
  });

  // 8. Labels for the shifted window, keyed by the inference ids the API returned.
  await step('labels for the shifted window arrive as ground truth', async () => {
    const shifted = windows.churn.shifted!;
    const lines = batches(shifted.labels, BATCH).map((labels, i) => JSON.stringify({ inferenceId: `shifted-${i}`, label: labels }));
    const key = `${registryLayout.groundTruthPrefix('churn')}2026/11/26/12/labels.jsonl`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${lines.join('\n')}\n` }));
  });

  // 9. The drift check, as the deployed function runs it, over each window.
  const events = await eventBridgeShim();
  cleanups.push(() => events.close());
  /** A drift-check function configured from its synthesized environment, writing to s3rver and the EventBridge shim. */
  const driftFunction = (env: Record<string, string>) => {
    const config = readDriftConfig(env);
    const eventBridge = new EventBridgeClient({ endpoint: events.url, region: 'eu-west-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' } });
    const deps = { store: s3Store(s3, config.bucket), events: eventBridgeEvents(eventBridge, config.eventBus), metrics: emfMetrics(new Metrics({ namespace: 'ModelStack', serviceName: 'drift' })) };
    return { config, handler: createDriftHandler(config.spec, deps, new Logger({ serviceName: 'drift', logLevel: 'ERROR' })) };
  };
  const { config: driftConfig, handler: drift } = driftFunction(churn.driftEnv!);
  assert.equal(driftConfig.bucket, bucket);
  await step('reference window: report written, no drift, no event', async () => {
    const outcome = await drift({ scheduledTime: windowEnd(REFERENCE_HOUR) });
    assert.ok('reportKey' in outcome && outcome.status === 'done', JSON.stringify(outcome));
    const report = await readReport(s3, bucket, outcome.reportKey);
    assert.equal(report.rows, windows.churn.reference.instances.length);
    assert.equal(report.drifted, false, `drift share ${report.driftShare}`);
    // What the API sent is what the baseline describes: every integrity check passes (or only warns).
    assert.ok(['ok', 'warn'].includes(report.integrity.status), `integrity ${report.integrity.status}: ${report.integrity.failed.join(', ')}`);
    assert.equal(events.entries.length, 0);
    summary.push(`reference window: ${report.rows} rows, drift share ${report.driftShare.toFixed(2)}, integrity ${report.integrity.status}: no drift`);
  });
  const shiftedReport = await step('shifted window: report.json and report.html, one DriftDetected, quality equal to scikit-learn', async () => {
    const outcome = await drift({ scheduledTime: windowEnd(SHIFTED_HOUR) });
    assert.ok('reportKey' in outcome && outcome.status === 'done' && outcome.drifted, JSON.stringify(outcome));
    const report = await readReport(s3, bucket, outcome.reportKey);
    const html = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: outcome.reportKey.replace(/report\.json$/, 'report.html') }));
    assert.match(await html.Body!.transformToString(), /<html/i);
    assert.equal(events.entries.length, 1);
    assert.equal(events.entries[0].DetailType, 'DriftDetected');
    assert.equal(JSON.parse(events.entries[0].Detail).model, 'churn');
    // The same window again (a retried schedule): no second event.
    await drift({ scheduledTime: windowEnd(SHIFTED_HOUR) });
    assert.equal(events.entries.length, 1, 'a second DriftDetected for the same window');
    return report;
  });
  await step('model quality from captured predictions and labels equals scikit-learn on the same rows', async () => {
    const quality = shiftedReport.quality;
    assert.ok(quality, 'the report has no model quality');
    const expected = JSON.parse(readFileSync(join(work, 'churn-shifted', 'score.json'), 'utf8')) as { metrics: Record<string, number> };
    assert.equal(quality.labelled, windows.churn.shifted!.labels.length);
    const got = quality.metrics as unknown as Record<string, number>;
    const compared: string[] = [];
    for (const [name, value] of Object.entries(expected.metrics)) {
      const key = name === 'roc_auc' || name === 'roc_auc_score' ? 'rocAuc' : name;
      if (!(key in got) || key === 'n') continue;
      assert.ok(Math.abs(got[key] - value) <= 1e-9, `${key}: ${got[key]}, scikit-learn ${value}`);
      compared.push(key);
    }
    assert.deepEqual(compared.sort(), ['accuracy', 'f1', 'precision', 'recall', 'rocAuc'], 'metrics compared with scikit-learn');
    summary.push(
      `shifted window: ${shiftedReport.rows} rows, drift share ${shiftedReport.driftShare.toFixed(2)} (${shiftedReport.features.filter((f) => f.drifted).map((f) => f.name).join(', ')}), ` +
        `1 DriftDetected; quality on ${quality.labelled} labels: ${Object.entries(got).filter(([k]) => k !== 'n').map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')} (= scikit-learn)`,
    );
  });

  // 10. The serverless model's drift check, as its deployed function runs it, over what the inference function captured.
  await step('sales-forecast (serverless): the drift check reads the API\'s captures and reports the shifted window', async () => {
    const { config, handler: salesDrift } = driftFunction(sales.driftEnv!);
    assert.equal(config.spec.capturePrefix, sales.inferenceEnv.CAPTURE_PREFIX);
    const outcome = await salesDrift({ scheduledTime: windowEnd(SHIFTED_HOUR) });
    assert.ok('reportKey' in outcome && outcome.status === 'done' && outcome.drifted, JSON.stringify(outcome));
    const report = await readReport(s3, bucket, outcome.reportKey);
    assert.equal(report.rows, windows['sales-forecast'].shifted!.instances.length);
    assert.equal(JSON.parse(events.entries.at(-1)!.Detail).model, 'sales-forecast');
    summary.push(`sales-forecast shifted window (captured at the API): ${report.rows} rows, drift share ${report.driftShare.toFixed(2)}, 1 DriftDetected`);
  });
}

/**
 * The AWS inference function's handler, configured from its synthesized environment, called as API Gateway would;
 * with capture at the API when the environment says so (writing to `s3Endpoint`, timed by `captureTime`).
 */
function awsInferenceFunction(deployed: DeployedModel, s3Endpoint: string, captureTime: () => Date) {
  const config = readInferenceConfig(deployed.inferenceEnv);
  const captureErrors: unknown[] = [];
  const writer =
    config.capture &&
    new CaptureWriter({
      prefix: config.capture.prefix,
      samplingPercentage: config.capture.samplingPercentage,
      maxRecords: config.capture.maxRecords,
      maxAgeMs: config.capture.maxAgeMs,
      now: () => captureTime().getTime(),
      store: s3CaptureStore({ bucket: config.capture.bucket, region: 'eu-west-1', endpoint: s3Endpoint, credentials: () => ({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }) }),
      onError: (err) => void captureErrors.push(err),
    });
  const handler = createInferenceHandler({
    config,
    logger: new Logger({ serviceName: 'inference', logLevel: 'ERROR' }),
    metrics: new Metrics({ namespace: 'ModelStack', serviceName: 'inference' }),
    invoke: sageMakerInvoker({ endpointName: config.endpointName!, timeoutMs: config.upstreamTimeoutMs, maxAttempts: config.upstreamMaxAttempts }),
    capture: writer && { writer, flushWaitMs: config.capture!.flushWaitMs },
  });
  const context = { awsRequestId: 'rehearsal', functionName: `inference-${deployed.model}` } as Context;
  const raw = (body: unknown) => handler({ pathParameters: { model: deployed.model }, body: JSON.stringify(body), isBase64Encoded: false } as unknown as APIGatewayProxyEventV2, context);
  const call = async (instances: unknown[], inferenceId: string): Promise<{ predictions: number[]; inferenceId: string }> => {
    const result = await raw({ instances, inferenceId });
    if (result.statusCode !== 200) throw new Error(`AWS inference ${deployed.model}: ${result.statusCode} ${result.body}`);
    return JSON.parse(result.body ?? '{}');
  };
  return Object.assign(call, { raw, capture: writer, captureErrors });
}

/** The Google Cloud inference function's handler on a loopback port, configured from its synthesized environment. */
async function gcpInferenceFunction(env: Record<string, string>, vertexUrl: string): Promise<Listening> {
  const config = readInferenceConfig(env);
  const handler = createGcpInferenceHandler({
    config,
    logger: gcpLogger({ model: config.model }, () => undefined),
    predict: vertexPredictor({ endpoint: config.endpointName!, accessToken: async () => 'rehearsal-token', timeoutMs: config.upstreamTimeoutMs, maxAttempts: config.upstreamMaxAttempts, baseUrl: vertexUrl }),
  });
  return listen((req, res) => void handler(req, res));
}

/**
 * `cloudrun-deploy` with the synthesized deploy step's arguments (Cloud Build's substitutions filled in as the trigger
 * would: the version's `model.tar.gz`, the image file the build steps write) against a loopback Cloud Run Admin API
 * holding each service as Terraform creates it; then the real model server with the rolled-out revision's variables,
 * behind a Cloud Run stand-in. Returns each model's service stand-in.
 */
async function rollOutOnCloudRun(config: PlatformConfig, models: Record<string, GcpDeployedModel>, where: { work: string; gcsBucket: string; storageEmulator: string }) {
  const { project, region } = config.environments[CLOUD_RUN_ENVIRONMENT].gcp!;
  const api = await new FakeCloudRun(project, region).start();
  cleanups.push(() => api.stop());
  // A model with batch: the deploy step also registers the version in the Vertex AI Model Registry (batch scores it).
  const vertex = await new FakeVertex().start();
  cleanups.push(() => vertex.stop());
  const image = `${region}-docker.pkg.dev/${project}/modelstack-${CLOUD_RUN_ENVIRONMENT}-models/model-server@sha256:${'0'.repeat(64)}`;
  const imageFile = join(where.work, 'model-image.ref');
  writeFileSync(imageFile, `${image}\n`);
  const services: Record<string, Awaited<ReturnType<typeof cloudRunShim>>> = {};
  for (const [model, deployed] of Object.entries(models)) {
    const cloudRun = deployed.cloudRun!;
    const name = api.addService(cloudRun.service, cloudRun.image, [...cloudRun.env]);
    const args = cloudRun.deployArgs.map((a) =>
      a === '/workspace/model-image.ref' ? imageFile : a.replace('$_BUCKET', where.gcsBucket).replace('$_OBJECT', registryLayout.modelArtifact(model, VERSION)),
    );
    const program = new Command('modelstack').exitOverride();
    registerCloudRunDeploy(program, { io: { stdout: () => undefined } }, { baseUrl: api.url, vertexBaseUrl: vertex.baseUrl, accessToken: async () => 'rehearsal-deploy-token', pollIntervalMs: 1 });
    await program.parseAsync(args, { from: 'user' });
    const vertexModel = args.includes('--vertex-model-id') ? args[args.indexOf('--vertex-model-id') + 1] : undefined;
    assert.equal(vertexModel !== undefined, config.models.find((m) => m.name === model)?.batch !== undefined, `${model}: registered in the Vertex AI Model Registry exactly when it has batch`);
    if (vertexModel) {
      const registered = vertex.models.get(vertexModel)?.find((v) => v.aliases.includes(CLOUD_RUN_ENVIRONMENT));
      assert.equal(registered?.artifactUri, `gs://${where.gcsBucket}/models/${model}/${VERSION}/`, `${model}: ${vertexModel}@${CLOUD_RUN_ENVIRONMENT} (what batch prediction scores) is the rolled-out version`);
    }
    const [container] = api.services.get(name).template.containers as { image: string; env: { name: string; value: string }[] }[];
    assert.equal(container.image, image, `${model}: the image cloudrun-deploy rolled out`);
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    assert.equal(env.AIP_STORAGE_URI, `gs://${where.gcsBucket}/models/${model}/${VERSION}/`, `${model}: AIP_STORAGE_URI after the rollout`);
    // Cloud Run starts the container with the revision's variables; the port is a free one here instead of the
    // service's, since several model servers share this machine.
    const port = await freePort();
    const server = await startModelServer({ ...env, AIP_HTTP_PORT: String(port), STORAGE_EMULATOR_HOST: where.storageEmulator, MODEL_DIR: join(where.work, 'cloudrun', model) }, port, env.AIP_HEALTH_ROUTE);
    cleanups.push(() => server.stop());
    services[model] = await cloudRunShim(server.url);
    cleanups.push(services[model].close);
  }
  return services;
}

/**
 * The Google Cloud inference function of a model on Cloud Run, configured from its synthesized environment with the
 * service's URL (known after apply) filled in; its captures at the API go to memory.
 */
async function cloudRunInferenceFunction(env: Record<string, string>, serviceUrl: string) {
  const config = readInferenceConfig({ ...env, CLOUD_RUN_URL: serviceUrl });
  const written: { key: string; body: string }[] = [];
  const capture = apiCapture(config.capture, () => ({ put: async (key, body) => void written.push({ key, body }) }), (err) => {
    throw err;
  });
  assert.ok(capture, `${config.model}: no capture at the API`);
  const handler = createGcpInferenceHandler({
    config,
    logger: gcpLogger({ model: config.model }, () => undefined),
    classify: cloudRunError,
    predict: cloudRunPredictor({ url: serviceUrl, idToken: async () => 'rehearsal-id-token', timeoutMs: config.upstreamTimeoutMs, maxAttempts: config.upstreamMaxAttempts }),
    capture,
  });
  const listening = await listen((req, res) => void handler(req, res));
  return {
    ...listening,
    /** Every record captured so far (the last batch written first), one per request. */
    captured: async () => {
      await capture.writer.flush();
      return written.flatMap(({ key, body }) => body.trimEnd().split('\n').map((line) => ({ key, record: JSON.parse(line) })));
    },
  };
}

async function postJson(url: string, body: unknown): Promise<{ predictions: number[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** A seeded data window from the training code's generator, with the rows the API accepts. */
async function dataWindow(work: string, model: ModelConfig, name: string, seed: number, shifted: boolean): Promise<Window> {
  const file = join(work, `${model.name}-${name}.csv`);
  await command(PYTHON, ['-m', 'training.data', '--model', model.name, '--rows', String(ROWS), '--seed', String(seed), ...(shifted ? ['--shifted'] : []), '--out', file]);
  const window = readWindow(file, model.inputSchema.features, TARGETS[model.name]);
  assert.ok(window.instances.length >= ROWS * 0.8, `${model.name} ${name}: only ${window.instances.length} complete rows`);
  return window;
}

/** scikit-learn's metrics and the model's own predictions for exactly the rows sent (`training.score`). */
async function modelScore(modelDir: string, window: Window, dir: string): Promise<{ predictions: number[]; metrics: Record<string, number> }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'rows.csv'), window.csv);
  await command(PYTHON, ['-m', 'training.score', '--model-dir', modelDir, '--data', join(dir, 'rows.csv'), '--out', join(dir, 'score.json')]);
  return JSON.parse(readFileSync(join(dir, 'score.json'), 'utf8'));
}

function assertClose(got: readonly number[], expected: readonly number[], what: string): void {
  assert.equal(got.length, expected.length, `${what}: ${got.length} predictions, expected ${expected.length}`);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i] - expected[i]) <= 1e-12 * Math.max(1, Math.abs(expected[i])), `${what}: row ${i + 1}: ${got[i]} vs ${expected[i]}`);
  }
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

async function readReport(s3: S3Client, bucket: string, key: string): Promise<StoredReport> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await object.Body!.transformToString()) as StoredReport;
}

main()
  .then(() => {
    console.log(`\nRehearsal passed (${ENVIRONMENT}, version ${VERSION}):\n${summary.map((s) => `  - ${s}`).join('\n')}`);
  })
  .catch(() => {
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  });
