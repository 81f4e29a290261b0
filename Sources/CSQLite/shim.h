#ifndef SPOOL_CSQLITE_SHIM_H
#define SPOOL_CSQLITE_SHIM_H

#include <sqlite3.h>
#include <stdint.h>
#include <sched.h>
#include <unistd.h>

// SQLITE_TRANSIENT and SQLITE_STATIC are macros casting integers to function pointers: Swift cannot import them.
static inline int spool_sqlite3_bind_text_transient(sqlite3_stmt *stmt, int index, const char *text, int bytes) {
    return sqlite3_bind_text(stmt, index, text, bytes, SQLITE_TRANSIENT);
}

static inline int spool_sqlite3_bind_text_static(sqlite3_stmt *stmt, int index, const char *text, int bytes) {
    return sqlite3_bind_text(stmt, index, text, bytes, SQLITE_STATIC);
}

static inline int spool_sqlite3_bind_blob_transient(sqlite3_stmt *stmt, int index, const void *data, int bytes) {
    return sqlite3_bind_blob(stmt, index, data, bytes, SQLITE_TRANSIENT);
}

// SQLite's default busy handler sleeps in steps of 1 ms or more, which shows up as append stalls beside a
// drainer. This one first yields the processor for a few dozen retries (catching the gap between two short drainer
// transactions), then sleeps 50 µs per retry; `context` carries the retry budget (number of calls) as an integer.
static inline int spool_sqlite3_short_busy_handler(void *context, int calls) {
    intptr_t budget = (intptr_t)context;
    if (calls >= budget) {
        return 0;
    }
    if (calls < 64) {
        sched_yield();
    } else {
        usleep(50);
    }
    return 1;
}

static inline int spool_sqlite3_install_short_busy_handler(sqlite3 *db, int budget) {
    return sqlite3_busy_handler(db, spool_sqlite3_short_busy_handler, (void *)(intptr_t)budget);
}

// fsyncs the WAL file of `db`'s main database through the VFS (so a test VFS sees it), as synchronous=FULL would at
// the end of each commit. Linux's fsync flushes the whole file, whichever descriptor wrote it: every frame another
// connection committed before the call is durable when it returns SQLITE_OK.
static inline int spool_sqlite3_sync_wal(sqlite3 *db) {
    sqlite3_file *wal = 0;
    int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    if (rc != SQLITE_OK) {
        return rc;
    }
    if (wal == 0 || wal->pMethods == 0) {
        return SQLITE_CANTOPEN;
    }
    return wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
}

#endif
