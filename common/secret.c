#include "secret.h"

#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

int secret_random_bytes(unsigned char *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r < 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

int secret_invitation_code_new(char out[SECRET_INVITATION_CODE_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char b[32];
    if (secret_random_bytes(b, sizeof b) != 0)
        return -1;
    memcpy(out, SECRET_INVITATION_PREFIX, 4);
    for (size_t i = 0; i < sizeof b; i++) {
        out[4 + 2 * i] = digits[b[i] >> 4];
        out[5 + 2 * i] = digits[b[i] & 15];
    }
    out[SECRET_INVITATION_CODE_LEN] = '\0';
    explicit_bzero(b, sizeof b);
    return 0;
}
