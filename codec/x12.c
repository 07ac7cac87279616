#include "codec/x12.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

const char *codec_x12_status_text(enum codec_x12_status st)
{
    switch (st) {
    case CODEC_X12_OK: return "ok";
    case CODEC_X12_NOT_ISA: return "the body is not an X12 interchange: it does not start with ISA";
    case CODEC_X12_BAD_ISA: return "the ISA segment is not 106 bytes with usable delimiters";
    case CODEC_X12_TOO_LARGE: return "the interchange is over 5 MiB";
    case CODEC_X12_TOO_MANY_SEGMENTS: return "the interchange has more than 10000 segments";
    case CODEC_X12_SEGMENT_TOO_LONG: return "a segment is longer than 4096 bytes";
    case CODEC_X12_TOO_MANY_ELEMENTS: return "a segment has more than 64 elements";
    case CODEC_X12_BAD_SEGMENT_ID: return "a segment id is not 2 or 3 upper-case letters or digits";
    case CODEC_X12_BAD_CHARACTER: return "the interchange contains a NUL byte";
    case CODEC_X12_NO_MEMORY: return "out of memory";
    }
    return "unknown";
}

/* The 16 element separators of the fixed-length ISA sit at these offsets. */
static const int isa_separators[16] = {3,  6,  17, 20, 31, 34, 50,  53,
                                       69, 76, 81, 83, 89, 99, 101, 103};

static bool usable_delimiter(char c)
{
    unsigned char u = (unsigned char)c;
    /* '-' and '.' are refused too: the answers write them in claim ids,
     * date ranges and amounts (docs/x12.md "What is accepted"). */
    if (u == 0 || u == ' ' || u >= 0x7f || u == '-' || u == '.')
        return false;
    if ((u >= '0' && u <= '9') || (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z'))
        return false;
    return true;
}

static bool valid_segment_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 3)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

void codec_x12_doc_free(struct codec_x12_doc *doc)
{
    free(doc->buf);
    free(doc->segs);
    free(doc->pool);
    memset(doc, 0, sizeof *doc);
}

static bool is_eol(char c)
{
    return c == '\r' || c == '\n';
}

/* The ISA's four delimiters into *d; CODEC_X12_BAD_ISA when unusable, alike, or misplaced. */
static enum codec_x12_status read_isa_delimiters(const char *bytes, struct codec_x12_delims *d)
{
    *d = (struct codec_x12_delims){bytes[3], bytes[82], bytes[104], bytes[105]};
    /* ISA11 is the repetition separator in 5010; all four must differ. */
    if (!usable_delimiter(d->element) || !usable_delimiter(d->component) ||
        !usable_delimiter(d->repetition) ||
        !(usable_delimiter(d->segment) || is_eol(d->segment) || d->segment == '\x1c') ||
        d->element == d->component || d->element == d->repetition || d->element == d->segment ||
        d->component == d->repetition || d->component == d->segment || d->repetition == d->segment)
        return CODEC_X12_BAD_ISA;
    for (int i = 0; i < 16; i++)
        if (bytes[isa_separators[i]] != d->element)
            return CODEC_X12_BAD_ISA;
    /* No other element separator inside the ISA. */
    for (int i = 0, k = 0; i < 105; i++) {
        if (bytes[i] != d->element)
            continue;
        if (k >= 16 || i != isa_separators[k])
            return CODEC_X12_BAD_ISA;
        k++;
    }
    return CODEC_X12_OK;
}

/* First pass: counts segments and element separators, checking the segment limits. */
static enum codec_x12_status count_segments(const char *bytes, size_t len,
                                            const struct codec_x12_delims *d, size_t *n_segs_out,
                                            size_t *n_elems_out, int *err_segment)
{
    size_t n_segs = 0, n_elems = 0, seg_len = 0;
    bool in_seg = false;
    for (size_t i = 0; i < len; i++) {
        char c = bytes[i];
        if (!in_seg) {
            if (is_eol(c))
                continue; /* CR/LF between segments */
            in_seg = true;
            seg_len = 0;
            if (n_segs >= CODEC_X12_MAX_SEGMENTS) {
                *err_segment = CODEC_X12_MAX_SEGMENTS;
                return CODEC_X12_TOO_MANY_SEGMENTS;
            }
            n_segs++;
        }
        if (c == d->segment) {
            in_seg = false;
            continue;
        }
        if (++seg_len > CODEC_X12_MAX_SEGMENT_BYTES) {
            *err_segment = (int)n_segs - 1;
            return CODEC_X12_SEGMENT_TOO_LONG;
        }
        if (c == d->element)
            n_elems++;
    }
    *n_segs_out = n_segs;
    *n_elems_out = n_elems;
    return CODEC_X12_OK;
}

/* Second pass: cuts doc->buf into segments and elements in place (doc freed on an error). */
static enum codec_x12_status cut_segments(struct codec_x12_doc *doc, size_t len, int *err_segment)
{
    const struct codec_x12_delims d = doc->d;
    size_t pool_at = 0;
    char *p = doc->buf, *end = doc->buf + len;
    int s = 0;
    while (p < end) {
        if (is_eol(*p)) { /* CR/LF between segments, as the first pass skipped them */
            p++;
            continue;
        }
        char *seg_end = memchr(p, d.segment, (size_t)(end - p));
        if (!seg_end)
            seg_end = end; /* the last segment lacks its terminator: kept, judged later */
        *seg_end = '\0';
        struct codec_x12_seg *seg = &doc->segs[s];
        seg->el = &doc->pool[pool_at];
        seg->el[0] = p;
        int n = 0;
        for (char *q = p; q < seg_end; q++) {
            if (*q != d.element)
                continue;
            *q = '\0';
            if (n >= CODEC_X12_MAX_ELEMENTS) {
                *err_segment = s;
                codec_x12_doc_free(doc);
                return CODEC_X12_TOO_MANY_ELEMENTS;
            }
            seg->el[++n] = q + 1;
        }
        seg->n = n;
        pool_at += (size_t)n + 1;
        if (!valid_segment_id(seg->el[0])) {
            *err_segment = s;
            codec_x12_doc_free(doc);
            return CODEC_X12_BAD_SEGMENT_ID;
        }
        s++;
        p = seg_end + 1;
    }
    doc->n_segs = s;
    return CODEC_X12_OK;
}

enum codec_x12_status codec_x12_tokenize(const char *bytes, size_t len, struct codec_x12_doc *doc,
                                         int *err_segment)
{
    memset(doc, 0, sizeof *doc);
    int dummy;
    if (!err_segment)
        err_segment = &dummy;
    *err_segment = 0;
    if (len < 3 || memcmp(bytes, "ISA", 3) != 0)
        return CODEC_X12_NOT_ISA;
    if (len > CODEC_X12_MAX_BYTES)
        return CODEC_X12_TOO_LARGE;
    if (len < CODEC_X12_ISA_LEN)
        return CODEC_X12_BAD_ISA;
    if (memchr(bytes, '\0', len))
        return CODEC_X12_BAD_CHARACTER;
    struct codec_x12_delims d;
    enum codec_x12_status st = read_isa_delimiters(bytes, &d);
    if (st != CODEC_X12_OK)
        return st;
    size_t n_segs, n_elems;
    st = count_segments(bytes, len, &d, &n_segs, &n_elems, err_segment);
    if (st != CODEC_X12_OK)
        return st;
    doc->buf = malloc(len + 1);
    doc->segs = calloc(n_segs ? n_segs : 1, sizeof *doc->segs);
    doc->pool = calloc(n_elems + n_segs + 1, sizeof *doc->pool);
    if (!doc->buf || !doc->segs || !doc->pool) {
        codec_x12_doc_free(doc);
        return CODEC_X12_NO_MEMORY;
    }
    memcpy(doc->buf, bytes, len);
    doc->buf[len] = '\0';
    doc->d = d;
    return cut_segments(doc, len, err_segment);
}

bool codec_x12_is(const struct codec_x12_seg *seg, const char *id)
{
    return strcmp(seg->el[0], id) == 0;
}

int codec_x12_component(const char *el, char sep, int k, char *out, size_t size)
{
    const char *p = el;
    for (int i = 1; i < k; i++) {
        p = strchr(p, sep);
        if (!p) {
            out[0] = '\0';
            return 0;
        }
        p++;
    }
    const char *e = strchr(p, sep);
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n + 1 > size) {
        out[0] = '\0';
        return -1;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return (int)n;
}

int codec_x12_component_count(const char *el, char sep)
{
    if (!el[0])
        return 0;
    int n = 1;
    for (; *el; el++)
        if (*el == sep)
            n++;
    return n;
}

static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

bool codec_x12_is_an(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max || !printable(s, n))
        return false;
    /* At least one non-space character (X12.6: a string is not all spaces). */
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ')
            return true;
    return n == 0;
}

bool codec_x12_is_id(const char *s, size_t min, size_t max)
{
    return codec_x12_is_an(s, min, max) && s[0] != ' ';
}

bool codec_x12_is_n0(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool codec_x12_is_r_cents(const char *s, size_t max_digits, long long *out_cents)
{
    const char *p = s;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    long long whole = 0, frac = 0;
    size_t digits = 0, decimals = 0;
    bool point = false;
    for (; *p; p++) {
        if (*p == '.') {
            if (point)
                return false;
            point = true;
            continue;
        }
        if (*p < '0' || *p > '9')
            return false;
        if (++digits > max_digits || digits > 15)
            return false;
        if (point) {
            if (++decimals > 2)
                return false;
            frac = frac * 10 + (*p - '0');
        } else {
            whole = whole * 10 + (*p - '0');
        }
    }
    if (digits == 0)
        return false;
    if (out_cents) {
        if (decimals == 1)
            frac *= 10;
        long long cents = whole * 100 + frac;
        *out_cents = neg ? -cents : cents;
    }
    return true;
}

bool codec_x12_is_date8(const char *s, int *y, int *m, int *d)
{
    if (!codec_x12_is_n0(s, 8, 8))
        return false;
    int yy = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int mm = (s[4] - '0') * 10 + (s[5] - '0');
    int dd = (s[6] - '0') * 10 + (s[7] - '0');
    if (yy < 1900 || !date_valid_ymd(yy, mm, dd))
        return false;
    if (y)
        *y = yy;
    if (m)
        *m = mm;
    if (d)
        *d = dd;
    return true;
}

bool codec_x12_is_time(const char *s)
{
    size_t n = strlen(s);
    if (n < 4 || n > 8 || !codec_x12_is_n0(s, n, n))
        return false;
    int hh = (s[0] - '0') * 10 + (s[1] - '0'), mi = (s[2] - '0') * 10 + (s[3] - '0');
    if (hh > 23 || mi > 59)
        return false;
    if (n >= 6 && (s[4] - '0') * 10 + (s[5] - '0') > 59)
        return false;
    return true;
}

/* ---- envelope ---- */

static void copy_trimmed(char *out, size_t size, const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

static bool one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static bool yymmdd(const char *s)
{
    if (!codec_x12_is_n0(s, 6, 6))
        return false;
    int y = 2000 + (s[0] - '0') * 10 + (s[1] - '0');
    return date_valid_ymd(y, (s[2] - '0') * 10 + (s[3] - '0'), (s[4] - '0') * 10 + (s[5] - '0'));
}

/* ISA elements: the TA105 code of the first wrong one, or NULL. */
static const char *check_isa(const struct codec_x12_seg *isa)
{
    static const char *const auth_quals[] = {"00", "03", NULL};
    static const char *const sec_quals[] = {"00", "01", NULL};
    static const char *const id_quals[] = {"01", "14", "20", "27", "28",
                                           "29", "30", "33", "ZZ", NULL};
    if (isa->n != 16)
        return "022";
    if (!one_of(codec_x12_el(isa, 1), auth_quals))
        return "010";
    /* ISA02 and ISA04 are all spaces when their qualifier is 00. */
    if (strlen(codec_x12_el(isa, 2)) != 10 || !printable(codec_x12_el(isa, 2), 10))
        return "011";
    if (!one_of(codec_x12_el(isa, 3), sec_quals))
        return "012";
    if (strlen(codec_x12_el(isa, 4)) != 10 || !printable(codec_x12_el(isa, 4), 10))
        return "013";
    if (!one_of(codec_x12_el(isa, 5), id_quals))
        return "005";
    if (!codec_x12_is_id(codec_x12_el(isa, 6), 15, 15))
        return "006";
    if (!one_of(codec_x12_el(isa, 7), id_quals))
        return "007";
    if (!codec_x12_is_id(codec_x12_el(isa, 8), 15, 15))
        return "008";
    if (!yymmdd(codec_x12_el(isa, 9)))
        return "014";
    if (!codec_x12_is_n0(codec_x12_el(isa, 10), 4, 4) || !codec_x12_is_time(codec_x12_el(isa, 10)))
        return "015";
    if (strcmp(codec_x12_el(isa, 12), "00501") != 0)
        return "017";
    if (!codec_x12_is_n0(codec_x12_el(isa, 13), 9, 9))
        return "018";
    if (strcmp(codec_x12_el(isa, 14), "0") != 0 && strcmp(codec_x12_el(isa, 14), "1") != 0)
        return "019";
    if (strcmp(codec_x12_el(isa, 15), "P") != 0 && strcmp(codec_x12_el(isa, 15), "T") != 0)
        return "020";
    return NULL;
}

static bool check_gs(const struct codec_x12_seg *gs)
{
    return gs->n == 8 && codec_x12_is_id(codec_x12_el(gs, 1), 2, 2) &&
           codec_x12_is_an(codec_x12_el(gs, 2), 2, 15) &&
           codec_x12_is_an(codec_x12_el(gs, 3), 2, 15) &&
           codec_x12_is_date8(codec_x12_el(gs, 4), NULL, NULL, NULL) &&
           codec_x12_is_time(codec_x12_el(gs, 5)) && codec_x12_is_n0(codec_x12_el(gs, 6), 1, 9) &&
           strcmp(codec_x12_el(gs, 7), "X") == 0 && codec_x12_is_an(codec_x12_el(gs, 8), 1, 12);
}

static bool supported_version(const char *v)
{
    return strcmp(v, "005010X222A1") == 0 || strcmp(v, "005010X223A2") == 0;
}

/* Number equality of two N0 texts ("007" == "7"); false when either is not N0. */
static bool same_number(const char *a, const char *b)
{
    if (!codec_x12_is_n0(a, 1, 18) || !codec_x12_is_n0(b, 1, 18))
        return false;
    return strtoull(a, NULL, 10) == strtoull(b, NULL, 10);
}

/* Copies the ISA's sender, receiver, date, time, control number and usage into ix. */
static void copy_isa(struct codec_x12_interchange *ix, const struct codec_x12_seg *isa)
{
    copy_trimmed(ix->sender_qual, sizeof ix->sender_qual, codec_x12_el(isa, 5));
    copy_trimmed(ix->sender, sizeof ix->sender, codec_x12_el(isa, 6));
    copy_trimmed(ix->receiver_qual, sizeof ix->receiver_qual, codec_x12_el(isa, 7));
    copy_trimmed(ix->receiver, sizeof ix->receiver, codec_x12_el(isa, 8));
    copy_trimmed(ix->date, sizeof ix->date, codec_x12_el(isa, 9));
    copy_trimmed(ix->time, sizeof ix->time, codec_x12_el(isa, 10));
    copy_trimmed(ix->control, sizeof ix->control, codec_x12_el(isa, 13));
    ix->usage = codec_x12_el(isa, 15)[0];
}

/* True when seg opens or closes a set, a group or the interchange. */
static bool is_envelope_segment(const struct codec_x12_seg *seg)
{
    return codec_x12_is(seg, "SE") || codec_x12_is(seg, "ST") || codec_x12_is(seg, "GE") ||
           codec_x12_is(seg, "GS") || codec_x12_is(seg, "IEA") || codec_x12_is(seg, "ISA");
}

/* Reads the transaction set whose ST is at *i into t with its IK5 code; moves *i past it. */
static void read_set(const struct codec_x12_doc *doc, int *i, const struct codec_x12_group *g,
                     struct codec_x12_set *t)
{
    int n = doc->n_segs;
    const struct codec_x12_seg *st = &doc->segs[*i];
    t->st = *i;
    t->se = -1;
    copy_trimmed(t->code, sizeof t->code, codec_x12_el(st, 1));
    copy_trimmed(t->control, sizeof t->control, codec_x12_el(st, 2));
    copy_trimmed(t->version, sizeof t->version, st->n >= 3 ? codec_x12_el(st, 3) : g->version);
    if (strcmp(codec_x12_el(st, 1), "837") != 0)
        t->ik5_code = 1; /* transaction set not supported */
    else if (!codec_x12_is_an(codec_x12_el(st, 2), 4, 9))
        t->ik5_code = 7; /* missing or invalid control number */
    else if (!supported_version(t->version) || st->n > 3)
        t->ik5_code = 1;
    (*i)++;
    while (*i < n && !is_envelope_segment(&doc->segs[*i]))
        (*i)++;
    if (*i < n && codec_x12_is(&doc->segs[*i], "SE")) {
        const struct codec_x12_seg *se = &doc->segs[*i];
        t->se = *i;
        char count[16];
        snprintf(count, sizeof count, "%d", t->se - t->st + 1);
        if (!t->ik5_code && (se->n != 2 || strcmp(codec_x12_el(se, 2), t->control) != 0))
            t->ik5_code = 3; /* control numbers do not match */
        else if (!t->ik5_code && !same_number(codec_x12_el(se, 1), count))
            t->ik5_code = 4; /* segment count does not match */
        (*i)++;
    } else if (!t->ik5_code) {
        t->ik5_code = 2; /* trailer missing */
    }
}

/* Opens group g from the GS at index gs_index: its identifiers and whether it is supported. */
static void open_group(struct codec_x12_interchange *ix, struct codec_x12_group *g,
                       const struct codec_x12_seg *gs, int gs_index)
{
    g->gs = gs_index;
    g->ge = -1;
    copy_trimmed(g->functional_id, sizeof g->functional_id, codec_x12_el(gs, 1));
    copy_trimmed(g->sender, sizeof g->sender, codec_x12_el(gs, 2));
    copy_trimmed(g->receiver, sizeof g->receiver, codec_x12_el(gs, 3));
    copy_trimmed(g->control, sizeof g->control, codec_x12_el(gs, 6));
    copy_trimmed(g->version, sizeof g->version, codec_x12_el(gs, 8));
    g->first_set = ix->n_sets;
    if (strcmp(g->functional_id, "HC") != 0)
        g->ak9_code = 1; /* functional group not supported */
    else if (!supported_version(g->version))
        g->ak9_code = 2; /* version not supported */
}

/* Reads the group whose GS is at *i, its sets and GE; false (ix->ta1_code) to stop there. */
static bool read_group(const struct codec_x12_doc *doc, int *i, struct codec_x12_interchange *ix)
{
    int n = doc->n_segs;
    if (ix->n_groups >= CODEC_X12_MAX_GROUPS) {
        ix->ta1_code = "022";
        return false;
    }
    const struct codec_x12_seg *gs = &doc->segs[*i];
    if (!check_gs(gs)) {
        ix->ta1_code = "024";
        return false;
    }
    struct codec_x12_group *g = &ix->groups[ix->n_groups++];
    open_group(ix, g, gs, *i);
    (*i)++;
    while (*i < n && codec_x12_is(&doc->segs[*i], "ST")) {
        if (ix->n_sets >= CODEC_X12_MAX_SETS) {
            ix->ta1_code = "022";
            return false;
        }
        struct codec_x12_set *t = &ix->sets[ix->n_sets++];
        g->n_sets++;
        read_set(doc, i, g, t);
    }
    if (*i < n && codec_x12_is(&doc->segs[*i], "GE")) {
        const struct codec_x12_seg *ge = &doc->segs[*i];
        g->ge = *i;
        char count[16];
        snprintf(count, sizeof count, "%d", g->n_sets);
        if (!g->ak9_code && (ge->n != 2 || !same_number(codec_x12_el(ge, 2), g->control)))
            g->ak9_code = 4;
        else if (!g->ak9_code && !same_number(codec_x12_el(ge, 1), count))
            g->ak9_code = 5;
        (*i)++;
        return true;
    }
    if (!g->ak9_code)
        g->ak9_code = 3; /* GE missing */
    if (*i < n && !codec_x12_is(&doc->segs[*i], "GS") && !codec_x12_is(&doc->segs[*i], "IEA")) {
        ix->ta1_code = "022";
        return false;
    }
    return true;
}

/* Checks that segment i is the last, an IEA that matches; false with ix->ta1_code when not. */
static bool check_iea(const struct codec_x12_doc *doc, int i, struct codec_x12_interchange *ix)
{
    int n = doc->n_segs;
    if (i >= n || !codec_x12_is(&doc->segs[i], "IEA")) {
        ix->ta1_code = i >= n ? "023" : "022";
        return false;
    }
    const struct codec_x12_seg *iea = &doc->segs[i];
    char groups[16];
    snprintf(groups, sizeof groups, "%d", ix->n_groups);
    if (iea->n != 2 || strcmp(codec_x12_el(iea, 2), codec_x12_el(&doc->segs[0], 13)) != 0) {
        ix->ta1_code = "001";
        return false;
    }
    if (!same_number(codec_x12_el(iea, 1), groups)) {
        ix->ta1_code = "021";
        return false;
    }
    if (i + 1 != n || ix->n_groups == 0) {
        ix->ta1_code = "022";
        return false;
    }
    return true;
}

bool codec_x12_envelope(const struct codec_x12_doc *doc, struct codec_x12_interchange *ix)
{
    memset(ix, 0, sizeof *ix);
    const struct codec_x12_seg *isa = &doc->segs[0];
    copy_isa(ix, isa);
    if ((ix->ta1_code = check_isa(isa)))
        return false;
    int i = 1, n = doc->n_segs;
    while (i < n && codec_x12_is(&doc->segs[i], "GS"))
        if (!read_group(doc, &i, ix))
            return false;
    return check_iea(doc, i, ix);
}
