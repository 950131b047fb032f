// Checks the KEDA resources of deploy/k8s against KEDA's own models (@kubernetes-models/keda, generated from
// KEDA's CRDs): the package's runtime validation (types, required fields, enums) and, for fields the CRD does
// not know — which the runtime validation lets through — TypeScript's excess-property check on each resource
// written out as a typed literal. A deliberately wrong copy must fail both ways, or the check is not working.
//   node check-keda.mjs FILE.yaml...        (multi-document YAML; non-KEDA documents are skipped)
import { readFileSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import ts from "typescript";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";

const here = dirname(fileURLToPath(import.meta.url));
const models = {
  ScaledObject: { cls: ScaledObject, type: "IScaledObject", module: "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject" },
  TriggerAuthentication: { cls: TriggerAuthentication, type: "ITriggerAuthentication",
    module: "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication" },
};

/** Runtime validation errors, or [] */
function validate(doc) {
  try {
    new models[doc.kind].cls(doc).validate();
    return [];
  } catch (e) {
    return [String(e.message ?? e)];
  }
}

/** TypeScript errors per resource name (unknown fields, wrong types), by type-checking typed literals. */
function typeCheck(resources) {
  const dir = join(here, "generated");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "keda-resources.ts");
  const imports = Object.values(models).map((m) => `import type { ${m.type} } from "${m.module}";`).join("\n");
  const body = resources.map((r, i) => `// ${r.where}\nexport const r${i}: ${models[r.doc.kind].type} = ${JSON.stringify(r.doc, null, 2)};`).join("\n");
  writeFileSync(file, `${imports}\n${body}\n`);
  try {
    const program = ts.createProgram([file], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : "?";
      return `line ${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const resources = [];
for (const path of process.argv.slice(2)) {
  for (const d of parseAllDocuments(readFileSync(path, "utf8"))) {
    if (d.errors.length) throw new Error(`${path}: ${d.errors[0].message}`);
    const doc = d.toJS();
    if (doc && doc.apiVersion === "keda.sh/v1alpha1" && models[doc.kind]) {
      resources.push({ where: `${path} ${doc.kind} ${doc.metadata?.name}`, doc });
    } else if (doc && String(doc.apiVersion).startsWith("keda.sh/")) {
      throw new Error(`${path}: no KEDA model here for ${doc.apiVersion} ${doc.kind}`);
    }
  }
}
if (resources.length === 0) throw new Error("no KEDA resources in " + process.argv.slice(2).join(" "));

let passed = 0;
let failed = 0;
for (const r of resources) {
  const errors = validate(r.doc);
  if (errors.length) { failed++; console.log(`FAIL ${r.where}: ${errors.join("; ")}`); } else { passed++; console.log(`ok   ${r.where}: runtime validation`); }
}
const tsErrors = typeCheck(resources);
if (tsErrors.length) { failed++; console.log(`FAIL type check:\n  ${tsErrors.join("\n  ")}`); } else { passed++; console.log(`ok   ${resources.length} resources: no unknown fields, types match`); }

// The check must be able to fail: an unknown field deep in a copy, and a wrong type.
const so = resources.find((r) => r.doc.kind === "ScaledObject");
if (so) {
  const unknown = structuredClone(so.doc);
  unknown.spec.advanced = { ...(unknown.spec.advanced ?? {}), horizontalPodAutoscalerConfg: {} };
  const wrongType = structuredClone(so.doc);
  wrongType.spec.maxReplicaCount = "twelve";
  const caught = typeCheck([{ where: "mutant", doc: unknown }]).some((e) => e.includes("horizontalPodAutoscalerConfg"))
    && validate(wrongType).length > 0;
  if (caught) { passed++; console.log("ok   a misspelt field and a wrong type are refused"); } else { failed++; console.log("FAIL a misspelt field or a wrong type went through"); }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
