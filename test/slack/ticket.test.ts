// The change ticket and reason a CAB asks for, through signed requests to the real Bolt app: the
// pattern MOMLINK_TICKET_PATTERN sets is enforced in the command and the form; a given ticket and
// reason reach the message, the record, `momlink records show` and both exports.
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compileTicketPattern } from "../../src/domain/ticket.ts";
import { runMomlink } from "../support/cli.ts";
import {
  ALICE,
  blocksOf,
  type Momlink,
  openedViewId,
  PLAN_TEXT,
  planMessagesIn,
  startMomlink,
  visibleText,
} from "./support.ts";

const compiled = compileTicketPattern("^CHG[0-9]{7}$", "MOMLINK_TICKET_PATTERN");
if (!compiled.ok) throw new Error(compiled.reason);
const CHG = compiled.pattern;

let m: Momlink;
afterEach(async () => {
  await m.stop();
});

const ackText = (reply: { body: unknown }) => (reply.body as { text: string }).text;

describe("with MOMLINK_TICKET_PATTERN set", () => {
  it("refuses a plan without a ticket, naming the pattern and a ticket that matches, and records nothing", async () => {
    m = await startMomlink({ ticketPattern: CHG });
    const text = ackText(await m.command(PLAN_TEXT));
    expect(text).toContain("- ticket: ticket= is required");
    expect(text).toContain("MOMLINK_TICKET_PATTERN asks for tickets matching ^CHG[0-9]{7}$");
    expect(text).toContain("try: ticket=CHG0000000");
    expect(await m.store.list()).toEqual([]);
  });

  it("refuses a ticket that does not match", async () => {
    m = await startMomlink({ ticketPattern: CHG });
    const text = ackText(await m.command(`${PLAN_TEXT} ticket=INC0012345`));
    expect(text).toContain("`INC0012345` does not match ^CHG[0-9]{7}$");
    expect(await m.store.list()).toEqual([]);
  });

  it("makes the form's ticket required and checks it there too", async () => {
    m = await startMomlink({ ticketPattern: CHG });
    await m.command("plan");
    const viewId = openedViewId(m.fake);
    const ticket = blocksOf(m.fake.api.view(viewId)!).find((b) => b.block_id === "ticket");
    expect(ticket).toMatchObject({ optional: false });
    const reply = await m.submit(
      viewId,
      {
        primary: { value: "mom-a" },
        secondary: { value: "mom-b" },
        "em-home": { value: "D:\\Introscope\\EM" },
        share: { value: "\\\\san-server\\mom-failover" },
        ticket: { value: "CHG12" },
      },
      ALICE,
    );
    const body = reply.body as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe("errors");
    expect(body.errors.ticket).toContain("does not match ^CHG[0-9]{7}$");
    expect(body.errors.ticket).toContain("Try: ticket=CHG0000000");
    expect(await m.store.list()).toEqual([]);
  });
});

describe("a plan with a ticket and a reason", () => {
  it("shows them in the message and keeps them in the record, records show and the exports", async () => {
    m = await startMomlink({ ticketPattern: CHG });
    // Slack turns the quotes curly; the reason starts with = as a spreadsheet formula would.
    await m.command(`${PLAN_TEXT} ticket=CHG0012345 reason=“=SUM(1) the CAB’s quarterly failover test”`);

    const reason = "=SUM(1) the CAB’s quarterly failover test";
    const shown = visibleText(planMessagesIn(m.fake)[0]!);
    expect(shown).toContain("*Ticket* CHG0012345");
    expect(shown).toContain(`*Reason* “${reason}”`);
    expect((await m.store.get("CHG-1"))?.plan).toMatchObject({ ticket: "CHG0012345", reason });

    const cli = (...args: string[]) =>
      runMomlink(args, { cwd: dirname(m.dbPath), env: { MOMLINK_DB: m.dbPath } });
    const show = await cli("records", "show", "CHG-1");
    expect(show.stdout).toContain("ticket     CHG0012345");
    expect(show.stdout).toContain(`reason     ${JSON.stringify(reason)}`);
    const json = JSON.parse((await cli("records", "show", "CHG-1", "--json")).stdout) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ ticket: "CHG0012345", reason });

    const jsonl = (await cli("records", "export", "--format", "jsonl")).stdout.trim().split("\n");
    expect(JSON.parse(jsonl[0] ?? "{}")).toMatchObject({
      event: "create",
      details: { ticket: "CHG0012345", reason },
    });
    const csv = (await cli("records", "export", "--format", "csv")).stdout.trim().split("\n");
    expect(csv[0]).toBe("seq,changeId,at,actor,event,fromState,toState,planHash,details,ticket,reason");
    // Every row of the change carries its ticket; the reason cannot run as a formula.
    for (const row of csv.slice(1)) expect(row.endsWith(`,CHG0012345,"'${reason}"`)).toBe(true);
  });
});
