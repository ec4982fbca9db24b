// A free TCP port on 127.0.0.1 for a child the benches start (momlink serve takes PORT, not 0):
// the port is released before the child binds it, which is good enough for a bench on loopback.
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
