// "Try an assertion" in a real browser: Debian's Chromium, headless, driven
// by playwright-core (which never downloads a browser of its own). Logs in
// with HTTP Basic, opens the page from the tenant's overview, tries an
// assertion that the policy accepts and one it refuses, and reads the
// decision and the table of checks. Prints one JSON object on stdout;
// screenshots go to SHOTS.
//
// Environment: BASE (http://127.0.0.1:PORT/jwt-grant-admin), ADMIN_USER,
// ADMIN_PASSWORD, TENANT, CLIENT_ID (a service provider of TENANT), GOOD and
// BAD (the assertions), SHOTS, PROFILE (a fresh user-data directory).
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

async function main() {
  const base = env("BASE"), shots = env("SHOTS"), tenant = env("TENANT");
  const problems = [];
  const context = await chromium.launchPersistentContext(env("PROFILE"), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update",
           "--disable-sync"],
    httpCredentials: { username: env("ADMIN_USER"), password: env("ADMIN_PASSWORD") },
    viewport: { width: 1366, height: 900 },
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(20000);
    page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
    page.on("pageerror", (e) => problems.push(String(e)));
    const shot = (name) => page.screenshot({ path: path.join(shots, name), fullPage: true });

    await page.goto(base + "/?tenantDomain=" + encodeURIComponent(tenant));
    await page.click("text=Try an assertion");
    await page.locator("#f-assertion").waitFor();
    await shot("31-evaluate-form.png");

    const attempt = async (assertion, name) => {
      await page.fill("#f-assertion", assertion);
      await page.selectOption("#f-client_id", env("CLIENT_ID"));
      await page.fill("#f-scope", "read");
      await page.click("button:has-text('Try')");
      await page.locator("#decision").waitFor();
      await shot(name);
      return {
        decision: (await page.textContent("#decision")).trim(),
        checks: await page.$$eval("#checks tbody tr", (rows) => rows.map(
          (r) => Array.from(r.querySelectorAll("td")).map((td) => td.textContent.trim()))),
        main: await page.textContent("main"),
      };
    };
    const grant = await attempt(env("GOOD"), "32-evaluate-grant.png");
    const refuse = await attempt(env("BAD"), "33-evaluate-refuse.png");
    process.stdout.write(JSON.stringify({ problems, grant, refuse }) + "\n");
  } finally {
    await context.close();
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
});
