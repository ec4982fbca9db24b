// The one entry point for Slack tests: the local Slack Web API served on 127.0.0.1, with a
// Socket Mode endpoint wired into its apps.connections.open.
import { LocalSlackApi, type LocalSlackOptions } from "../../src/console/local-slack/web-api.ts";
import { type SocketModeServer, startSocketModeServer } from "./socket-mode.ts";

export interface FakeSlack {
  api: LocalSlackApi;
  /** Bolt's `clientOptions.slackApiUrl`, e.g. `http://127.0.0.1:40123/api/`. */
  url: string;
  socket: SocketModeServer;
  close(): Promise<void>;
}

export async function startFakeSlack(options: LocalSlackOptions = {}): Promise<FakeSlack> {
  const api = new LocalSlackApi(options);
  const server = await api.listen(0, "127.0.0.1");
  const socket = await startSocketModeServer({ appId: api.workspace.appId });
  api.setSocketModeUrl(socket.url);
  return {
    api,
    url: server.url,
    socket,
    close: async () => {
      await socket.close();
      await server.close();
    },
  };
}
