// What every Slack listener is given: the change layer's use-cases (the only way a listener
// changes anything), the presenter's message context and permalinks (for answers a listener
// renders itself), the allowed dirs the plan grammar and form check against, and the logger.
import type { Changes } from "../change/index.ts";
import type { ChangeRecord } from "../domain/record.ts";
import type { TicketPattern } from "../domain/ticket.ts";
import type { Logger } from "../log.ts";
import type { MessageContext } from "./blocks.ts";

export interface BotContext {
  readonly changes: Changes;
  readonly allowedDirs: readonly string[];
  /** MOMLINK_TICKET_PATTERN, when set: every plan needs a matching ticket=. */
  readonly ticketPattern: TicketPattern | undefined;
  readonly logger: Logger;
  messageContext(): MessageContext;
  permalink(record: ChangeRecord): Promise<string | null>;
}
