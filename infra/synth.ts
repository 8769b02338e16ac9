#!/usr/bin/env node
// `npm run synth`: synthesizes the AWS (cdk.out/) and Google Cloud (cdktf.out/) platforms in one process,
// offline, and prints what each environment got.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cdk from 'aws-cdk-lib';
import type * as cdktf from 'cdktf';
import { buildAwsPlatform } from './aws/app';
import { classifyIdleCost, formatIdleCost } from './aws/cost-class';
import { classifyGcpIdleCost } from './gcp/cost-class';
import { cdkJsonContext } from './aws/context';
import { exitOnConfigError, resolveConfig } from './config/load';
import type { PlatformConfig } from './config/schema';
import { type BuiltImages, buildFolders, ImageResolver, readImagesOption } from './config/images';
import { readVersionsOption, type ResolvedVersions, waitingModels } from './config/versions';
import { servedModels } from './aws/serving-variant';
import { environmentNamesOn } from './config/clouds';
import { loadGcpApp } from './gcp/lazy';
import { removeStaleStacks, synthesizedStacks } from './gcp/stale-stacks';

export interface StackSummary {
  readonly cloud: 'aws' | 'gcp';
  readonly environment: string;
  readonly stack: string;
  readonly resources: number;
}

export interface SynthOptions {
  readonly awsOutdir?: string;
  readonly gcpOutdir?: string;
  /** Extra CDK context, e.g. to skip asset bundling in tests. */
  readonly awsContext?: Record<string, unknown>;
  /** Versions resolved from the model registries (`modelstack resolve-versions`) for models the config does not pin. */
  readonly versions?: ResolvedVersions;
  /** Images pushed by `modelstack build-images`; without them, built images are served by their content tag. */
  readonly images?: BuiltImages;
  /** The repository root build folders are relative to (default: the working directory). */
  readonly imagesRoot?: string;
}

/**
 * Synthesizes the clouds `config` uses (AWS for environments with an `aws` section, Google Cloud for those with `gcp`)
 * and returns one summary row per stack. cdktf is loaded only for a config with a Google Cloud environment. Stacks a
 * previous synth wrote into the Terraform output directory that this config no longer has are removed (see
 * {@link removeStaleStacks}).
 */
export function synthesizeAll(config: PlatformConfig, options: SynthOptions = {}): StackSummary[] {
  const rows: StackSummary[] = [];
  if (environmentNamesOn(config, 'aws').length > 0) rows.push(...synthesizeAws(config, options));
  const gcpOutdir = options.gcpOutdir ?? 'cdktf.out';
  const previous = synthesizedStacks(gcpOutdir);
  if (environmentNamesOn(config, 'gcp').length > 0) rows.push(...synthesizeGcp(config, gcpOutdir));
  removeStaleStacks(gcpOutdir, previous, rows.filter((r) => r.cloud === 'gcp').map((r) => r.stack));
  return rows;
}

function synthesizeAws(config: PlatformConfig, options: SynthOptions): StackSummary[] {
  const rows: StackSummary[] = [];
  const awsApp = new cdk.App({ outdir: options.awsOutdir ?? 'cdk.out', context: { ...cdkJsonContext(), ...options.awsContext } });
  const aws = buildAwsPlatform(awsApp, config, undefined, { versions: options.versions, images: options.images, imagesRoot: options.imagesRoot });
  awsApp.synth();
  for (const [environment, stacks] of Object.entries(aws.environments)) {
    for (const stack of [stacks.registry, stacks.serving, stacks.operations]) {
      // Counted on the construct tree so resources in nested stacks are included.
      const resources = stack.node.findAll().filter(cdk.CfnResource.isCfnResource).length;
      rows.push({ cloud: 'aws', environment, stack: stack.stackName, resources });
    }
  }
  return rows;
}

function synthesizeGcp(config: PlatformConfig, gcpOutdir: string): StackSummary[] {
  const rows: StackSummary[] = [];
  // Loaded on use: cdktf and the Google providers are optional peers, absent from an AWS-only install.
  const { App } = require('cdktf') as typeof cdktf;
  const gcpApp = new App({ outdir: gcpOutdir });
  const gcp = loadGcpApp().buildGcpPlatform(gcpApp, config);
  gcpApp.synth();
  for (const [environment, stack] of Object.entries(gcp)) {
    const name = stack.node.id;
    const json = JSON.parse(readFileSync(join(gcpOutdir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as { resource?: Record<string, object> };
    const resources = Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
    rows.push({ cloud: 'gcp', environment, stack: name, resources });
  }
  return rows;
}

/**
 * One line per environment and model that has no version to serve yet: it gets its registry and monitoring, but no
 * model or endpoint, and a deploy never fails for it.
 */
export function formatWaiting(config: PlatformConfig, versions?: ResolvedVersions): string[] {
  return Object.keys(config.environments).flatMap((env) =>
    waitingModels(servedModels(config, env, versions?.[env])).map(
      (model) => `${env}: ${model}: waiting for a first version (pin models[].version, or approve a model package and run modelstack resolve-versions)`,
    ),
  );
}

/**
 * One line per build folder: which models build it and how AWS endpoints reference it, by the digest build-images
 * pushed or, without an images file, by the content tag (which exists once the pipeline built that content).
 */
export function formatImages(config: PlatformConfig, images?: BuiltImages, root?: string): string[] {
  const folders = buildFolders(config);
  if (folders.length === 0) return [];
  // A Google Cloud-only platform has no ECR repository to resolve.
  const onAws = environmentNamesOn(config, 'aws').length > 0;
  const onGcp = environmentNamesOn(config, 'gcp').length > 0;
  const resolved = onAws ? new ImageResolver(config, images, root).all() : {};
  return [
    'Built images:',
    ...folders.map((folder) => {
      const models = config.models.filter((m) => typeof m.image === 'object' && m.image.build === folder).map((m) => m.name);
      const where: string[] = [];
      if (onAws) {
        const { uri, pinnedBy } = resolved[folder];
        where.push(`AWS ${uri} ${pinnedBy === 'digest' ? 'by digest' : 'by content tag (no images file: run modelstack build-images and pass -c images=<file> to pin the digest)'}`);
      }
      if (onGcp) where.push('Google Cloud: built by each deploy trigger, by digest');
      return `  ${folder} (${models.join(', ')}): ${where.join('; ')}`;
    }),
  ];
}

/** What `npm run synth` and `modelstack synth` print after their first line: stacks, waiting models, built images, idle cost per cloud used. */
export function formatReport(config: PlatformConfig, rows: readonly StackSummary[], versions?: ResolvedVersions, images?: BuiltImages, imagesRoot?: string): string {
  return [
    formatSummary(rows),
    ...formatWaiting(config, versions),
    ...formatImages(config, images, imagesRoot),
    ...(environmentNamesOn(config, 'aws').length > 0 ? ['Idle cost (AWS), per environment:', formatIdleCost(classifyIdleCost(config))] : []),
    ...(environmentNamesOn(config, 'gcp').length > 0 ? ['Idle cost (Google Cloud), per environment:', formatIdleCost(classifyGcpIdleCost(config))] : []),
  ].join('\n');
}

/** The output directories a synth of `config` writes, for its first line: `cdk.out/, cdktf.out/`. */
export function outputDirs(config: PlatformConfig, awsOutdir = 'cdk.out', gcpOutdir = 'cdktf.out'): string {
  return [
    ...(environmentNamesOn(config, 'aws').length > 0 ? [`${awsOutdir}/`] : []),
    ...(environmentNamesOn(config, 'gcp').length > 0 ? [`${gcpOutdir}/`] : []),
  ].join(', ');
}

/** A short per-environment table. */
export function formatSummary(rows: readonly StackSummary[]): string {
  const lines: string[] = [];
  for (const environment of [...new Set(rows.map((r) => r.environment))]) {
    lines.push(`${environment}`);
    for (const row of rows.filter((r) => r.environment === environment)) {
      lines.push(`  ${row.cloud.padEnd(4)} ${row.stack.padEnd(40)} ${String(row.resources).padStart(4)} resources`);
    }
  }
  return lines.join('\n');
}

if (require.main === module) {
  exitOnConfigError(() => {
    const started = process.hrtime.bigint();
    const { config, source } = resolveConfig();
    const versions = readVersionsOption(process.env.MODELSTACK_VERSIONS);
    const images = readImagesOption(process.env.MODELSTACK_IMAGES);
    const rows = synthesizeAll(config, { versions, images });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`ModelStack synth (${source}): ${rows.length} stacks in ${seconds.toFixed(1)} s -> cdk.out/, cdktf.out/`);
    console.log(formatReport(config, rows, versions, images));
  });
}
