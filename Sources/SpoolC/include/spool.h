/*
 * spool.h — Spool's C ABI: append analytics events to a Spool outbox from any language.
 *
 * Link with -lSpoolC (the dynamic library product SpoolC: `swift build -c release --product SpoolC` builds
 * .build/release/libSpoolC.so). Every function is safe to call from several threads at once, on one handle or on
 * several. A handle is a number, never reused: once closed, every call with it returns SPOOL_ERR_CLOSED, also a
 * call that raced with spool_close (an append that had already started either commits or fails with
 * SPOOL_ERR_CLOSED). No call ever crashes on a closed or unknown handle.
 *
 * Errors: every function returns SPOOL_OK or an error code below, and, when `error` is not NULL, fills it with the
 * same code and a sentence for people (UTF-8, NUL-terminated, truncated to fit). Messages never contain payload
 * values. Codes are stable: new ones may be added, existing ones keep their numbers.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum spool_code {
    SPOOL_OK = 0,
    /* Bad input: nothing was written. */
    SPOOL_ERR_INVALID_JSON = 1,         /* not valid JSON (or not UTF-8) */
    SPOOL_ERR_NOT_AN_OBJECT = 2,        /* valid JSON, but not an object */
    SPOOL_ERR_INVALID_TABLE_NAME = 3,   /* not a valid BigQuery table id */
    SPOOL_ERR_ROW_TOO_LARGE = 4,        /* over spool.maxRowBytes */
    SPOOL_ERR_INVALID_INSERT_ID = 5,
    SPOOL_ERR_SCHEMA_VIOLATION = 6,     /* strict mode: the row does not match its table's schema */
    SPOOL_ERR_UNKNOWN_TABLE = 7,        /* strict mode: no schema for this table */
    /* The spool cannot take the row now: nothing was written. */
    SPOOL_ERR_SPOOL_FULL = 8,           /* the backlog cap is reached (capPolicy reject) */
    SPOOL_ERR_DISK_FULL = 9,
    /* The file. */
    SPOOL_ERR_NOT_A_DATABASE = 10,
    SPOOL_ERR_CORRUPT = 11,
    SPOOL_ERR_NEWER_VERSION = 12,
    SPOOL_ERR_OLDER_VERSION = 13,
    SPOOL_ERR_CANNOT_OPEN = 14,
    SPOOL_ERR_READ_ONLY = 15,
    SPOOL_ERR_BUSY = 16,
    SPOOL_ERR_CLOSED = 17,              /* the handle was closed (or never existed) */
    SPOOL_ERR_IO = 18,
    SPOOL_ERR_INVALID_CONFIGURATION = 19,
    SPOOL_ERR_STORAGE = 20,             /* any other SQLite failure */
    SPOOL_ERR_NOT_A_SPOOL = 21,         /* a file that exists but is not a spool (opened without creating) */
    SPOOL_ERR_ALREADY_RUNNING = 22,     /* the uploader is already running */
    SPOOL_ERR_CREDENTIALS = 23,         /* BigQuery credentials cannot be used (key file, token endpoint) */
    /* The call itself. */
    SPOOL_ERR_INVALID_ARGUMENT = 100,   /* a NULL pointer where a value is needed */
    SPOOL_ERR_BUFFER_TOO_SMALL = 101,   /* the insert id did not fit: the row WAS committed */
    SPOOL_ERR_OTHER = 255               /* an error this header does not know yet */
} spool_code;

/* A spool opened by spool_open or spool_open_config; 0 is never a valid handle. */
typedef uint64_t spool_handle;

#define SPOOL_MESSAGE_CAPACITY 512
typedef struct spool_error {
    int32_t code;                            /* a spool_code */
    char message[SPOOL_MESSAGE_CAPACITY];    /* UTF-8, NUL-terminated */
} spool_error;

/* An insert id is at most 128 bytes: a buffer of SPOOL_INSERT_ID_CAPACITY always fits one and its NUL. */
#define SPOOL_INSERT_ID_CAPACITY 129

/* Opens (creating and migrating when needed) the spool file at `path` with the default configuration. */
int32_t spool_open(const char *path, spool_handle *out, spool_error *error);

/* Opens the spool named by a configuration file (spool.path; the same JSON file spoolctl reads, with the
 * environment overrides SPOOL_DB, SPOOL_PROJECT, … applied). `config_path` NULL: $SPOOL_CONFIG, else
 * /etc/spool/spool.json. */
int32_t spool_open_config(const char *config_path, spool_handle *out, spool_error *error);

/* Commits one JSON object text (`json_length` bytes, no NUL needed) for `table`, and writes its insert id
 * (NUL-terminated) into `insert_id` when that is not NULL. Returns once the row is committed. */
int32_t spool_append(spool_handle handle, const char *table, const char *json, size_t json_length,
                     char *insert_id, size_t insert_id_capacity, spool_error *error);

/* Closes the handle: stops its uploader (if started), then the file. Returns SPOOL_ERR_CLOSED for a handle that
 * is already closed. */
int32_t spool_close(spool_handle handle, spool_error *error);

/* Starts the library's uploader in this process, with the destination and uploader settings of the
 * configuration file the handle was opened with (spool_open_config only). It drains in the background, on a
 * thread of its own, and holds the spool's lease (another process's uploader, e.g. `spoolctl run`, waits). */
int32_t spool_uploader_start(spool_handle handle, spool_error *error);

/* Stops the uploader started by spool_uploader_start after a last drain (at most 5 s), and returns when it has
 * stopped and released the lease. */
int32_t spool_uploader_stop(spool_handle handle, spool_error *error);

/* The stable name of a code, as the Swift SpoolError.Code says it ("invalidJSON", "spoolFull", …); "other" for
 * an unknown code. A static string: never free it. */
const char *spool_code_name(int32_t code);

#ifdef __cplusplus
}
#endif

#endif /* SPOOL_H */
