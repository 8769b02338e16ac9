import type { Readable } from 'node:stream';

/** A whole stream as UTF-8 text (for small objects: baselines, reports, plans). */
export async function readAllText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}
