// The Block Kit limits real Slack enforces that momlink can plausibly hit (a long MKLINK script in
// one section, a modal title that does not fit, a button value over 2000 characters). The local
// API refuses what Slack would refuse, with Slack's error shape, so a test or the console shows
// the failure before a real workspace does. Not a full schema: unknown block types pass.

/** One problem in Slack's wording style: `[ERROR] <what> [json-pointer:/blocks/0/text/text]`. */
export type BlockProblem = string;

const MAX_BLOCKS = { message: 50, modal: 100, home: 100 } as const;
export type Surface = keyof typeof MAX_BLOCKS;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class Checker {
  readonly problems: BlockProblem[] = [];

  fail(pointer: string, what: string): void {
    this.problems.push(`[ERROR] ${what} [json-pointer:${pointer}]`);
  }

  maxLength(pointer: string, value: unknown, max: number): void {
    if (typeof value === "string" && value.length > max) {
      this.fail(pointer, `must be less than ${max + 1} characters`);
    }
  }

  /** A composition text object; `plainOnly` where Slack accepts only plain_text. */
  text(pointer: string, value: unknown, max: number, plainOnly = false): void {
    if (!isObject(value)) {
      this.fail(pointer, "must provide an object");
      return;
    }
    if (value.type !== "plain_text" && (plainOnly || value.type !== "mrkdwn")) {
      this.fail(`${pointer}/type`, plainOnly ? "must be plain_text" : "must be one of plain_text, mrkdwn");
    }
    if (typeof value.text !== "string" || value.text.length === 0) {
      this.fail(`${pointer}/text`, "must be more than 0 characters");
      return;
    }
    this.maxLength(`${pointer}/text`, value.text, max);
  }

  element(pointer: string, value: unknown): void {
    if (!isObject(value)) {
      this.fail(pointer, "must provide an object");
      return;
    }
    this.maxLength(`${pointer}/action_id`, value.action_id, 255);
    if (value.type === "button") {
      this.text(`${pointer}/text`, value.text, 75, true);
      this.maxLength(`${pointer}/value`, value.value, 2000);
      this.maxLength(`${pointer}/url`, value.url, 3000);
      if (value.style !== undefined && value.style !== "primary" && value.style !== "danger") {
        this.fail(`${pointer}/style`, "must be one of primary, danger");
      }
    }
    if (value.type === "plain_text_input") {
      this.maxLength(`${pointer}/initial_value`, value.initial_value, 3000);
    }
  }

  block(pointer: string, block: unknown, blockIds: Set<string>): void {
    if (!isObject(block) || typeof block.type !== "string") {
      this.fail(`${pointer}/type`, "must provide a string");
      return;
    }
    if (typeof block.block_id === "string") {
      this.maxLength(`${pointer}/block_id`, block.block_id, 255);
      if (blockIds.has(block.block_id)) this.fail(`${pointer}/block_id`, "must be unique within the blocks");
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case "section": {
        if (block.text === undefined && block.fields === undefined) {
          this.fail(pointer, "must provide text or fields");
        }
        if (block.text !== undefined) this.text(`${pointer}/text`, block.text, 3000);
        if (Array.isArray(block.fields)) {
          if (block.fields.length > 10) this.fail(`${pointer}/fields`, "must provide no more than 10 items");
          block.fields.forEach((field, i) => {
            this.text(`${pointer}/fields/${i}`, field, 2000);
          });
        }
        if (block.accessory !== undefined) this.element(`${pointer}/accessory`, block.accessory);
        break;
      }
      case "header":
        this.text(`${pointer}/text`, block.text, 150, true);
        break;
      case "context":
        this.items(`${pointer}/elements`, block.elements, 10, (p, e) => {
          if (isObject(e) && (e.type === "mrkdwn" || e.type === "plain_text")) this.text(p, e, 3000);
        });
        break;
      case "actions": {
        const actionIds = new Set<string>();
        this.items(`${pointer}/elements`, block.elements, 25, (p, e) => {
          this.element(p, e);
          if (isObject(e) && typeof e.action_id === "string") {
            if (actionIds.has(e.action_id)) this.fail(`${p}/action_id`, "must be unique within the block");
            actionIds.add(e.action_id);
          }
        });
        break;
      }
      case "input":
        this.text(`${pointer}/label`, block.label, 2000, true);
        if (block.hint !== undefined) this.text(`${pointer}/hint`, block.hint, 2000, true);
        if (block.element === undefined) this.fail(`${pointer}/element`, "must provide an object");
        else this.element(`${pointer}/element`, block.element);
        break;
      case "markdown":
        this.maxLength(`${pointer}/text`, block.text, 12_000);
        break;
      default:
        break;
    }
  }

  items(pointer: string, value: unknown, max: number, each: (pointer: string, item: unknown) => void): void {
    if (!Array.isArray(value) || value.length === 0) {
      this.fail(pointer, "must provide at least 1 item");
      return;
    }
    if (value.length > max) this.fail(pointer, `must provide no more than ${max} items`);
    value.forEach((item, i) => {
      each(`${pointer}/${i}`, item);
    });
  }

  blocks(pointer: string, blocks: unknown, surface: Surface): void {
    if (!Array.isArray(blocks)) {
      this.fail(pointer, "must provide an array");
      return;
    }
    const max = MAX_BLOCKS[surface];
    if (blocks.length > max) this.fail(pointer, `must provide no more than ${max} items`);
    const ids = new Set<string>();
    blocks.forEach((block, i) => {
      this.block(`${pointer}/${i}`, block, ids);
    });
  }
}

export function checkMessageBlocks(blocks: unknown): BlockProblem[] {
  const checker = new Checker();
  checker.blocks("/blocks", blocks, "message");
  return checker.problems;
}

/** A view for views.open / views.update (modal) or views.publish (home). */
export function checkView(view: unknown, surface: "modal" | "home"): BlockProblem[] {
  const checker = new Checker();
  if (!isObject(view)) {
    checker.fail("/view", "must provide an object");
    return checker.problems;
  }
  if (view.type !== surface) checker.fail("/view/type", `must be ${surface}`);
  if (surface === "modal") {
    checker.text("/view/title", view.title, 24, true);
    if (view.submit !== undefined) checker.text("/view/submit", view.submit, 24, true);
    if (view.close !== undefined) checker.text("/view/close", view.close, 24, true);
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObject(b) && b.type === "input");
    if (hasInput && view.submit === undefined)
      checker.fail("/view/submit", "must provide submit when blocks include input");
  }
  checker.maxLength("/view/callback_id", view.callback_id, 255);
  checker.maxLength("/view/private_metadata", view.private_metadata, 3000);
  checker.maxLength("/view/external_id", view.external_id, 255);
  checker.blocks("/view/blocks", view.blocks, surface);
  return checker.problems;
}
