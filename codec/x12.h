/*
 * X12 interchanges (docs/x12.md "What is accepted"): a pure tokenizer and the
 * envelope checks, no I/O. The input is hostile: every length is bounded
 * before it is used and every failure is a value, never a crash.
 *
 * Limits (documented in docs/x12.md):
 *   CODEC_X12_MAX_BYTES          an interchange of at most 5 MiB
 *   CODEC_X12_MAX_SEGMENTS       at most 10,000 segments
 *   CODEC_X12_MAX_SEGMENT_BYTES  at most 4,096 bytes a segment (without its terminator)
 *   CODEC_X12_MAX_ELEMENTS       at most 64 elements a segment
 */
#ifndef CLAIMS_CODEC_X12_H
#define CLAIMS_CODEC_X12_H

#include <stdbool.h>
#include <stddef.h>

#define CODEC_X12_MAX_BYTES (5u * 1024u * 1024u)
#define CODEC_X12_MAX_SEGMENTS 10000
#define CODEC_X12_MAX_SEGMENT_BYTES 4096
#define CODEC_X12_MAX_ELEMENTS 64
#define CODEC_X12_ISA_LEN 106

struct codec_x12_delims {
    char element, repetition, component, segment;
};

/* One segment: el[0] is its id, el[1..n] its elements (NUL-terminated,
 * inside the document's own copy of the bytes). */
struct codec_x12_seg {
    const char **el; /* n + 1 entries, in the document's pool */
    int n;
};

struct codec_x12_doc {
    struct codec_x12_delims d;
    char *buf;                  /* the copy, separators replaced by NULs */
    struct codec_x12_seg *segs; /* n_segs of them, ISA first */
    int n_segs;
    const char **pool; /* the element pointers of every segment */
};

enum codec_x12_status {
    CODEC_X12_OK,
    CODEC_X12_NOT_ISA,   /* the bytes do not start with "ISA" */
    CODEC_X12_BAD_ISA,   /* shorter than 106 bytes, or its delimiters are unusable */
    CODEC_X12_TOO_LARGE, /* over CODEC_X12_MAX_BYTES */
    CODEC_X12_TOO_MANY_SEGMENTS,
    CODEC_X12_SEGMENT_TOO_LONG,
    CODEC_X12_TOO_MANY_ELEMENTS,
    CODEC_X12_BAD_SEGMENT_ID, /* a segment id that is not 2-3 upper-case letters/digits */
    CODEC_X12_BAD_CHARACTER,  /* a NUL byte */
    CODEC_X12_NO_MEMORY,
};

/* A fixed phrase for a status (for error messages; no input echoed). */
const char *codec_x12_status_text(enum codec_x12_status st);

/* Reads the ISA's delimiters (bytes 3, 82, 104, 105) and splits bytes into
 * segments and elements. Optional CR/LF after each terminator are skipped.
 * On CODEC_X12_OK *doc owns memory (codec_x12_doc_free); otherwise *doc is empty and
 * *err_segment (may be NULL) is the 0-based index of the offending segment. */
enum codec_x12_status codec_x12_tokenize(const char *bytes, size_t len, struct codec_x12_doc *doc,
                                         int *err_segment);
/* Frees what codec_x12_tokenize kept in *doc and empties it (an empty doc is fine). */
void codec_x12_doc_free(struct codec_x12_doc *doc);

/* Element i of seg ("" when the segment has fewer). */
static inline const char *codec_x12_el(const struct codec_x12_seg *seg, int i)
{
    return i >= 0 && i <= seg->n ? seg->el[i] : "";
}
/* Whether seg's id is id ("CLM"). */
bool codec_x12_is(const struct codec_x12_seg *seg, const char *id);

/* Component k (1-based) of an element into out (size bytes with its NUL);
 * "" when absent. Returns its length, or -1 when it does not fit. */
int codec_x12_component(const char *el, char sep, int k, char *out, size_t size);
/* Number of components of an element (1 for a plain one, 0 for ""). */
int codec_x12_component_count(const char *el, char sep);

/* Data element types of the X12 dictionary, each true when s is one of min..max characters. */

/* X12 string (AN): basic or extended characters. */
bool codec_x12_is_an(const char *s, size_t min, size_t max);
/* X12 identifier (ID): like AN, without a leading space. */
bool codec_x12_is_id(const char *s, size_t min, size_t max);
/* X12 unsigned integer (N0): digits only. */
bool codec_x12_is_n0(const char *s, size_t min, size_t max);
/* R: decimal with optional sign and point, at most max digits; into cents
 * when out_cents is not NULL (more than 2 decimals: false). */
bool codec_x12_is_r_cents(const char *s, size_t max_digits, long long *out_cents);
/* DT: CCYYMMDD, a real calendar date; into year/month/day when not NULL. */
bool codec_x12_is_date8(const char *s, int *y, int *m, int *d);
/* X12 time (TM): HHMM, HHMMSS or HHMMSSD.. (4 to 8 digits), a real time of day. */
bool codec_x12_is_time(const char *s);

/* ---- envelope (ISA/IEA, GS/GE, ST/SE) ---- */

#define CODEC_X12_MAX_GROUPS 100
#define CODEC_X12_MAX_SETS 1000 /* per interchange */

/* ta1_code is a TA105 interchange note code (docs/x12.md "999 and 277CA"):
 * 001 IEA02 differs from ISA13, 005..020 an ISA element of the wrong value
 * (the code of that element), 021 IEA01 differs from the number of groups,
 * 022 the control structure (GS/GE, ST/SE out of place, limits), 023 no IEA,
 * 024 a GS with a bad element. */

struct codec_x12_set {
    int st, se;       /* segment indexes; se == -1 when missing */
    char code[4];     /* ST01 */
    char control[10]; /* ST02 */
    char version[36]; /* ST03 */
    int ik5_code;     /* 0 or an IK5 syntax error code: 1,2,3,4 */
};

struct codec_x12_group {
    int gs, ge;                    /* ge == -1 when missing */
    char functional_id[3];         /* GS01 */
    char sender[16], receiver[16]; /* GS02, GS03 */
    char control[10];              /* GS06 */
    char version[13];              /* GS08 */
    int first_set, n_sets;         /* into codec_x12_interchange.sets */
    int ak9_code;                  /* 0 or an AK905 code: 2 (version), 3 (GE missing), 4, 5 */
};

struct codec_x12_interchange {
    char sender_qual[3], sender[16];     /* ISA05, ISA06 (trimmed) */
    char receiver_qual[3], receiver[16]; /* ISA07, ISA08 (trimmed) */
    char date[7], time[5];               /* ISA09, ISA10 */
    char control[10];                    /* ISA13 */
    char usage;                          /* ISA15: P or T */
    const char *ta1_code;                /* NULL, or why the interchange is rejected */
    struct codec_x12_group groups[CODEC_X12_MAX_GROUPS];
    int n_groups;
    struct codec_x12_set sets[CODEC_X12_MAX_SETS];
    int n_sets;
};

/* Checks the ISA's elements, the ISA/IEA, GS/GE and ST/SE structure, their
 * counts and control numbers. Fills *ix. Returns false when the interchange
 * as a whole is rejected (ix->ta1_code says why; the ISA fields are filled
 * when the ISA was readable). Group- and set-level problems do not reject
 * the interchange: they are in ak9_code and ik5_code for the 999. */
bool codec_x12_envelope(const struct codec_x12_doc *doc, struct codec_x12_interchange *ix);

#endif
