// What Slack receives for an instant: its date token, which each reader sees in their own time
// zone, falling back to the UTC date and time. Written out here, not taken from src/, so that a
// test states the format it expects.

/** `<!date^<unix>^{date_short_pretty} {time}|YYYY-MM-DD HH:MM UTC>` for `iso`. */
export function slackDate(iso: string | Date): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  const text = d.toISOString();
  return `<!date^${Math.floor(d.getTime() / 1000)}^{date_short_pretty} {time}|${text.slice(0, 10)} ${text.slice(11, 16)} UTC>`;
}

/** A regular expression source matching any date token with a dated UTC fallback. */
export const SLACK_DATE = String.raw`<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>`;
