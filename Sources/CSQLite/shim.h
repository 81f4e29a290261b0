#ifndef SPOOL_CSQLITE_SHIM_H
#define SPOOL_CSQLITE_SHIM_H

#include <sqlite3.h>
#include <stdint.h>
#include <sched.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

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

// fsyncs one file of `db`'s main database through the VFS (so a test VFS sees it): the WAL with
// SQLITE_FCNTL_JOURNAL_POINTER, as synchronous=FULL would at the end of each commit, or the database file with
// SQLITE_FCNTL_FILE_POINTER, as a checkpoint does once it has copied the whole WAL. Linux's fsync flushes the whole
// file, whichever descriptor wrote it: every frame another connection committed before the call is durable when it
// returns SQLITE_OK.
static inline int spool_sqlite3_sync_file(sqlite3 *db, int filePointerOperation) {
    sqlite3_file *file = 0;
    int rc = sqlite3_file_control(db, "main", filePointerOperation, &file);
    if (rc != SQLITE_OK) {
        return rc;
    }
    if (file == 0 || file->pMethods == 0) {
        return SQLITE_CANTOPEN;
    }
    return file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
}

// Starts writeback of the dirty pages of the file at `path` in requests of `chunk` bytes, waiting for each, as
// PostgreSQL's checkpoint_flush_after does. Written back by one fsync, tens of megabytes go to the disk in requests of
// up to a few megabytes, and finishing each one costs the CPU that takes the disk's interrupts hundreds of
// microseconds at once: whatever runs there (an append) stalls for that long. Small requests spread the same work
// thin. Durability still comes from the fsync that follows; this only leaves it less to do.
// Returns 0, or an errno value (the file is gone, or the call is not supported).
static inline int spool_write_back_in_chunks(const char *path, long long chunk) {
#ifndef SYS_sync_file_range
    (void)path;
    (void)chunk;
    return ENOSYS;
#else
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    int result = 0;
    struct stat status;
    if (fstat(fd, &status) != 0) {
        result = errno;
    }
    // SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER (glibc declares them only
    // under _GNU_SOURCE, which must precede every include).
    const unsigned int flags = 1 | 2 | 4;
    for (long long offset = 0; result == 0 && offset < status.st_size; offset += chunk) {
        if (syscall(SYS_sync_file_range, fd, offset, chunk, flags) != 0) {
            result = errno;
        }
    }
    close(fd);
    return result;
#endif
}

#endif
