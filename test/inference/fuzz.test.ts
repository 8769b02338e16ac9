import * as fc from 'fast-check';
import { compileRequestParser } from '../../core/inference';
import { buildHandler, captureConsole, CONFIG, CONTEXT, event, FEATURES } from './harness';

/** Arbitrary bodies that are wrong in every way we can think of: not JSON, wrong shapes, wrong types, too big. */
const malformedBody = fc.oneof(
  fc.string(),
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify({ instances: v })),
  fc.array(fc.dictionary(fc.constantFrom('tenure', 'charges', 'contract', 'other'), fc.jsonValue()), { maxLength: 12 }).map((instances) => JSON.stringify({ instances })),
  fc.string({ minLength: 4097, maxLength: 5000 }),
);

const isValid = compileRequestParser(FEATURES, CONFIG);

test('1,000+ malformed requests each get a 4xx with a reason', async () => {
  const handler = buildHandler({}, async () => {
    throw new Error('a malformed request must never reach the model');
  });
  let checked = 0;
  await captureConsole(() =>
    fc.assert(
      fc.asyncProperty(malformedBody, async (body) => {
        fc.pre(!isValid(body).ok);
        checked++;
        const result = await handler(event(body), CONTEXT);
        expect(result.statusCode).toBeGreaterThanOrEqual(400);
        expect(result.statusCode).toBeLessThan(500);
        const error = JSON.parse(result.body ?? '').error;
        expect(typeof error.code).toBe('string');
        expect(error.message.length).toBeGreaterThan(5);
      }),
      { numRuns: 1200, seed: 20261123 },
    ),
  );
  expect(checked).toBeGreaterThanOrEqual(1000);
});
