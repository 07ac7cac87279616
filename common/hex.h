/*
 * Hexadecimal digits, read one way everywhere (JSON "\u" escapes, URL
 * percent-escapes, token digests).
 */
#ifndef CLAIMS_HEX_H
#define CLAIMS_HEX_H

/* The value (0..15) of the hex digit c, either case; -1 when c is not one. */
static inline int hex_digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
