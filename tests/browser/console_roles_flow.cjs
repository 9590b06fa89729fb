// A tenant administrator in a real browser: Debian's Chromium, headless,
// driven by playwright-core (which never downloads a browser of its own).
// Logs in with HTTP Basic as the administrator of one tenant, reads the
// tenant picker, registers an IdP (JWKS endpoint) in its tenant, then asks
// for another tenant's pages. Prints one JSON object on stdout;
// screenshots go to SHOTS.
//
// Environment: BASE (http://127.0.0.1:PORT/jwt-grant-admin), ADMIN_USER,
// ADMIN_PASSWORD (the tenant administrator), TENANT (its tenant), OTHER
// (another tenant), OTHER_IDP (an IdP of OTHER), JWKS_URL, SHOTS, PROFILE
// (a fresh user-data directory).
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
  const other = env("OTHER");
  const problems = [], refusals = [];
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
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      // the browser reports the 403 of the other tenant's pages: expected
      if (/status of 403/.test(m.text())) refusals.push(m.text());
      else problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
    const shot = (name) => page.screenshot({ path: path.join(shots, name), fullPage: true });
    const picker = () => page.$$eval("#tenant-picker option",
      (os) => os.map((o) => ({ value: o.value, selected: o.selected })));

    // no tenantDomain: the console opens on the user's own tenant
    const first = await page.goto(base + "/");
    await page.getByText("Signed in as").waitFor();
    const overviewStatus = first.status();
    const options = await picker();
    const createTenantForm = (await page.$("#new-tenant")) !== null;
    const overview = await page.textContent("main");
    await shot("21-tenant-admin-overview.png");

    await page.click("text=Register an identity provider");
    await page.fill("#f-name", "roleIDP");
    await page.check("input[name=cert_type][value=jwks]");
    await page.fill("#f-jwks_url", env("JWKS_URL"));
    await shot("22-tenant-admin-idp-form.png");
    await page.click("button:has-text('Register')");
    await page.getByText("Identity provider saved.").waitFor();
    const idpPage = await page.textContent("main");
    const idpUrl = page.url();
    await shot("23-tenant-admin-idp-saved.png");

    // another tenant's overview and IdP page: refused, nothing of them
    const q = (t) => `?tenantDomain=${encodeURIComponent(t)}`;
    const refused = await page.goto(base + "/" + q(other));
    const otherStatus = refused.status();
    const otherPage = await page.content();
    const otherOptions = await picker();
    await shot("24-tenant-admin-other-tenant.png");
    const refusedIdp = await page.goto(base + "/idps/" + encodeURIComponent(env("OTHER_IDP"))
                                       + q(other));
    const otherIdpStatus = refusedIdp.status();
    const otherIdpPage = await page.content();

    process.stdout.write(JSON.stringify({
      overview_status: overviewStatus, options, create_tenant_form: createTenantForm,
      overview, idp_page: idpPage, idp_url: idpUrl, other_status: otherStatus,
      other_page: otherPage, other_options: otherOptions, other_idp_status: otherIdpStatus,
      other_idp_page: otherIdpPage, refusals, problems,
    }) + "\n");
  } finally {
    await context.close();
  }
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });
