/*
 * An independent check of claimsd's 835 (005010X221A1), sharing no code with
 * its generator (eob/x835.c):
 *
 *   check_835.sh FILE.835 EXPECTED.json
 *
 * FILE.835 is parsed by node-x12 (npm, pinned by package-lock.json) in
 * strict mode, which also checks the envelope: SE01 against the segments of
 * each transaction, GE01 and IEA01 against what they enclose, the control
 * numbers of each header and trailer. EXPECTED.json is
 * {"npi": "…", "claims": [{"claim_id", "submitted", "decision"}, …]}, the
 * claims as GET /v1/claims/{id} answers them. Checked here:
 *
 *  - the balancing equations: per claim CLP03 − CLP04 = Σ CAS of the claim
 *    and its lines; per line SVC02 − SVC03 = Σ its CAS; per transaction
 *    BPR02 = Σ CLP04 − Σ PLB;
 *  - each CLP and SVC against the JSON decision: CLP01 (the submission's
 *    patient_control_number, else the claim id), CLP02 (1 primary, 2
 *    secondary, 4 denied), CLP03/04/05, CLP07 the claim id; per line SVC01
 *    (HC:code:modifiers), SVC02/03, SVC05 units, DTM*472 the service date,
 *    AMT*B6 allowed, the CAS reasons (group, CARC, amount) and LQ*HE remarks;
 *  - N1*PE names the expected NPI (XX), and every expected claim is there
 *    exactly once and no other.
 *
 * Amounts are compared as integer cents parsed from the text (no floating
 * point). Prints one summary line and exits 0, or prints every problem to
 * stderr and exits 1 (2 for bad usage or input).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { X12Parser } = require('node-x12');

const [file835, fileExpected] = process.argv.slice(2);
if (!file835 || !fileExpected) {
  console.error('usage: check_835.sh FILE.835 EXPECTED.json');
  process.exit(2);
}

const problems = [];
const problem = (msg) => problems.push(msg);

/* "150", "150.5", "-3.25" → cents (BigInt-free: amounts stay far below 2^53). */
function cents(text, where) {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(text));
  if (!m) {
    problem(`${where}: "${text}" is not an X12 decimal amount`);
    return NaN;
  }
  const frac = m[3] ? Number(m[3].padEnd(2, '0')) : 0;
  const v = Number(m[2]) * 100 + frac;
  return m[1] ? -v : v;
}

/* A JSON money value (as claimsd writes it: a number with ≤ 2 decimals). */
function jsonCents(v, where) {
  if (typeof v !== 'number') {
    problem(`${where}: not a number in the JSON`);
    return NaN;
  }
  return cents(v.toFixed(2), where);
}

let interchange;
let expected;
try {
  interchange = new X12Parser(true).parse(fs.readFileSync(file835, 'utf8'));
} catch (e) {
  console.error(`the 835 does not parse: ${e.message}`);
  process.exit(1);
}
try {
  expected = JSON.parse(fs.readFileSync(fileExpected, 'utf8'));
} catch (e) {
  console.error(`${fileExpected}: ${e.message}`);
  process.exit(2);
}

const byId = new Map(expected.claims.map((c) => [c.claim_id, c]));
const seen = new Map();
const v = (seg, i) => seg.valueOf(i, '');

if (interchange.header.valueOf(12) !== '00501') problem(`ISA12 is ${interchange.header.valueOf(12)}, not 00501`);
let nTransactions = 0;
let nClaims = 0;
let nLines = 0;
let grandTotal = 0;

for (const group of interchange.functionalGroups) {
  if (v(group.header, 1) !== 'HP') problem(`GS01 is ${v(group.header, 1)}, not HP`);
  if (v(group.header, 8) !== '005010X221A1') problem(`GS08 is ${v(group.header, 8)}`);
  for (const tx of group.transactions) {
    nTransactions++;
    const st = `ST ${v(tx.header, 2)}`;
    if (v(tx.header, 1) !== '835') problem(`${st}: ST01 is ${v(tx.header, 1)}`);
    if (v(tx.header, 3) !== '005010X221A1') problem(`${st}: ST03 is ${v(tx.header, 3)}`);
    const segs = tx.segments;
    if (segs.length === 0 || segs[0].tag !== 'BPR') {
      problem(`${st}: the first segment is not BPR`);
      continue;
    }
    const bpr = cents(v(segs[0], 2), `${st} BPR02`);
    const payee = segs.find((s) => s.tag === 'N1' && v(s, 1) === 'PE');
    if (!payee || v(payee, 3) !== 'XX' || v(payee, 4) !== expected.npi)
      problem(`${st}: N1*PE does not name NPI ${expected.npi} with XX`);
    if (!segs.some((s) => s.tag === 'TRN' && v(s, 1) === '1' && v(s, 2) !== ''))
      problem(`${st}: no TRN*1 reassociation trace`);
    let sumClp04 = 0;
    let sumPlb = 0;
    let claim = null; /* the CLP loop being read */
    let line = null;  /* the SVC loop being read */
    const closeLine = () => {
      if (!line) return;
      const diff = line.charge - line.paid;
      if (diff !== line.cas) problem(`${line.where}: SVC02 − SVC03 = ${diff} cents, Σ CAS = ${line.cas}`);
      claim.lines.push(line);
      line = null;
    };
    const closeClaim = () => {
      closeLine();
      if (!claim) return;
      const diff = claim.charge - claim.paid;
      if (diff !== claim.cas) problem(`${claim.where}: CLP03 − CLP04 = ${diff} cents, Σ CAS = ${claim.cas}`);
      compareClaim(claim);
      claim = null;
    };
    for (const s of segs) {
      if (s.tag === 'CLP' || s.tag === 'PLB') closeClaim();
      if (s.tag === 'PLB') {
        for (let i = 3; i <= 13; i += 2)
          if (v(s, i) !== '') sumPlb += cents(v(s, i + 1), `${st} PLB`);
      } else if (s.tag === 'CLP') {
        nClaims++;
        const where = `${st} CLP ${v(s, 7)}`;
        claim = {
          where, id: v(s, 7), pcn: v(s, 1), status: v(s, 2),
          charge: cents(v(s, 3), `${where} CLP03`), paid: cents(v(s, 4), `${where} CLP04`),
          patient: cents(v(s, 5), `${where} CLP05`), cas: 0, claimCas: [], lines: [], moa: [],
        };
        sumClp04 += claim.paid;
      } else if (s.tag === 'SVC') {
        if (!claim) { problem(`${st}: SVC outside a claim`); continue; }
        closeLine();
        nLines++;
        const where = `${claim.where} SVC ${claim.lines.length + 1}`;
        line = {
          where, procedure: v(s, 1), charge: cents(v(s, 2), `${where} SVC02`),
          paid: cents(v(s, 3), `${where} SVC03`), units: v(s, 5), cas: 0, reasons: [],
          dates: [], allowed: null, remarks: [],
        };
      } else if (s.tag === 'CAS') {
        if (!claim) { problem(`${st}: CAS outside a claim`); continue; }
        const target = line || null;
        for (let i = 2; i <= 17; i += 3) {
          if (v(s, i) === '') continue;
          const amount = cents(v(s, i + 1), `${claim.where} CAS`);
          const reason = { group: v(s, 1), carc: v(s, i), amount };
          claim.cas += amount;
          if (target) { target.cas += amount; target.reasons.push(reason); }
          else claim.claimCas.push(reason);
        }
      } else if (s.tag === 'DTM' && line && v(s, 1) === '472') {
        line.dates.push(v(s, 2));
      } else if (s.tag === 'AMT' && line && v(s, 1) === 'B6') {
        line.allowed = cents(v(s, 2), `${line.where} AMT*B6`);
      } else if (s.tag === 'LQ' && line && v(s, 1) === 'HE') {
        line.remarks.push(v(s, 2));
      } else if (s.tag === 'MOA' && claim) {
        for (let i = 3; i <= 7; i++) if (v(s, i) !== '') claim.moa.push(v(s, i));
      } else if (s.tag === 'NM1' && claim && v(s, 1) === 'QC') {
        claim.patientName = [v(s, 3), v(s, 4)];
        claim.memberId = v(s, 9);
      }
    }
    closeClaim();
    if (bpr !== sumClp04 - sumPlb)
      problem(`${st}: BPR02 = ${bpr} cents, Σ CLP04 − Σ PLB = ${sumClp04 - sumPlb}`);
    if ((bpr > 0 ? 'I' : 'H') !== v(segs[0], 1)) problem(`${st}: BPR01 is ${v(segs[0], 1)} for ${bpr} cents`);
    grandTotal += bpr;
  }
}

function sameReasons(got, want, where) {
  const key = (r) => `${r.group}-${r.carc}:${r.amount}`;
  const a = got.map(key).sort();
  const b = want.map(key).sort();
  if (a.join(' ') !== b.join(' ')) problem(`${where}: CAS ${a.join(' ') || '(none)'} ≠ decision ${b.join(' ') || '(none)'}`);
}

function compareClaim(c) {
  const exp = byId.get(c.id);
  if (!exp) { problem(`${c.where}: not an expected claim`); return; }
  seen.set(c.id, (seen.get(c.id) || 0) + 1);
  const d = exp.decision;
  const sub = exp.submitted;
  const pcn = sub.patient_control_number || exp.claim_id;
  if (c.pcn !== pcn) problem(`${c.where}: CLP01 ${c.pcn} ≠ ${pcn}`);
  const status = d.outcome === 'denied' ? '4' : d.cob_position === 'secondary' ? '2' : '1';
  if (c.status !== status) problem(`${c.where}: CLP02 ${c.status} ≠ ${status} (${d.outcome}, ${d.cob_position})`);
  if (c.charge !== jsonCents(d.total_charge, c.where)) problem(`${c.where}: CLP03 ≠ total_charge`);
  if (c.paid !== jsonCents(d.plan_paid, c.where)) problem(`${c.where}: CLP04 ≠ plan_paid`);
  if (c.patient !== jsonCents(d.patient_responsibility, c.where)) problem(`${c.where}: CLP05 ≠ patient_responsibility`);
  if (!c.patientName || c.patientName[0] !== sub.patient.last_name || c.patientName[1] !== sub.patient.first_name
      || c.memberId !== sub.member_id)
    problem(`${c.where}: NM1*QC does not name the patient`);
  if (c.lines.length !== d.lines.length) {
    problem(`${c.where}: ${c.lines.length} SVC for ${d.lines.length} decided lines`);
    return;
  }
  /* Claim-level CAS: the decision's codes less the lines' must be nothing. */
  const lineTotals = new Map();
  for (const dl of d.lines)
    for (const r of dl.codes) {
      const k = `${r.group}-${r.carc}`;
      lineTotals.set(k, (lineTotals.get(k) || 0) + jsonCents(r.amount, c.where));
    }
  const claimLevel = [];
  for (const r of d.codes) {
    const k = `${r.group}-${r.carc}`;
    const rest = jsonCents(r.amount, c.where) - (lineTotals.get(k) || 0);
    if (rest !== 0) claimLevel.push({ group: r.group, carc: r.carc, amount: rest });
  }
  sameReasons(c.claimCas, claimLevel, `${c.where} claim level`);
  const lineRemarks = new Set(d.lines.flatMap((dl) => dl.remarks));
  const claimRemarks = d.remarks.filter((r) => !lineRemarks.has(r)).slice(0, 5);
  if (c.moa.join(' ') !== claimRemarks.join(' ')) problem(`${c.where}: MOA ${c.moa.join(' ')} ≠ ${claimRemarks.join(' ')}`);
  c.lines.forEach((l, i) => {
    const dl = d.lines[i];
    const sl = sub.lines[i];
    const code = ['HC', sl.procedure_code, ...(sl.modifiers || [])].join(':');
    if (l.procedure !== code) problem(`${l.where}: SVC01 ${l.procedure} ≠ ${code}`);
    if (l.charge !== jsonCents(dl.charge, l.where)) problem(`${l.where}: SVC02 ≠ charge`);
    if (l.paid !== jsonCents(dl.plan_paid, l.where)) problem(`${l.where}: SVC03 ≠ plan_paid`);
    if (l.units !== String(sl.units)) problem(`${l.where}: SVC05 ${l.units} ≠ units ${sl.units}`);
    if (l.dates.join() !== dl.service_date.replaceAll('-', '')) problem(`${l.where}: DTM*472 ${l.dates.join()} ≠ ${dl.service_date}`);
    if (l.allowed !== jsonCents(dl.allowed, l.where)) problem(`${l.where}: AMT*B6 ≠ allowed`);
    sameReasons(l.reasons, dl.codes.map((r) => ({ group: r.group, carc: r.carc, amount: jsonCents(r.amount, l.where) }))
      .filter((r) => r.amount !== 0), l.where);
    if (l.remarks.join(' ') !== dl.remarks.join(' ')) problem(`${l.where}: LQ*HE ${l.remarks.join(' ')} ≠ ${dl.remarks.join(' ')}`);
  });
}

for (const c of expected.claims) {
  const n = seen.get(c.claim_id) || 0;
  if (n !== 1) problem(`claim ${c.claim_id} appears ${n} times`);
}

if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
const total = `${Math.floor(grandTotal / 100)}.${String(grandTotal % 100).padStart(2, '0')}`;
console.log(`835 ok: ${nTransactions} transactions, ${nClaims} claims, ${nLines} lines, paid ${total}`);
