// Events API: the App Home tab is (re)published from the store each time a user opens it, with
// what awaits that user's approval (asked of the change layer: the same decision a click gets).
import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from "@slack/bolt";
import { requiresFourEyes } from "../../domain/policy.ts";
import type { BotContext } from "../context.ts";
import { type AwaitingChange, HOME_CHANGES, type HomeSections, homeView } from "../views/app-home.ts";

/** Enough of the changes awaiting approval to find those the viewer may decide. */
const SCAN = 200;

async function sectionsFor(bot: BotContext, user: string): Promise<HomeSections> {
  const { changes } = bot;
  const { policy } = bot.messageContext();
  const awaiting: AwaitingChange[] = [];
  for (const record of await changes.list({ states: ["awaiting_approval"], limit: SCAN })) {
    if (awaiting.length >= HOME_CHANGES) break;
    if (record.requester === user && requiresFourEyes(policy)) continue;
    // A dry run of the approver's decision (rejecting needs the same standing as approving).
    if (!(await changes.checkReject({ changeId: record.id, actor: user })).ok) continue;
    awaiting.push({ record, link: await bot.permalink(record) });
  }
  return {
    awaiting,
    // From the index by requester: a person's changes however many others came after them (a
    // filter of everyone's latest 200 read and decoded 200 records and lost older ones).
    mine: await changes.list({ requester: user, limit: HOME_CHANGES }),
    latest: await changes.list({ limit: HOME_CHANGES }),
  };
}

export function appHomeOpened(bot: BotContext) {
  return async ({
    event,
    client,
    logger,
  }: SlackEventMiddlewareArgs<"app_home_opened"> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== "home") return;
    try {
      const view = homeView(await sectionsFor(bot, event.user), bot.messageContext());
      await client.views.publish({ user_id: event.user, view });
    } catch (err) {
      logger.error(`could not publish the App Home for ${event.user}: ${(err as Error).message}`);
    }
  };
}

export function registerEvents(app: App, bot: BotContext): void {
  app.event("app_home_opened", appHomeOpened(bot));
}
