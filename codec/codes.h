/*
 * Shapes and check digits of the codes a claim carries (API.md "Submitting a
 * claim"). Each function only reads its input and writes the normalised
 * form into a caller's buffer of the model.h size; none allocates.
 */
#ifndef CLAIMS_CODEC_CODES_H
#define CLAIMS_CODEC_CODES_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* NPI: exactly 10 ASCII digits whose last is the Luhn check digit computed
 * over "80840" followed by the first nine (CMS, "Requirements for
 * Construction of the NPI Check Digit"; ISO 7812 card issuer prefix 80840). */
bool codec_npi_valid(const char *s, size_t len);
/* The NPI check digit (0..9) of the first nine digits of s, as codec_npi_valid computes it. */
int codec_npi_check_digit(const char *s);

/* NDC in the FDA's 10-digit hyphenated forms 4-4-2, 5-3-2, 5-4-1, or the
 * 11-digit 5-4-2 form with or without hyphens. Writes the 11-digit HIPAA form
 * into out: the short segment gets a leading zero (4-4-2 -> 0LLLL-PPPP-KK,
 * 5-3-2 -> LLLLL-0PPP-KK, 5-4-1 -> LLLLL-PPPP-0K), no hyphens. A 10-digit
 * string without hyphens is refused: which segment to pad is unknowable. */
bool codec_ndc_normalize(const char *s, size_t len, char out[NDC_LEN]);

/* ICD-10-CM: a letter, a digit, a letter or digit, then optionally 1..4
 * letters or digits, with or without the dot after the third character.
 * Letters may be either case. Writes the upper-case form with the dot
 * ("e119" -> "E11.9", "E11" -> "E11"). A dot with nothing after it, or a dot
 * anywhere else, is refused. */
bool codec_icd10_normalize(const char *s, size_t len, char out[ICD_LEN]);

/* Procedure code, 5 characters: CPT Category I (5 digits), CPT Category II,
 * III or PLA (4 digits then F, T or U), or HCPCS Level II (a letter then 4
 * digits). Letters may be either case; out is upper case. */
bool codec_procedure_normalize(const char *s, size_t len, char out[PROC_LEN]);

/* A CPT/HCPCS modifier: 2 letters or digits; out is upper case. */
bool codec_modifier_normalize(const char *s, size_t len, char out[MODIFIER_LEN]);

/* A USPS code of a state, DC, or a territory (AS GU MP PR VI), upper case. */
bool codec_state_valid(const char *s, size_t len);

#endif
