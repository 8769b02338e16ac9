// A loopback SageMaker runtime for the benchmark, in its own process so it does not share the handler's event
// loop: 1% of requests are throttled, 1% fail in the model, the rest answer at once. Prints its URL.
import { FakeSageMakerRuntime } from '../../test/helpers/sagemaker-runtime-server';

const server = new FakeSageMakerRuntime();
server.record = false;
let seed = 12345;
// A small LCG keeps the injected faults reproducible.
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
server.behave = () => {
  const r = random();
  if (r < 0.01) return { kind: 'throttle' };
  if (r < 0.02) return { kind: 'modelError' };
  return { kind: 'ok' };
};
void server.start().then((url) => console.log(url));
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
