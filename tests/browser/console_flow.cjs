// The console in a real browser: Debian's Chromium, headless, driven by
// playwright-core (which never downloads a browser of its own). Logs in
// with HTTP Basic, creates a tenant, registers an IdP by uploading a PEM
// file, registers a service provider and reads the secret the page shows.
// Prints one JSON object on stdout; screenshots go to SHOTS.
//
// Environment: BASE (http://127.0.0.1:PORT/jwt-grant-admin), ADMIN_USER,
// ADMIN_PASSWORD, PEM (path of the IdP certificate), ALIAS, TENANT, SHOTS,
// PROFILE (a fresh user-data directory).
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

    await page.goto(base + "/");
    await page.getByText("Signed in as").waitFor();
    await shot("01-overview.png");

    await page.fill("#new-tenant", tenant);
    await page.click("text=Create tenant");
    await page.getByText("Tenant created.").waitFor();
    await shot("02-tenant.png");

    await page.click("text=Register an identity provider");
    await page.fill("#f-name", "jwtIDP");
    await page.check("input[name=cert_type][value=pem]");
    // the script hides the JWKS field when a certificate is chosen
    const jwksHidden = await page.isHidden("#f-jwks_url");
    await page.setInputFiles("#f-certificate_file", env("PEM"));
    await page.fill("#f-aliases", env("ALIAS"));
    await page.fill("#f-iat_validity", "30m");
    await shot("03-idp-form.png");
    await page.click("button:has-text('Register')");
    await page.getByText("Identity provider saved.").waitFor();
    const idpPage = await page.textContent("main");
    await shot("04-idp-saved.png");

    await page.click("text=Back to the tenant").catch(() => page.goto(
      `${base}/?tenantDomain=${encodeURIComponent(tenant)}`));
    await page.goto(`${base}/?tenantDomain=${encodeURIComponent(tenant)}`);
    await page.click("text=Register a service provider");
    await page.fill("#f-name", "playground");
    await page.fill("#f-callback_url", "http://localhost:8080/playground2/oauth2client");
    await page.fill("#f-audience", env("ALIAS"));
    await page.fill("#f-scopes", "openid email");
    await page.check("input[name=trusted_idps][value=jwtIDP]");
    await shot("05-sp-form.png");
    await page.click("button:has-text('Register')");
    await page.getByText("will not be shown again").waitFor();
    const clientId = await page.inputValue("#client-id");
    const clientSecret = await page.inputValue("#client-secret");
    const copyVisible = await page.isVisible("button.copy[data-copy=client-secret]");
    await shot("06-secret.png");

    await page.goto(`${base}/?tenantDomain=${encodeURIComponent(tenant)}`);
    await shot("07-tenant-overview.png");
    const overview = await page.textContent("main");

    process.stdout.write(JSON.stringify({
      client_id: clientId, client_secret: clientSecret, copy_button_visible: copyVisible,
      jwks_field_hidden: jwksHidden, idp_page: idpPage, overview, problems,
    }) + "\n");
  } finally {
    await context.close();
  }
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });
