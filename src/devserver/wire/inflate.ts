/**
 * Synchronous decompression of gzip/deflate request messages for the engine's grpc-js server.
 *
 * The Temporal SDK core (and so the TypeScript worker and client connections made through it) sends every
 * request gzip-compressed, as the real server accepts. grpc-js 1.14 inflates each message through a new
 * zlib stream on the libuv thread pool: a stream object, listeners, a thread hop and a promise per request.
 * Under load that was about a sixth of the engine's CPU (profile: decompressAndMaybePush). Requests are
 * small (hundreds of bytes), so inflating them on the spot is far cheaper; the outcome is the same: the
 * decompressed bytes, or the same INTERNAL / RESOURCE_EXHAUSTED statuses grpc-js gives.
 *
 * Installed once per process on grpc-js's own BaseServerInterceptingCall (an exported class); any other
 * encoding, and any grpc-js without that method, keeps the library's own code.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { status } from '@grpc/grpc-js';

interface InterceptingCallProto {
  decompressMessage?: (this: { maxReceiveMessageSize: number }, message: Buffer, encoding: string) => unknown;
  __engineSyncInflate?: true;
}

const require = createRequire(import.meta.url);

function interceptingCallPrototype(): InterceptingCallProto | undefined {
  try {
    const mod = require('@grpc/grpc-js/build/src/server-interceptors.js') as {
      BaseServerInterceptingCall?: { prototype: InterceptingCallProto };
    };
    return mod.BaseServerInterceptingCall?.prototype;
  } catch {
    return undefined;
  }
}

export function installSyncInflate(): void {
  const proto = interceptingCallPrototype();
  const original = proto?.decompressMessage;
  if (!proto || typeof original !== 'function' || proto.__engineSyncInflate) return;
  proto.__engineSyncInflate = true;
  proto.decompressMessage = function (message, encoding) {
    if (encoding !== 'gzip' && encoding !== 'deflate') return original.call(this, message, encoding);
    const contents = message.subarray(5);
    const limit = this.maxReceiveMessageSize;
    const options = limit === -1 ? {} : { maxOutputLength: Math.max(1, limit + 1) };
    let out: Buffer;
    try {
      out = encoding === 'gzip' ? zlib.gunzipSync(contents, options) : zlib.inflateSync(contents, options);
    } catch (err) {
      const tooBig = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      return Promise.reject(
        tooBig
          ? {
              code: status.RESOURCE_EXHAUSTED,
              details: `Received message that decompresses to a size larger than ${limit}`,
            }
          : { code: status.INTERNAL, details: 'Failed to decompress message' },
      );
    }
    if (limit !== -1 && out.byteLength > limit) {
      return Promise.reject({
        code: status.RESOURCE_EXHAUSTED,
        details: `Received message that decompresses to a size larger than ${limit}`,
      });
    }
    return out;
  };
}
