// Events API: the App Home tab is (re)published from the store each time a user opens it.
import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from "@slack/bolt";
import type { BotContext } from "../context.ts";
import { HOME_CHANGES, homeView } from "../views/app-home.ts";

export function appHomeOpened(bot: BotContext) {
  return async ({
    event,
    client,
    logger,
  }: SlackEventMiddlewareArgs<"app_home_opened"> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== "home") return;
    const view = homeView(bot.changes.list({ limit: HOME_CHANGES }), bot.messageContext());
    try {
      await client.views.publish({ user_id: event.user, view });
    } catch (err) {
      logger.error(`could not publish the App Home for ${event.user}: ${(err as Error).message}`);
    }
  };
}

export function registerEvents(app: App, bot: BotContext): void {
  app.event("app_home_opened", appHomeOpened(bot));
}
