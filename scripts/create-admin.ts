/**
 * `npm run create-admin -- --email ada@example.com [--name "Ada Lovelace"]`: the first admin of a
 * deployment without the demo, a platform admin who then adds tenants and staff. The password is read
 * from standard input when it is piped (`… < file`), and asked for twice without echo at a terminal.
 * Exit codes: 0 created, 1 refused (weak password, email taken, …) or failed, 2 wrong usage.
 * With the embedded database, stop the server first: a PGlite folder may be open in one process only.
 */
import { parseArgs } from "node:util";
import { connect, defaultTarget } from "@/db/client";
import { migrate } from "@/db/migrate";
import { systemActor } from "@/lib/actor";
import { env } from "@/lib/env";
import { DomainError, ValidationError, describeError } from "@/lib/errors";
import { createPlatformAdmin } from "@/lib/staff/staff";

const USAGE =
  'Usage: npm run create-admin -- --email ada@example.com [--name "Ada Lovelace"]  (password on stdin, or asked for)';

class UsageError extends Error {}

function options(): { email: string; name: string } {
  let values;
  try {
    ({ values } = parseArgs({ options: { email: { type: "string" }, name: { type: "string" } }, strict: true }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (!values.email) throw new UsageError("--email is required");
  // The name appears in the audit and on the staff screen; the email's local part until it is changed.
  return { email: values.email, name: values.name ?? values.email.split("@")[0]! };
}

/** Everything piped in, less the line ending: a password file or `printf %s "$PASSWORD" |`. */
async function pipedPassword(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, "");
}

/** Asks at the terminal without echoing what is typed. */
function askHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stdout.write(question);
  input.setRawMode(true);
  input.resume();
  input.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let typed = "";
    const done = (action: () => void) => {
      input.setRawMode(false);
      input.pause();
      input.off("data", onData);
      process.stdout.write("\n");
      action();
    };
    const onData = (keys: string) => {
      for (const key of keys) {
        if (key === "\u0003") return done(() => reject(new UsageError("cancelled")));
        if (key === "\r" || key === "\n" || key === "\u0004") return done(() => resolve(typed));
        if (key === "\u007f" || key === "\b") typed = typed.slice(0, -1);
        else if (key >= " ") typed += key;
      }
    };
    input.on("data", onData);
  });
}

async function password(): Promise<string> {
  if (!process.stdin.isTTY) return pipedPassword();
  const first = await askHidden("Password (at least 12 characters; not shown): ");
  const again = await askHidden("Same password again: ");
  if (first !== again) throw new DomainError("The two passwords differ; nothing was created.");
  return first;
}

async function main(): Promise<number> {
  const { email, name } = options();
  const secret = await password();
  const connection = await connect(defaultTarget());
  try {
    await migrate(connection);
    await createPlatformAdmin(connection.db, systemActor("create-admin command"), { email, name, password: secret });
  } finally {
    await connection.close();
  }
  console.log(
    `Created ${email}, an active platform admin. Sign in at ${env.APP_URL}/signin, then add a tenant under Admin › Tenants.`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    if (error instanceof ValidationError) {
      for (const { message } of error.fieldErrors) console.error(`Refused: ${message}.`);
    } else if (error instanceof DomainError) {
      console.error(`Refused: ${error.message}`);
    } else {
      console.error(`Failed: ${describeError(error, { maxLength: 2000 })}`);
    }
    process.exit(1);
  },
);
