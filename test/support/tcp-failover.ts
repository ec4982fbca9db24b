// A load balancer as small as a test needs: a TCP proxy on loopback that sends each new
// connection to the first upstream that accepts it, in order. While replica A runs, everything
// goes to A; once A is gone (connection refused), new connections go to B. Connections already
// open to a replica that dies are cut, as a real balancer's would be: the client must retry.

import type { AddressInfo } from "node:net";
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpFailover {
  url: string;
  close(): Promise<void>;
}

export async function startTcpFailover(upstreams: readonly number[]): Promise<TcpFailover> {
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  };
  const server: Server = createServer((client) => {
    track(client);
    client.pause();
    const attempt = (index: number) => {
      const port = upstreams[index];
      if (port === undefined) {
        client.destroy();
        return;
      }
      const upstream = connect({ host: "127.0.0.1", port });
      const refused = () => attempt(index + 1);
      upstream.once("error", refused);
      upstream.once("connect", () => {
        upstream.off("error", refused);
        track(upstream);
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
        client.on("close", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
