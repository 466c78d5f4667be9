/**
 * A one-file ustar archive, for putArchive: the run's stdin as a read-only file owned by root.
 * Written here rather than taken from tar-stream (a dependency of dockerode's, not ours) because
 * one regular file needs only the header below.
 */
export function singleFileTar(name: string, content: string): Buffer {
  const body = Buffer.from(content, 'utf8');
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000444\0', 100); // mode r--r--r--
  header.write('0000000\0', 108); // uid
  header.write('0000000\0', 116); // gid
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
  header.write('        ', 148); // checksum is computed over spaces here
  header.write('0', 156); // regular file
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, padding, Buffer.alloc(1024)]);
}
