import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Loopback stand-ins for the managed services between the platform's functions and the model server. Each speaks
 * the service's wire protocol (so the functions use their real SDK clients), forwards to the real model server, and
 * does what the service would do around it, such as SageMaker's data capture. Only 127.0.0.1.
 */

export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `handler` on a free loopback port. */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One SageMaker endpoint as the shim serves it: its model server and its data-capture settings (from the template). */
export interface ShimEndpoint {
  /** The model server's base URL (`http://127.0.0.1:<port>`). */
  readonly modelServer: string;
  /**
   * Data capture: where SageMaker writes (`DataCaptureConfig.DestinationS3Uri` + `/<endpoint>/<variant>/`), and
   * which variant answered.
   * @default - no capture
   */
  readonly capture?: { readonly bucket: string; readonly prefix: string; readonly variant: string };
}

/**
 * The SageMaker runtime's `InvokeEndpoint` (REST-JSON, `POST /endpoints/{name}/invocations`): forwards the body to
 * the endpoint's model server `/invocations` (the SageMaker container contract), answers like SageMaker (model
 * failures as `ModelError` 424), and captures each request and response as SageMaker's data capture does: one JSON
 * line per invocation (`captureData.endpointInput/endpointOutput`, `eventMetadata.inferenceId` from
 * `X-Amzn-SageMaker-Inference-Id`), in hourly folders `yyyy/mm/dd/hh/` under the capture prefix. `captureTime`
 * stands for the clock, so a run can write its traffic into chosen hours.
 */
export async function sageMakerRuntimeShim(endpoints: Readonly<Record<string, ShimEndpoint>>, s3: S3Client, captureTime: () => Date) {
  const pending: Promise<unknown>[] = [];
  const counts = { invocations: 0, captured: 0 };
  const listening = await listen((req, res) => {
    void (async () => {
      const match = /^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? '');
      const endpoint = match ? endpoints[decodeURIComponent(match[1])] : undefined;
      if (req.method !== 'POST' || !match || !endpoint) {
        return sendAwsError(res, 400, 'ValidationError', `Endpoint ${match?.[1] ?? ''} not found.`);
      }
      const body = await readBody(req);
      const contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
      counts.invocations++;
      const answer = await fetch(`${endpoint.modelServer}/invocations`, {
        method: 'POST',
        headers: { 'content-type': contentType, accept: String(req.headers.accept ?? 'application/json') },
        body,
      });
      const output = Buffer.from(await answer.arrayBuffer());
      const outputType = answer.headers.get('content-type') ?? 'application/json';
      if (!answer.ok) {
        // SageMaker wraps a container's error status in a 424 ModelError (InvokeEndpoint API reference, Errors).
        return sendAwsError(res, 424, 'ModelError', `Received client error (${answer.status}) from primary`, { OriginalStatusCode: answer.status, OriginalMessage: output.toString('utf8') });
      }
      if (endpoint.capture) {
        const inferenceId = req.headers['x-amzn-sagemaker-inference-id'] as string | undefined;
        pending.push(writeCapture(s3, endpoint.capture, captureTime(), { input: body, inputType: contentType, output, outputType, inferenceId }).then(() => counts.captured++));
      }
      res.writeHead(200, { 'content-type': outputType, 'x-amzn-invoked-production-variant': endpoint.capture?.variant ?? 'AllTraffic' });
      res.end(output);
    })().catch((err: Error) => sendAwsError(res, 500, 'InternalFailure', err.message));
  });
  return {
    ...listening,
    counts,
    /** Waits until every capture object is written (SageMaker writes them asynchronously, within minutes). */
    flush: async () => void (await Promise.all(pending)),
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

function captureEncoding(type: string): 'CSV' | 'JSON' | 'BASE64' {
  const base = type.split(';')[0].trim().toLowerCase();
  if (base === 'text/csv') return 'CSV';
  if (base === 'application/json' || base === 'application/jsonlines') return 'JSON';
  return 'BASE64';
}

function captureData(bytes: Buffer, type: string, mode: 'INPUT' | 'OUTPUT') {
  const encoding = captureEncoding(type);
  return { observedContentType: type, mode, data: encoding === 'BASE64' ? bytes.toString('base64') : bytes.toString('utf8'), encoding };
}

async function writeCapture(
  s3: S3Client,
  capture: NonNullable<ShimEndpoint['capture']>,
  time: Date,
  exchange: { input: Buffer; inputType: string; output: Buffer; outputType: string; inferenceId?: string },
): Promise<void> {
  // The record SageMaker writes (Developer Guide, "Capture data from real-time endpoint", captured data format).
  // Written here independently of core/capture on purpose: this shim stands for SageMaker, so the drift
  // engine's reader is checked against a second writer, not against the platform's own.
  const record = {
    captureData: { endpointInput: captureData(exchange.input, exchange.inputType, 'INPUT'), endpointOutput: captureData(exchange.output, exchange.outputType, 'OUTPUT') },
    eventMetadata: { eventId: randomUUID(), inferenceTime: time.toISOString(), ...(exchange.inferenceId ? { inferenceId: exchange.inferenceId } : {}) },
    eventVersion: '0',
  };
  const hour = `${time.getUTCFullYear()}/${pad(time.getUTCMonth() + 1)}/${pad(time.getUTCDate())}/${pad(time.getUTCHours())}`;
  const key = `${capture.prefix}${hour}/${pad(time.getUTCMinutes())}-${pad(time.getUTCSeconds())}-${randomUUID()}.jsonl`;
  await s3.send(new PutObjectCommand({ Bucket: capture.bucket, Key: key, Body: `${JSON.stringify(record)}\n`, ContentType: 'application/jsonlines' }));
}

function sendAwsError(res: ServerResponse, status: number, type: string, message: string, extra: object = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify({ message, ...extra }));
}

/**
 * Vertex AI's `endpoints.predict` (`POST /v1/projects/*\/locations/*\/endpoints/{id}:predict`, a bearer token
 * required): forwards `{ "instances": [...] }` to the deployed model's container on its `AIP_PREDICT_ROUTE`, as
 * Vertex AI does for a custom container, and answers `{ "predictions", "deployedModelId" }`; a container error is
 * a 400/500 with Google's error body.
 */
export async function vertexPredictShim(endpoints: Readonly<Record<string, { readonly modelServer: string; readonly predictRoute: string }>>) {
  const counts = { predictions: 0 };
  const listening = await listen((req, res) => {
    void (async () => {
      const match = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/endpoints\/[^/:]+):predict$/.exec(req.url ?? '');
      const endpoint = match ? endpoints[match[1]] : undefined;
      if (!/^Bearer \S+/.test(String(req.headers.authorization ?? ''))) return sendGoogleError(res, 401, 'UNAUTHENTICATED', 'missing credentials');
      if (req.method !== 'POST' || !endpoint) return sendGoogleError(res, 404, 'NOT_FOUND', `Endpoint ${match?.[1] ?? req.url} not found.`);
      const body = await readBody(req);
      const answer = await fetch(`${endpoint.modelServer}${endpoint.predictRoute}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await answer.text();
      if (!answer.ok) return sendGoogleError(res, answer.status >= 500 ? 500 : 400, answer.status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT', text);
      counts.predictions++;
      const { predictions } = JSON.parse(text) as { predictions: unknown[] };
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify({ predictions, deployedModelId: '1', model: `${match![1].replace(/endpoints\/.*/, 'models/1')}`, modelVersionId: '1' }));
    })().catch((err: Error) => sendGoogleError(res, 500, 'INTERNAL', err.message));
  });
  return { ...listening, counts };
}

function sendGoogleError(res: ServerResponse, code: number, status: string, message: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify({ error: { code, message, status } }));
}

/**
 * A Cloud Run service in front of one container: a request without an identity token is refused as Cloud Run refuses it
 * for a service without public access (403), anything else is passed to the container on the same path, and its status,
 * content type and body come back as they are (Cloud Run does not rewrite a container's answers).
 */
export async function cloudRunShim(container: string) {
  const tokens: string[] = [];
  const listening = await listen((req, res) => {
    void (async () => {
      const token = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!token) {
        res.writeHead(403, { 'content-type': 'text/html; charset=UTF-8' });
        res.end('<html><body>Error: Forbidden</body></html>');
        return;
      }
      tokens.push(token);
      const body = req.method === 'GET' ? undefined : await readBody(req);
      const answer = await fetch(`${container}${req.url ?? '/'}`, { method: req.method, headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') }, body });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch((err: Error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(err.message);
    });
  });
  return { ...listening, tokens };
}

/** EventBridge `PutEvents` (AWS JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`): keeps every entry. */
export async function eventBridgeShim() {
  const entries: { EventBusName?: string; Source: string; DetailType: string; Detail: string }[] = [];
  const listening = await listen((req, res) => {
    void readBody(req).then((body) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target !== 'AWSEvents.PutEvents') {
        res.writeHead(400, { 'x-amzn-errortype': 'UnknownOperationException' });
        res.end(JSON.stringify({ __type: 'UnknownOperationException' }));
        return;
      }
      const request = JSON.parse(body.toString('utf8')) as { Entries: typeof entries };
      entries.push(...request.Entries);
      res.end(JSON.stringify({ FailedEntryCount: 0, Entries: request.Entries.map(() => ({ EventId: randomUUID() })) }));
    });
  });
  return { ...listening, entries };
}

/**
 * The Cloud Storage JSON API's object download (`GET /storage/v1/b/{bucket}/o/{object}?alt=media`, also under
 * `/download`) and object listing (`GET /storage/v1/b/{bucket}/o?prefix=`), from files in memory: what the model
 * server reads through `AIP_STORAGE_URI` when `STORAGE_EMULATOR_HOST` points here.
 */
export async function cloudStorageShim(objects: ReadonlyMap<string, Buffer>) {
  const reads: string[] = [];
  const listening = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://storage');
    const object = /^(?:\/download)?\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (object) {
      const key = `${decodeURIComponent(object[1])}/${decodeURIComponent(object[2])}`;
      const bytes = objects.get(key);
      reads.push(key);
      if (!bytes) return sendGoogleError(res, 404, 'NOT_FOUND', `No such object: ${key}`);
      if (url.searchParams.get('alt') === 'media') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
        return res.end(bytes);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ kind: 'storage#object', bucket: object[1], name: decodeURIComponent(object[2]), size: String(bytes.length) }));
    }
    const list = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (list) {
      const bucket = decodeURIComponent(list[1]);
      const prefix = url.searchParams.get('prefix') ?? '';
      const items = [...objects.keys()]
        .filter((k) => k.startsWith(`${bucket}/${prefix}`))
        .map((k) => ({ kind: 'storage#object', bucket, name: k.slice(bucket.length + 1), size: String(objects.get(k)!.length) }));
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ kind: 'storage#objects', items }));
    }
    sendGoogleError(res, 404, 'NOT_FOUND', `unsupported: ${req.method} ${url.pathname}`);
  });
  return { ...listening, reads };
}
