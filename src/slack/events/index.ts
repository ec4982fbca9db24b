// Events API: the App Home tab is (re)published from the store each time a user opens it.
import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from "@slack/bolt";
import type { MomlinkService } from "../service.ts";
import { HOME_CHANGES, homeView } from "../views/app-home.ts";

export function appHomeOpened(svc: MomlinkService) {
  return async ({
    event,
    client,
    logger,
  }: SlackEventMiddlewareArgs<"app_home_opened"> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== "home") return;
    const view = homeView(svc.store.list({ limit: HOME_CHANGES }), svc.messageContext());
    try {
      await client.views.publish({ user_id: event.user, view });
    } catch (err) {
      logger.error(`could not publish the App Home for ${event.user}: ${(err as Error).message}`);
    }
  };
}

export function registerEvents(app: App, svc: MomlinkService): void {
  app.event("app_home_opened", appHomeOpened(svc));
}
