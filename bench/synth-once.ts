// One measured synth in a fresh process: prints {"seconds", "maxRssMb", "stacks"} as JSON on stdout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../infra/config/load';
import { synthesizeAll } from '../infra/synth';

const started = process.hrtime.bigint();
const out = mkdtempSync(join(tmpdir(), 'modelstack-bench-'));
const rows = synthesizeAll(resolveConfig().config, { awsOutdir: join(out, 'cdk.out'), gcpOutdir: join(out, 'cdktf.out') });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
rmSync(out, { recursive: true, force: true });
console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, stacks: rows.length }));
