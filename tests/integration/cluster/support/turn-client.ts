/**
 * Just enough of a TURN client (RFC 5766 Allocate over UDP, RFC 5389 long-term
 * credentials) to ask a real coturn whether it accepts a username/password:
 * an unauthenticated Allocate gets 401 with realm and nonce, the
 * authenticated retry gets either an allocation or an error code.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

const MAGIC = 0x2112a442;
const ALLOCATE_REQUEST = 0x0003;
const ALLOCATE_SUCCESS = 0x0103;
const ALLOCATE_ERROR = 0x0113;
const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
} as const;

export type AllocateResult = { ok: true; relayedPort: number } | { ok: false; code: number; reason: string };

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

function message(type: number, txId: Buffer, attrs: Buffer[], integrityKey?: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt32BE(MAGIC, 4);
  txId.copy(header, 8);
  let body = Buffer.concat(attrs);
  if (integrityKey) {
    // The HMAC covers the message with its length already counting MESSAGE-INTEGRITY (24 bytes).
    header.writeUInt16BE(body.length + 24, 2);
    const hmac = createHmac('sha1', integrityKey).update(Buffer.concat([header, body])).digest();
    body = Buffer.concat([body, attribute(ATTR.MESSAGE_INTEGRITY, hmac)]);
  }
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function parse(msg: Buffer): { type: number; attrs: Map<number, Buffer> } {
  const type = msg.readUInt16BE(0);
  const length = msg.readUInt16BE(2);
  const attrs = new Map<number, Buffer>();
  let offset = 20;
  while (offset + 4 <= 20 + length) {
    const t = msg.readUInt16BE(offset);
    const l = msg.readUInt16BE(offset + 2);
    attrs.set(t, msg.subarray(offset + 4, offset + 4 + l));
    offset += 4 + Math.ceil(l / 4) * 4;
  }
  return { type, attrs };
}

function exchange(sock: dgram.Socket, port: number, req: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const txId = req.subarray(8, 20);
    const timer = setTimeout(() => {
      sock.off('message', onMessage);
      reject(new Error(`no TURN answer from 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (msg: Buffer) => {
      if (msg.length < 20 || !msg.subarray(8, 20).equals(txId)) return;
      clearTimeout(timer);
      sock.off('message', onMessage);
      resolve(msg);
    };
    sock.on('message', onMessage);
    sock.send(req, port, '127.0.0.1');
  });
}

function errorOf(attrs: Map<number, Buffer>): { code: number; reason: string } {
  const e = attrs.get(ATTR.ERROR_CODE);
  if (!e || e.length < 4) return { code: 0, reason: 'no ERROR-CODE' };
  return { code: (e[2]! & 0x7) * 100 + e[3]!, reason: e.subarray(4).toString('utf8') };
}

/** Tries to allocate a UDP relay on the TURN server at 127.0.0.1:`port` with these credentials. */
export async function tryAllocate(port: number, username: string, password: string, timeoutMs = 2_000): Promise<AllocateResult> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  try {
    const transport = attribute(ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0])); // UDP
    const first = parse(await exchange(sock, port, message(ALLOCATE_REQUEST, randomBytes(12), [transport]), timeoutMs));
    if (first.type !== ALLOCATE_ERROR || errorOf(first.attrs).code !== 401) {
      throw new Error(`expected a 401 challenge, got type 0x${first.type.toString(16)}`);
    }
    const realm = first.attrs.get(ATTR.REALM)!;
    const nonce = first.attrs.get(ATTR.NONCE)!;
    const key = createHash('md5').update(`${username}:${realm.toString('utf8')}:${password}`).digest();
    const second = parse(
      await exchange(
        sock,
        port,
        message(
          ALLOCATE_REQUEST,
          randomBytes(12),
          [transport, attribute(ATTR.USERNAME, Buffer.from(username)), attribute(ATTR.REALM, realm), attribute(ATTR.NONCE, nonce)],
          key,
        ),
        timeoutMs,
      ),
    );
    if (second.type === ALLOCATE_SUCCESS) {
      const relayed = second.attrs.get(ATTR.XOR_RELAYED_ADDRESS);
      return { ok: true, relayedPort: relayed ? relayed.readUInt16BE(2) ^ (MAGIC >>> 16) : 0 };
    }
    return { ok: false, ...errorOf(second.attrs) };
  } finally {
    sock.close();
  }
}
