/**
 * A TCP forwarder on a port of its own, to cut a service off and bring it back without
 * stopping it: `pause()` closes the listener and every connection through it (clients see
 * resets, then refused connections, as when the server is down), `resume()` listens on the
 * same port again. Used to take a database away from a gateway while the test keeps using it.
 */
import { type Server, type Socket, connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Refuses new connections and resets the open ones. */
  pause(): Promise<void>;
  /** Accepts connections again, on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const newServer = (): Server =>
    createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      track(client);
      track(upstream);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
    });

  let server: Server | null = newServer();
  const port = await listen(server, 0);
  const stop = async () => {
    const closing = server;
    server = null;
    if (closing !== null) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  return {
    port,
    async pause() {
      const closed = stop();
      for (const socket of sockets) socket.resetAndDestroy();
      await closed;
    },
    async resume() {
      if (server !== null) return;
      server = newServer();
      await listen(server, port);
    },
    async close() {
      const closed = stop();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
