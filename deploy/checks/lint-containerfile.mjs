// Lints deploy/container/Containerfile (no image can be built on machines without a container engine):
// dockerfile-utils' validator (instructions, flags, JSON forms), then the image properties hemastream
// needs, read from the parsed file: non-root user, health check, telemetry off, heap sized from the
// container limit, a tmp dir the read-only root can keep writable, the CPU/CUDA base as a build argument.
//   node lint-containerfile.mjs [FILE]
import { readFileSync } from "node:fs";
import { validate } from "dockerfile-utils";
import { DockerfileParser } from "dockerfile-ast";

const path = process.argv[2] ?? new URL("../container/Containerfile", import.meta.url).pathname;
const text = readFileSync(path, "utf8");
let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) { passed++; console.log(`ok   ${name}`); } else { failed++; console.log(`FAIL ${name}${detail ? ": " + detail : ""}`); }
}

// Severity 1 = error, 2 = warning: both fail the lint.
const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
check("dockerfile-utils lint", problems.length === 0, problems.join("; "));

const df = DockerfileParser.parse(text);
const ins = df.getInstructions();
const last = (kw) => ins.filter((i) => i.getKeyword() === kw).at(-1);
const args = (i) => (i ? i.getArguments().map((a) => a.getValue()) : []);
const from = df.getFROMs();
const user = args(last("USER")).join(" ");
const env = ins.filter((i) => i.getKeyword() === "ENV").flatMap((i) => i.getProperties().map((p) => [p.getName(), p.getValue()]));
const entry = last("ENTRYPOINT")?.getTextContent() ?? "";
const health = last("HEALTHCHECK");

check("base image is a build argument (CPU default, CUDA by --build-arg BASE_IMAGE)",
  from.length === 1 && from[0].getImage() === "${BASE_IMAGE}" && df.getARGs().some((a) => a.getProperty()?.getName() === "BASE_IMAGE"));
check("runs as a numeric non-root user", /^[1-9][0-9]*(:[0-9]+)?$/.test(user), user);
check("ORT_DISABLE_TELEMETRY=1", env.some(([k, v]) => k === "ORT_DISABLE_TELEMETRY" && v === "1"));
check("heap from the container limit (-XX:MaxRAMPercentage)", /-XX:MaxRAMPercentage=\d+/.test(entry), entry);
check("java.io.tmpdir=/tmp (the writable mount of a read-only root)", entry.includes("-Djava.io.tmpdir=/tmp"));
check("exec-form ENTRYPOINT (java is PID 1 and receives SIGTERM)", /ENTRYPOINT\s*\[/.test(entry));
check("HEALTHCHECK on /health/live", health !== undefined && /health\/live|HEALTHCHECK_URL/.test(health.getTextContent())
  && env.some(([k, v]) => k === "HEALTHCHECK_URL" && v.endsWith("/health/live")));
const jar = (entry.match(/"-jar",\s*"([^"]+)"/) ?? [])[1] ?? "";
const copiedTo = ins.filter((i) => i.getKeyword() === "COPY").map((i) => args(i).at(-1));
check("the models jar beside the service jar (its manifest Class-Path: hemastream-models.jar)",
  jar !== "" && copiedTo.includes(jar) && copiedTo.includes(jar.replace(/[^/]+$/, "hemastream-models.jar")), copiedTo.join(", "));
check("no VOLUME (state lives in Kafka; volumes break read-only roots)", last("VOLUME") === undefined);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
