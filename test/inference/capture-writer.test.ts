import { CaptureWriter, type CaptureStore, captureEncoding } from '../../core/capture';
import { emitCaptureRecord } from '../../core/readers/capture';

const PREFIX = 'data-capture/churn/ms-dev-churn/AllTraffic/';
const exchange = (id: string, input = '3,70.5,monthly\n24,20,two-year') => ({ input, inputType: 'text/csv', output: '73.5\n44', outputType: 'text/csv', inferenceId: id });

/** A store that keeps what it is given. */
class MemoryStore implements CaptureStore {
  readonly objects = new Map<string, string>();
  async put(key: string, body: string): Promise<void> {
    this.objects.set(key, body);
  }
}

function clock(start: string) {
  let now = Date.parse(start);
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function writer(store: CaptureStore, extra: Partial<ConstructorParameters<typeof CaptureWriter>[0]> = {}) {
  let id = 0;
  return new CaptureWriter({ prefix: PREFIX, samplingPercentage: 100, store, newId: () => `id${++id}`, ...extra });
}

describe('CaptureWriter', () => {
  test("writes SageMaker's capture record, which the drift job's capture reader reads back", async () => {
    const store = new MemoryStore();
    const t = clock('2026-11-24T13:05:07.250Z');
    const w = writer(store, { now: t.now });
    w.add(exchange('order-1'));
    w.add({ input: '{"instances":[[1,2,"a"]]}', inputType: 'application/json', output: '{"predictions":[0.5]}', inferenceId: 'order-2' });
    w.add({ input: '\u0000binary', inputType: 'application/x-npy', output: 'x', outputType: 'application/octet-stream' });
    await w.flush();

    expect([...store.objects.keys()]).toEqual([`${PREFIX}2026/11/24/13/05-07-id4.jsonl`]);
    const lines = store.objects.get(`${PREFIX}2026/11/24/13/05-07-id4.jsonl`)!.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '3,70.5,monthly\n24,20,two-year', encoding: 'CSV' },
        endpointOutput: { observedContentType: 'text/csv', mode: 'OUTPUT', data: '73.5\n44', encoding: 'CSV' },
      },
      eventMetadata: { eventId: 'id1', inferenceTime: '2026-11-24T13:05:07.250Z', inferenceId: 'order-1' },
      eventVersion: '0',
    });
    expect(lines[2].eventMetadata.inferenceId).toBeUndefined();
    expect(lines[2].captureData.endpointInput).toMatchObject({ encoding: 'BASE64', data: Buffer.from('\u0000binary').toString('base64') });

    const rows: unknown[] = [];
    const invalid: string[] = [];
    for (const record of lines) emitCaptureRecord(record, 3, [], { row: (r) => rows.push(Array.isArray(r) ? [...r] : r), invalid: (reason) => invalid.push(reason) });
    expect(rows).toEqual([['3', '70.5', 'monthly'], ['24', '20', 'two-year'], [1, 2, 'a']]);
    expect(invalid).toEqual(['capture BASE64 payload has unsupported content type "application/x-npy"']);
  });

  test('content types map to the encodings SageMaker uses', () => {
    expect(captureEncoding('text/csv; charset=utf-8')).toBe('CSV');
    expect(captureEncoding('application/json')).toBe('JSON');
    expect(captureEncoding('application/jsonlines')).toBe('JSON');
    expect(captureEncoding('image/png')).toBe('BASE64');
  });

  test('samples the configured share of requests with the injected random source', () => {
    const values = [0, 0.1, 0.199, 0.2, 0.5, 0.99];
    const w = writer(new MemoryStore(), { samplingPercentage: 20, random: () => values.shift()! });
    expect(Array.from({ length: 6 }, () => w.sample())).toEqual([true, true, true, false, false, false]);
    const never = writer(new MemoryStore(), { samplingPercentage: 0, random: () => 0 });
    expect(never.sample()).toBe(false);
    expect(() => writer(new MemoryStore(), { samplingPercentage: 101 })).toThrow('samplingPercentage 101: expected 0 to 100');
  });

  test('a batch is due when full, when too large or when its oldest record is too old; one object per hour folder', async () => {
    const store = new MemoryStore();
    const t = clock('2026-11-24T13:59:59.000Z');
    const w = writer(store, { now: t.now, maxRecords: 3, maxAgeMs: 10_000, maxBytes: 100_000 });
    expect(w.isDue()).toBe(false);
    expect(w.flushIfDue()).toBeUndefined();
    w.add(exchange('a'));
    t.advance(2000); // into the next hour
    w.add(exchange('b'));
    expect(w.isDue()).toBe(false);
    w.add(exchange('c'));
    expect(w.isDue()).toBe(true);
    await w.flushIfDue();
    expect(w.pending).toBe(0);
    expect([...store.objects.keys()].sort()).toEqual([`${PREFIX}2026/11/24/13/59-59-id4.jsonl`, `${PREFIX}2026/11/24/14/00-01-id5.jsonl`]);
    expect(store.objects.get(`${PREFIX}2026/11/24/14/00-01-id5.jsonl`)!.trimEnd().split('\n')).toHaveLength(2);

    w.add(exchange('d'));
    t.advance(9999);
    expect(w.isDue()).toBe(false);
    t.advance(1);
    expect(w.isDue()).toBe(true);
    await w.flush();

    const small = writer(store, { maxBytes: 500 });
    small.add(exchange('e', 'x'.repeat(600)));
    expect(small.isDue()).toBe(true);
    expect(w.takeStats()).toEqual({ sampled: 4, written: 4, failed: 0, failedWrites: 0 });
    expect(w.takeStats()).toEqual({ sampled: 0, written: 0, failed: 0, failedWrites: 0 });
    expect(w.totals).toEqual({ sampled: 4, written: 4, failed: 0, failedWrites: 0 });
  });

  test('a failed write drops its batch, is reported and counted, and never rejects', async () => {
    const errors: [string, number][] = [];
    const w = writer({ put: async () => Promise.reject(new Error('AccessDenied')) }, { onError: (err, n) => errors.push([(err as Error).message, n]) });
    w.add(exchange('a'));
    w.add(exchange('b'));
    await expect(w.flush()).resolves.toBeUndefined();
    expect(errors).toEqual([['AccessDenied', 2]]);
    expect(w.takeStats()).toEqual({ sampled: 2, written: 0, failed: 2, failedWrites: 1 });

    const throwingReporter = writer({ put: async () => Promise.reject(new Error('x')) }, { onError: () => { throw new Error('reporter broke'); } });
    throwingReporter.add(exchange('c'));
    await expect(throwingReporter.flush()).resolves.toBeUndefined();
  });

  test('settle waits for a write in flight, but never longer than its bound', async () => {
    let release!: () => void;
    const w = writer({ put: () => new Promise<void>((resolve) => (release = resolve)) });
    expect(await w.settle(1000)).toBe(true); // nothing in flight
    w.add(exchange('a'));
    void w.flush();
    const started = performance.now();
    expect(await w.settle(40)).toBe(false);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(35);
    expect(waited).toBeLessThan(400);
    release();
    expect(await w.settle(1000)).toBe(true);
    expect(w.takeStats().written).toBe(1);
  });
});
