// A loopback S3 (s3rver) for the benchmark's capture phase, in its own process: the load runs under spawnSync,
// which blocks the parent's event loop. Prints its URL.
import { startS3 } from '../../test/helpers/s3rver';

void startS3('bench-registry').then((s3) => {
  console.log(s3.endpoint);
  process.on('SIGTERM', () => void s3.stop().then(() => process.exit(0)));
});
