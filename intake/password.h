/*
 * People's passwords (docs/api.md "Accounts and sessions"): the policy a new
 * password must meet, and Argon2id hashing and verification off the event
 * loop.
 *
 * Argon2id costs tens of milliseconds and 19 MiB by design, far too long for
 * the loop that serves every request, so each hash or verification runs on
 * a small pool of worker threads (PASSWORD_THREADS) and its callback runs
 * back on the event loop, woken through a pipe. The pool starts with the
 * first call and lives as long as the process.
 *
 * Parameters: Argon2id, t=2 passes, m=19 MiB (19456 KiB), p=1, 16-byte
 * random salt, 32-byte hash, stored in the PHC encoded form
 * ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"). This is OWASP's recommended
 * Argon2id setting; t=3, m=64 MiB took ~0.5 s per hash on the test machines,
 * which made sign-in slow and the tests slower. A stored hash carries its
 * own parameters, so raising them later keeps old hashes verifiable.
 */
#ifndef CLAIMS_INTAKE_PASSWORD_H
#define CLAIMS_INTAKE_PASSWORD_H

#include <stddef.h>

struct event_base;

#define PASSWORD_MIN_LEN 12
#define PASSWORD_MAX_LEN 1024
#define PASSWORD_ARGON2_T 2
#define PASSWORD_ARGON2_M_KIB 19456
#define PASSWORD_ARGON2_P 1
#define PASSWORD_THREADS 2
#define PASSWORD_ENCODED_LEN 160

/* NULL when password may be used, else the problem as a fixed phrase for
 * the field errors: too short (fewer than 12 characters, counted as UTF-8
 * code points), too long, or on the list of common passwords (compared
 * ignoring case, common/common_passwords.c). */
const char *intake_password_policy_problem(const char *password, size_t len);

/* Whether password (lower-cased) is on the common list. */
int intake_password_is_common(const char *password, size_t len);

/* Answer of intake_password_hash_async: ok 0 with encoded the PHC string (valid
 * during the call only), -1 when hashing failed (encoded NULL). */
typedef void (*password_hash_cb)(int ok, const char *encoded, void *arg);

/* Answer of intake_password_verify_async: 1 when the password matches, 0 when it
 * does not, -1 when the stored hash could not be used. */
typedef void (*password_verify_cb)(int match, void *arg);

/* Hashes password (copied, wiped after use) on the pool; cb runs on base's
 * loop. Returns 0 when queued (cb is called once), -1 when not (cb is not
 * called). */
int intake_password_hash_async(struct event_base *base, const char *password, size_t len,
                               password_hash_cb cb, void *arg);

/* Verifies password against encoded; encoded NULL verifies against a fixed
 * dummy hash with the same parameters, so that an unknown user costs as
 * long as a wrong password (the answer is then always 0). */
int intake_password_verify_async(struct event_base *base, const char *encoded, const char *password,
                                 size_t len, password_verify_cb cb, void *arg);

#endif
