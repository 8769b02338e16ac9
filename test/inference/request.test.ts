import { compileRequestParser, errorBody, parsePredictions, rowsToCsv } from '../../core/inference';

const features = [
  { name: 'tenure', type: 'numeric' },
  { name: 'charges', type: 'numeric' },
  { name: 'contract', type: 'categorical' },
] as const;
const parse = compileRequestParser(features, { maxBodyBytes: 400, maxInstances: 3 });
const body = (value: unknown) => JSON.stringify(value);

describe('request parser', () => {
  test('valid instances become rows in schema order, whatever the key order', () => {
    const result = parse(body({ instances: [{ contract: 'monthly', charges: 70.5, tenure: 3 }, { tenure: 0, charges: -1, contract: 7 }] }));
    expect(result).toEqual({ ok: true, rows: [[3, 70.5, 'monthly'], [0, -1, '7']] });
  });

  test.each([
    [undefined, 400, 'BadRequest', undefined, 'body: expected a JSON object with "instances"'],
    ['', 400, 'BadRequest', undefined, 'body: expected a JSON object with "instances"'],
    ['{"instances": [', 400, 'MalformedJson', undefined, expect.stringMatching(/^body: malformed JSON \(.+\)$/)],
    ['x'.repeat(401), 413, 'PayloadTooLarge', undefined, 'body: 401 bytes, expected at most 400'],
    ['[1,2]', 422, 'SchemaMismatch', 'body', 'body: expected an object with "instances", got array'],
    ['{}', 422, 'SchemaMismatch', 'instances', 'instances: expected an array, got nothing'],
    ['{"instances": {}}', 422, 'SchemaMismatch', 'instances', 'instances: expected an array, got object'],
    ['{"instances": []}', 422, 'SchemaMismatch', 'instances', 'instances: expected at least 1 instance'],
    [body({ instances: [1, 2, 3, 4] }), 422, 'SchemaMismatch', 'instances', 'instances: 4 instances, expected at most 3'],
    [body({ instances: [null] }), 422, 'SchemaMismatch', 'instances[0]', 'instances[0]: expected an object, got null'],
    [
      body({ instances: [{ tenure: 1, charges: 2, contract: 'a' }, { tenure: 1, charges: 2, contract: 'a', colour: 'red' }] }),
      422,
      'SchemaMismatch',
      'instances[1].colour',
      'instances[1].colour: unknown feature, expected one of tenure, charges, contract',
    ],
    [body({ instances: [{ tenure: '3', charges: 2, contract: 'a' }] }), 422, 'SchemaMismatch', 'instances[0].tenure', 'instances[0].tenure: expected number, got string'],
    [body({ instances: [{ charges: 2, contract: 'a' }] }), 422, 'SchemaMismatch', 'instances[0].tenure', 'instances[0].tenure: expected number, got nothing'],
    [body({ instances: [{ tenure: 1, charges: null, contract: 'a' }] }), 422, 'SchemaMismatch', 'instances[0].charges', 'instances[0].charges: expected number, got null'],
    [
      body({ instances: [{ tenure: 1, charges: 2, contract: '' }] }),
      422,
      'SchemaMismatch',
      'instances[0].contract',
      'instances[0].contract: expected a category (non-empty string or number), got empty string',
    ],
    [
      body({ instances: [{ tenure: 1, charges: 2, contract: true }] }),
      422,
      'SchemaMismatch',
      'instances[0].contract',
      'instances[0].contract: expected a category (non-empty string or number), got boolean',
    ],
  ])('%s → %i %s', (input, status, code, field, message) => {
    const result = parse(input);
    expect(result).toEqual({ ok: false, error: field ? { status, code, field, message } : { status, code, message } });
  });

  test('the byte limit counts UTF-8 bytes, not characters', () => {
    const small = compileRequestParser(features, { maxBodyBytes: 10, maxInstances: 1 });
    expect(small(JSON.stringify('ééééé'))).toMatchObject({ ok: false, error: { status: 413, message: 'body: 12 bytes, expected at most 10' } });
  });
});

describe('payloads', () => {
  test('rows become CSV with RFC 4180 quoting for categories', () => {
    expect(rowsToCsv([[1, 2.5, 'plain'], [0, -3, 'has,comma "and quotes"']])).toBe('1,2.5,plain\n0,-3,"has,comma ""and quotes"""');
  });

  test('predictions from CSV lines, one CSV line for a batch, and JSON', () => {
    expect(parsePredictions('0.1\n0.9\n', 'text/csv', 2)).toEqual([0.1, 0.9]);
    expect(parsePredictions('0.1,0.9', 'text/csv', 2)).toEqual([0.1, 0.9]);
    expect(parsePredictions('0.1,0.9', 'text/csv', 1)).toEqual([[0.1, 0.9]]);
    expect(parsePredictions('yes\nno', 'text/csv; charset=utf-8', 2)).toEqual(['yes', 'no']);
    expect(parsePredictions('[1,2]', 'application/json', 2)).toEqual([1, 2]);
    expect(parsePredictions('{"predictions":[{"score":1}]}', 'application/json', 1)).toEqual([{ score: 1 }]);
    expect(parsePredictions('{"scores":[1]}', 'application/json', 1)).toBeUndefined();
    expect(parsePredictions('not json', 'application/json', 1)).toBeUndefined();
    expect(parsePredictions('\u0000', 'application/octet-stream', 1)).toBeUndefined();
  });

  test('error bodies carry code, message and field only', () => {
    expect(JSON.parse(errorBody({ status: 422, code: 'SchemaMismatch', message: 'm', field: 'f' }))).toEqual({ error: { code: 'SchemaMismatch', message: 'm', field: 'f' } });
    expect(JSON.parse(errorBody({ status: 429, code: 'Throttled', message: 'm' }))).toEqual({ error: { code: 'Throttled', message: 'm' } });
  });
});
