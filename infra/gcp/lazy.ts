// Kept free of cdktf: `modelstack/platform` and synth load the Google Cloud platform through it, only when a config
// has a `gcp` environment, so an AWS-only install needs neither cdktf nor the Google providers.
import type * as GcpApp from './app';

/** The optional peer dependencies the Google Cloud platform needs. */
export const GCP_PEERS = ['cdktf', '@cdktf/provider-google', '@cdktf/provider-google-beta'] as const;

/**
 * The Google Cloud platform module (`infra/gcp/app`), loaded on first use. When an optional peer is missing, the
 * error says which and how to install them.
 */
export function loadGcpApp(): typeof GcpApp {
  try {
    return require('./app') as typeof GcpApp;
  } catch (err) {
    const message = (err as Error)?.message ?? '';
    const missing = GCP_PEERS.find((peer) => message.includes(`'${peer}'`) || message.includes(`'${peer}/`));
    if ((err as NodeJS.ErrnoException)?.code !== 'MODULE_NOT_FOUND' || !missing) throw err;
    throw new Error(
      `Google Cloud environments need the optional peer dependencies ${GCP_PEERS.join(', ')} (${missing} is not installed): ` +
        'npm install cdktf@~0.21.0 @cdktf/provider-google@^16.12.1 @cdktf/provider-google-beta@^16.12.1',
    );
  }
}
