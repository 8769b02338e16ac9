import { parentPort, workerData } from 'node:worker_threads';
import { profileRange, type WorkerData, type WorkerMessage } from './parallel';

/** Worker-thread entry of profileParallel: profiles one byte range and posts the profile back. */
const data = workerData as WorkerData;
const post = (msg: WorkerMessage) => parentPort?.postMessage(msg);

profileRange(data.path, data.format, data.features, data.options, data.range, (bytes) => post({ type: 'progress', bytes })).then(
  ({ state, lines }) => post({ type: 'done', state, lines }),
  (err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
);
