#include "codec/codes.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
static bool is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}
static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static bool all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

int codec_npi_check_digit(const char *s)
{
    /* Luhn over "80840" + nine digits: double every second digit from the
     * right of the 14-digit payload (the check digit's neighbour first). */
    char payload[15];
    memcpy(payload, "80840", 5);
    memcpy(payload + 5, s, 9);
    int sum = 0;
    for (int i = 13, dbl = 1; i >= 0; i--, dbl = !dbl) {
        int d = payload[i] - '0';
        if (dbl) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return (10 - sum % 10) % 10;
}

bool codec_npi_valid(const char *s, size_t len)
{
    if (len != 10 || !all_digits(s, len))
        return false;
    return codec_npi_check_digit(s) == s[9] - '0';
}

bool codec_ndc_normalize(const char *s, size_t len, char out[NDC_LEN])
{
    if (len == 11 && all_digits(s, 11)) {
        memcpy(out, s, 11);
        out[11] = '\0';
        return true;
    }
    /* Three hyphen-separated digit groups. */
    size_t seg[3];
    const char *start[3];
    size_t n = 0, i = 0;
    while (n < 3) {
        start[n] = s + i;
        size_t j = i;
        while (j < len && is_digit(s[j]))
            j++;
        seg[n] = j - i;
        if (seg[n] == 0)
            return false;
        n++;
        if (n < 3) {
            if (j >= len || s[j] != '-')
                return false;
            i = j + 1;
        } else if (j != len)
            return false;
    }
    /* Each segment's width in the 11-digit 5-4-2 form. */
    static const size_t width[3] = {5, 4, 2};
    if (!((seg[0] == 4 && seg[1] == 4 && seg[2] == 2) ||
          (seg[0] == 5 && seg[1] == 3 && seg[2] == 2) ||
          (seg[0] == 5 && seg[1] == 4 && seg[2] == 1) ||
          (seg[0] == 5 && seg[1] == 4 && seg[2] == 2)))
        return false;
    size_t k = 0;
    for (size_t g = 0; g < 3; g++) {
        for (size_t pad = seg[g]; pad < width[g]; pad++)
            out[k++] = '0';
        memcpy(out + k, start[g], seg[g]);
        k += seg[g];
    }
    out[k] = '\0';
    return true;
}

bool codec_icd10_normalize(const char *s, size_t len, char out[ICD_LEN])
{
    if (len < 3 || !is_alpha(s[0]) || !is_digit(s[1]) || !is_alnum(s[2]))
        return false;
    const char *rest = s + 3;
    size_t rest_len = len - 3;
    if (rest_len > 0 && rest[0] == '.') {
        rest++;
        rest_len--;
        if (rest_len == 0)
            return false;
    }
    if (rest_len > 4)
        return false;
    for (size_t i = 0; i < rest_len; i++)
        if (!is_alnum(rest[i]))
            return false;
    size_t k = 0;
    for (size_t i = 0; i < 3; i++)
        out[k++] = upper(s[i]);
    if (rest_len > 0) {
        out[k++] = '.';
        for (size_t i = 0; i < rest_len; i++)
            out[k++] = upper(rest[i]);
    }
    out[k] = '\0';
    return true;
}

bool codec_procedure_normalize(const char *s, size_t len, char out[PROC_LEN])
{
    if (len != 5)
        return false;
    char u[5];
    for (size_t i = 0; i < 5; i++)
        u[i] = upper(s[i]);
    bool cpt = all_digits(u, 5);
    bool cpt_other = all_digits(u, 4) && (u[4] == 'F' || u[4] == 'T' || u[4] == 'U');
    bool hcpcs = is_alpha(u[0]) && all_digits(u + 1, 4);
    if (!(cpt || cpt_other || hcpcs))
        return false;
    memcpy(out, u, 5);
    out[5] = '\0';
    return true;
}

bool codec_modifier_normalize(const char *s, size_t len, char out[MODIFIER_LEN])
{
    if (len != 2 || !is_alnum(s[0]) || !is_alnum(s[1]))
        return false;
    out[0] = upper(s[0]);
    out[1] = upper(s[1]);
    out[2] = '\0';
    return true;
}

bool codec_state_valid(const char *s, size_t len)
{
    static const char codes[] = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD "
                                "MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC "
                                "SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI";
    if (len != 2 || !(s[0] >= 'A' && s[0] <= 'Z') || !(s[1] >= 'A' && s[1] <= 'Z'))
        return false;
    for (size_t i = 0; i + 1 < sizeof codes; i += 3)
        if (codes[i] == s[0] && codes[i + 1] == s[1])
            return true;
    return false;
}
