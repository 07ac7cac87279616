/*
 * Logging: one line per event on stderr, with a UTC timestamp and a level.
 * Log lines carry claim ids and request ids, never PHI (names, birth dates,
 * member ids, diagnosis codes): DESIGN.md "Security".
 */
#ifndef CLAIMS_LOG_H
#define CLAIMS_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Messages below this level are dropped. Set once at start-up. */
void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 for anything else. */
int log_level_parse(const char *name);

/* Writes one log line on stderr at level (dropped below the set level); never give it PHI. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
