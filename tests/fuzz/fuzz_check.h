/*
 * What the fuzz targets share (docs/fuzzing.md). FUZZ_CHECK states a
 * property the code under test promises; when it fails the target aborts,
 * which libFuzzer reports as a crash and saves the input.
 */
#ifndef CLAIMS_FUZZ_CHECK_H
#define CLAIMS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
