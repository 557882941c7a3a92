// Debian's Chromium driven by playwright-core, as the dashboard suites and bench run it: headless, without the
// sandbox (tests run as root), without background traffic, on a profile directory of the caller's.
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Chromium on profileDir at 1440×900, and its first page. */
export async function launchChromium(profileDir: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return { context, page: context.pages()[0] ?? (await context.newPage()) };
}
