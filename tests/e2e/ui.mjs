// End-to-end test of ward server's web UI in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core: no browser download). Run by crates/ward/tests/web_ui.rs, which
// starts the server and makes the accounts; by hand:
//
//   WARD_URL=https://127.0.0.1:8443 WARD_ADMIN=admin WARD_ADMIN_PASSWORD=... WARD_ADMIN_TOTP=BASE32 \
//   WARD_AUDITOR=ann WARD_AUDITOR_PASSWORD=... WARD_AUDITOR_TOTP=BASE32 node tests/e2e/ui.mjs
//
// The server's certificate is self-signed: the browser context ignores certificate errors
// (WARD_IGNORE_HTTPS_ERRORS=0 to trust the system store instead). WebAuthn refuses pages with a
// certificate error, so `ui.mjs passkey` instead trusts the server's own key: WARD_CERT names its
// certificate, and Chromium is told that key's SPKI hash. TOTP codes are computed here
// (RFC 6238, HMAC-SHA1, 30 s, 6 digits) from the secrets given; each code is accepted once per
// account, so a refused code is retried once with the next time step.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { createHash, createHmac, X509Certificate } from "node:crypto";

const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`missing ${k}`);
  return v;
};
const URL_ = env("WARD_URL").replace(/\/$/, "");
const mode = process.argv[2] ?? "flow";
const admin = { user: env("WARD_ADMIN"), password: env("WARD_ADMIN_PASSWORD"), totp: mode === "setup" ? "" : env("WARD_ADMIN_TOTP") };
const auditor = mode !== "flow" ? {} : { user: env("WARD_AUDITOR"), password: env("WARD_AUDITOR_PASSWORD"), totp: env("WARD_AUDITOR_TOTP") };
// An account the test makes through the browser and enrols there.
const newcomer = { user: env("WARD_NEW_USER", "sam.analyst"), password: env("WARD_NEW_PASSWORD", "Amber-Otter-Meadow-2718") };

let passed = 0;
function check(cond, what) {
  if (!cond) throw new Error(`FAILED: ${what}`);
  passed += 1;
  console.log(`e2e ok: ${what}`);
}

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/[=\s]/g, "").toUpperCase()) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error("not base32");
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// RFC 4226 §5.3 over the RFC 6238 time step.
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const word = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(word % 1_000_000).padStart(6, "0");
}
const stepNow = () => Math.floor(Date.now() / 1000 / 30);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const contextOptions = () => ({ ignoreHTTPSErrors: !process.env.WARD_CERT && process.env.WARD_IGNORE_HTTPS_ERRORS !== "0" });

async function signIn(browser, who) {
  const ctx = await browser.newContext(contextOptions());
  const page = await ctx.newPage();
  page.on("dialog", (d) => {
    throw new Error(`unexpected dialog: ${d.message()}`);
  });
  await page.goto(`${URL_}/`);
  check(new URL(page.url()).pathname === "/login", `${who.user}: not signed in, / sends to /login`);
  await page.fill("input[name=username]", who.user);
  await page.fill("input[name=password]", who.password);
  await Promise.all([page.waitForURL(/\/login\/totp$/), page.click("form[action='/login'] button[type=submit]")]);
  check(true, `${who.user}: the password leads to the second factor`);
  for (let attempt = 0; ; attempt++) {
    await page.fill("input[name=code]", totp(who.totp, stepNow()));
    await Promise.all([page.waitForLoadState("load"), page.click("form[action='/login/totp'] button[type=submit]")]);
    if (new URL(page.url()).pathname === "/") break;
    if (attempt >= 1) throw new Error(`${who.user}: TOTP sign-in refused twice`);
    // This step's code was spent already (by the test's own API calls): wait for the next one.
    const next = (stepNow() + 1) * 30 * 1000;
    await sleep(next - Date.now() + 200);
    await page.goto(`${URL_}/login/totp`);
  }
  check((await page.textContent("h1")) === "Dashboard", `${who.user}: signed in with a TOTP code, on the dashboard`);
  return { ctx, page };
}

// The SHA-256 of the certificate's SubjectPublicKeyInfo, as Chromium's
// --ignore-certificate-errors-spki-list wants it (base64).
function spkiHash(pemFile) {
  const cert = new X509Certificate(readFileSync(pemFile));
  return createHash("sha256").update(cert.publicKey.export({ type: "spki", format: "der" })).digest("base64");
}
const launchArgs = process.env.WARD_CERT ? [`--ignore-certificate-errors-spki-list=${spkiHash(process.env.WARD_CERT)}`] : [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: launchArgs,
  headless: true,
  // Chromium's sandbox cannot start as root (CI runs as root).
  chromiumSandbox: !(process.getuid && process.getuid() === 0),
});
// `ui.mjs setup`: the first administrator through the setup link printed by the server (its
// token in the fragment, copied into the form by ward.js), enrolled in the browser; prints the
// TOTP secret and one recovery code for the rest of the test.
async function setup() {
  const ctx = await browser.newContext(contextOptions());
  const page = await ctx.newPage();
  await page.goto(`${URL_}/setup#${env("WARD_SETUP_TOKEN")}`);
  await page.waitForFunction(() => document.getElementById("setup-token").value.length > 0);
  check((await page.inputValue("#setup-token")) === env("WARD_SETUP_TOKEN"), "the setup link's token is copied from the fragment into the form");
  check(!page.url().includes("#"), "and dropped from the address bar");
  await page.fill("input[name=username]", admin.user);
  await page.fill("input[name=password]", admin.password);
  await Promise.all([page.waitForURL(/\/login\/enrol$/), page.click("form[action='/setup'] button[type=submit]")]);
  check((await page.locator(".qr svg").count()) === 1, "the first administrator is made and shown the enrolment QR code");
  const secret = (await page.textContent("#totp-secret")).trim();
  // The previous step's code (within the tolerance), so the current one stays free.
  await page.fill("input[name=code]", totp(secret, stepNow() - 1));
  await Promise.all([page.waitForLoadState("load"), page.click("form[action='/login/enrol'] button[type=submit]")]);
  const codes = await page.locator("#recovery-codes li").allTextContents();
  check(codes.length === 10, "enrolled in the browser: ten recovery codes shown once");
  await ctx.close();
  console.log(`secret=${secret}`);
  console.log(`recovery=${codes[0].trim()}`);
}

try {
  if (mode === "setup") {
    await setup();
  } else if (mode === "passkey") {
    await passkey();
  } else {
    await flow();
  }
} finally {
  await browser.close();
}

async function flow() {
  // The administrator: dashboard, inventory, an asset, then acknowledges a finding.
  const a = await signIn(browser, admin);
  let page = a.page;
  check((await page.locator("figure.chart svg").count()) >= 3, "the dashboard draws its charts (devices by kind and risk, findings by severity)");
  await page.click("header nav a[href='/assets']");
  await page.waitForURL(/\/assets$/);
  const rows = await page.locator("#assets tbody tr").count();
  check(rows > 1, `the inventory lists devices (${rows} on the first page)`);
  await page.selectOption("select[name=sort]", "label");
  await page.waitForURL(/sort=label/);
  const firstName = (await page.locator("#assets tbody tr td a").first().textContent()).trim();
  await page.fill("input[name=q]", firstName);
  await Promise.all([page.waitForURL(/q=/), page.click("form.filters button[type=submit]")]);
  check((await page.locator("#assets tbody tr").count()) >= 1, `searching the inventory for ${firstName} finds it`);
  await Promise.all([page.waitForURL(/\/assets\/\d+$/), page.locator("#assets tbody tr td a").first().click()]);
  check((await page.textContent("h1")).trim() === firstName, `the asset page of ${firstName} opens`);
  for (const h of ["Identity", "Addresses and names", "Protocols", "Peers", "Findings"]) {
    check((await page.locator("h2", { hasText: h }).count()) === 1, `the asset page shows ${h}`);
  }

  await page.goto(`${URL_}/findings?status=open&min_severity=high`);
  const row = page.locator("#findings tbody tr[data-status=open]").first();
  const rowId = await row.getAttribute("id");
  const fid = rowId.replace("finding-", "");
  check(/^\d+$/.test(fid), `an open high finding is listed (${fid})`);
  await Promise.all([page.waitForURL(/done=/), row.locator("form[action$='/acknowledge'] button").click()]);
  check((await page.textContent(".notice")).includes(`acknowledge finding ${fid}`), `finding ${fid} acknowledged through its form`);
  await page.goto(`${URL_}/findings?status=acknowledged`);
  check((await page.getAttribute(`#finding-${fid}`, "data-status")) === "acknowledged", `finding ${fid} is now acknowledged`);
  await Promise.all([page.waitForURL(new RegExp(`/findings/${fid}$`)), page.locator(`#finding-${fid} a[href='/findings/${fid}']`).click()]);
  check((await page.textContent("#finding-status")).trim() === "acknowledged", `finding ${fid}'s own page shows its status`);
  check((await page.locator("#finding-history tbody tr", { hasText: "acknowledged" }).filter({ hasText: admin.user }).count()) === 1, `finding ${fid}'s history shows who acknowledged it`);
  // The findings page offers the export; the download is the CSV (the sign-in is fresh).
  await page.goto(`${URL_}/findings`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("a[href='/export/findings.csv']")]);
  const csv = readFileSync(await download.path(), "utf8");
  check(csv.startsWith("id,kind,severity,status") && csv.split("\n").length > 2, "the findings page's CSV export downloads the findings");

  // A new account, made in the browser (the administrator's sign-in is fresh), enrols its
  // authenticator at its first sign-in: QR code and key, a first code, ten recovery codes.
  await page.goto(`${URL_}/users`);
  await page.fill("form[action='/users'] input[name=username]", newcomer.user);
  await page.selectOption("form[action='/users'] select[name=role]", "security_analyst");
  await page.fill("form[action='/users'] input[name=password]", newcomer.password);
  await Promise.all([page.waitForURL(/created=/), page.click("form[action='/users'] button[type=submit]")]);
  check((await page.locator("#users tbody tr", { hasText: newcomer.user }).count()) === 1, `the administrator created ${newcomer.user} through the users form`);
  {
    const ctx = await browser.newContext(contextOptions());
    const p = await ctx.newPage();
    await p.goto(`${URL_}/login`);
    await p.fill("input[name=username]", newcomer.user);
    await p.fill("input[name=password]", newcomer.password);
    await Promise.all([p.waitForURL(/\/login\/enrol$/), p.click("form[action='/login'] button[type=submit]")]);
    check((await p.locator(".qr svg").count()) === 1, `${newcomer.user}: first sign-in shows the enrolment QR code`);
    const secret = (await p.textContent("#totp-secret")).trim();
    await p.fill("input[name=code]", totp(secret, stepNow()));
    await Promise.all([p.waitForLoadState("load"), p.click("form[action='/login/enrol'] button[type=submit]")]);
    check((await p.locator("#recovery-codes li").count()) === 10, `${newcomer.user}: enrolled, ten recovery codes shown once`);
    await Promise.all([p.waitForURL(/\/$/), p.click("a.button")]);
    check((await p.textContent("h1")) === "Dashboard", `${newcomer.user}: signed in after enrolment`);
    await ctx.close();
  }

  // The administrator changes the newcomer's role through the row's form.
  {
    await page.goto(`${URL_}/users`);
    const urow = page.locator("#users tbody tr", { hasText: newcomer.user });
    await urow.locator("select[name=role]").selectOption("biomedical_engineer");
    await Promise.all([page.waitForURL(/changed=/), urow.locator("form button[type=submit]").click()]);
    check((await page.locator("#users tbody tr", { hasText: newcomer.user }).textContent()).includes("biomedical engineer"), `${newcomer.user} is now a biomedical engineer`);
  }

  // An API token for a script: made on the tokens page with one scope, shown once; it reads
  // findings with no cookie, is refused what its scope lacks, and is refused once revoked there.
  await page.click("header nav a[href='/tokens']");
  await page.waitForURL(/\/tokens$/);
  await page.fill("#new-token input[name=label]", "nightly report");
  await page.check("#new-token input[name='scope.finding.read']");
  await Promise.all([page.waitForLoadState("load"), page.click("#new-token button[type=submit]")]);
  const apiToken = (await page.textContent("#new-token-value")).trim();
  check(apiToken.startsWith("ward_a_"), "the tokens page makes an API token and shows it once");
  {
    const ctx = await browser.newContext(contextOptions());
    const auth = { headers: { Authorization: `Bearer ${apiToken}` } };
    check((await ctx.request.get(`${URL_}/api/v1/findings?limit=1`, auth)).status() === 200, "the token reads findings without a session");
    check((await ctx.request.get(`${URL_}/api/v1/assets?limit=1`, auth)).status() === 403, "the token is refused what its scope lacks");
    await page.goto(`${URL_}/tokens`);
    const tokenRow = page.locator("#api-tokens tbody tr", { hasText: "nightly report" });
    check((await tokenRow.textContent()).includes("active"), "the token is listed, active, with its label");
    await Promise.all([page.waitForURL(/done=/), tokenRow.locator("form[action$='/revoke'] button").click()]);
    check((await page.locator("#api-tokens tbody tr", { hasText: "nightly report" }).textContent()).includes("revoked"), "the token is revoked from its page");
    check((await ctx.request.get(`${URL_}/api/v1/findings?limit=1`, auth)).status() === 401, "a revoked token is refused");
    await ctx.close();
  }

  // Another open finding for the auditor to try.
  await page.goto(`${URL_}/findings?status=open`);
  const other = (await page.locator("#findings tbody tr[data-status=open]").first().getAttribute("id")).replace("finding-", "");

  // The auditor: may read, may not acknowledge. The page offers no button; the same request,
  // sent from the page with the auditor's own session and CSRF token, is refused.
  const b = await signIn(browser, auditor);
  page = b.page;
  await page.goto(`${URL_}/findings?status=open`);
  check((await page.locator(`#finding-${other} form[action$='/acknowledge']`).count()) === 0, "the auditor is offered no acknowledge button");
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/findings/${other}/acknowledge`) && r.request().method() === "POST"),
    page.evaluate((id) => {
      const f = document.createElement("form");
      f.method = "post";
      f.action = `/findings/${id}/acknowledge`;
      const csrf = document.createElement("input");
      csrf.type = "hidden";
      csrf.name = "csrf";
      csrf.value = document.querySelector("meta[name=csrf-token]").content;
      f.appendChild(csrf);
      document.body.appendChild(f);
      f.submit();
    }, other),
  ]);
  await page.waitForLoadState("load");
  check(resp.status() === 403, `the auditor's acknowledge of finding ${other} is refused with 403`);
  check((await page.textContent("h1")) === "Not allowed", "the refusal is a page saying so");
  await page.goto(`${URL_}/findings?status=open`);
  check((await page.getAttribute(`#finding-${other}`, "data-status")) === "open", `finding ${other} is still open`);

  // The trail shows the denial (the auditor may read it) and the administrator's acknowledgement.
  await page.goto(`${URL_}/audit?outcome=denied`);
  const denied = page.locator("#audit tbody tr", { hasText: `finding:${other}` }).filter({ hasText: auditor.user }).filter({ hasText: "finding.acknowledge" });
  check((await denied.count()) >= 1, "the audit page shows the auditor's denied acknowledge");
  await page.goto(`${URL_}/audit`);
  const done = page.locator("#audit tbody tr.outcome-success", { hasText: `finding:${fid}` }).filter({ hasText: admin.user });
  check((await done.count()) >= 1, "the audit page shows the administrator's acknowledgement");

  // Signing out ends the session.
  await Promise.all([page.waitForURL(/\/login$/), page.click("form.signout button")]);
  await page.goto(`${URL_}/findings`);
  check(new URL(page.url()).pathname === "/login", "after signing out, pages send to /login");
  await a.ctx.close();
  await b.ctx.close();
  console.log(`e2e: ${passed} checks passed`);
}

// `ui.mjs passkey`: the administrator (signed in with a TOTP code) adds a security key on the
// account page, with Chromium's virtual authenticator (CTAP2, user verification) standing in for
// a YubiKey; signs out; signs in with the password and the key, no code. A replayed answer
// (the one the browser sent, against a new challenge) is refused; the removed key is gone.
// Needs WARD_URL on https://localhost:PORT (a relying party is a host name) and WARD_CERT.
async function passkey() {
  const { ctx, page } = await signIn(browser, admin);
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "usb", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await Promise.all([page.waitForURL(/\/account$/), page.click("header a.who")]);
  check((await page.textContent("h1")) === "Your account", "the account page opens from the name in the header");
  check((await page.locator("#passkeys-none").count()) === 1, "no security key yet");
  await page.fill("#passkey-add input[name=name]", "virtual key");
  page.on("console", (m) => console.log(`browser console: ${m.text()}`));
  await page.click("#passkey-add button[type=submit]");
  // The page reloads with the key listed, or says why not.
  await page.waitForFunction(() => document.querySelector("#passkeys tbody tr") || /[^.]$|not|cannot/.test(document.getElementById("passkey-status")?.textContent ?? ""), null, { timeout: 30000 });
  const said = await page.locator("#passkey-status").count() ? await page.textContent("#passkey-status") : "";
  check((await page.locator("#passkeys tbody tr").count()) === 1, `the page lists the new key (${said || "reloaded"})`);
  check((await page.locator("#passkeys tbody tr", { hasText: "virtual key" }).count()) === 1, "the security key is registered through the browser's WebAuthn prompt and listed");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  check(credentials.length === 1, "the authenticator holds one credential for Ward");

  // Sign out; sign in with the password, then the key instead of a code.
  await Promise.all([page.waitForURL(/\/login$/), page.click("form.signout button")]);
  async function password() {
    await page.goto(`${URL_}/login`);
    await page.fill("input[name=username]", admin.user);
    await page.fill("input[name=password]", admin.password);
    await Promise.all([page.waitForURL(/\/login\/totp$/), page.click("form[action='/login'] button[type=submit]")]);
  }
  await password();
  check((await page.locator("#passkey-signin").count()) === 1, "after the password, the second-factor page offers the security key");
  let sent = null;
  page.on("request", (r) => {
    if (r.url().endsWith("/api/v1/login/passkey/finish")) sent = r.postData();
  });
  await Promise.all([page.waitForURL((u) => u.pathname === "/"), page.click("#passkey-signin")]);
  check((await page.textContent("h1")) === "Dashboard", "signed in with the password and the security key, no code");
  check(sent !== null && sent.includes("authenticatorData"), "the browser sent the key's signed assertion");
  const after = (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
  check(after[0].signCount > credentials[0].signCount, "the key's signature counter went up");

  // The same answer again, against a new challenge of a new sign-in: refused.
  await Promise.all([page.waitForURL(/\/login$/), page.click("form.signout button")]);
  await password();
  const replay = await page.evaluate(async (body) => {
    const h = { "Content-Type": "application/json" };
    const start = await fetch("/api/v1/login/passkey", { method: "POST", headers: h, body: "{}" });
    const fin = await fetch("/api/v1/login/passkey/finish", { method: "POST", headers: h, body });
    return [start.status, fin.status, (await fin.json()).detail];
  }, sent);
  check(replay[0] === 200 && replay[1] === 401, `a replayed assertion is refused (${replay.join(", ")})`);
  check(replay[2] === "invalid username, password or code", "with the generic sign-in message");

  // The key still works; then it is removed from the account page (the sign-in is fresh).
  await page.goto(`${URL_}/login/totp`);
  await Promise.all([page.waitForURL((u) => u.pathname === "/"), page.click("#passkey-signin")]);
  check((await page.textContent("h1")) === "Dashboard", "the key signs in again after the refused replay");
  // Re-authentication before a sensitive action: the key alone, instead of password and code.
  await page.goto(`${URL_}/reauth?next=/users`);
  await page.waitForSelector("#passkey-reauth:not([hidden])");
  await Promise.all([page.waitForURL((u) => u.pathname === "/users"), page.click("#passkey-reauth button")]);
  await page.waitForLoadState("load");
  const h1 = await page.textContent("h1");
  check(h1 === "Users and roles", `re-authenticated with the security key, back on the page asked for (${h1})`);
  await page.goto(`${URL_}/account`);
  await Promise.all([page.waitForResponse((r) => r.url().endsWith("/account") && r.request().method() === "GET"), page.click("#passkeys tbody tr form button")]);
  await page.waitForSelector("#passkeys-none");
  check((await page.locator("#passkeys tbody tr").count()) === 0, "the key is removed from the account page");
  await Promise.all([page.waitForURL(/\/login$/), page.click("form.signout button")]);
  await password();
  check((await page.locator("#passkey-signin").count()) === 0, "without a key, the second-factor page offers only the code");
  await ctx.close();
  console.log(`e2e: ${passed} checks passed`);
}
