import { describe, expect, it } from "vitest";
import { tokenizeCmd } from "./cmd-tokenizer.ts";

describe("the cmd.exe tokenizer model used by the renderer tests", () => {
  it("splits a quoted mklink line with spaces into exactly four arguments", () => {
    const parsed = tokenizeCmd('mklink /D "a b" "\\\\s\\x y"');
    expect(parsed.args).toEqual(["mklink", "/D", "a b", "\\\\s\\x y"]);
    expect(parsed.tokens.map((t) => t.raw)).toEqual(["mklink", "/D", '"a b"', '"\\\\s\\x y"']);
    expect(parsed.unquotedMetachars).toEqual([]);
    expect(parsed.unterminatedQuote).toBe(false);
  });

  it("flags an unquoted & that would start a second command", () => {
    const parsed = tokenizeCmd('mklink /D "a" "b" & echo x');
    expect(parsed.unquotedMetachars).toEqual([{ char: "&", index: 18 }]);
    expect(parsed.args).toEqual(["mklink", "/D", "a", "b"]);
  });

  it.each([
    ["pipe", 'mklink /D "a" b|more', "|"],
    ["output redirection", 'mklink /D "a" b> x', ">"],
    ["input redirection", "mklink /D a <b", "<"],
    ["an opening parenthesis", "mklink /D (a) b", "("],
    ["a quote inside a path that closes the quoting early", 'mklink /D "a" "x" & calc"', "&"],
  ])("flags %s outside quotes", (_name, line, char) => {
    expect(tokenizeCmd(line).unquotedMetachars[0]?.char).toBe(char);
  });

  it("keeps metacharacters inside quotes as part of the argument", () => {
    const parsed = tokenizeCmd('mklink /D "a & b" "c|d>e(f)"');
    expect(parsed.unquotedMetachars).toEqual([]);
    expect(parsed.args).toEqual(["mklink", "/D", "a & b", "c|d>e(f)"]);
  });

  it("treats a caret outside quotes as an escape for the next character", () => {
    const parsed = tokenizeCmd("echo a^&b^ c");
    expect(parsed.unquotedMetachars).toEqual([]);
    expect(parsed.args).toEqual(["echo", "a&b c"]);
  });

  it("reports % and ! even inside quotes, because cmd expands them there", () => {
    const parsed = tokenizeCmd('mklink /D "%TEMP%" "!x!"');
    expect(parsed.expansionChars.map((m) => m.char)).toEqual(["%", "%", "!", "!"]);
  });

  it("reports a line that ends inside quotes", () => {
    expect(tokenizeCmd('mklink /D "a b').unterminatedQuote).toBe(true);
  });

  it("joins quoted and unquoted parts written without a space into one argument", () => {
    const parsed = tokenizeCmd('move "a"b "c d"');
    expect(parsed.args).toEqual(["move", "ab", "c d"]);
    expect(parsed.tokens[1]?.raw).toBe('"a"b');
  });
});
