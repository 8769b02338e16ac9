// A deterministic .tar.gz of in-memory files (POSIX ustar, the format `tar` and Cloud Build's source fetcher read):
// fixed owner, group and modification time, so the same files give the same bytes on every machine.
import { gzipSync } from 'node:zlib';
import type { ContextFile } from './training-image-sources';

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** The ustar header of one regular file; names over 100 bytes go into the 155-byte prefix field. */
function header(path: string, size: number, executable: boolean): Buffer {
  const block = Buffer.alloc(BLOCK);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(path) > 100) {
    let split = -1;
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      if (Buffer.byteLength(path.slice(i + 1)) <= 100 && Buffer.byteLength(path.slice(0, i)) <= 155) {
        split = i;
        break;
      }
    }
    if (split < 0) throw new Error(`tar: path too long for ustar: ${path}`);
    prefix = path.slice(0, split);
    name = path.slice(split + 1);
  }
  block.write(name, 0, 100, 'utf8');
  block.write(octal(executable ? 0o755 : 0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(0, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write('0', 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** The files as a gzipped tar, in the order given. */
export function tarGz(files: readonly ContextFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    parts.push(header(file.path, file.content.length, file.executable), file.content);
    const pad = (BLOCK - (file.content.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  // Two zero blocks end the archive.
  parts.push(Buffer.alloc(BLOCK * 2));
  // mtime 0 in the gzip header too (zlib writes 0 unless told otherwise).
  return gzipSync(Buffer.concat(parts), { level: 9 });
}
