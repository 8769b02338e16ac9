import type { IncomingMessage } from 'node:http';

/** The request as the Functions Framework hands it over: Express parsed the body and kept the bytes in `rawBody`. */
export type FunctionRequest = IncomingMessage & { rawBody?: Buffer };

/**
 * The body as text: the Functions Framework's `rawBody` when present, otherwise read from the stream (a plain
 * Node server). Past `maxBytes` nothing more is kept (the rest is drained: stopping early would close the socket
 * before the answer), so an oversized body is refused without buffering it all.
 */
export async function requestBody(req: FunctionRequest, maxBytes: number): Promise<string | undefined> {
  if (req.rawBody) return req.rawBody.toString('utf8');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    if (size <= maxBytes) chunks.push(Buffer.from(chunk as Uint8Array));
    size += (chunk as Uint8Array).length;
  }
  return chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}
