// The console's "Use IdP JWKS endpoint" choice in a real browser: Debian's
// Chromium, headless, driven by playwright-core. PHASE=register logs in with
// HTTP Basic, creates a tenant, registers an IdP by its JWKS endpoint and a
// service provider, and reads the secret the page shows once. PHASE=status
// (after the test got a token) opens the IdP's page and reads its key
// source's status. Prints one JSON object on stdout; screenshots go to SHOTS.
//
// Environment: PHASE, BASE (http://127.0.0.1:PORT/jwt-grant-admin),
// ADMIN_USER, ADMIN_PASSWORD, JWKS_URL, ALIAS, TENANT, SHOTS, PROFILE (a
// fresh user-data directory).
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

async function register(page, base, tenant, shot) {
  await page.goto(base + "/");
  await page.getByText("Signed in as").waitFor();
  await page.fill("#new-tenant", tenant);
  await page.click("text=Create tenant");
  await page.getByText("Tenant created.").waitFor();

  await page.click("text=Register an identity provider");
  await page.fill("#f-name", "jwksIDP");
  await page.check("input[name=cert_type][value=jwks]");
  // the script hides the certificate fields when the JWKS endpoint is chosen
  const pemHidden = await page.isHidden("#f-certificate_file");
  await page.fill("#f-jwks_url", env("JWKS_URL"));
  await page.fill("#f-aliases", env("ALIAS"));
  await shot("11-jwks-idp-form.png");
  await page.click("button:has-text('Register')");
  await page.getByText("Identity provider saved.").waitFor();
  const idpPage = await page.textContent("main");
  await shot("12-jwks-idp-saved.png");

  await page.goto(`${base}/?tenantDomain=${encodeURIComponent(tenant)}`);
  await page.click("text=Register a service provider");
  await page.fill("#f-name", "jwks-playground");
  await page.fill("#f-audience", env("ALIAS"));
  await page.fill("#f-scopes", "openid");
  await page.check("input[name=trusted_idps][value=jwksIDP]");
  await page.click("button:has-text('Register')");
  await page.getByText("will not be shown again").waitFor();
  const clientId = await page.inputValue("#client-id");
  const clientSecret = await page.inputValue("#client-secret");
  await shot("13-jwks-secret.png");
  await page.goto(`${base}/?tenantDomain=${encodeURIComponent(tenant)}`);
  const overview = await page.textContent("main");
  return { client_id: clientId, client_secret: clientSecret, pem_hidden: pemHidden,
           idp_page: idpPage, overview };
}

async function status(page, base, tenant, shot) {
  await page.goto(`${base}/idps/jwksIDP?tenantDomain=${encodeURIComponent(tenant)}`);
  await page.locator("#key-source").waitFor();
  const keySource = await page.textContent("#key-source");
  await shot("14-jwks-key-source.png");
  return { key_source: keySource };
}

async function main() {
  const base = env("BASE"), shots = env("SHOTS"), tenant = env("TENANT");
  const phase = env("PHASE");
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
    const out = phase === "register" ? await register(page, base, tenant, shot)
                                     : await status(page, base, tenant, shot);
    out.problems = problems;
    process.stdout.write(JSON.stringify(out) + "\n");
  } finally {
    await context.close();
  }
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });
