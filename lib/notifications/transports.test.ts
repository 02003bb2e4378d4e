import { once } from "node:events";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { devMailbox } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { isSealed } from "./sealed";
import { devMailboxTransport, httpSmsTransport, readDevMailbox, smtpTransport, transportsFromEnv, type OutgoingMessage } from "./transports";

async function listenOnLoopback<S extends Server>(server: S): Promise<{ server: S; port: number }> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}

/** An SMS provider on 127.0.0.1 that records what it is sent and answers with `status`. */
async function fakeSmsProvider() {
  const received: { method?: string; headers: IncomingHttpHeaders; json: unknown }[] = [];
  const provider = { received, status: 202, url: "", close: () => {} };
  const { server, port } = await listenOnLoopback(
    createHttpServer((request, response) => {
      let text = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (text += chunk));
      request.on("end", () => {
        received.push({ method: request.method, headers: request.headers, json: JSON.parse(text) });
        response.writeHead(provider.status, { "content-type": "application/json" });
        response.end(JSON.stringify({ rejected: text })); // a provider that echoes the message back
      });
    }),
  );
  provider.url = `http://127.0.0.1:${port}/messages`;
  provider.close = () => {
    server.closeAllConnections();
    server.close();
  };
  return provider;
}

type Mail = { from: string; to: string[]; data: string };

/** Just enough of an SMTP relay on 127.0.0.1 for nodemailer to hand it a message (no TLS, no auth). */
async function fakeSmtpRelay() {
  const received: Mail[] = [];
  const { server, port } = await listenOnLoopback(
    createTcpServer((socket) => {
      socket.setEncoding("utf8");
      let buffer = "";
      let inData = false;
      let mail: Mail = { from: "", to: [], data: "" };
      socket.write("220 relay.test ESMTP\r\n");
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        for (;;) {
          if (inData) {
            const end = buffer.indexOf("\r\n.\r\n");
            if (end === -1) return;
            received.push({ ...mail, data: buffer.slice(0, end) });
            mail = { from: "", to: [], data: "" };
            buffer = buffer.slice(end + 5);
            inData = false;
            socket.write("250 queued\r\n");
            continue;
          }
          const eol = buffer.indexOf("\r\n");
          if (eol === -1) return;
          const line = buffer.slice(0, eol);
          buffer = buffer.slice(eol + 2);
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === "MAIL") mail.from = line;
          if (verb === "RCPT") mail.to.push(line);
          if (verb === "DATA") {
            inData = true;
            socket.write("354 end with <CRLF>.<CRLF>\r\n");
          } else if (verb === "QUIT") {
            socket.end("221 bye\r\n");
            return;
          } else {
            socket.write(verb === "EHLO" ? "250 relay.test\r\n" : "250 ok\r\n");
          }
        }
      });
    }),
  );
  return { received, url: `smtp://127.0.0.1:${port}`, close: () => server.close() };
}

describe("transports", () => {
  let t: TestDatabase;
  let acme: string;
  let globex: string;
  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.db.delete(devMailbox);
  });

  const sms = (overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
    channel: "sms",
    recipient: "+447911123456",
    subject: null,
    body: "Your Acme Energy preferences were updated.",
    tenantId: acme,
    messageId: crypto.randomUUID(),
    sensitive: false,
    ...overrides,
  });
  const email = (overrides: Partial<OutgoingMessage> = {}): OutgoingMessage =>
    sms({ channel: "email", recipient: "ann.smith@example.com", subject: "Your preferences were updated", ...overrides });

  describe("HTTP SMS", () => {
    let provider: Awaited<ReturnType<typeof fakeSmsProvider>>;
    beforeAll(async () => {
      provider = await fakeSmsProvider();
    });
    afterAll(() => provider.close());
    beforeEach(() => {
      provider.received.length = 0;
      provider.status = 202;
    });

    it("posts the recipient and the text as JSON with the bearer token", async () => {
      await httpSmsTransport(provider.url, "provider-token").send(sms());
      expect(provider.received).toEqual([
        {
          method: "POST",
          headers: expect.objectContaining({ authorization: "Bearer provider-token", "content-type": "application/json" }),
          json: { to: "+447911123456", body: "Your Acme Energy preferences were updated." },
        },
      ]);
    });

    it("sends no authorization header when no token is configured", async () => {
      await httpSmsTransport(provider.url).send(sms());
      expect(provider.received[0]!.headers.authorization).toBeUndefined();
    });

    it("fails on an answer other than 2xx, naming the status but not repeating what the provider echoed", async () => {
      provider.status = 503;
      const failure = await httpSmsTransport(provider.url, "provider-token").send(sms()).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toBe("SMS provider answered HTTP 503 Service Unavailable");
    });
  });

  describe("SMTP", () => {
    let relay: Awaited<ReturnType<typeof fakeSmtpRelay>>;
    beforeAll(async () => {
      relay = await fakeSmtpRelay();
    });
    afterAll(() => relay.close());

    it("hands the message to the relay from the configured sender", async () => {
      await smtpTransport(relay.url, "Attest <no-reply@attest.test>").send(email({ body: "Your preferences were updated on 1 January." }));
      const mail = relay.received.at(-1)!;
      expect(mail.from).toContain("<no-reply@attest.test>");
      expect(mail.to).toEqual([expect.stringContaining("<ann.smith@example.com>")]);
      expect(mail.data).toContain("Subject: Your preferences were updated");
      expect(mail.data).toContain("Your preferences were updated on 1 January.");
    });

    it("gives up on a relay that never answers instead of hanging, with the timeouts given in SMTP_URL", async () => {
      const { server: silent, port } = await listenOnLoopback(createTcpServer(() => {}));
      try {
        const sending = smtpTransport(`smtp://127.0.0.1:${port}?greetingTimeout=200`, "Attest <no-reply@attest.test>").send(email());
        await expect(sending).rejects.toThrow(/greeting/i);
      } finally {
        silent.close();
      }
    });
  });

  describe("the dev mailbox", () => {
    it("keeps a sensitive body sealed, and reads it back in clear", async () => {
      const code = sms({ body: "730512 is your Acme Energy verification code.", sensitive: true });
      await devMailboxTransport(t.db).send(code);
      const [stored] = await t.db.select().from(devMailbox);
      expect(isSealed(stored!.body)).toBe(true);
      expect(stored!.body).not.toContain("730512");

      const admin = await signedInStaff(t.db, "admin@demo.test");
      expect(await readDevMailbox(t.db, admin)).toMatchObject([{ messageId: code.messageId, body: "730512 is your Acme Energy verification code.", sensitive: true }]);
    });

    it("shows staff the newest messages of their own tenants only", async () => {
      const mailbox = devMailboxTransport(t.db);
      const toAcme = email();
      const toGlobex = email({ tenantId: globex, recipient: "john.miller@example.com" });
      await mailbox.send(toAcme);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await mailbox.send(toGlobex);

      const admin = await signedInStaff(t.db, "admin@demo.test");
      expect((await readDevMailbox(t.db, admin)).map((m) => m.messageId)).toEqual([toGlobex.messageId, toAcme.messageId]);
      const acmeAgent = await signedInStaff(t.db, "agent.acme@demo.test");
      expect((await readDevMailbox(t.db, acmeAgent)).map((m) => m.messageId)).toEqual([toAcme.messageId]);
      expect(await readDevMailbox(t.db, admin, 1)).toHaveLength(1);
    });
  });

  describe("transportsFromEnv", () => {
    const unset = { SMTP_URL: undefined, SMTP_FROM: "Attest <no-reply@attest.test>", SMS_HTTP_URL: undefined, SMS_HTTP_TOKEN: undefined, deployed: false };

    it("sends email and SMS to the dev mailbox when no SMTP or SMS provider is configured", async () => {
      const transports = transportsFromEnv(t.db, unset);
      await transports.email.send(email());
      await transports.sms.send(sms());
      expect((await t.db.select().from(devMailbox)).map((m) => m.channel).sort()).toEqual(["email", "sms"]);
    });

    it("in a deployment without them, fails delivery visibly instead of using the dev mailbox", async () => {
      const transports = transportsFromEnv(t.db, { ...unset, deployed: true });
      await expect(transports.email.send(email())).rejects.toThrow("SMTP_URL is not set");
      await expect(transports.sms.send(sms())).rejects.toThrow("SMS_HTTP_URL is not set");
      expect(await t.db.select().from(devMailbox)).toEqual([]);
    });

    it("sends through SMTP and the HTTP provider when they are configured", async () => {
      const [relay, provider] = await Promise.all([fakeSmtpRelay(), fakeSmsProvider()]);
      try {
        const transports = transportsFromEnv(t.db, { ...unset, SMTP_URL: relay.url, SMS_HTTP_URL: provider.url, SMS_HTTP_TOKEN: "provider-token" });
        await transports.email.send(email());
        await transports.sms.send(sms());
        expect(relay.received).toHaveLength(1);
        expect(provider.received).toHaveLength(1);
        expect(provider.received[0]!.headers.authorization).toBe("Bearer provider-token");
        expect(await t.db.select().from(devMailbox)).toEqual([]);
      } finally {
        relay.close();
        provider.close();
      }
    });
  });
});
